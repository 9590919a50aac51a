"""collect → de-duplicate → check → Report: the library entry point.

The CLI is a thin shell around `run`; everything it does is callable from
Python. Progress reaches the caller through `Progress` callbacks, and a stop
event (set by the CLI on Ctrl-C or SIGTERM) ends the run early with a report
marked incomplete that holds everything checked so far.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from linkcheck.archive.client import ArchiveClient
from linkcheck.archive.lookup import add_archives
from linkcheck.check import Checker, FetchError
from linkcheck.collect import Document, collect, extract_document
from linkcheck.config import Config
from linkcheck.models import Citation, Fetch, Report, Result, Verdict
from linkcheck.urls import UrlFilter, fetch_key, normalise


class Progress(Protocol):
    """What a progress display needs to know; all calls come from the event loop."""

    def start(self, total: int) -> None: ...

    def advance(self, fetch: Fetch) -> None: ...


def is_remote(entry: str) -> bool:
    return entry.startswith(("http://", "https://"))


def iter_citations(
    inputs: Sequence[str],
    config: Config,
    *,
    warn: Callable[[str], None],
    on_document: Callable[[Document], None] | None = None,
) -> Iterator[Citation]:
    """The citations in the local inputs, without touching the network (for --dump)."""
    local = [entry for entry in inputs if not is_remote(entry)]
    return dated(collect(local, config, warn=warn, on_document=on_document), config)


def dated(citations: Iterable[Citation], config: Config) -> Iterator[Citation]:
    """The citations, each cited on `config.cited_on` when the user set it."""
    override = config.cited_on
    for citation in citations:
        yield citation if override is None else replace(citation, cited_on=override)


@dataclass
class _Catalogue:
    """Citations grouped by URL as cited, and those URLs grouped by request chain."""

    by_url: dict[str, list[Citation]] = field(default_factory=dict)
    by_fetch: dict[str, list[str]] = field(default_factory=dict)
    documents: set[str] = field(default_factory=set)

    def add(self, citation: Citation) -> None:
        self.documents.add(citation.source)
        url = normalise(citation.resolved)
        cited = self.by_url.get(url)
        if cited is None:
            self.by_url[url] = [citation]
            self.by_fetch.setdefault(fetch_key(url), []).append(url)
        else:
            cited.append(citation)

    def results(self, fetches: dict[str, Fetch]) -> tuple[Result, ...]:
        return tuple(
            Result(url=url, fetch=fetches[key], citations=tuple(self.by_url[url]))
            for key, urls in self.by_fetch.items()
            if key in fetches
            for url in urls
        )


async def _collect_remote(
    checker: Checker,
    urls: Iterable[str],
    catalogue: _Catalogue,
    config: Config,
    warn: Callable[[str], None],
) -> None:
    for url in urls:
        try:
            page = await checker.fetch_page(url)
        except FetchError as error:
            warn(f"{url}: cannot fetch the page: {error}")
            continue
        found = extract_document(
            page.body,
            source=url,
            base=page.final_url,
            kind=None,
            content_type=page.content_type,
            config=config,
            warn=warn,
        )
        for citation in dated(found, config):
            catalogue.add(citation)


async def run(
    inputs: Sequence[str],
    config: Config,
    *,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
    checker: Callable[[Config], Checker] = Checker,
    archive_client: Callable[[Config], ArchiveClient] = ArchiveClient,
) -> Report:
    """Check every URL cited in `inputs`; raises InputError for unusable inputs.

    Then, unless the run was interrupted, archived copies are looked up as
    `config.archive` says: that never changes a verdict, and an archive that
    is down becomes a warning and an `archive_reason`.
    """
    started = dt.datetime.now(dt.UTC)
    warnings: list[str] = []
    catalogue = _Catalogue()
    read = iter_citations(
        inputs, config, warn=warnings.append,
        on_document=lambda document: catalogue.documents.add(document.source),
    )
    for citation in read:
        catalogue.add(citation)

    url_filter = UrlFilter(config.include, config.exclude)
    fetches: dict[str, Fetch] = {}
    complete = True
    async with checker(config) as session:
        await _collect_remote(
            session, [e for e in inputs if is_remote(e)], catalogue, config, warnings.append
        )
        to_fetch = []
        for key in catalogue.by_fetch:
            reason = url_filter.excluded(key)
            if reason:
                fetches[key] = Fetch(Verdict.SKIPPED, reason)
            else:
                to_fetch.append(key)
        if progress:
            progress.start(len(catalogue.by_fetch))
            for fetch in fetches.values():
                progress.advance(fetch)
        complete = await _check_until_stopped(session, to_fetch, fetches, progress, stop)

    results = catalogue.results(fetches)
    if complete:
        lookup = add_archives(results, config, warn=warnings.append, client=archive_client)
        archived = await _until_stopped(lookup, stop)
        if archived is None:
            warnings.append("archive: lookup interrupted; no archived copies in this report")
        results = archived or results
    return Report(
        started=started,
        finished=dt.datetime.now(dt.UTC),
        results=results,
        documents=len(catalogue.documents),
        complete=complete,
        warnings=tuple(warnings),
    )


async def _until_stopped(
    work: Coroutine[None, None, tuple[Result, ...]], stop: asyncio.Event | None
) -> tuple[Result, ...] | None:
    """What `work` returns, or None when `stop` is set first (it is then cancelled)."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait()) if stop else None
    try:
        await asyncio.wait({task} if stopping is None else {task, stopping},
                           return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return None
    finally:
        if stopping:
            stopping.cancel()


async def _check_until_stopped(
    session: Checker,
    urls: list[str],
    fetches: dict[str, Fetch],
    progress: Progress | None,
    stop: asyncio.Event | None,
) -> bool:
    """Fill `fetches`; False when `stop` was set before every URL was checked."""
    results = session.check_many(urls)
    stopping = asyncio.ensure_future(stop.wait()) if stop else None
    try:
        while True:
            step = asyncio.ensure_future(anext(results))
            waiting = {step} if stopping is None else {step, stopping}
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if not step.done():
                step.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await step
                return False
            try:
                key, fetch = step.result()
            except StopAsyncIteration:
                return True
            fetches[key] = fetch
            if progress:
                progress.advance(fetch)
    finally:
        if stopping:
            stopping.cancel()
        await results.aclose()
