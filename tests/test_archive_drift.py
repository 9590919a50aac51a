"""Content drift in a whole run (`--drift`): the lookup, both fetches, the flag, every report.

The cited pages, the archive and its raw (`id_`) snapshots are one
`ArchiveServer` on 127.0.0.1.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import jsonschema
import pytest
from archive_server import ArchiveServer, serving
from rich.console import Console
from site_farm import page, prose

from linkcheck.models import DEFAULT_FAIL_ON, Report, Result, Verdict
from linkcheck.report import csv as csv_report
from linkcheck.report import html, junit, markdown, sarif
from linkcheck.report import json as json_report
from linkcheck.report.terminal import print_summary
from linkcheck.runner import run

REPO = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text(encoding="utf-8"))
DATED = "---\ntitle: Sources\ndate: 2021-12-16\n---\n"
CAPTURED = "20211213094512"
CITED = prose("drift-cited", 4)


@pytest.fixture
async def drift_run(tmp_path: Path) -> AsyncIterator[DriftRun]:
    """One run over a page rewritten since it was cited, one unchanged, one never archived."""
    async with serving() as server:
        for name, live in (("rewritten", prose("drift-rewritten", 4)), ("stable", CITED)):
            url = server.url(f"/live/{name}")
            server.live[name] = page("Cited", "The cited page", live)
            server.snapshots[url] = page("Cited", "The cited page", CITED)
            server.captures[url] = [(CAPTURED, 200)]
        server.live["unarchived"] = page("Cited", "The cited page", CITED)
        doc = tmp_path / "doc.md"
        lines = [f"- [{name}]({server.url('/live/' + name)})" for name in server.live]
        doc.write_text(DATED + "# Sources\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
        config = server.archive_config(snapshot_url=server.archive_url("/web/"), drift=True)
        without = await run([str(doc)], server.archive_config(drift=False))
        report = await run([str(doc)], config)
        yield DriftRun(server, report, without)


class DriftRun:
    def __init__(self, server: ArchiveServer, report: Report, without: Report) -> None:
        self.server, self.report, self.without = server, report, without

    def result(self, name: str) -> Result:
        return next(r for r in self.report.results if r.url.endswith(f"/live/{name}"))


async def test_a_rewritten_page_is_flagged_and_an_unchanged_one_is_not(drift_run: DriftRun) -> None:
    rewritten, stable = drift_run.result("rewritten"), drift_run.result("stable")
    assert rewritten.drift is not None
    assert stable.drift is not None
    assert rewritten.drift.drifted
    assert rewritten.drift.score < 0.5
    assert not stable.drift.drifted
    assert stable.drift.score > 0.9
    assert rewritten.archive is not None
    assert rewritten.drift.snapshot == rewritten.archive.url
    assert "/web/" + CAPTURED in rewritten.drift.snapshot
    # Never archived: looked up (drift forces it under lookup = failing), not judged.
    unarchived = drift_run.result("unarchived")
    assert unarchived.archive is None
    assert unarchived.drift is None
    # The raw snapshot was asked for, and drift changed no verdict.
    assert {seen.path for seen in drift_run.server.log.requests if "id_/" in seen.path}
    assert all(r.verdict is Verdict.OK for r in drift_run.report.results)
    def verdicts(report: Report) -> list[tuple[str, Verdict, str, int | None]]:
        return [(r.url, r.verdict, r.fetch.reason, r.fetch.status) for r in report.results]

    assert verdicts(drift_run.report) == verdicts(drift_run.without)
    assert all(r.drift is None and r.archive is None for r in drift_run.without.results)
    assert drift_run.report.complete
    assert not drift_run.report.fatal(DEFAULT_FAIL_ON)


async def test_the_json_report_carries_drift_valid_and_readable_back(drift_run: DriftRun) -> None:
    data = json.loads(json_report.render(drift_run.report))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    written = {r["url"].rsplit("/", 1)[-1]: r["drift"] for r in data["results"]}
    assert written["rewritten"]["drifted"] is True
    assert written["stable"]["drifted"] is False
    assert 0.0 <= written["rewritten"]["score"] < 0.5
    assert written["rewritten"]["snapshot"] == drift_run.result("rewritten").drift.snapshot  # type: ignore[union-attr]
    assert written["unarchived"] is None
    assert json_report.from_dict(data) == drift_run.report


async def test_every_report_shows_the_drifted_citation(drift_run: DriftRun) -> None:
    report, fail_on = drift_run.report, DEFAULT_FAIL_ON
    rewritten = drift_run.result("rewritten")
    assert rewritten.drift is not None
    score = f"{rewritten.drift.score:.2f}"

    console = Console(record=True, width=200)
    print_summary(console, report, fail_on)
    shown = console.export_text()
    assert f"drifted (score {score}" in shown
    assert "/live/rewritten" in shown

    assert f"drifted (score {score}" in markdown.render(report, fail_on=fail_on)

    rows = {row["url"].rsplit("/", 1)[-1]: row
            for row in csv.DictReader(io.StringIO(csv_report.render(report, fail_on=fail_on)))}
    assert (rows["rewritten"]["drifted"], rows["rewritten"]["drift_score"]) == ("yes", score)
    assert (rows["stable"]["drifted"], rows["unarchived"]["drift_score"]) == ("no", "")

    page_html = html.render(report, fail_on=fail_on)
    assert '"dr":' in page_html
    assert "drifted" in page_html

    results = sarif.to_dict(report, fail_on)["runs"][0]["results"]
    flagged = [r for r in results if r["properties"].get("drift")]
    assert [r["properties"]["drift"]["drifted"] for r in flagged] == [True]
    assert f"drifted (score {score}" in flagged[0]["message"]["text"]

    assert f"drifted (score {score}" in junit.render(report, fail_on=fail_on)


async def test_no_archive_turns_drift_off_with_a_warning(tmp_path: Path) -> None:
    async with serving() as server:
        server.live["page"] = page("Cited", "The cited page", CITED)
        doc = tmp_path / "doc.md"
        doc.write_text(f"{DATED}- [page]({server.url('/live/page')})\n", encoding="utf-8")
        report = await run([str(doc)], server.archive_config(lookup="never", drift=True))
        assert server.requests_to("/cdx") == []
        assert [r.drift for r in report.results] == [None]
        assert any(w.startswith("drift: needs the archive lookup") for w in report.warnings)
