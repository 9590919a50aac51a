"""After checking: an archived copy for each result that needs one.

Which results are looked up is decided in `linkcheck.archive` (`asks_archives`).

Each result is looked up for the earliest date it was cited (the first
reader's page; with one snapshot per result, the earliest citation decides).
A URL cited on several dates in several results (`page#a`, `page#b`) gets the
best snapshot for each date, and with `cache` each (URL, date) is asked once
per run. The archives are asked in order (the Wayback Machine, then each
TimeGate) until one has a snapshot; when none has, the reason is the most
telling one: an archive that could not answer (unreachable, rate limited)
beats "only non-200 captures", which beats "not archived".

Lookups run `concurrency` x 2 at a time, so each archive's slots stay busy
while others wait out `min_interval`; the slots themselves are in `client`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TypeVar
from urllib.parse import urlsplit

from linkcheck.archive import (
    LIVE,
    NOT_ARCHIVED,
    ONLY_NON_200,
    UNREACHABLE,
    Archive,
    NoSnapshot,
    asks_archives,
    cited_on,
)
from linkcheck.archive.client import ArchiveClient
from linkcheck.archive.memento import Memento
from linkcheck.archive.save import SAVE_FAILED, SavePageNow, credentials
from linkcheck.archive.wayback import NAME, Wayback
from linkcheck.config import ArchiveConfig, Config
from linkcheck.models import Result, Snapshot
from linkcheck.urls import fetch_key

Key = tuple[str, dt.date | None]  # the URL without its fragment, the citation date
Found = Snapshot | NoSnapshot
J = TypeVar("J", bound=Hashable)
Warn = Callable[[str], None]


def archives(client: ArchiveClient, settings: ArchiveConfig) -> list[Archive]:
    """The archives to ask, in order."""
    found: list[Archive] = []
    if settings.cdx_url or settings.availability_url:
        found.append(Wayback(client, settings))
    found += [Memento(client, gate) for gate in settings.timegates]
    return found


async def find(asked: Sequence[Archive], url: str, date: dt.date | None) -> Found:
    """The first archive's snapshot, else the most telling reason there is none."""
    problems: list[NoSnapshot] = []
    for archive in asked:
        try:
            found = await archive.snapshot(url, date)
        except NoSnapshot as problem:
            problems.append(problem)
            continue
        except ValueError as error:  # a URL or a value in an answer that cannot be used
            problems.append(unusable(archive.name, error))
            continue
        if found is not None:
            return found
    unanswered = [problem for problem in problems if not problem.definitive]
    if unanswered:
        return unanswered[0]
    if any(problem.reason == ONLY_NON_200 for problem in problems):
        return NoSnapshot(ONLY_NON_200)
    return NoSnapshot(NOT_ARCHIVED)


async def run_all(
    jobs: Mapping[J, Key], ask: Callable[[str, dt.date | None], Awaitable[Found]], workers: int
) -> dict[J, Found]:
    """`ask` for every job, `workers` at a time, without a task per job."""
    answers: dict[J, Found] = {}
    pending = iter(jobs.items())

    async def worker() -> None:
        for job, (url, date) in pending:  # shared: each job is taken once
            answers[job] = await ask(url, date)

    async with asyncio.TaskGroup() as group:
        for _ in range(min(workers, len(jobs))):
            group.create_task(worker())
    return answers


async def add_archives(
    results: Sequence[Result],
    config: Config,
    *,
    warn: Warn,
    client: Callable[[Config], ArchiveClient] = ArchiveClient,
) -> tuple[Result, ...]:
    """`results` with `archive` or `archive_reason` filled where the settings ask."""
    settings = config.archive
    saving = settings.save_missing
    keys = {
        index: (fetch_key(result.url), cited_on(result))
        for index, result in enumerate(results)
        if asks_archives(result, config)
    }
    if not keys:
        return tuple(results)
    # With `cache`, a job per distinct (URL, date); without, one per result.
    job: Callable[[int], Hashable] = keys.__getitem__ if settings.cache else int
    jobs = {job(index): key for index, key in keys.items()}
    async with client(config) as session:
        asked = archives(session, settings)
        if not asked:
            warn("archive: no archive is configured (cdx_url, availability_url, timegates)")
            return tuple(results)
        workers = 2 * settings.concurrency
        answers = await run_all(jobs, lambda url, date: find(asked, url, date), workers)
        if saving:
            missing = {
                job(index): key
                for index, key in keys.items()
                if results[index].verdict in LIVE and _never_archived(answers[job(index)])
            }
            saved = await _save(session, settings, missing, warn, workers)
            answers.update(saved)
        _report_outages(session.down(), answers.values(), warn)
    filled = list(results)
    for index in keys:
        filled[index] = _filled(results[index], answers[job(index)])
    return tuple(filled)


def unusable(source: str, error: ValueError) -> NoSnapshot:
    """An archive's answer that names a bad URL or value: as good as no answer."""
    return NoSnapshot(UNREACHABLE, f"{source}: unusable answer: {error}"[:200], source=source)


def _never_archived(found: Found) -> bool:
    return isinstance(found, NoSnapshot) and found.reason == NOT_ARCHIVED


async def _save(
    client: ArchiveClient,
    settings: ArchiveConfig,
    missing: Mapping[J, Key],
    warn: Warn,
    workers: int,
) -> dict[J, Found]:
    """Ask Save Page Now for each URL never archived; each request is reported."""
    if not missing:
        return {}
    keys = credentials()
    if keys is None:
        warn(
            f"save_missing: {len(missing)} live URL(s) have no capture, but IAS3_ACCESS_KEY "
            "and IAS3_SECRET_KEY are not set: no capture was requested"
        )
        return {}
    service = SavePageNow(client, settings, keys)

    async def save(url: str, date: dt.date | None) -> Found:
        try:
            return await service.save(url, date)
        except NoSnapshot as problem:
            return problem
        except ValueError as error:
            return NoSnapshot(SAVE_FAILED, str(error)[:200], source=NAME)

    distinct = {key: key for key in missing.values()}
    saved = await run_all(distinct, save, workers)
    for (url, _), found in saved.items():
        outcome = f"captured as {found.url}" if isinstance(found, Snapshot) else str(found)
        warn(f"save_missing: requested a capture of {url}: {outcome}")
    return {job: saved[key] for job, key in missing.items()}


def _report_outages(down: Mapping[str, NoSnapshot], answers: Iterable[Found], warn: Warn) -> None:
    """One warning per archive endpoint given up on, and how many lookups went unanswered."""
    for endpoint, problem in down.items():
        warn(f"archive: {endpoint}: {problem}; not asked again in this run")
    unanswered = Counter(
        found.reason for found in answers if isinstance(found, NoSnapshot) and not found.definitive
    )
    for reason, count in sorted(unanswered.items()):
        warn(f"archive: no snapshot for {count} URL(s): {reason}; their verdicts are unaffected")


def _filled(result: Result, found: Found) -> Result:
    if isinstance(found, NoSnapshot):
        return replace(result, archive=None, archive_reason=found.reason)
    fragment = urlsplit(result.url).fragment
    if fragment and "#" not in found.url:  # the archived page, at the cited section
        found = replace(found, url=f"{found.url}#{fragment}")
    return replace(result, archive=found, archive_reason=None)
