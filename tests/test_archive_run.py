"""Archived copies in a whole run: the runner, the reports, Save Page Now, the settings.

The cited pages and the archive are one `ArchiveServer` on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from archive_server import SAVE_KEYS, SAVED_AT, SNAPSHOT_URL, ArchiveServer, serving
from fixtures.report.sample import sample_report
from rich.console import Console

from linkcheck.config import ArchiveConfig, ConfigError, TimeGate, load
from linkcheck.models import DEFAULT_FAIL_ON, Report, Result, Verdict
from linkcheck.report import json as json_report
from linkcheck.report.terminal import print_summary
from linkcheck.runner import run

REPO = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text(encoding="utf-8"))


@pytest.fixture
async def archive() -> AsyncIterator[ArchiveServer]:
    async with serving() as server:
        yield server


def document(tmp_path: Path, server: ArchiveServer, *paths: str, front: str = "") -> str:
    """A Markdown document citing `paths` of the server, one per line."""
    lines = [f"- [{path}]({server.url(path)})" for path in paths]
    doc = tmp_path / "doc.md"
    doc.write_text(front + "# Sources\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return str(doc)


async def check(server: ArchiveServer, doc: str, **settings: Any) -> Report:
    return await run([doc], server.archive_config(**settings))


def by_path(report: Report, server: ArchiveServer) -> dict[str, Result]:
    return {r.url.removeprefix(server.url("")): r for r in report.results}


DATED = "---\ntitle: Sources\ndate: 2021-12-16\n---\n"


async def test_a_failing_citation_gets_the_snapshot_for_its_date(
    archive: ArchiveServer, tmp_path: Path
) -> None:
    gone = archive.url("/status/404")
    archive.captures[gone] = [("20211213094512", 200), ("20211217000000", 200)]
    doc = document(tmp_path, archive, "/status/404", "/ok", front=DATED)
    report = await check(archive, doc)
    results = by_path(report, archive)
    broken = results["/status/404"]
    assert broken.verdict is Verdict.BROKEN
    assert broken.citations[0].cited_on == dt.date(2021, 12, 16)
    assert broken.archive is not None
    assert broken.archive.url == f"{SNAPSHOT_URL}20211213094512/{gone}"
    assert broken.archive.distance_days == -3
    assert broken.archive_reason is None
    ok = results["/ok"]
    assert (ok.archive, ok.archive_reason) == (None, None)  # lookup = failing
    assert {q["url"] for q in archive.requests_to("/cdx")} == {gone}
    # The JSON report carries it, valid, and reads back.
    data = json.loads(json_report.render(report))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    written = next(r for r in data["results"] if r["url"] == gone)
    assert written["archive"] == {
        "url": f"{SNAPSHOT_URL}20211213094512/{gone}",
        "timestamp": "2021-12-13T09:45:12+00:00",
        "status": 200,
        "source": "wayback",
        "distance_days": -3,
    }
    assert json_report.from_dict(data) == report


async def test_an_archive_outage_changes_no_verdict_and_is_reported(
    archive: ArchiveServer, tmp_path: Path
) -> None:
    doc = document(tmp_path, archive, "/status/404", "/status/500", "/ok", "/cloudflare")
    without = await check(archive, doc, lookup="never")
    assert archive.requests_to("/cdx") == []
    archive.down.update(cdx=503, available=503, timegate=503)
    with_outage = await check(archive, doc, timegates=(archive.timegate(),), retries=0)

    def verdicts(report: Report) -> list[tuple[str, Verdict, str, int | None]]:
        return [(r.url, r.verdict, r.fetch.reason, r.fetch.status) for r in report.results]

    assert verdicts(with_outage) == verdicts(without)
    assert with_outage.complete
    failing = [r.url for r in with_outage.failing(DEFAULT_FAIL_ON)]
    assert failing == [r.url for r in without.failing(DEFAULT_FAIL_ON)]
    reasons = {r.url.rsplit("/", 1)[-1]: r.archive_reason for r in with_outage.results}
    assert reasons == {
        "404": "archive unreachable",
        "500": "archive unreachable",
        "ok": None,
        "cloudflare": "archive unreachable",  # blocked: worth a copy too
    }
    assert any("not asked again" in w for w in with_outage.warnings)
    assert any("verdicts are unaffected" in w for w in with_outage.warnings)
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(json_report.render(with_outage)))


async def test_cited_on_overrides_the_document_dates(
    archive: ArchiveServer, tmp_path: Path
) -> None:
    gone = archive.url("/status/404")
    archive.captures[gone] = [("20200101000000", 200), ("20211213094512", 200)]
    doc = document(tmp_path, archive, "/status/404", front=DATED)
    report = await check(archive, doc, cited_on=dt.date(2020, 6, 1))
    (result,) = report.results
    assert result.citations[0].cited_on == dt.date(2020, 6, 1)
    assert result.archive is not None
    assert result.archive.timestamp.year == 2020


async def test_a_stop_during_the_lookup_keeps_the_verdicts(
    archive: ArchiveServer, tmp_path: Path
) -> None:
    archive.delay["cdx"] = 5.0
    doc = document(tmp_path, archive, "/status/404")
    stop = asyncio.Event()

    async def stop_once_asked() -> None:
        for _ in range(500):  # bounded: 5 s at most
            if archive.log.matching("/cdx"):
                break
            await asyncio.sleep(0.01)
        stop.set()

    stopper = asyncio.ensure_future(stop_once_asked())
    report = await run([doc], archive.archive_config(), stop=stop)
    await stopper
    (result,) = report.results
    assert result.verdict is Verdict.BROKEN
    assert (result.archive, result.archive_reason) == (None, None)
    assert report.complete
    assert any("lookup interrupted" in w for w in report.warnings)


async def test_save_missing_captures_live_urls_never_archived(
    archive: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IAS3_ACCESS_KEY", SAVE_KEYS[0])
    monkeypatch.setenv("IAS3_SECRET_KEY", SAVE_KEYS[1])
    archive.save_pending = 2
    known = archive.url("/page")
    archive.captures[known] = [("20211213094512", 200)]
    doc = document(tmp_path, archive, "/ok", "/page", front=DATED)
    report = await check(archive, doc, save_missing=True)
    results = by_path(report, archive)
    saved = results["/ok"].archive
    assert saved is not None
    assert saved.url == f"{SNAPSHOT_URL}{SAVED_AT}/{archive.url('/ok')}"
    assert saved.distance_days == (dt.date(2026, 11, 25) - dt.date(2021, 12, 16)).days
    assert results["/page"].archive is not None  # already archived: not saved again
    posts = archive.log.matching("/save", method="POST")
    assert len(posts) == 1
    assert posts[0].headers["Authorization"] == "LOW {}:{}".format(*SAVE_KEYS)
    assert len(archive.log.matching("/save/status/spn2-1")) == 3  # pending twice, then done
    assert any(
        w.startswith(f"save_missing: requested a capture of {archive.url('/ok')}: captured")
        for w in report.warnings
    )


async def test_save_missing_without_keys_requests_nothing_and_says_so(
    archive: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IAS3_ACCESS_KEY", raising=False)
    monkeypatch.delenv("IAS3_SECRET_KEY", raising=False)
    doc = document(tmp_path, archive, "/ok")
    report = await check(archive, doc, save_missing=True)
    assert archive.log.matching("/save") == []
    assert report.results[0].archive_reason == "not archived"
    assert any("IAS3_ACCESS_KEY" in w and "no capture was requested" in w for w in report.warnings)


async def test_a_refused_save_is_reported(
    archive: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IAS3_ACCESS_KEY", "wrong")
    monkeypatch.setenv("IAS3_SECRET_KEY", "keys")
    doc = document(tmp_path, archive, "/ok")
    report = await check(archive, doc, save_missing=True)
    assert report.results[0].archive_reason == "save failed"
    assert any("You need to be logged in" in w for w in report.warnings)


def test_the_terminal_shows_the_snapshot_beside_the_failing_citation() -> None:
    console = Console(record=True, width=200)
    report = sample_report()
    print_summary(console, report, DEFAULT_FAIL_ON)
    text = console.export_text()
    archived = [r for r in report.results if r.archive and r.verdict in DEFAULT_FAIL_ON]
    assert archived
    for result in archived:
        assert result.archive is not None
        assert f"archived copy: {result.archive.url}" in text
        assert result.archive.timestamp.date().isoformat() in text
    reasons = [r for r in report.results if r.archive_reason and r.verdict in DEFAULT_FAIL_ON]
    for result in reasons:
        assert f"archived copy: none ({result.archive_reason})" in text


# --- settings ---


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "linkcheck.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_archive_table_and_its_flags(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'cited_on = 2021-12-16\n[archive]\nlookup = "all"\nconcurrency = 1\nmin_interval = 2\n'
        'cdx_url = ""\ntimegates = [{name = "ukwa", url = "https://ukwa.example/timegate/"}]\n',
    )
    config = load(path)
    assert config.cited_on == dt.date(2021, 12, 16)
    assert config.archive == replace(
        ArchiveConfig(),
        lookup="all",
        concurrency=1,
        min_interval=2.0,
        cdx_url=None,
        timegates=(TimeGate("ukwa", "https://ukwa.example/timegate/"),),
    )
    assert load(path, {"archive": False}).archive.lookup == "never"
    assert load(path, {"archive_lookup": "failing", "save_missing": True}).archive == replace(
        config.archive, lookup="failing", save_missing=True
    )
    never = write(tmp_path, '[archive]\nlookup = "never"\n')
    assert load(never, {"archive": True}).archive.lookup == "failing"
    assert load(None, {"cited_on": "Dec 16, 2021"}).cited_on == dt.date(2021, 12, 16)
    table = write(tmp_path, '[archive.timegates]\nukwa = "https://ukwa.example/timegate/"\n')
    assert load(table).archive.timegates == (TimeGate("ukwa", "https://ukwa.example/timegate/"),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[archive]\nlookup = "sometimes"\n', "archive: lookup: expected one of failing, all"),
        ("[archive]\nconcurrency = 0\n", "archive: concurrency: expected a number >= 1"),
        ('[archive]\ncdx_url = "ftp://x"\n', "archive: cdx_url: expected an http(s) URL"),
        ('[archive]\ntimegates = [{name = "x"}]\n', "timegates: expected a name and a url"),
        ('[archive]\nsave_key = "secret"\n', "archive: unknown key 'save_key'"),
        ('archive = "wayback"\n', "archive: expected an [archive] table"),
        ('cited_on = "soon"\n', "cited_on: expected a date such as 2021-12-16"),
    ],
)
def test_bad_archive_settings_name_the_file_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_a_bad_archive_flag_names_the_command_line() -> None:
    with pytest.raises(ConfigError, match="command line: archive_lookup: expected one of"):
        load(None, {"archive_lookup": "some"})
