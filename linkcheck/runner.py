"""collect → de-duplicate → check → Report: the library entry point.

The CLI is a thin shell around `run`; everything it does is callable from
Python. Progress reaches the caller through `Progress` callbacks, and a stop
event (set by the CLI on Ctrl-C or SIGTERM) ends the run early with a report
marked incomplete that holds everything checked so far.

aiohttp, and the modules that import it (the `Checker`, the crawler, the
archive lookups), are imported where they are first used: a run whose check
processes connect for it never imports them in this process (14 MB it would
hold to the end, docs/performance.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import subprocess
from collections.abc import (
    AsyncGenerator,
    Callable,
    Container,
    Coroutine,
    Iterable,
    Iterator,
    Sequence,
)
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, overload
from urllib.parse import urlsplit

from linkcheck.archive import LIVE, asks_archives, to_look_up
from linkcheck.check.anchors import Fragments
from linkcheck.check.processes import CheckProcesses, how_many, plain_checker, retire_spares
from linkcheck.check.schedule import Feed
from linkcheck.collect import Document, InputError, collect, extract_document
from linkcheck.collect.files import STDIN
from linkcheck.collect.pool import Waiting
from linkcheck.config import Config
from linkcheck.models import (
    Citation,
    CitationColumns,
    Fetch,
    Report,
    Result,
    Snapshot,
    Verdict,
)
from linkcheck.store import Store, StoreError, archive_key
from linkcheck.urls import UrlFilter, normalise, split_fragment

if TYPE_CHECKING:
    from linkcheck.archive.client import ArchiveClient
    from linkcheck.check.checker import Checker, Page
    from linkcheck.crawl import Crawler


class Progress(Protocol):
    """What a progress display needs to know; all calls come from the event loop."""

    def start(self, total: int) -> None:
        """The distinct URLs known so far: called again, with more, while reading goes on."""

    def advance(self, fetch: Fetch) -> None: ...


# Citations read between two looks at the stop event (a few ms of reading).
_HEAR_STOP_EVERY = 1000


def plain_archive_client(config: Config) -> ArchiveClient:
    """`run`'s default `archive_client`: a plain `ArchiveClient`."""
    from linkcheck.archive.client import ArchiveClient

    return ArchiveClient(config)


def is_remote(entry: str) -> bool:
    return entry.startswith(("http://", "https://"))


@overload
def iter_citations(
    inputs: Sequence[str],
    config: Config,
    *,
    warn: Callable[[str], None],
    on_document: Callable[[Document], None] | None = None,
    waits: Literal[False] = False,
) -> Iterator[Citation]: ...


@overload
def iter_citations(
    inputs: Sequence[str],
    config: Config,
    *,
    warn: Callable[[str], None],
    on_document: Callable[[Document], None] | None = None,
    waits: bool,
) -> Iterator[Citation | Waiting]: ...


def iter_citations(
    inputs: Sequence[str],
    config: Config,
    *,
    warn: Callable[[str], None],
    on_document: Callable[[Document], None] | None = None,
    waits: bool = False,
) -> Iterator[Citation | Waiting]:
    """The citations in the local inputs, without touching the network (for --dump);
    with `waits`, a `Waiting` before each wait on a worker process (see collect)."""
    local = [entry for entry in inputs if not is_remote(entry)]
    if not config.changed_since:
        read = collect(local, config, warn=warn, on_document=on_document, waits=waits)
        return dated(read, config)
    # --changed-since: every document is read, only the changed ones count.
    changed = changed_files(config.changed_since)

    def changed_document(document: Document) -> None:
        if on_document is not None and is_changed(document.source, changed):
            on_document(document)

    read = collect(local, config, warn=warn, on_document=changed_document, waits=waits)
    kept = (c for c in read if isinstance(c, Waiting) or is_changed(c.source, changed))
    return dated(kept, config)


Read = TypeVar("Read", Citation, Citation | Waiting)


def dated(citations: Iterable[Read], config: Config) -> Iterator[Read]:
    """The citations, each cited on `config.cited_on` when the user set it;
    else the citations as they come, with no generator between."""
    override = config.cited_on
    if override is None:
        return iter(citations)
    return (
        citation if isinstance(citation, Waiting) else replace(citation, cited_on=override)
        for citation in citations
    )


@dataclass
class _Catalogue:
    """Citations grouped by URL as cited, and those URLs grouped by request chain."""

    by_url: dict[str, CitationColumns] = field(default_factory=dict)
    by_fetch: dict[str, list[str]] = field(default_factory=dict)
    documents: set[str] = field(default_factory=set)
    # told each fetch key when it is first cited: checks start while reading goes on
    on_new_key: Callable[[str], None] | None = None
    # resolved → its URL's citations in by_url: a URL is cited many times, normalised once
    _cited: dict[str, CitationColumns] = field(default_factory=dict)

    def add(self, citation: Citation) -> None:
        self.documents.add(citation.source)
        cited = self._cited.get(citation.resolved)
        if cited is None:
            self._cited[citation.resolved] = self._first(citation)
        else:
            cited.append(citation)

    def _first(self, citation: Citation) -> CitationColumns:
        """`citation` added, the first of its `resolved`: its URL's citations in `by_url`."""
        url = normalise(citation.resolved)
        cited = self.by_url.get(url)
        if cited is not None:
            cited.append(citation)
            return cited
        cited = self.by_url[url] = CitationColumns()
        cited.append(citation)
        key = split_fragment(url)[0]  # fetch_key(url), without normalising `url` again
        urls = self.by_fetch.get(key)
        if urls is not None:
            urls.append(url)
        else:
            self.by_fetch[key] = [url]
            if self.on_new_key is not None:
                self.on_new_key(key)
        return cited

    def results(
        self, fetches: dict[str, Fetch], overrides: dict[str, Fetch] | None = None
    ) -> tuple[Result, ...]:
        """One result per URL as cited; `overrides` replace a URL's fetch (a missing fragment)."""
        overrides = overrides or {}
        return tuple(
            Result(
                url=url,
                fetch=overrides.get(url) or fetches[key],
                citations=self.by_url[url].freeze(),
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
    from linkcheck.check.checker import FetchError

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


async def _crawl(
    session: Checker,
    inputs: Sequence[str],
    catalogue: _Catalogue,
    fetches: dict[str, Fetch],
    config: Config,
    warn: Callable[[str], None],
    progress: Progress | None,
    stop: asyncio.Event | None,
) -> tuple[Crawler, bool]:
    """The crawl of the inputs, the crawled pages' fetches filled in; False: stopped."""
    from linkcheck.crawl import Crawler, CrawlProgress, plan

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

        def internal(url: str) -> bool:  # no site given: no URL to split (every key asks)
            return url.startswith("file:") or (bool(hosts) and urlsplit(url).hostname in hosts)

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
    checker: Callable[[Config], Checker] = plain_checker,
    archive_client: Callable[[Config], ArchiveClient] = plain_archive_client,
    history: Store | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Report:
    """Check every URL cited in `inputs`; raises InputError for unusable inputs.

    URLs are checked while the documents are still being read (a crawl's
    once the crawl is done). Then, unless the run was interrupted, archived
    copies are looked up as `config.archive` says: that never changes a
    verdict, and an archive that is down becomes a warning and an
    `archive_reason`. With `config.drift`, live pages are then compared with
    those snapshots (linkcheck/archive/drift.py): a `drift` beside the
    verdict, never instead.

    With a `history` (`open_history(config)`; the library keeps none unless
    given one), recent live results and archive answers are reused instead of
    asked again, the run is recorded, and each result gets its `history`
    (confirmation) and the report its `comparison`; a history that cannot be
    read raises StoreError before anything is fetched. `now` is the clock.
    """
    started = now()
    warnings: list[str] = []
    catalogue = _Catalogue()
    fetches: dict[str, Fetch] = {}
    pages = [entry for entry in inputs if is_remote(entry)]
    # Forked first, before this run opens a connection (a crawl's learnt
    # Crawl-delays live in this process: it checks there).
    spread = 1 if config.recursive else how_many(config)
    async with contextlib.AsyncExitStack() as stack:
        processes = None
        if spread > 1:
            try:
                processes = await stack.enter_async_context(
                    CheckProcesses(config, checker, spread)
                )
            except OSError as error:  # no fork (a process limit): this process checks
                warnings.append(f"check processes: cannot fork ({error}); checked in one")
        retire_spares()  # what the command line prestarted and this run does not use
        session = None  # this process's own: for a crawl, page URLs, or checking here
        if processes is None or pages:
            session = await stack.enter_async_context(checker(config))
        crawler: Crawler | None = None
        if config.recursive:
            assert session is not None
            crawler, complete = await _crawl(
                session, inputs, catalogue, fetches, config, warnings.append, progress, stop
            )
        checking: PageChecker | None = processes or session
        assert checking is not None  # the processes, else this process's own Checker
        checks = _Checks(
            checking, config, catalogue, fetches, _fragments(inputs, config, crawler),
            history=history, progress=progress, stop=stop, now=now,
        )  # fmt: skip
        try:
            if config.recursive:
                for key in list(catalogue.by_fetch):
                    checks.add(key)
            else:
                catalogue.on_new_key = checks.add
                complete = await _read_local(inputs, config, catalogue, warnings.append, stop)
                if complete and session is not None:
                    await _collect_remote(session, pages, catalogue, config, warnings.append)
            complete = await checks.finish() and complete
        finally:
            await checks.cancel()
        if processes is not None:
            warnings.extend(processes.lost)
        missing = await asyncio.to_thread(checks.fragments.missing, catalogue.by_fetch, fetches)
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
            from linkcheck.archive.drift import add_drift

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
    return await _recorded(report, config, history, checks.served, looked_up)


async def _read_local(
    inputs: Sequence[str],
    config: Config,
    catalogue: _Catalogue,
    warn: Callable[[str], None],
    stop: asyncio.Event | None,
) -> bool:
    """Catalogue the citations of the local inputs; False when stopped first.

    Reading is synchronous: every `_HEAR_STOP_EVERY` citations, and while a
    worker process reads a file, the event loop runs the checks (and hears a
    Ctrl-C)."""
    read = iter_citations(
        inputs, config, warn=warn, waits=True,
        on_document=lambda document: catalogue.documents.add(document.source),
    )  # fmt: skip
    with contextlib.closing(read):
        for count, citation in enumerate(read, 1):
            if isinstance(citation, Waiting):
                await asyncio.wrap_future(citation.future)
            else:
                catalogue.add(citation)
                if count % _HEAR_STOP_EVERY:
                    continue
                await asyncio.sleep(0)
            if stop is not None and stop.is_set():
                return False
    return True


class PageChecker(Protocol):
    """A `Checker`, or `CheckProcesses` spreading its work over processes."""

    def check_many_pages(
        self, urls: Iterable[str] | Feed[str], pages: Container[str]
    ) -> AsyncGenerator[tuple[str, Fetch, Page | None], None]: ...


class _Checks:
    """The check stage, fed fetch keys as they are first cited.

    Each key is skipped (include/exclude), served from the history's cache,
    or checked: a `Feed` the checker works through while reading goes on.
    A key whose cited fragments may be judged (an internal page) waits until
    every document is read: only then is it known whether its body is needed
    for anchors (one GET instead of a HEAD, never a second request).
    """

    CACHE_BATCH = 512  # keys asked of the history at once, at most

    def __init__(
        self,
        checker: PageChecker,
        config: Config,
        catalogue: _Catalogue,
        fetches: dict[str, Fetch],
        fragments: Fragments,
        *,
        history: Store | None,
        progress: Progress | None,
        stop: asyncio.Event | None,
        now: Callable[[], dt.datetime],
    ) -> None:
        self.fragments = fragments
        self.served: dict[str, dt.datetime] = {}  # keys the cache served: when they were fetched
        self._config = config
        self._catalogue = catalogue
        self._fetches = fetches
        self._history = history
        self._progress = progress
        self._now = now
        self._filter = UrlFilter(config.include, config.exclude)
        self._feed: Feed[str] = Feed()
        self._pages: set[str] = set()  # keys fetched for their anchors too
        self._deferred: list[str] = []  # keys waiting for every document to be read
        self._uncached: list[str] = []  # keys waiting for the cache
        self._added = 0
        self._lookups: list[asyncio.Task[None]] = []
        self._checking = asyncio.ensure_future(_check_until_stopped(
            checker, self._feed, fetches, progress, stop, self._pages, fragments
        ))  # fmt: skip
        if progress:
            progress.start(0)

    def add(self, key: str) -> None:
        """A fetch key first cited now."""
        if key in self._fetches:  # a crawled page
            return
        self._added += 1
        if self._progress and self._added % 256 == 0:
            self._progress.start(self._added)
        reason = self._filter.excluded(key)
        if reason:
            self._fetches[key] = fetch = Fetch(Verdict.SKIPPED, reason)
            if self._progress:
                self._progress.advance(fetch)
        elif self.fragments.may_judge(key):
            self._deferred.append(key)
        else:
            self._check_or_serve(key)

    async def finish(self) -> bool:
        """Check what is left once every key was added; False when stopped first."""
        if self._progress:
            self._progress.start(self._added)
        self._pages.update(self.fragments.pages(self._catalogue.by_fetch, self._deferred))
        for key in self._deferred:
            if key in self._pages:  # anchors are not cached
                self._feed.put(key)
            else:
                self._check_or_serve(key)
        self._ask_cache()
        await asyncio.gather(*self._lookups)
        self._feed.close()
        return await self._checking

    async def cancel(self) -> None:
        """Stop every check still running (after an error)."""
        self._uncached.clear()  # a cache query already scheduled (call_soon) asks nothing
        tasks = [*self._lookups, self._checking]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _check_or_serve(self, key: str) -> None:
        if self._history is None or self._config.cache.max_age <= 0:  # nothing to serve
            self._feed.put(key)
            return
        self._uncached.append(key)
        if len(self._uncached) == 1:
            # The keys cited until reading lets the loop run (it waits for a worker, or
            # hears a Ctrl-C) go in one query, not the first 512: checks start at once.
            asyncio.get_running_loop().call_soon(self._ask_cache)
        elif len(self._uncached) >= self.CACHE_BATCH:
            self._ask_cache()

    def _ask_cache(self) -> None:
        keys, self._uncached = self._uncached, []
        if keys:
            self._lookups.append(asyncio.ensure_future(self._from_cache(keys)))

    async def _from_cache(self, keys: list[str]) -> None:
        """Serve what the cache holds of `keys`; feed the rest to the checks."""
        served = await _serve_cached(self._history, self._config, keys, self._fetches, self._now())
        self.served.update(served)
        for key in keys:
            if key not in served:
                self._feed.put(key)
            elif self._progress:
                self._progress.advance(self._fetches[key])


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
    session: PageChecker,
    urls: Iterable[str] | Feed[str],
    fetches: dict[str, Fetch],
    progress: Progress | None,
    stop: asyncio.Event | None,
    pages: Container[str] = frozenset(),
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
    reused: list[Snapshot | str | None] = [None] * len(results)
    if history is not None:
        # Each reusable result's archive key, made once: it reads every citation.
        reusable = {
            index: archive_key(result)
            for index, result in enumerate(results)
            if to_look_up(result, config)
            and not (settings.save_missing and result.verdict in LIVE)
        }
        if reusable:
            stored = await asyncio.to_thread(
                history.cached_archives, reusable.values(), config.cache.archive_max_age, now
            )
            for index, key in reusable.items():
                reused[index] = stored.get(key)
    pending = [result for result, found in zip(results, reused, strict=True) if found is None]
    fresh: tuple[Result, ...] = ()
    if any(asks_archives(result, config) for result in pending):
        from linkcheck.archive.lookup import add_archives

        fresh = await add_archives(pending, config, warn=warn, client=client)
    looked_up.extend(fresh)
    by_url = {result.url: result for result in fresh}
    return tuple(
        by_url.get(result.url, result) if found is None else _from_archive_cache(result, found)
        for result, found in zip(results, reused, strict=True)
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
