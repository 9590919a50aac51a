"""The history: confirmation over runs and days, the cache, the comparison,
and a SQLite file that survives SIGKILL and concurrent runs.

Time is injected (`now=` on the runner, the report's times in the store), so
runs days apart take milliseconds. Network tests use the local catalogue.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import sqlite3
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from archive_server import SNAPSHOT_URL, ArchiveServer, serving
from servers import Catalogue

from linkcheck.config import CacheConfig, Config, ConfirmConfig
from linkcheck.models import DEFAULT_FAIL_ON, Citation, Fetch, Report, Result, Verdict
from linkcheck.report import json as json_report
from linkcheck.runner import run
from linkcheck.store import SCHEMA_VERSION, Store, StoreError, is_confirmed, migrate

TESTS = Path(__file__).resolve().parent
NIGHTLY = ConfirmConfig(runs=3, days=2)  # the CI examples' setting
DAY0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)  # a Monday, 02:00 UTC


def at(days: float = 0, hours: float = 0) -> dt.datetime:
    return DAY0 + dt.timedelta(days=days, hours=hours)


# --- synthetic runs, for the store alone (also imported by the writer subprocesses) ---


def report_at(moment: dt.datetime, verdicts: Mapping[str, Verdict]) -> Report:
    """A run at `moment` with one result per URL."""
    results = tuple(
        Result(url, Fetch(verdict), (Citation("doc.md", 1, 1, "", url, url),))
        for url, verdict in verdicts.items()
    )
    return Report(moment, moment + dt.timedelta(minutes=1), results, documents=1)


def record(
    store: Store,
    moment: dt.datetime,
    verdicts: Mapping[str, Verdict],
    confirm: ConfirmConfig = NIGHTLY,
    served: Mapping[str, dt.datetime] | None = None,
) -> Report:
    report = report_at(moment, verdicts)
    return store.record(report, fail_on=DEFAULT_FAIL_ON, confirm=confirm, served=served)


def write_runs(path: str, urls: int, runs: int, tag: str) -> None:
    """Record `runs` runs of `urls` results, printing each run's number once committed."""
    store = Store(path)
    for n in range(runs):
        verdicts = {
            f"https://example.org/{i}": Verdict.BROKEN if (i + n) % 3 == 0 else Verdict.OK
            for i in range(urls)
        }
        record(store, at(hours=n), verdicts)
        print(f"{tag} {n}", flush=True)


def result_for(report: Report, url: str) -> Result:
    return next(result for result in report.results if result.url == url)


# --- confirmation, streaks and the comparison (the store alone) ---

A, B, C, D = (f"https://example.org/{name}" for name in "abcd")
BROKEN, OK = Verdict.BROKEN, Verdict.OK


def test_a_failure_is_confirmed_after_three_runs_over_two_days(tmp_path: Path) -> None:
    store = Store(tmp_path / "history.db")
    seen = [result_for(record(store, at(days=day), {A: BROKEN}), A).history for day in range(3)]
    assert [(h.consecutive_failures, h.confirmed) for h in seen if h] == [
        (1, False),
        (2, False),
        (3, True),
    ]
    assert {h.first_failed for h in seen if h} == {DAY0}


def test_three_failures_in_one_day_wait_for_the_days(tmp_path: Path) -> None:
    store = Store(tmp_path / "history.db")
    for hours in (0, 6, 12, 18):
        history = result_for(record(store, at(hours=hours), {A: BROKEN}), A).history
        assert history is not None
        assert not history.confirmed
    history = result_for(record(store, at(days=2), {A: BROKEN}), A).history
    assert history is not None
    assert (history.consecutive_failures, history.confirmed) == (5, True)


def test_days_are_calendar_days_so_a_late_nightly_still_confirms() -> None:
    """Monday 23:30, Tuesday, Wednesday 00:10: 2 calendar days though under 48 hours."""
    monday_late = dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC)
    wednesday_early = dt.datetime(2026, 3, 4, 0, 10, tzinfo=dt.UTC)
    assert is_confirmed(3, monday_late, wednesday_early, NIGHTLY)
    assert not is_confirmed(2, monday_late, wednesday_early, NIGHTLY)
    assert not is_confirmed(3, monday_late, wednesday_early - dt.timedelta(hours=1), NIGHTLY)
    assert is_confirmed(1, monday_late, monday_late, ConfirmConfig())  # the default: at once


def test_a_recovery_starts_a_new_streak(tmp_path: Path) -> None:
    store = Store(tmp_path / "history.db")
    for day, verdict in enumerate([BROKEN, BROKEN, OK, BROKEN]):
        last = record(store, at(days=day), {A: verdict})
    history = result_for(last, A).history
    assert history is not None
    assert (history.first_failed, history.consecutive_failures) == (at(days=3), 1)


def test_a_result_served_from_the_cache_neither_extends_nor_breaks_a_streak(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "history.db")
    record(store, at(days=0), {A: BROKEN})
    cached = record(store, at(days=1), {A: BROKEN}, served={A: at(days=0)})
    history = result_for(cached, A).history
    assert history is not None
    assert (history.consecutive_failures, history.cached_at) == (1, at(days=0))
    fetched = record(store, at(days=2), {A: BROKEN})
    assert (history := result_for(fetched, A).history) is not None
    assert (history.consecutive_failures, history.confirmed) == (2, False)  # 2 checks, not 3


def whole_walk(
    store: Store, url: str, fail_on: frozenset[Verdict]
) -> tuple[int, dt.datetime | None]:
    """A URL's failing streak read from its whole timeline: the fetched checks failing
    in a row back from the latest (cached ones passed over)."""
    count, first = 0, None
    for check in reversed(store.timeline(url)):
        if check.cached:
            continue
        if check.verdict not in fail_on:
            break
        count, first = count + 1, check.at
    return count, first


TIMEOUT = Verdict.TIMEOUT
# Per run: each URL's verdict, whether it is served from the cache, and the run's fail_on.
STREAKY_RUNS: list[tuple[dict[str, Verdict], set[str], frozenset[Verdict]]] = [
    ({A: BROKEN, B: BROKEN, C: TIMEOUT, D: OK}, set(), DEFAULT_FAIL_ON),
    ({A: BROKEN, B: OK, C: TIMEOUT, D: BROKEN}, set(), DEFAULT_FAIL_ON),
    ({A: BROKEN, B: BROKEN, C: TIMEOUT, D: BROKEN}, {A}, DEFAULT_FAIL_ON),
    ({A: BROKEN, B: BROKEN, C: TIMEOUT, D: BROKEN}, set(), DEFAULT_FAIL_ON),
    # C's timeouts stop counting, then count again: its stored streaks were counted
    # under another fail_on and must not be reused.
    ({A: BROKEN, B: BROKEN, C: TIMEOUT, D: BROKEN}, set(), DEFAULT_FAIL_ON - {TIMEOUT}),
    ({A: BROKEN, B: BROKEN, C: TIMEOUT, D: BROKEN}, {D}, DEFAULT_FAIL_ON),
    ({A: BROKEN, B: BROKEN, C: TIMEOUT, D: BROKEN}, set(), DEFAULT_FAIL_ON),
]


def test_a_streak_kept_with_each_check_is_the_streak_of_the_whole_timeline(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "history.db")
    for day, (verdicts, served, fail_on) in enumerate(STREAKY_RUNS):
        report = store.record(
            report_at(at(days=day), verdicts),
            fail_on=fail_on,
            confirm=NIGHTLY,
            served={url: at(days=day - 1) for url in served},
        )
        for result in report.results:
            history = result.history
            assert history is not None
            if result.verdict in fail_on:
                expected = whole_walk(store, result.url, fail_on)
                assert (history.consecutive_failures, history.first_failed) == expected
    # A's streak: 7 runs, the third served from the cache: 6 checks since day 0.
    assert whole_walk(store, A, DEFAULT_FAIL_ON) == (6, at(days=0))


def test_a_streak_counted_under_another_fail_on_is_walked_again(tmp_path: Path) -> None:
    store = Store(tmp_path / "history.db")
    lenient = DEFAULT_FAIL_ON - {TIMEOUT}  # a timeout breaks the streak here
    for day, verdict in enumerate([BROKEN, TIMEOUT, BROKEN]):
        run = report_at(at(days=day), {A: verdict})
        report = store.record(run, fail_on=lenient, confirm=NIGHTLY)
    assert (history := result_for(report, A).history) is not None
    assert history.consecutive_failures == 1
    strict = record(store, at(days=3), {A: BROKEN})  # DEFAULT_FAIL_ON counts the timeout
    assert (history := result_for(strict, A).history) is not None
    assert (history.consecutive_failures, history.first_failed) == (4, at(days=0))


def test_a_history_from_before_kept_streaks_is_walked_whole(tmp_path: Path) -> None:
    store = Store(tmp_path / "history.db")
    for day in range(4):
        record(store, at(days=day), {A: BROKEN, B: OK})
    with sqlite3.connect(tmp_path / "history.db") as db:  # as schema 1 wrote them
        db.execute("UPDATE checks SET streak = NULL, streak_first = NULL")
        db.execute("UPDATE runs SET fail_on = NULL")
    history = result_for(record(store, at(days=4), {A: BROKEN, B: OK}), A).history
    assert history is not None
    assert (history.consecutive_failures, history.first_failed) == (5, at(days=0))
    history = result_for(record(store, at(days=5), {A: BROKEN, B: OK}), A).history
    assert history is not None
    assert (history.consecutive_failures, history.first_failed) == (6, at(days=0))


def test_a_page_is_served_from_the_cache_only_when_every_citation_of_it_may_be(
    tmp_path: Path,
) -> None:
    store, settings = Store(tmp_path / "history.db"), CacheConfig()
    assert store.cached_fetches([A], settings, at()) == {}  # no file yet: none made
    assert not store.path.exists()
    record(store, at(), {A: OK, f"{A}#intro": OK, B: OK, f"{B}#gone": Verdict.FRAGMENT_MISSING})
    served = store.cached_fetches([A, B, C], settings, at(hours=1))
    assert list(served) == [A]
    assert (served[A].fetch.verdict, served[A].fetched) == (OK, at())
    assert store.cached_fetches([A], replace(settings, max_age=0), at(hours=1)) == {}


def test_each_run_is_compared_with_each_urls_previous_check(tmp_path: Path) -> None:
    store = Store(tmp_path / "history.db")
    first = record(store, at(days=0), {A: BROKEN, B: OK, C: BROKEN})
    assert first.comparison is None  # nothing to compare with
    second = record(store, at(days=1), {A: OK, B: BROKEN, C: BROKEN, D: BROKEN})
    comparison = second.comparison
    assert comparison is not None
    assert comparison.previous_finished == first.finished
    assert (comparison.newly_failing, comparison.recovered, comparison.still_failing) == (
        (B, D),
        (A,),
        (C,),
    )


def test_only_confirmed_failures_are_fatal(tmp_path: Path) -> None:
    store = Store(tmp_path / "history.db")
    record(store, at(days=0), {A: BROKEN})
    record(store, at(days=1), {A: BROKEN})
    report = record(store, at(days=2), {A: BROKEN, B: BROKEN})
    assert [r.url for r in report.fatal(DEFAULT_FAIL_ON)] == [A]
    assert [r.url for r in report.unconfirmed(DEFAULT_FAIL_ON)] == [B]
    no_history = report_at(at(), {B: BROKEN})
    assert [r.url for r in no_history.fatal(DEFAULT_FAIL_ON)] == [B]  # no history: at once


def test_the_timeline_and_the_failing_list(tmp_path: Path) -> None:
    store = Store(tmp_path / "history.db")
    for day in range(3):
        record(store, at(days=day), {A: BROKEN, B: OK if day < 2 else BROKEN, C: OK})
    assert [check.verdict for check in store.timeline(A)] == [BROKEN] * 3
    assert [check.confirmed for check in store.timeline(A)] == [False, False, True]
    assert store.timeline("https://example.org/never") == []
    failing = store.failing(DEFAULT_FAIL_ON)
    assert [(f.url, f.first_failed, f.consecutive_failures, f.confirmed) for f in failing] == [
        (A, at(days=0), 3, True),
        (B, at(days=2), 1, False),
    ]


# --- the file: schema, migrations, damage ---


def test_the_file_is_wal_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "history.db"
    record(Store(path), at(), {A: OK})
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)


def test_migrations_run_forward_and_keep_the_data(tmp_path: Path) -> None:
    old = (("CREATE TABLE t (x INTEGER)",), ("INSERT INTO t VALUES (1)",))
    newer = (*old, ("ALTER TABLE t ADD COLUMN y TEXT DEFAULT 'new'",))
    db = sqlite3.connect(tmp_path / "h.db", isolation_level=None)
    assert migrate(db, old) == 2
    assert migrate(db, newer) == 3
    assert db.execute("SELECT x, y FROM t").fetchall() == [(1, "new")]
    with pytest.raises(StoreError, match=r"newer linkcheck \(schema 3; this one knows 2\)"):
        migrate(db, old)
    db.close()


def test_a_history_from_a_newer_linkcheck_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    record(Store(path), at(), {A: BROKEN})
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match=str(path)):
        record(Store(path), at(days=1), {A: BROKEN})
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM runs").fetchone() == (1,)


def test_a_file_that_is_not_a_history_is_named(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    path.write_bytes(b"not a database at all, just some bytes " * 100)
    with pytest.raises(StoreError, match=str(path)):
        Store(path).timeline(A)
    with pytest.raises(StoreError, match="no history here yet"):
        Store(tmp_path / "missing.db", create=False).failing(DEFAULT_FAIL_ON)


# --- SIGKILL and concurrent runs: real processes ---


async def start_writer(path: Path, urls: int, runs: int, tag: str) -> asyncio.subprocess.Process:
    code = f"import sys; sys.path.insert(0, {str(TESTS)!r}); from test_store import write_runs; "
    code += f"write_runs({str(path)!r}, {urls}, {runs}, {tag!r})"
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL
    )


def runs_and_checks(path: Path) -> tuple[str, list[tuple[int, int]]]:
    """The integrity check, and each run with its number of checks."""
    with sqlite3.connect(path) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        rows = db.execute(
            "SELECT runs.id, COUNT(checks.url) FROM runs LEFT JOIN checks ON run_id = runs.id"
            " GROUP BY runs.id ORDER BY runs.id"
        ).fetchall()
    return integrity, rows


async def test_a_run_killed_mid_write_leaves_a_database_the_next_run_reads(
    tmp_path: Path,
) -> None:
    path, urls = tmp_path / "history.db", 300
    writer = await start_writer(path, urls, 100_000, "w")
    assert writer.stdout is not None
    printed = -1
    while printed < 3:  # a few runs committed, then a kill at a random moment
        printed = int((await asyncio.wait_for(writer.stdout.readline(), 20)).split()[1])
    await asyncio.sleep(random.uniform(0, 0.05))
    writer.kill()
    rest = (await writer.stdout.read()).split()
    printed = int(rest[-1]) if rest else printed
    assert await writer.wait() < 0

    integrity, rows = runs_and_checks(path)
    assert integrity == "ok"
    assert len(rows) in (printed + 1, printed + 2)  # its print may not have followed its commit
    assert {count for _, count in rows} == {urls}  # no run half written
    # The next run reads it: the streaks and the comparison carry on.
    last = len(rows) - 1
    verdicts = {f"https://example.org/{i}": BROKEN for i in range(urls)}
    report = record(Store(path), at(hours=last + 1), verdicts)
    assert report.comparison is not None
    assert report.comparison.previous_finished == at(hours=last) + dt.timedelta(minutes=1)
    streaks = {r.url: r.history.consecutive_failures for r in report.results if r.history}
    assert streaks == {  # the URLs that failed in the last committed run carry on
        f"https://example.org/{i}": 2 if (i + last) % 3 == 0 else 1 for i in range(urls)
    }


async def test_two_runs_at_once_both_complete_and_lose_nothing(tmp_path: Path) -> None:
    path, urls, runs = tmp_path / "history.db", 100, 15
    writers = [await start_writer(path, urls, runs, tag) for tag in "ab"]  # a fresh file too
    outputs = await asyncio.wait_for(asyncio.gather(*(w.communicate() for w in writers)), 40)
    assert [w.returncode for w in writers] == [0, 0]
    for (out, _), tag in zip(outputs, "ab", strict=True):
        assert out.decode().split() == [part for n in range(runs) for part in (tag, str(n))]
    integrity, rows = runs_and_checks(path)
    assert integrity == "ok"
    assert len(rows) == 2 * runs
    assert {count for _, count in rows} == {urls}


# --- the runner: cache and confirmation against the local servers, over simulated days ---


def clock(moment: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: moment


def cite(tmp_path: Path, *urls: str) -> str:
    doc = tmp_path / "doc.md"
    doc.write_text("".join(f"- <{url}>\n" for url in urls), encoding="utf-8")
    return str(doc)


def settings(catalogue: Catalogue, **overrides: Any) -> Config:
    config = catalogue.config(retries=0, confirm=NIGHTLY, **overrides)
    return replace(config, archive=replace(config.archive, lookup="never"))


async def test_a_url_failing_once_then_recovering_never_fails_the_build(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    hiccup = catalogue.url("/flaky/hiccup?fail=1&status=404")
    doc, config, store = cite(tmp_path, hiccup), settings(catalogue), Store(tmp_path / "h.db")
    verdicts = []
    for day in range(4):
        report = await run([doc], config, history=store, now=clock(at(days=day)))
        verdicts.append(report.results[0].verdict)
        assert report.fatal(config.fail_on) == ()
        if day == 1:
            assert report.comparison is not None
            assert report.comparison.recovered == (hiccup,)
    assert verdicts[:2] == [BROKEN, OK]


async def test_a_url_failing_three_runs_over_two_days_fails_the_build(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    dead = catalogue.url("/status/404")
    doc, config, store = cite(tmp_path, dead), settings(catalogue), Store(tmp_path / "h.db")
    fatal = []
    for day in range(3):
        report = await run([doc], config, history=store, now=clock(at(days=day)))
        fatal.append(len(report.fatal(config.fail_on)))
    assert fatal == [0, 0, 1]
    history = report.results[0].history
    assert history is not None
    assert (history.first_failed, history.consecutive_failures) == (DAY0, 3)
    assert report.comparison is not None
    assert report.comparison.still_failing == (dead,)


async def test_a_cache_hit_skips_the_network(catalogue: Catalogue, tmp_path: Path) -> None:
    live, dead = catalogue.url("/ok"), catalogue.url("/status/404")
    doc, config, store = cite(tmp_path, live, dead), settings(catalogue), Store(tmp_path / "h.db")
    await run([doc], config, history=store, now=clock(at()))
    assert (catalogue.log.count("/ok"), catalogue.log.count("/status/404")) == (1, 1)

    later = await run([doc], config, history=store, now=clock(at(hours=20)))
    assert catalogue.log.count("/ok") == 1  # the server saw no request
    assert catalogue.log.count("/status/404") == 2  # failures are never served from cache
    cached = result_for(later, live)
    assert cached.verdict is OK
    assert cached.fetch.attempts == 0
    assert cached.history is not None
    assert cached.history.cached_at == at()
    written = json.loads(json_report.render(later))["results"]
    assert next(r for r in written if r["url"] == live)["cached"] == {
        "checked": at().isoformat(),
        "age_seconds": 20 * 3600,
    }
    assert json_report.from_dict(json.loads(json_report.render(later))) == later

    await run([doc], config, history=store, now=clock(at(hours=25)))  # older than max_age
    assert catalogue.log.count("/ok") == 2
    failing_too = replace(config, cache=CacheConfig(serve_failing=True))
    await run([doc], failing_too, history=store, now=clock(at(hours=26)))
    assert (catalogue.log.count("/ok"), catalogue.log.count("/status/404")) == (2, 3)


@pytest.fixture
async def archive() -> Any:
    async with serving() as server:
        yield server


async def test_archive_answers_are_reused_for_archive_max_age(
    archive: ArchiveServer, tmp_path: Path
) -> None:
    gone = archive.url("/status/404")
    archive.captures[gone] = [("20211213094512", 200)]
    doc = cite(tmp_path, gone, archive.url("/status/410"))
    config, store = archive.archive_config(retries=0), Store(tmp_path / "h.db")
    first = await run([doc], config, history=store, now=clock(at()))
    asked = len(archive.requests_to("/cdx"))
    assert asked >= 2
    again = await run([doc], config, history=store, now=clock(at(days=29)))
    assert len(archive.requests_to("/cdx")) == asked  # nothing asked again
    assert [(r.archive, r.archive_reason) for r in again.results] == [
        (r.archive, r.archive_reason) for r in first.results
    ]
    snapshot = result_for(again, gone).archive
    assert snapshot is not None
    assert snapshot.url == f"{SNAPSHOT_URL}20211213094512/{gone}"
    await run([doc], config, history=store, now=clock(at(days=31)))
    assert len(archive.requests_to("/cdx")) == 2 * asked  # expired: asked again
