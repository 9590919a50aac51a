"""The CSV report: one row per citation, for spreadsheets and scripts.

Rows follow the documents and the lines in them. A spreadsheet evaluates a
cell that starts with `=`, `+`, `-` or `@` as a formula, and anchor text is
untrusted: such a cell is prefixed with an apostrophe (the OWASP advice),
which spreadsheets hide and a script can strip.
"""

from __future__ import annotations

import csv
import io

from linkcheck.models import Citation, Report, Result, Verdict
from linkcheck.report import view

COLUMNS = (
    "document",
    "line",
    "column",
    "anchor_text",
    "written",
    "url",
    "verdict",
    "fails_run",
    "status",
    "reason",
    "final_url",
    "redirects",
    "suggestion",
    "archive_url",
    "archive_timestamp",
    "archive_distance_days",
    "archive_reason",
    "cited_on",
    "drift_score",
    "drifted",
    "drift_snapshot",
)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str | int | None) -> str:
    """A value as a cell that no spreadsheet runs as a formula."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def _row(citation: Citation, result: Result, fail_on: frozenset[Verdict]) -> list[str]:
    fetch, archive = result.fetch, result.archive
    values: tuple[str | int | None, ...] = (
        citation.source,
        citation.line,
        citation.column,
        citation.text,
        citation.url,
        result.url,
        result.verdict.value,
        "yes" if result.verdict in fail_on else "no",
        fetch.status,
        fetch.reason,
        fetch.final_url,
        " ".join(f"{hop.status} {hop.url}" for hop in fetch.redirects),
        fetch.suggestion,
        archive.url if archive else None,
        archive.timestamp.isoformat() if archive else None,
        archive.distance_days if archive else None,
        result.archive_reason,
        citation.cited_on.isoformat() if citation.cited_on else None,
        *_drift(result),
    )
    return [cell(value) for value in values]


def _drift(result: Result) -> tuple[str | None, str | None, str | None]:
    """Score, flag and snapshot; empty cells when drift was not measured."""
    drift = result.drift
    if drift is None:
        return None, None, None
    return view.drift_score(drift), "yes" if drift.drifted else "no", drift.snapshot


def render(report: Report, *, fail_on: frozenset[Verdict]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for citation, result in view.citation_rows(report.results):
        writer.writerow(_row(citation, result, fail_on))
    return buffer.getvalue()
