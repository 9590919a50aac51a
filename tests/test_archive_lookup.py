"""Looking up snapshots against the fake archive: the rule, the fallbacks, the manners.

Every request goes to `ArchiveServer` on 127.0.0.1 (tests/archive_server.py),
which answers in the real formats: CDX JSON with its header row, availability
JSON, TimeGate redirects and link-format TimeMaps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from archive_server import ARCHIVE_HOST, SNAPSHOT_URL, ArchiveServer, serving
from servers import closed_port

from linkcheck.archive import NoSnapshot
from linkcheck.archive.client import ArchiveClient
from linkcheck.archive.lookup import add_archives, archives, find
from linkcheck.models import Citation, Fetch, Result, Snapshot, Verdict

GONE = "https://example.org/gone"
CITED = dt.date(2021, 12, 16)


@pytest.fixture
async def archive() -> AsyncIterator[ArchiveServer]:
    async with serving() as server:
        yield server


async def look_up(
    server: ArchiveServer, url: str = GONE, cited_on: dt.date | None = CITED, **settings: Any
) -> Snapshot | NoSnapshot:
    config = server.archive_config(**settings)
    async with ArchiveClient(config) as client:
        return await find(archives(client, config.archive), url, cited_on)


def timestamp(found: Snapshot | NoSnapshot) -> str:
    assert isinstance(found, Snapshot), found
    return found.timestamp.strftime("%Y%m%d%H%M%S")


def result(url: str, *dates: dt.date | None, verdict: Verdict = Verdict.BROKEN) -> Result:
    citations = tuple(
        Citation("doc.md", line, 1, "text", url, url, cited_on=date)
        for line, date in enumerate(dates, 1)
    )
    return Result(url, Fetch(verdict, status=404), citations)


MIXED = [
    ("20211201000000", 200),
    ("20211213094512", 200),
    ("20211216120000", 404),  # on the day, but an error page
    ("20211217000000", 200),  # nearer than the 13th, but after the citation
    ("20220501000000", 200),  # the newest
]


async def test_the_latest_200_before_the_citation_wins(archive: ArchiveServer) -> None:
    archive.captures[GONE] = MIXED
    found = await look_up(archive)
    assert timestamp(found) == "20211213094512"
    assert isinstance(found, Snapshot)
    assert found.url == f"{SNAPSHOT_URL}20211213094512/{GONE}"
    assert (found.status, found.source, found.distance_days) == (200, "wayback", -3)


async def test_the_cdx_api_is_asked_with_its_documented_parameters_only(
    archive: ArchiveServer,
) -> None:
    archive.captures[GONE] = [("20211220000000", 200)]
    assert timestamp(await look_up(archive)) == "20211220000000"
    before, after = archive.requests_to("/cdx")
    assert before["to"] == "20211216235959"
    assert before["limit"] == "-1"
    assert after["from"] == "20211217000000"
    assert after["limit"] == "1"
    for query in (before, after):
        assert query["filter"] == "statuscode:200"
        assert query["fl"] == "timestamp,original,statuscode"
        assert "sort" not in query
        assert "closest" not in query


async def test_without_a_capture_before_the_earliest_200_after(archive: ArchiveServer) -> None:
    archive.captures[GONE] = [
        ("20211218000000", 404),
        ("20211220000000", 200),
        ("20220101000000", 200),
    ]
    found = await look_up(archive)
    assert timestamp(found) == "20211220000000"
    assert isinstance(found, Snapshot)
    assert found.distance_days == 4


async def test_without_a_citation_date_the_latest_200(archive: ArchiveServer) -> None:
    archive.captures[GONE] = [*MIXED, ("20230101000000", 404)]
    found = await look_up(archive, cited_on=None)
    assert timestamp(found) == "20220501000000"
    assert isinstance(found, Snapshot)
    assert found.distance_days is None


@pytest.mark.parametrize(
    ("captures", "reason"),
    [
        ([("20211210000000", 404), ("20211220000000", 404)], "only non-200 captures"),
        ([], "not archived"),
    ],
)
async def test_no_usable_capture_says_why(
    archive: ArchiveServer, captures: list[tuple[str, int]], reason: str
) -> None:
    archive.captures[GONE] = captures
    found = await look_up(archive)
    assert isinstance(found, NoSnapshot)
    assert found.reason == reason


async def test_a_429_is_retried_then_answered(archive: ArchiveServer) -> None:
    archive.captures[GONE] = MIXED
    archive.limited["cdx"] = 1
    assert timestamp(await look_up(archive)) == "20211213094512"
    assert len(archive.requests_to("/cdx")) == 2


async def test_rate_limited_to_the_end_is_reported_and_not_asked_again(
    archive: ArchiveServer,
) -> None:
    archive.limited["cdx"] = archive.limited["available"] = 100
    results = [result(f"{GONE}/{n}", CITED) for n in range(10)]
    warnings: list[str] = []
    config = archive.archive_config(retries=1, concurrency=1)
    filled = await add_archives(results, config, warn=warnings.append)
    assert {r.archive_reason for r in filled} == {"rate limited"}
    # Given up once the lookups in flight (2) spent their retries: not 10 x 2 requests.
    assert len(archive.requests_to("/cdx")) <= 4
    assert any("rate limited" in w and "not asked again" in w for w in warnings)


@pytest.mark.parametrize("outage", ["503", "refused"])
async def test_the_availability_api_is_the_fallback(archive: ArchiveServer, outage: str) -> None:
    archive.captures[GONE] = MIXED
    cdx = archive.archive_url("/cdx")
    if outage == "503":
        archive.down["cdx"] = 503
    else:
        cdx = f"http://127.0.0.1:{closed_port()}/cdx"
    found = await look_up(archive, cdx_url=cdx)
    assert timestamp(found) == "20211213094512"
    assert [q.get("closest") for q in archive.requests_to("/available")] == ["before"]


async def test_the_availability_api_asks_after_when_nothing_is_before(
    archive: ArchiveServer,
) -> None:
    archive.captures[GONE] = [("20211217000000", 404), ("20211220000000", 200)]
    found = await look_up(archive, cdx_url="")
    assert timestamp(found) == "20211220000000"
    assert [q["closest"] for q in archive.requests_to("/available")] == ["before", "after"]


async def test_a_timegate_is_asked_when_the_wayback_machine_has_nothing(
    archive: ArchiveServer,
) -> None:
    archive.captures[GONE] = MIXED
    archive.empty.add("cdx")
    found = await look_up(archive, timegates=(archive.timegate("other"),))
    assert isinstance(found, Snapshot), found
    # The TimeGate itself would pick the nearer 17th; the TimeMap and the rule pick the 13th.
    assert timestamp(found) == "20211213094512"
    assert found.source == "other"
    assert found.url == archive.archive_url(f"/memento/20211213094512/{GONE}")
    gate = archive.log.matching(f"/timegate/{GONE}")[0]
    assert gate.headers["Accept-Datetime"] == "Thu, 16 Dec 2021 23:59:59 GMT"


async def test_a_memento_of_an_error_page_is_never_the_snapshot(archive: ArchiveServer) -> None:
    archive.captures[GONE] = [("20211215000000", 404), ("20211101000000", 200)]
    found = await look_up(archive, cdx_url="", availability_url="", timegates=(archive.timegate(),))
    assert timestamp(found) == "20211101000000"
    archive.captures[GONE] = [("20211215000000", 404)]
    found = await look_up(archive, cdx_url="", availability_url="", timegates=(archive.timegate(),))
    assert isinstance(found, NoSnapshot)
    assert found.reason == "only non-200 captures"


async def test_an_outage_of_every_archive_is_archive_unreachable(archive: ArchiveServer) -> None:
    archive.captures[GONE] = MIXED
    archive.down.update(cdx=503, available=502, timegate=503)
    found = await look_up(archive, retries=0, timegates=(archive.timegate(),))
    assert isinstance(found, NoSnapshot)
    assert found.reason == "archive unreachable"


async def test_unusable_answers_are_an_unreachable_archive(archive: ArchiveServer) -> None:
    archive.canned["cdx"] = (200, {}, "<html>not JSON</html>")
    archive.canned["timegate"] = (302, {"Location": "http://[not-a-host/x"}, "")
    found = await look_up(archive, availability_url="", timegates=(archive.timegate(),))
    assert isinstance(found, NoSnapshot)
    assert found.reason == "archive unreachable"


async def test_requests_to_one_archive_respect_its_cap(archive: ArchiveServer) -> None:
    archive.delay["cdx"] = 0.1
    results = [result(f"{GONE}/{n}", CITED) for n in range(8)]
    config = archive.archive_config(concurrency=2)
    await add_archives(results, config, warn=lambda _: None)
    assert archive.log.peak[ARCHIVE_HOST] == 2
    assert len(archive.requests_to("/cdx")) == 8 * 3  # before, after, any capture


async def test_each_url_and_date_is_looked_up_once_per_run(archive: ArchiveServer) -> None:
    archive.captures[GONE] = MIXED
    results = [
        result(f"{GONE}#a", CITED),
        result(f"{GONE}#b", CITED),  # same page, same date: the cached answer
        result(f"{GONE}#c", dt.date(2021, 12, 20)),  # another date: its own snapshot
    ]
    filled = await add_archives(results, archive.archive_config(), warn=lambda _: None)
    assert len(archive.requests_to("/cdx")) == 2
    snapshots = [r.archive for r in filled]
    assert all(s is not None for s in snapshots)
    assert [s.url for s in snapshots if s] == [
        f"{SNAPSHOT_URL}20211213094512/{GONE}#a",
        f"{SNAPSHOT_URL}20211213094512/{GONE}#b",
        f"{SNAPSHOT_URL}20211217000000/{GONE}#c",
    ]
    uncached = archive.archive_config(cache=False)
    await add_archives(results, uncached, warn=lambda _: None)
    assert len(archive.requests_to("/cdx")) == 2 + 3


async def test_a_result_cited_on_several_dates_uses_the_earliest(archive: ArchiveServer) -> None:
    archive.captures[GONE] = MIXED
    cited = result(GONE, None, dt.date(2022, 6, 1), CITED)
    (filled,) = await add_archives([cited], archive.archive_config(), warn=lambda _: None)
    assert filled.archive is not None
    assert filled.archive.timestamp.date() == dt.date(2021, 12, 13)
    assert filled.archive.distance_days == -3


@pytest.mark.parametrize(
    ("lookup", "verdicts_looked_up"),
    [
        ("failing", {Verdict.BROKEN, Verdict.BLOCKED, Verdict.TIMEOUT}),
        ("all", {Verdict.BROKEN, Verdict.BLOCKED, Verdict.TIMEOUT, Verdict.OK, Verdict.MOVED}),
        ("never", set()),
    ],
)
async def test_which_results_are_looked_up(
    archive: ArchiveServer, lookup: str, verdicts_looked_up: set[Verdict]
) -> None:
    verdicts = [
        Verdict.BROKEN,
        Verdict.BLOCKED,
        Verdict.TIMEOUT,
        Verdict.OK,
        Verdict.MOVED,
        Verdict.SKIPPED,
    ]
    results = [result(f"{GONE}/{v.value}", CITED, verdict=v) for v in verdicts]
    results.append(result("file:///tmp/missing.html", CITED))  # not on the web
    await add_archives(results, archive.archive_config(lookup=lookup), warn=lambda _: None)
    asked = {q["url"].rsplit("/", 1)[-1] for q in archive.requests_to("/cdx")}
    assert asked == {v.value for v in verdicts_looked_up}


async def test_the_guard_applies_to_archive_endpoints(archive: ArchiveServer) -> None:
    private = archive.archive_settings(cdx_url=f"http://127.0.0.1:{archive.port}/cdx")
    guarded = replace(archive.archive_config(), allow_private=False, archive=private)
    async with ArchiveClient(guarded) as client:
        found = await find(archives(client, private), GONE, CITED)
    assert isinstance(found, NoSnapshot)
    assert found.reason == "archive unreachable"
    assert "private address 127.0.0.1" in found.detail
    assert archive.requests_to("/cdx") == []
