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
import subprocess
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from linkcheck.archive.client import ArchiveClient
from linkcheck.archive.drift import add_drift
from linkcheck.archive.lookup import LIVE, add_archives, to_look_up
from linkcheck.check import Checker, FetchError
from linkcheck.check.anchors import Fragments
from linkcheck.collect import Document, InputError, collect, extract_document
from linkcheck.collect.files import STDIN
from linkcheck.config import Config
from linkcheck.crawl import Crawler, CrawlProgress, plan
from linkcheck.models import Citation, Fetch, Report, Result, Snapshot, Verdict
from linkcheck.store import Store, StoreError, archive_key
from linkcheck.urls import UrlFilter, fetch_key, normalise


class Progress(Protocol):
    """What a progress display needs to know; all calls come from the event loop."""

    def start(self, total: int) -> None: ...

    def advance(self, fetch: Fetch) -> None: ...


# Citations read between two looks at the stop event (a few ms of reading).
_HEAR_STOP_EVERY = 1000


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
    if not config.changed_since:
        return dated(collect(local, config, warn=warn, on_document=on_document), config)
    # --changed-since: every document is read, only the changed ones count.
    changed = changed_files(config.changed_since)

    def changed_document(document: Document) -> None:
        if on_document is not None and is_changed(document.source, changed):
            on_document(document)

    read = collect(local, config, warn=warn, on_document=changed_document)
    return dated((c for c in read if is_changed(c.source, changed)), config)


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
    # resolved → normalised: a URL is cited many times and normalised once
    _normalised: dict[str, str] = field(default_factory=dict)

    def add(self, citation: Citation) -> None:
        self.documents.add(citation.source)
        url = self._normalised.get(citation.resolved)
        if url is None:
            url = self._normalised[citation.resolved] = normalise(citation.resolved)
        cited = self.by_url.get(url)
        if cited is None:
            self.by_url[url] = [citation]
            self.by_fetch.setdefault(fetch_key(url), []).append(url)
        else:
            cited.append(citation)

    def results(
        self, fetches: dict[str, Fetch], overrides: dict[str, Fetch] | None = None
    ) -> tuple[Result, ...]:
        """One result per URL as cited; `overrides` replace a URL's fetch (a missing fragment)."""
        overrides = overrides or {}
        return tuple(
            Result(
                url=url,
                fetch=overrides.get(url) or fetches[key],
                citations=tuple(self.by_url[url]),
            )
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


async def _read_pages(
    session: Checker,
    inputs: Sequence[str],
    catalogue: _Catalogue,
    fetches: dict[str, Fetch],
    config: Config,
    warn: Callable[[str], None],
    progress: Progress | None,
    stop: asyncio.Event | None,
) -> tuple[Crawler | None, bool]:
    """The pages the inputs name: crawled with `recursive` (the crawled pages'
    fetches filled in), else each page URL fetched once. False: stopped."""
    if not config.recursive:
        await _collect_remote(session, [e for e in inputs if is_remote(e)], catalogue, config, warn)
        return None, True
    crawler = Crawler(
        session,
        config,
        plan(inputs),
        cite=lambda citation: catalogue.add(next(dated((citation,), config))),
        fetches=fetches,
        warn=warn,
        progress=progress if isinstance(progress, CrawlProgress) else None,
    )
    complete = await crawler.run(stop)
    crawler.settle(catalogue.by_fetch)
    return crawler, complete


def _fragments(inputs: Sequence[str], config: Config, crawler: Crawler | None) -> Fragments:
    """Fragments are judged on internal links: local files, the crawled sites,
    and the sites of the page URLs given and of base_url."""
    if crawler is not None:
        internal = crawler.internal
    else:
        sites = [*filter(is_remote, inputs), config.base_url or ""]
        hosts = {urlsplit(url).hostname for url in sites if url}

        def internal(url: str) -> bool:
            return url.startswith("file:") or urlsplit(url).hostname in hosts

    return Fragments(
        internal=internal,
        fragments=config.fragments,
        check_fragments=config.check_fragments,
        max_body=config.max_body,
        lookup=crawler.anchors if crawler is not None else None,
    )


async def crawl(
    inputs: Sequence[str],
    config: Config,
    **options: Any,
) -> Report:
    """`run` over a crawl of the inputs (`recursive`): start pages and built-site
    folders, every page in scope read once; see linkcheck/crawl.py."""
    return await run(inputs, replace(config, recursive=True), **options)


async def run(
    inputs: Sequence[str],
    config: Config,
    *,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
    checker: Callable[[Config], Checker] = Checker,
    archive_client: Callable[[Config], ArchiveClient] = ArchiveClient,
    history: Store | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Report:
    """Check every URL cited in `inputs`; raises InputError for unusable inputs.

    Then, unless the run was interrupted, archived copies are looked up as
    `config.archive` says: that never changes a verdict, and an archive that
    is down becomes a warning and an `archive_reason`.
    With `config.drift`, live pages are then compared with those snapshots
    (linkcheck/archive/drift.py): a `drift` beside the verdict, never instead.

    With a `history` (`open_history(config)`; the library keeps none unless
    given one), recent live results and archive answers are reused instead of
    asked again, the run is recorded, and each result gets its `history`
    (confirmation) and the report its `comparison`; a history that cannot be
    read raises StoreError before anything is fetched. `now` is the clock.
    """
    started = now()
    warnings: list[str] = []
    catalogue = _Catalogue()
    read = iter_citations(
        [] if config.recursive else inputs, config, warn=warnings.append,
        on_document=lambda document: catalogue.documents.add(document.source),
    )
    for count, citation in enumerate(read, 1):
        catalogue.add(citation)
        if count % _HEAR_STOP_EVERY == 0:  # reading is synchronous: let a Ctrl-C in now and then
            await asyncio.sleep(0)
            if stop is not None and stop.is_set():
                break

    url_filter = UrlFilter(config.include, config.exclude)
    fetches: dict[str, Fetch] = {}
    complete = True
    async with checker(config) as session:
        crawler, complete = await _read_pages(
            session, inputs, catalogue, fetches, config, warnings.append, progress, stop
        )
        fragments = _fragments(inputs, config, crawler)
        to_fetch = []
        for key in catalogue.by_fetch:
            if key in fetches:  # a crawled page
                continue
            reason = url_filter.excluded(key)
            if reason:
                fetches[key] = Fetch(Verdict.SKIPPED, reason)
            else:
                to_fetch.append(key)
        bodies = fragments.pages(catalogue.by_fetch, to_fetch)  # anchors are not cached
        cacheable = [key for key in to_fetch if key not in bodies]
        served = await _serve_cached(history, config, cacheable, fetches, now())
        to_fetch = [key for key in to_fetch if key not in served]
        if progress:
            progress.start(len(catalogue.by_fetch))
            for fetch in fetches.values():
                progress.advance(fetch)
        pages = fragments.pages(catalogue.by_fetch, to_fetch)
        complete = complete and await _check_until_stopped(
            session, to_fetch, fetches, progress, stop, pages, fragments
        )
        missing = await asyncio.to_thread(fragments.missing, catalogue.by_fetch, fetches)
        if crawler is not None:
            crawler.close()

    results = catalogue.results(fetches, missing)
    looked_up: list[Result] = []
    if complete:
        lookup = _archives(
            results, config, history, now(), looked_up, warn=warnings.append, client=archive_client
        )
        archived = await _until_stopped(lookup, stop)
        if archived is None:
            warnings.append("archive: lookup interrupted; no archived copies in this report")
        results = archived or results
        if config.drift and config.archive.lookup == "never":
            warnings.append("drift: needs the archive lookup (--no-archive); nothing compared")
        elif archived is not None and config.drift:
            drift = add_drift(
                results, config, warn=warnings.append, checker=checker, client=archive_client
            )
            drifted = await _until_stopped(drift, stop)
            if drifted is None:
                warnings.append("drift: comparison interrupted; no drift in this report")
            results = drifted or results
    report = Report(
        started=started,
        finished=now(),
        results=results,
        documents=len(catalogue.documents),
        complete=complete,
        warnings=tuple(warnings),
    )
    return await _recorded(report, config, history, served, looked_up)


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
    pages: frozenset[str] = frozenset(),
    fragments: Fragments | None = None,
) -> bool:
    """Fill `fetches`, and `fragments` with the anchors of `pages`; False when
    `stop` was set before every URL was checked."""
    results = session.check_many_pages(urls, pages)
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
                key, fetch, page = step.result()
            except StopAsyncIteration:
                return True
            if page is not None and fragments is not None:
                await asyncio.to_thread(fragments.add, key, page.body, page.content_type)
            fetches[key] = fetch
            if progress:
                progress.advance(fetch)
    finally:
        if stopping:
            stopping.cancel()
        await results.aclose()


# --- history: the cache before checking, the record after (linkcheck/store.py) ---


def open_history(config: Config) -> Store | None:
    """The history `config` asks for, or None when `history` is ""."""
    return Store(config.history) if config.history else None


async def _serve_cached(
    history: Store | None,
    config: Config,
    keys: list[str],
    fetches: dict[str, Fetch],
    now: dt.datetime,
) -> dict[str, dt.datetime]:
    """Fill `fetches` with the recent recorded fetches the cache serves;
    return those keys with when each was fetched."""
    if history is None or not keys:
        return {}
    cached = await asyncio.to_thread(history.cached_fetches, keys, config.cache, now)
    for key, entry in cached.items():
        fetches[key] = entry.fetch
    return {key: entry.fetched for key, entry in cached.items()}


async def _archives(
    results: tuple[Result, ...],
    config: Config,
    history: Store | None,
    now: dt.datetime,
    looked_up: list[Result],
    *,
    warn: Callable[[str], None],
    client: Callable[[Config], ArchiveClient],
) -> tuple[Result, ...]:
    """`add_archives`, with the answers the history still holds reused, not
    asked again; the results looked up now are appended to `looked_up`.

    With `save_missing`, a live page's recorded "not archived" is not reused:
    the lookup must run for a capture to be requested.
    """
    settings = config.archive
    stored: dict[tuple[str, str], Snapshot | str] = {}
    if history is not None:
        reusable = [
            archive_key(result)
            for result in results
            if to_look_up(result, config)
            and not (settings.save_missing and result.verdict in LIVE)
        ]
        if reusable:
            stored = await asyncio.to_thread(
                history.cached_archives, reusable, config.cache.archive_max_age, now
            )
    pending = [result for result in results if archive_key(result) not in stored]
    fresh = await add_archives(pending, config, warn=warn, client=client)
    looked_up.extend(fresh)
    by_url = {result.url: result for result in fresh}
    return tuple(
        _from_archive_cache(result, stored[key])
        if (key := archive_key(result)) in stored
        else by_url.get(result.url, result)
        for result in results
    )


def _from_archive_cache(result: Result, found: Snapshot | str) -> Result:
    if isinstance(found, Snapshot):
        return replace(result, archive=found, archive_reason=None)
    return replace(result, archive=None, archive_reason=found)


async def _recorded(
    report: Report,
    config: Config,
    history: Store | None,
    served: dict[str, dt.datetime],
    looked_up: list[Result],
) -> Report:
    """The report as recorded in the history, with confirmation and comparison.

    A history that cannot be written is a warning, not a lost run: the
    results then carry no history, so every failure counts.
    """
    if history is None:
        if config.confirm.runs > 1 or config.confirm.days > 0:
            warning = "confirm: without a history every failure counts at once"
            return replace(report, warnings=(*report.warnings, warning))
        return report
    try:
        return await asyncio.to_thread(
            history.record,
            report,
            fail_on=config.fail_on,
            confirm=config.confirm,
            served=served,
            archived=looked_up,
        )
    except StoreError as error:
        warning = f"history: this run was not recorded, every failure counts: {error}"
        return replace(report, warnings=(*report.warnings, warning))


# --- --changed-since: only the files git says changed ---

GIT_TIMEOUT = 30.0


def changed_files(revision: str, cwd: str | Path | None = None) -> frozenset[Path]:
    """The files changed since `revision`, as absolute paths: `git diff REV`
    (committed since, staged or not, deleted ones included) plus untracked
    files that are not ignored, since a new document is a change too.
    Raises InputError, in one line, for a bad revision or no repository."""
    unknown = f"changed_since: {revision!r} is not a revision of this git repository"
    if revision.startswith("-"):  # never an option of git's
        raise InputError(unknown)
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd, "changed_since: no git repository"))
    commit = _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], top, unknown)
    names = _git(["diff", "--name-only", "-z", commit, "--"], top, unknown)
    names += _git(["ls-files", "--others", "--exclude-standard", "-z"], top, unknown)
    return frozenset((top / name).resolve() for name in names.split("\0") if name)


def is_changed(source: str, changed: frozenset[Path]) -> bool:
    """Whether a document is among the changed files; stdin always is."""
    return source == STDIN or Path(source).resolve() in changed


def _git(args: list[str], cwd: str | Path | None, problem: str) -> str:
    """git's output, stripped of the line end; InputError(`problem`, git's first line) else."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT,
            check=False, stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise InputError("changed_since: git is not installed") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"changed_since: git {args[0]} took over {GIT_TIMEOUT:g} s") from None
    if done.returncode != 0:
        said = next(iter(done.stderr.strip().splitlines()), "")
        raise InputError(problem + (f" ({said})" if said else ""))
    return done.stdout.rstrip("\n")
