"""The registry the CLI loops over: every format, one call shape."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from fixtures.report.sample import hostile_report, sample_report

from linkcheck.models import DEFAULT_FAIL_ON, Report
from linkcheck.report import json as json_report
from linkcheck.report import write_atomic
from linkcheck.report.formats import RENDERERS

EMPTY = dataclasses.replace(sample_report(), results=(), documents=0)


def test_every_format_is_registered() -> None:
    assert set(RENDERERS) == {"json", "html", "markdown", "junit", "sarif", "csv"}


@pytest.mark.parametrize("name", sorted(RENDERERS))
@pytest.mark.parametrize(
    "report", [sample_report(), hostile_report(), EMPTY], ids=["sample", "hostile", "empty"]
)
def test_every_renderer_takes_a_report_and_fail_on(name: str, report: Report) -> None:
    rendered = RENDERERS[name](report, fail_on=DEFAULT_FAIL_ON)
    text = rendered if isinstance(rendered, str) else "".join(rendered)  # JSON: chunks
    assert text.endswith("\n")


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_a_saved_json_report_renders_in_every_format(name: str, tmp_path: Path) -> None:
    """What `linkcheck report SAVED.json --FORMAT FILE` does, without re-checking."""
    saved = tmp_path / "saved.json"
    write_atomic(saved, json_report.render(sample_report()))
    report = json_report.from_dict(json.loads(saved.read_text(encoding="utf-8")))
    target = tmp_path / "out" / f"report.{name}"
    write_atomic(target, RENDERERS[name](report, fail_on=DEFAULT_FAIL_ON))
    assert target.read_text(encoding="utf-8")
