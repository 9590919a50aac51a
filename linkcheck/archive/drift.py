"""After the archive lookup, with `drift`: does a live page still say what was cited?

For each live result with a citation date and a 200 snapshot, the raw
snapshot (`check.drift.raw_snapshot_url`) is fetched through an
`ArchiveClient` (so the archive's cap, pacing and retries apply) and the live
page through a `Checker` (the check stage's guard, hosts and pacing); both
are compared off the event loop by `check.drift.measure`. The result gets the
measurement in `drift`; its verdict never changes, and a page that cannot be
fetched or has too little text is simply not judged.

A URL cited as `page#a` and `page#b` for the same snapshot is fetched once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from urllib.parse import urldefrag

from linkcheck.archive import LIVE, NoSnapshot, cited_on
from linkcheck.archive.client import ArchiveClient
from linkcheck.check import Checker, FetchError
from linkcheck.check.drift import measure, raw_snapshot_url
from linkcheck.config import Config
from linkcheck.models import Drift, Result, Snapshot
from linkcheck.urls import fetch_key

# The archive that holds the snapshot (its gate), the snapshot and the live URL, both
# without their fragment.
Pair = tuple[str, str, str]


def candidate(result: Result) -> bool:
    """A live page cited on a date with a 200 snapshot: the one kind drift can judge."""
    archive = result.archive
    return (
        result.verdict in LIVE
        and archive is not None
        and archive.status == 200
        and cited_on(result) is not None
    )


async def add_drift(
    results: Sequence[Result],
    config: Config,
    *,
    warn: Callable[[str], None],
    checker: Callable[[Config], Checker] = Checker,
    client: Callable[[Config], ArchiveClient] = ArchiveClient,
) -> tuple[Result, ...]:
    """`results` with `drift` filled where it could be measured."""
    pairs: dict[int, Pair] = {
        index: _pair(result.archive, result.url)
        for index, result in enumerate(results)
        if candidate(result) and result.archive is not None
    }
    if not pairs:
        return tuple(results)
    distinct = list(dict.fromkeys(pairs.values()))
    unjudged: Counter[str] = Counter()
    measured: dict[Pair, Drift | None] = {}
    pending = iter(distinct)  # shared by the workers: each pair is taken once

    async with checker(config) as live, client(config) as archive:

        async def worker() -> None:
            for pair in pending:
                measured[pair] = await _measure(pair, config, live, archive, unjudged)

        async with asyncio.TaskGroup() as group:
            for _ in range(min(2 * config.archive.concurrency, len(distinct))):
                group.create_task(worker())
    for why, count in sorted(unjudged.items()):
        warn(f"drift: {count} page(s) not compared: {why}; their verdicts are unaffected")
    filled = list(results)
    for index, pair in pairs.items():
        found = measured.get(pair)
        snapshot = results[index].archive
        if found is not None and snapshot is not None:  # linked at the cited section
            filled[index] = replace(results[index], drift=replace(found, snapshot=snapshot.url))
    return tuple(filled)


async def _measure(
    pair: Pair, config: Config, live: Checker, archive: ArchiveClient, unjudged: Counter[str]
) -> Drift | None:
    """One comparison; None (counted in `unjudged` when it was a failure) when not judged."""
    source, snapshot, url = pair
    try:
        reply = await archive.request(source, raw_snapshot_url(snapshot), max_body=config.max_body)
    except NoSnapshot:
        unjudged["the snapshot could not be fetched"] += 1
        return None
    if reply.status != 200:
        unjudged[f"the snapshot answered {reply.status}"] += 1
        return None
    try:
        page = await live.fetch_page(url)
    except FetchError:
        unjudged["the live page could not be fetched"] += 1
        return None
    return await asyncio.to_thread(
        measure,
        reply.body,
        page.body,
        snapshot=snapshot,
        threshold=config.drift_threshold,
        archived_type=reply.headers.get("Content-Type", ""),
        live_type=page.content_type,
    )


def _pair(snapshot: Snapshot, url: str) -> Pair:
    return snapshot.source, urldefrag(snapshot.url).url, fetch_key(url)
