"""Every report format by name, so the CLI writes them in one loop.

Each renderer takes the report and the verdicts that fail the run, and
returns the whole file as text (written with `write_atomic`).
"""

from __future__ import annotations

from typing import Protocol

from linkcheck.models import Report, Verdict
from linkcheck.report import csv, html, json, junit, markdown, sarif


class Renderer(Protocol):
    def __call__(self, report: Report, *, fail_on: frozenset[Verdict]) -> str: ...


def _json(report: Report, *, fail_on: frozenset[Verdict]) -> str:
    """The JSON report records verdicts, not what fails: fail_on is unused."""
    return json.render(report)


RENDERERS: dict[str, Renderer] = {
    "json": _json,
    "html": html.render,
    "markdown": markdown.render,
    "junit": junit.render,
    "sarif": sarif.render,
    "csv": csv.render,
}
