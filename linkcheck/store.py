"""The history: every check in one SQLite file, the cache it makes, and when
a failure is confirmed.

A nightly job that cries wolf gets switched off. So, like the Internet
Archive's citation bot, linkcheck declares a URL dead only after repeated
failures spread over days: each run is recorded here, and a failing result
counts toward the exit code only once it has failed in `confirm.runs`
consecutive checks spanning at least `confirm.days` calendar days (UTC).

Why SQLite: zero setup, one file a CI cache action restores and saves, and
transactions that keep it whole whatever happens to the process:

- WAL journal with `synchronous = FULL`: a run killed at any point, even by
  SIGKILL, leaves the previous state or the new one, never half of a run;
- each run is written by `record` in one `BEGIN IMMEDIATE` transaction, which
  also reads the state it builds on: two runs at once queue for the write
  lock (`busy_timeout`) and never interleave or lose a row;
- the schema version is `PRAGMA user_version`; `MIGRATIONS` are applied in
  order, forward only, each in the transaction that bumps the version; a
  file written by a newer linkcheck is refused, never rewritten.

sqlite3 blocks, so the runner calls these methods through
`asyncio.to_thread`; each call opens and closes its own connection, so no
connection ever crosses threads. Nothing here reads the clock: times come
from the report or a `now` argument, so tests simulate runs over days.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from linkcheck.archive import DEFINITIVE, LIVE, cited_on
from linkcheck.config import CacheConfig, ConfirmConfig
from linkcheck.models import (
    Comparison,
    Fetch,
    History,
    Hop,
    Report,
    Result,
    Snapshot,
    Verdict,
)
from linkcheck.urls import fetch_key

# One tuple of statements per schema version: MIGRATIONS[0] builds version 1.
# Append only: a released step is never edited, since files in CI caches were
# built by it.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started TEXT NOT NULL,
            finished TEXT NOT NULL,
            complete INTEGER NOT NULL
        )""",
        # One row per result of a run. `at` is the run's start; `fetched` is
        # when the fetch was made: `at`, or earlier when served from the cache.
        """CREATE TABLE checks (
            run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            url TEXT NOT NULL,
            fetch_key TEXT NOT NULL,
            at TEXT NOT NULL,
            fetched TEXT NOT NULL,
            cached INTEGER NOT NULL,
            verdict TEXT NOT NULL,
            status INTEGER,
            reason TEXT NOT NULL,
            final_url TEXT,
            suggestion TEXT,
            redirects TEXT NOT NULL,
            archive_url TEXT,
            archive_reason TEXT,
            confirmed INTEGER NOT NULL,
            PRIMARY KEY (run_id, url)
        )""",
        "CREATE INDEX checks_by_url ON checks (url, run_id)",
        "CREATE INDEX checks_by_fetch_key ON checks (fetch_key, run_id)",
        # The archive answers worth keeping: a snapshot, or a definitive "none".
        """CREATE TABLE archive_lookups (
            url TEXT NOT NULL,
            cited_on TEXT NOT NULL,
            looked_up TEXT NOT NULL,
            snapshot_url TEXT,
            snapshot_timestamp TEXT,
            snapshot_status INTEGER,
            snapshot_source TEXT,
            distance_days INTEGER,
            reason TEXT,
            PRIMARY KEY (url, cited_on)
        )""",
    ),
    # 2: a fetched failing check keeps its streak (the consecutive failing checks up
    # to it, and when the first was) and a run the verdicts it counted as failing,
    # so a record reads one failing check back per URL, not the whole streak.
    (
        "ALTER TABLE runs ADD COLUMN fail_on TEXT",
        "ALTER TABLE checks ADD COLUMN streak INTEGER",
        "ALTER TABLE checks ADD COLUMN streak_first TEXT",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
BUSY_TIMEOUT = 60.0  # seconds a run waits for another run's write to finish
RECORD_ROW_BYTES = 320  # a recorded result's pages in the cache, index entries included
KEYS_PER_QUERY = 500  # bound parameters per cache query: under SQLite's oldest limit, 999

ArchiveKey = tuple[str, str]  # the URL as cited, its earliest citation date ("" for none)


class StoreError(Exception):
    """The history cannot be used; the message names the file."""


@dataclass(frozen=True, slots=True)
class Cached:
    """A fetch served from the history, and when it was made."""

    fetch: Fetch
    fetched: dt.datetime


@dataclass(frozen=True, slots=True)
class Check:
    """One recorded check of a URL: a line of `linkcheck history URL`."""

    run: int
    at: dt.datetime
    fetched: dt.datetime
    cached: bool
    verdict: Verdict
    status: int | None
    reason: str
    final_url: str | None
    archive_url: str | None
    archive_reason: str | None
    confirmed: bool


@dataclass(frozen=True, slots=True)
class Failing:
    """A URL whose latest check fails: a line of `linkcheck history --failing`."""

    url: str
    verdict: Verdict
    first_failed: dt.datetime
    consecutive_failures: int
    last_checked: dt.datetime
    confirmed: bool


@dataclass(frozen=True, slots=True)
class _Streak:
    """The fetched checks failing in a row, newest back: how many, first and last."""

    count: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None


def archive_key(result: Result) -> ArchiveKey:
    """What an archive lookup depends on: the URL as cited and its citation date."""
    date = cited_on(result)
    return result.url, date.isoformat() if date else ""


def is_confirmed(
    consecutive: int, first: dt.datetime | None, last: dt.datetime | None, confirm: ConfirmConfig
) -> bool:
    """The confirmation rule, in one place: `runs` failing checks in a row,
    the first and the last at least `days` calendar days (UTC) apart.

    Calendar days, not 24-hour periods: a nightly job starts a few minutes
    early or late, and Monday to Wednesday must count as two days whatever
    the hour.
    """
    if consecutive < max(confirm.runs, 1) or first is None or last is None:
        return False
    return (_utc(last).date() - _utc(first).date()).days >= confirm.days


def _utc(moment: dt.datetime) -> dt.datetime:
    """Aware and in UTC; a naive time (an injected clock) is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _stamp(moment: dt.datetime) -> str:
    """Fixed-width ISO 8601 in UTC, so that text order is time order."""
    return _utc(moment).isoformat(timespec="microseconds")


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def migrate(db: sqlite3.Connection, migrations: Sequence[Sequence[str]] = MIGRATIONS) -> int:
    """Bring the file to the newest schema; return its version.

    Each missing step runs in one write transaction with the version bump,
    so a run killed during a migration leaves the old version, whole.
    """
    latest = len(migrations)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version == latest:
        return version
    with _transaction(db):
        version = db.execute("PRAGMA user_version").fetchone()[0]  # another run may have done it
        if version > latest:
            raise StoreError(
                f"written by a newer linkcheck (schema {version}; this one knows {latest})"
            )
        for step in migrations[version:]:
            for statement in step:
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {latest}")
    return latest


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """A write transaction taken at once, so it never has to upgrade a read
    lock (which would fail at once instead of waiting its turn)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class Store:
    """The history file at `path`. Every method opens its own connection.
    Only `record` creates the file: the cache of a history not written yet is
    empty, and `create=False` refuses a missing file (for reading commands)."""

    def __init__(
        self, path: str | Path, *, create: bool = True, busy_timeout: float = BUSY_TIMEOUT
    ) -> None:
        self.path = Path(path)
        self._create = create
        self._busy_timeout = busy_timeout

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """An open connection on the current schema; every SQLite error becomes a StoreError."""
        if not self.path.exists():
            if not self._create:
                raise StoreError(f"{self.path}: no history here yet")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: cannot open the history: {error}") from None
        try:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA foreign_keys = ON")
            migrate(db)
            yield db
        except StoreError as error:
            raise StoreError(f"{self.path}: {error}") from None
        except sqlite3.Error as error:
            raise StoreError(f"{self.path}: history unusable: {error}") from None
        finally:
            db.close()

    # --- before checking: the cache ---

    def cached_fetches(
        self, keys: Iterable[str], settings: CacheConfig, now: dt.datetime
    ) -> dict[str, Cached]:
        """The fetch keys whose latest check is recent enough to serve again.

        Only a live page (ok, redirected, moved) is served, unless
        `serve_failing`; a skipped URL never is. Age counts from the fetch
        itself, not from a run that reused it, so the cache expires. The
        results sharing a key (`page#a`, `page#b`) may differ (a missing
        fragment): the key is served only when each of them may be.
        """
        if settings.max_age <= 0 or not self.path.exists():
            return {}
        oldest = _stamp(_utc(now) - dt.timedelta(seconds=settings.max_age))
        wanted = list(dict.fromkeys(keys))
        rows: dict[str, list[tuple[object, ...]]] = {}
        with self._connect() as db:
            for start in range(0, len(wanted), KEYS_PER_QUERY):
                batch = wanted[start : start + KEYS_PER_QUERY]
                for row in db.execute(_latest_checks(len(batch)), batch):
                    rows.setdefault(row[0], []).append(row[1:])
        served: dict[str, Cached] = {}
        for key in wanted:
            found = rows.get(key)
            if not found or any(
                row[0] < oldest or not _servable(Verdict(row[1]), settings) for row in found
            ):
                continue
            row = max(found, key=lambda row: row[7])  # the page itself, when it was cited
            fetch = Fetch(
                verdict=Verdict(row[1]),
                status=row[2],
                reason=row[3],
                final_url=row[4],
                suggestion=row[5],
                redirects=tuple(Hop(url, status) for url, status in _hops(row[6])),
            )
            served[key] = Cached(fetch, _moment(row[0]))
        return served

    def cached_archives(
        self, keys: Iterable[ArchiveKey], max_age: float, now: dt.datetime
    ) -> dict[ArchiveKey, Snapshot | str]:
        """The archive answers (a snapshot, or a definitive reason there is
        none) looked up within `max_age` seconds."""
        if max_age <= 0 or not self.path.exists():
            return {}
        oldest = _stamp(_utc(now) - dt.timedelta(seconds=max_age))
        found: dict[ArchiveKey, Snapshot | str] = {}
        with self._connect() as db:
            for key in keys:
                row = db.execute(
                    "SELECT snapshot_url, snapshot_timestamp, snapshot_status, snapshot_source,"
                    " distance_days, reason FROM archive_lookups"
                    " WHERE url = ? AND cited_on = ? AND looked_up >= ?",
                    (*key, oldest),
                ).fetchone()
                if row is None:
                    continue
                if row[0] is None:
                    found[key] = row[5]
                else:
                    found[key] = Snapshot(row[0], _moment(row[1]), row[2], row[3], row[4])
        return found

    # --- after checking: the record ---

    def record(
        self,
        report: Report,
        *,
        fail_on: frozenset[Verdict],
        confirm: ConfirmConfig,
        served: Mapping[str, dt.datetime] | None = None,
        archived: Iterable[Result] = (),
    ) -> Report:
        """Record the run and return the report with each result's `history`
        and the `comparison` with the previous run.

        `served` holds the fetch keys served from the cache, with when they
        were fetched: those rows neither extend nor break a failing streak,
        since nothing was asked. `archived` are the results whose archive
        lookup was made in this run; definitive answers are kept for the
        archive cache. All in one transaction.

        A report has one result per URL, so the run's rows are plain INSERTs:
        with foreign keys on, SQLite's INSERT OR REPLACE took twice as long.
        """
        served = served or {}
        at = _stamp(report.started)
        results: list[Result] = []
        newly: list[str] = []
        recovered: list[str] = []
        still: list[str] = []

        def rows(db: sqlite3.Connection, run_id: int | None) -> Iterator[tuple[object, ...]]:
            """Each result's row, made as it is inserted (a run may have 200,000), and
            its history and change since the previous run noted on the way."""
            for result in report.results:
                fails = result.verdict in fail_on
                key = fetch_key(result.url)
                cached_at = served.get(key)
                before, streak = _walk(db, result.url, fail_on, whole_streak=fails)
                history = _history(_utc(report.started), fails, cached_at, streak, confirm)
                results.append(replace(result, history=history))
                yield _row(run_id, result, key, at, history)
                if before is not None:
                    was_failing = before in fail_on
                    if fails:
                        (still if was_failing else newly).append(result.url)
                    elif was_failing:
                        recovered.append(result.url)
                elif fails:
                    newly.append(result.url)

        with self._connect() as db, _transaction(db):
            db.execute(f"PRAGMA cache_size = -{_record_cache_kib(len(report.results))}")
            previous = db.execute("SELECT finished FROM runs ORDER BY id DESC LIMIT 1").fetchone()
            run_id = db.execute(
                "INSERT INTO runs (started, finished, complete, fail_on) VALUES (?, ?, ?, ?)",
                (at, _stamp(report.finished), int(report.complete), _failing_key(fail_on)),
            ).lastrowid
            db.executemany(
                "INSERT INTO checks (run_id, url, fetch_key, at, fetched, cached,"
                " verdict, status, reason, final_url, suggestion, redirects, archive_url,"
                " archive_reason, confirmed, streak, streak_first)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows(db, run_id),
            )
            db.executemany(
                "INSERT OR REPLACE INTO archive_lookups (url, cited_on, looked_up, snapshot_url,"
                " snapshot_timestamp, snapshot_status, snapshot_source, distance_days, reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_archive_row(result, at) for result in archived if _worth_keeping(result)],
            )
        comparison = None
        if previous is not None:
            comparison = Comparison(
                previous_finished=_moment(previous[0]),
                newly_failing=tuple(newly),
                recovered=tuple(recovered),
                still_failing=tuple(still),
            )
        return replace(report, results=tuple(results), comparison=comparison)

    # --- reading: `linkcheck history` ---

    def timeline(self, url: str) -> list[Check]:
        """Every recorded check of `url` (as cited, normalised), oldest first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT run_id, at, fetched, cached, verdict, status, reason, final_url,"
                " archive_url, archive_reason, confirmed FROM checks WHERE url = ?"
                " ORDER BY run_id",
                (url,),
            ).fetchall()
        return [
            Check(
                run=row[0],
                at=_moment(row[1]),
                fetched=_moment(row[2]),
                cached=bool(row[3]),
                verdict=Verdict(row[4]),
                status=row[5],
                reason=row[6],
                final_url=row[7],
                archive_url=row[8],
                archive_reason=row[9],
                confirmed=bool(row[10]),
            )
            for row in rows
        ]

    def failing(self, fail_on: frozenset[Verdict]) -> list[Failing]:
        """The URLs whose latest check has a verdict in `fail_on`, longest failing first."""
        found = []
        with self._connect() as db:
            # SQLite takes the bare columns from the row holding MAX(run_id).
            latest = db.execute(
                "SELECT url, verdict, at, confirmed, MAX(run_id) FROM checks GROUP BY url"
            ).fetchall()
            for url, verdict, at, confirmed, _ in latest:
                if Verdict(verdict) not in fail_on:
                    continue
                _, streak = _walk(db, url, fail_on, whole_streak=True)
                found.append(
                    Failing(
                        url=url,
                        verdict=Verdict(verdict),
                        first_failed=streak.first or _moment(at),
                        consecutive_failures=streak.count,
                        last_checked=_moment(at),
                        confirmed=bool(confirmed),
                    )
                )
        found.sort(key=lambda failing: (failing.first_failed, failing.url))
        return found


def _latest_checks(count: int) -> str:
    """The rows of the latest run that checked each of `count` fetch keys, in
    the order they were written (which `max` in `cached_fetches` relies on):
    one query for a batch of keys instead of one per key."""
    return (
        f"WITH wanted (key) AS (VALUES {', '.join(['(?)'] * count)})"
        " SELECT c.fetch_key, c.fetched, c.verdict, c.status, c.reason, c.final_url,"
        " c.suggestion, c.redirects, c.url = c.fetch_key FROM wanted CROSS JOIN checks AS c"
        " WHERE c.fetch_key = wanted.key"
        " AND c.run_id = (SELECT MAX(run_id) FROM checks WHERE fetch_key = wanted.key)"
        " ORDER BY c.rowid"
    )


def _hops(redirects: str) -> list[list[object]]:
    return [] if redirects == "[]" else json.loads(redirects)  # most fetches have none


def _servable(verdict: Verdict, settings: CacheConfig) -> bool:
    if verdict is Verdict.SKIPPED:
        return False
    return verdict in LIVE or settings.serve_failing


def _record_cache_kib(results: int) -> int:
    """SQLite's page cache for recording `results`: room for the run's own rows and
    index entries, so a large record stays in memory until its commit instead of
    spilling to the WAL and back (20,000 results: 0.45 s at 2 MiB, 0.33 s at 6 MiB or
    more); at least SQLite's default 2 MiB, at most 32 MiB. Not more than needed: every
    history page the record reads stays in the cache too (S1's main process grew by
    2 MB per run kept at 32 MiB)."""
    return min(max(results * RECORD_ROW_BYTES // 1024, 2000), 32768)


def _walk(
    db: sqlite3.Connection, url: str, fail_on: frozenset[Verdict], *, whole_streak: bool
) -> tuple[Verdict | None, _Streak]:
    """The latest recorded verdict of `url`, and its failing streak: the
    fetched checks failing in a row back from the latest (cached ones are
    passed over: nothing was asked). Reads back only as far as it must: to the
    first failing check that kept its own streak under the same `fail_on`
    (`_failing_key`); checks before version 2 and other `fail_on`s are walked."""
    counted = _failing_key(fail_on)
    latest: Verdict | None = None
    count, first, last = 0, None, None
    rows = db.execute(
        "SELECT c.verdict, c.cached, c.at, c.streak, c.streak_first, r.fail_on"
        " FROM checks c JOIN runs r ON r.id = c.run_id"
        " WHERE c.url = ? ORDER BY c.run_id DESC",
        (url,),
    )
    for verdict, cached, at, streak, streak_first, fail_key in rows:
        if latest is None:
            latest = Verdict(verdict)
            if not whole_streak:
                break
        if cached:
            continue
        if Verdict(verdict) not in fail_on:
            break
        last = last or _moment(at)
        if streak is not None and fail_key == counted:
            count, first = count + streak, _moment(streak_first)
            break
        count += 1
        first = _moment(at)
    rows.close()
    return latest, _Streak(count, first, last)


@functools.lru_cache(maxsize=8)
def _failing_key(fail_on: frozenset[Verdict]) -> str:
    """A run's `fail_on` as stored: a streak is only reused under the same one."""
    return ",".join(sorted(verdict.value for verdict in fail_on))


def _history(
    run_at: dt.datetime,
    fails: bool,
    cached_at: dt.datetime | None,
    streak: _Streak,
    confirm: ConfirmConfig,
) -> History:
    """A result's history after this run: its streak extended by this check
    when it was fetched now; a cached result adds no check."""
    if not fails:
        return History(cached_at=cached_at)
    if cached_at is None:
        count, first, last = streak.count + 1, streak.first or run_at, run_at
    else:
        count, first, last = streak.count, streak.first, streak.last
    return History(
        first_failed=first,
        consecutive_failures=count,
        confirmed=is_confirmed(count, first, last, confirm),
        cached_at=cached_at,
    )


def _row(
    run_id: int | None, result: Result, key: str, at: str, history: History
) -> tuple[object, ...]:
    fetch = result.fetch
    return (
        run_id,
        result.url,
        key,
        at,
        _stamp(history.cached_at) if history.cached_at else at,
        int(history.cached_at is not None),
        fetch.verdict.value,
        fetch.status,
        fetch.reason,
        fetch.final_url,
        fetch.suggestion,
        json.dumps([[hop.url, hop.status] for hop in fetch.redirects]) if fetch.redirects else "[]",
        result.archive.url if result.archive else None,
        result.archive_reason,
        int(history.confirmed),
        *_streak_columns(history),
    )


def _streak_columns(history: History) -> tuple[int | None, str | None]:
    """A fetched failing check's streak, up to and including it; nothing for the others
    (a walk passes over cached checks and stops at a live one)."""
    if history.first_failed is None or history.cached_at is not None:
        return None, None
    return history.consecutive_failures, _stamp(history.first_failed)


def _worth_keeping(result: Result) -> bool:
    """A snapshot or a definitive "none"; an archive outage is asked again next run."""
    return result.archive is not None or result.archive_reason in DEFINITIVE


def _archive_row(result: Result, at: str) -> tuple[object, ...]:
    snapshot = result.archive
    return (
        *archive_key(result),
        at,
        snapshot.url if snapshot else None,
        snapshot.timestamp.isoformat() if snapshot else None,
        snapshot.status if snapshot else None,
        snapshot.source if snapshot else None,
        snapshot.distance_days if snapshot else None,
        None if snapshot else result.archive_reason,
    )
