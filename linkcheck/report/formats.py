"""Every report format by name, so the CLI writes them in one loop.

Each renderer takes the report and the verdicts that fail the run, and
returns the whole file as text, or as chunks of text (JSON, whose reports
are the largest), written with `write_atomic`. A renderer's module is
imported when a report of its format is first written: a run loads only
the renderers it uses (the HTML one brings jinja2).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Protocol

from linkcheck.models import Report, Verdict


class Renderer(Protocol):
    def __call__(self, report: Report, *, fail_on: frozenset[Verdict]) -> str | Iterable[str]: ...


def _json(report: Report, *, fail_on: frozenset[Verdict]) -> Iterable[str]:
    """The JSON report records verdicts, not what fails: fail_on is unused."""
    from linkcheck.report import json

    return json.chunks(report)


def _on_demand(name: str) -> Renderer:
    """`linkcheck.report.<name>.render`, its module imported at the first call."""

    def render(report: Report, *, fail_on: frozenset[Verdict]) -> str | Iterable[str]:
        module = importlib.import_module(f"linkcheck.report.{name}")
        return module.render(report, fail_on=fail_on)

    return render


RENDERERS: dict[str, Renderer] = {
    "json": _json,
    **{name: _on_demand(name) for name in ("html", "markdown", "junit", "sarif", "csv")},
}
