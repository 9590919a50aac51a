"""The CSV report: one row per citation, read back by the csv module."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from fixtures.report.sample import HOSTILE_TEXT, MARKDOWN_TEXT, hostile_report, sample_report

from linkcheck.models import DEFAULT_FAIL_ON, Report
from linkcheck.report import csv as csv_report
from linkcheck.report import view

GOLDEN = Path(__file__).parent / "fixtures" / "report" / "sample.csv"


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_sample_matches_the_golden_file() -> None:
    text = csv_report.render(sample_report(), fail_on=DEFAULT_FAIL_ON)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_bytes(text.encode("utf-8"))
    assert text == GOLDEN.read_bytes().decode("utf-8")


def expected_rows(report: Report) -> list[dict[str, str]]:
    """What each row must say, from the model, with the formula guard."""
    rows = []
    for citation, result in view.citation_rows(report.results):
        archive = result.archive
        rows.append(
            {
                "document": citation.source,
                "line": str(citation.line),
                "column": str(citation.column),
                "anchor_text": citation.text,
                "written": citation.url,
                "url": result.url,
                "verdict": result.verdict.value,
                "fails_run": "yes" if result.verdict in DEFAULT_FAIL_ON else "no",
                "status": "" if result.fetch.status is None else str(result.fetch.status),
                "reason": result.fetch.reason,
                "final_url": result.fetch.final_url or "",
                "redirects": " ".join(f"{h.status} {h.url}" for h in result.fetch.redirects),
                "suggestion": result.fetch.suggestion or "",
                "archive_url": archive.url if archive else "",
                "archive_timestamp": archive.timestamp.isoformat() if archive else "",
                "archive_distance_days": str(archive.distance_days) if archive else "",
                "archive_reason": result.archive_reason or "",
                "cited_on": citation.cited_on.isoformat() if citation.cited_on else "",
                "drift_score": view.drift_score(result.drift) if result.drift else "",
                "drifted": ("yes" if result.drift.drifted else "no") if result.drift else "",
                "drift_snapshot": result.drift.snapshot if result.drift else "",
            }
        )
    numbers = {"line", "column", "status", "archive_distance_days"}
    for row in rows:
        for key, value in row.items():
            if key not in numbers and value.startswith(csv_report.FORMULA_START):
                row[key] = "'" + value
    return rows


def test_every_citation_round_trips_through_the_csv_module() -> None:
    for report in (sample_report(), hostile_report()):
        text = csv_report.render(report, fail_on=DEFAULT_FAIL_ON)
        rows = read(text)
        assert list(rows[0]) == list(csv_report.COLUMNS)
        assert rows == expected_rows(report)


def test_hostile_cells_are_literal_and_no_formula() -> None:
    rows = read(csv_report.render(hostile_report(), fail_on=DEFAULT_FAIL_ON))
    assert HOSTILE_TEXT in [row["anchor_text"] for row in rows]
    assert MARKDOWN_TEXT in [row["anchor_text"] for row in rows]  # newline kept inside quotes
    formulas = [row for row in rows if row["document"].startswith("'=")]
    assert formulas
    assert formulas[0]["anchor_text"] == "'=1+2"
    for row in rows:
        assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())
