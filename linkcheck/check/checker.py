"""`Checker`: the check stage's entry point, one session for a whole run.

`check` runs a URL's request chain (with retries), judges the final answer,
then takes a second look where a status code alone can mislead:

- a blocked answer is asked once more with browser-like headers
  (`browser_headers`): a page that only refuses non-browsers is not blocked;
- a 2xx answer reached by redirect to a sign-in page is a login wall;
- a 2xx answer may be a soft 404 (`soft404`): where its redirects ended, what
  its title and heading say, and whether a random path next to it gets the
  same page (one probe per host and directory for the whole run).

Before all that, a doi.org link's DOI is looked up in the DOI handle API
(`doi`): an unknown DOI is broken without a request to doi.org.

Neither the browser retry nor the probe counts in `Fetch.attempts`; both go
through the same per-host slots as every request. `extra_requests` counts them.
Up to `CHECKS_PER_SLOT` times as many checks as request slots run at once: a
check waiting for its directory's probe holds no request, and without them
the first pages of every directory left their host idle for a round trip.

`check_page` judges a URL the same way from one GET and keeps the page: the
crawler reads the pages it checks, and a `#fragment` is looked for in the
body of the GET that checked its page (`check_many_pages`), never a second
request. `at_least` lengthens a host's interval (robots.txt Crawl-delay).
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Container, Iterable
from contextlib import aclosing
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from aiohttp import ClientSession
from aiohttp.abc import AbstractResolver
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from linkcheck.check import doi, pagetext, soft404, walls
from linkcheck.check.classify import Answer, Failure, Outcome, to_fetch
from linkcheck.check.fetch import Fetcher, is_html
from linkcheck.check.files import check_file
from linkcheck.check.guard import Guard, IPNetwork, connection_settings
from linkcheck.check.retry import retried
from linkcheck.check.schedule import Feed, HostGates, by_host
from linkcheck.check.session import GuardedResolver, SocketFactory, open_session, proxy_hosts
from linkcheck.check.target import Target, parse_target
from linkcheck.config import Config
from linkcheck.models import Fetch, Verdict

T = TypeVar("T")
ALIVE = frozenset({Verdict.OK, Verdict.REDIRECTED, Verdict.MOVED})
# Worth asking again as a browser: refusals that often depend on who asks...
BROWSER_RETRY_STATUSES = frozenset({403, 999})
# ...and refusals that may be a wall's page when only HEAD saw them (a 503 only from a
# bot-protection front: elsewhere it is an overloaded server; never a plain 429: the
# server asked us to slow down).
UNSEEN_REFUSALS = frozenset({401, 402})
# Pages up to this size are parsed on the event loop (well under a millisecond):
# handing each to a thread cost more CPU than parsing it. Larger ones go to a thread.
PARSE_INLINE = 32 * 1024
# Checks running per request slot (per host and in all; see the module docstring).
CHECKS_PER_SLOT = 2


@dataclass(frozen=True, slots=True)
class Page:
    """A fetched document to extract links from; `body` is at most max_body bytes."""

    url: str
    final_url: str
    content_type: str
    body: bytes


class FetchError(Exception):
    """A page could not be fetched; the message says why."""


class Checker:
    """Checks URLs over one keep-alive session; use as `async with Checker(config)`.

    `resolver` replaces the system resolver (still behind the `resolve` and
    `connect_to` entries and the address guard) and `socket_factory` is handed
    to aiohttp's connector: tests use both so that no packet can leave
    loopback. `allowed_networks` are exempt from the guard even without
    `allow_private` (tests allow 127.0.0.0/8 that way).
    """

    def __init__(
        self,
        config: Config,
        *,
        resolver: AbstractResolver | None = None,
        socket_factory: SocketFactory | None = None,
        allowed_networks: Iterable[str | IPNetwork] = (),
    ) -> None:
        self._config = config
        self._guard = Guard(
            allow_private=config.allow_private,
            allowed_networks=[ipaddress.ip_network(n) for n in allowed_networks],
            exempt_hosts=proxy_hosts(),
        )
        self._settings = connection_settings(config)
        self._inner = resolver
        self._socket_factory = socket_factory
        self._resolver: GuardedResolver | None = None
        self._session: ClientSession | None = None
        self._fetcher: Fetcher | None = None
        self._prober: soft404.Prober | None = None
        self._gates: HostGates | None = None
        self.extra_requests: Counter[str] = Counter()  # "browser retry", "probe", "doi lookup"

    async def __aenter__(self) -> Checker:
        if self._session is not None:
            raise RuntimeError("this Checker is already open")
        self._resolver = GuardedResolver(
            self._inner or ThreadedResolver(),  # getaddrinfo: its error codes are classified
            self._guard,
            resolve=self._settings.resolve,
            connect_to=self._settings.connect_to,
            owns_inner=self._inner is None,
        )
        self._session = open_session(
            self._config, self._resolver, self._socket_factory, self._settings.ssl, trust_env=False
        )
        self._gates = HostGates(self._config)
        self._fetcher = Fetcher(self._session, self._config, self._gates, self._guard)
        self._prober = soft404.Prober(self._probe)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._prober is not None:
            await self._prober.close()
        if self._session is not None:
            await self._session.close()
        if self._resolver is not None:
            await self._resolver.close()
        self._session = self._resolver = self._fetcher = self._prober = None

    async def check(self, url: str) -> Fetch:
        """Check one distinct URL (fragment stripped); never raises but for cancellation."""
        return await self._check(parse_target(url))

    async def check_many(self, urls: Iterable[str]) -> AsyncGenerator[tuple[str, Fetch], None]:
        """Check distinct URLs, yielding each as it finishes, scheduled by host."""
        async with aclosing(self.check_many_pages(urls, frozenset())) as checked:
            async for url, fetch, _ in checked:
                yield url, fetch

    async def check_many_pages(
        self, urls: Iterable[str] | Feed[str], pages: Container[str]
    ) -> AsyncGenerator[tuple[str, Fetch, Page | None], None]:
        """`check_many`, and for the URLs in `pages` (whose fragments are judged)
        the page too, from the GET that checked them (`check_page`). `pages` is
        asked when a URL's check starts; a `Feed` is checked until it is closed."""
        self._open()
        scheduled = by_host(
            urls,
            plan=lambda url: (url, parse_target(url)),
            key=_host,
            run=lambda item: self._check_page(item[1], item[0]) if item[0] in pages
            else self._check_only(item[1]),
            capacity=CHECKS_PER_SLOT * self._config.max_concurrency,
            limit=lambda host: CHECKS_PER_SLOT * self._limit(host),
        )
        async with aclosing(scheduled):  # closing us cancels the running checks now
            async for (url, _), (fetch, page) in scheduled:
                yield url, fetch, page

    async def check_page(self, url: str, *, whole_body: bool = False) -> tuple[Fetch, Page | None]:
        """Check `url` with one GET (no HEAD) and keep its body: a crawled page and a
        fragment's target need both the verdict and the page, and one request serves both.

        The page is None without a 2xx answer. HTML is read up to max_body; another
        type only its first chunk, unless `whole_body` (robots.txt, sitemaps).
        """
        return await self._check_page(parse_target(url), url, whole_body=whole_body)

    def at_least(self, host: str, interval: float) -> None:
        """Space requests to `host` by `interval` seconds or more (robots.txt Crawl-delay)."""
        self._open()
        assert self._gates is not None
        self._gates.at_least(host, interval)

    async def fetch_page(self, url: str) -> Page:
        """GET an http(s) page, following redirects; raise FetchError when there is none."""
        target = parse_target(url)
        if isinstance(target, Fetch):
            raise FetchError(target.reason)
        if isinstance(target, Path):
            raise FetchError("not an http(s) URL")
        outcome, attempts, elapsed_ms = await self._run(target, head_first=False, whole_body=True)
        answer = outcome.answer
        if answer is None or not answer.success or outcome.final_url is None:
            raise FetchError(to_fetch(outcome, attempts=attempts, elapsed_ms=elapsed_ms).reason)
        return Page(url, outcome.final_url, answer.content_type, answer.body)

    async def _check(self, target: Target) -> Fetch:
        return (await self._judge(target, head_first=True, whole_body=False))[0]

    async def _check_only(self, target: Target) -> tuple[Fetch, None]:
        # _judge itself, not through _check: one coroutine less to pass each resumption
        return (await self._judge(target, head_first=True, whole_body=False))[0], None

    async def _check_page(
        self, target: Target, url: str, *, whole_body: bool = False
    ) -> tuple[Fetch, Page | None]:
        fetch, outcome = await self._judge(target, head_first=False, whole_body=whole_body)
        answer = outcome.answer if outcome else None
        if outcome is None or answer is None or not answer.success or outcome.final_url is None:
            return fetch, None
        return fetch, Page(url, outcome.final_url, answer.content_type, answer.body)

    async def _judge(
        self, target: Target, *, head_first: bool, whole_body: bool
    ) -> tuple[Fetch, Outcome | None]:
        """The verdict on a URL, and the outcome it judged (None when no request was made)."""
        if isinstance(target, Fetch):
            return target, None
        if isinstance(target, Path):
            return await check_file(target), None
        started = time.monotonic()
        unknown = await doi.unregistered(target, self._config.doi_api, self._lookup)
        if unknown is not None:  # a DOI nobody registered: no landing page to look for
            return replace(unknown, elapsed_ms=int((time.monotonic() - started) * 1000)), None
        deadline = asyncio.get_running_loop().time() + self._config.url_timeout
        outcome, attempts, elapsed_ms = await self._run(
            target, head_first=head_first, whole_body=whole_body
        )
        fetch = to_fetch(outcome, attempts=attempts, elapsed_ms=elapsed_ms)
        if fetch.verdict in (Verdict.BLOCKED, Verdict.ERROR) and self._config.browser_headers:
            outcome, fetch = await self._as_browser(target, outcome, fetch, deadline)
        if fetch.verdict in ALIVE:
            fetch = await self._second_look(target, outcome, fetch, deadline)
        return replace(fetch, elapsed_ms=int((time.monotonic() - started) * 1000)), outcome

    async def _as_browser(
        self, url: URL, outcome: Outcome, fetch: Fetch, deadline: float
    ) -> tuple[Outcome, Fetch]:
        """Ask once more with browser headers; keep whichever answer says more."""
        answer = outcome.answer
        if answer is None or not (
            answer.status in BROWSER_RETRY_STATUSES
            or answer.wall is not None
            or (not answer.body and answer.status in UNSEEN_REFUSALS)
            or (not answer.body and answer.status == 503 and answer.fronted)
        ):
            return outcome, fetch
        self.extra_requests["browser retry"] += 1
        again = await _before(
            deadline, self._open().chain(url, head_first=False, whole_body=False, browser=True)
        )
        if again is None or again.answer is None:
            return outcome, fetch
        second = to_fetch(again, attempts=fetch.attempts, elapsed_ms=fetch.elapsed_ms)
        if second.verdict in ALIVE or second.verdict is Verdict.BROKEN:
            reason = f"{second.reason} with browser headers (without: {fetch.reason})"
            return again, replace(second, reason=reason)
        if second.verdict is Verdict.BLOCKED and again.answer.wall and not answer.wall:
            return again, second  # the same refusal, now with a page that names the wall
        return outcome, fetch

    async def _second_look(
        self, start: URL, outcome: Outcome, fetch: Fetch, deadline: float
    ) -> Fetch:
        """A 2xx that is a login wall or a soft 404 after all (see the module docstring)."""
        answer, final_url = outcome.answer, outcome.final_url
        if answer is None or not answer.success or final_url is None:
            return fetch
        final = URL(final_url, encoded=True)
        if outcome.hops and walls.sign_in_redirect(start, final):
            reason = "login wall (redirects to sign-in)"
            return replace(fetch, verdict=Verdict.BLOCKED, reason=reason, suggestion=None)
        if not self._config.soft_404:
            return fetch
        reason = soft404.redirect_signal(start, final) if outcome.hops else None
        page = await _page(answer, lazy=True) if reason is None else None
        if reason is None and page is not None:
            reason = soft404.page_signal(page, start, final)
        probe_wanted = page is not None and self._config.soft_404_probe and soft404.is_deep(start)
        if reason is None and probe_wanted:
            assert self._prober is not None
            probe = self._prober.known(start)  # most pages: no wait, so no timer either
            if probe is None:
                probe = await _before(deadline, self._prober.probe(start))
            if probe is not None:
                reason = soft404.probe_signal(
                    start, final, redirected=bool(outcome.hops), page=page, probe=probe
                )
        if reason is None:
            return fetch
        return replace(fetch, verdict=Verdict.SOFT_404, reason=reason, suggestion=None)

    async def _probe(self, url: URL) -> soft404.Probe:
        """GET a random path (no retries): what this site answers for a page it lacks.

        Shared by every page of its directory, so bounded by url_timeout of its own.
        """
        self.extra_requests["probe"] += 1
        deadline = asyncio.get_running_loop().time() + self._config.url_timeout
        chain = self._open().chain(url, head_first=False, whole_body=False)
        outcome = await _before(deadline, chain)
        if outcome is None or outcome.answer is None:
            return soft404.Probe(str(url))
        answer = outcome.answer
        page = await _page(answer) if answer.success else None
        return soft404.Probe(
            str(url), answer.status, outcome.final_url, bool(outcome.hops), page
        )

    async def _lookup(self, url: URL) -> tuple[Outcome, int, int]:
        """GET an API's answer whole, with retries (the DOI handle API): an extra request."""
        self.extra_requests["doi lookup"] += 1
        return await self._run(url, head_first=False, whole_body=True)

    async def _run(
        self, url: URL, *, head_first: bool, whole_body: bool
    ) -> tuple[Outcome, int, int]:
        """The outcome of all attempts at `url`, their number and the time they took."""
        fetcher = self._open()
        started = time.monotonic()
        attempts = 1

        async def again() -> Outcome:
            nonlocal attempts
            attempts += 1
            return await fetcher.chain(url, head_first=head_first, whole_body=whole_body)

        config = self._config
        try:
            async with asyncio.timeout(config.url_timeout):
                first = await fetcher.chain(url, head_first=head_first, whole_body=whole_body)
                outcome = await retried(
                    first, again, retries=config.retries, wait_max=config.retry_wait_max
                )
        except TimeoutError:
            reason = f"no result within url_timeout ({config.url_timeout:g}s)"
            final = str(url.with_user(None))
            outcome = Outcome(final, failure=Failure(Verdict.TIMEOUT, reason))
        return outcome, attempts, int((time.monotonic() - started) * 1000)

    def _open(self) -> Fetcher:
        if self._fetcher is None:
            raise RuntimeError("use the Checker inside 'async with Checker(config) as checker'")
        return self._fetcher

    def _limit(self, host: str | None) -> int:
        return self._config.max_concurrency if host is None else self._config.concurrency_for(host)


async def _before(deadline: float, step: Awaitable[T]) -> T | None:
    """`step`'s result, or None when the URL's url_timeout budget runs out first."""
    try:
        async with asyncio.timeout_at(deadline):
            return await step
    except TimeoutError:
        return None


async def _page(answer: Answer, *, lazy: bool = False) -> pagetext.PageText | None:
    """The readable parts of an HTML answer; a large page is parsed off the event loop.

    `lazy` (`pagetext.LazyLines`) for a page read only while it is judged: a probe's
    page is kept for the run, so it keeps its lines rather than its tree.
    """
    if not answer.body or not is_html(answer.content_type):
        return None
    try:
        if len(answer.body) <= PARSE_INLINE:
            return pagetext.parse(answer.body, answer.content_type, lazy=lazy)
        return await asyncio.to_thread(pagetext.parse, answer.body, answer.content_type, lazy=lazy)
    except Exception:  # a page the parser cannot read is not judged by its text
        return None


def _host(item: tuple[str, Target]) -> str | None:
    """The scheduling key: the host for http(s) URLs; the rest need no host slot."""
    target = item[1]
    return target.raw_host if isinstance(target, URL) else None
