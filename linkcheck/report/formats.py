"""Every report format by name, so the CLI writes them in one loop.

Each renderer takes the report and the verdicts that fail the run, and
returns the whole file as text, or as chunks of text (JSON, whose reports
are the largest), written with `write_atomic`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from linkcheck.models import Report, Verdict
from linkcheck.report import csv, html, json, junit, markdown, sarif


class Renderer(Protocol):
    def __call__(self, report: Report, *, fail_on: frozenset[Verdict]) -> str | Iterable[str]: ...


def _json(report: Report, *, fail_on: frozenset[Verdict]) -> Iterable[str]:
    """The JSON report records verdicts, not what fails: fail_on is unused."""
    return json.chunks(report)


RENDERERS: dict[str, Renderer] = {
    "json": _json,
    "html": html.render,
    "markdown": markdown.render,
    "junit": junit.render,
    "sarif": sarif.render,
    "csv": csv.render,
}
