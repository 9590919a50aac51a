"""`Checker`: the check stage's entry point, one session for a whole run."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import AsyncGenerator, Iterable
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from aiohttp import ClientSession
from aiohttp.abc import AbstractResolver
from aiohttp.resolver import ThreadedResolver
from yarl import URL

from linkcheck.check.classify import Failure, Outcome, to_fetch
from linkcheck.check.fetch import Fetcher
from linkcheck.check.files import check_file
from linkcheck.check.guard import (
    Guard,
    GuardedResolver,
    IPNetwork,
    parse_connect_to,
    parse_resolve,
)
from linkcheck.check.retry import with_retries
from linkcheck.check.schedule import HostGates, by_host
from linkcheck.check.session import SocketFactory, open_session, proxy_hosts, ssl_setting
from linkcheck.check.target import Target, parse_target
from linkcheck.config import Config
from linkcheck.models import Fetch, Verdict


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
        self._resolve = parse_resolve(config.resolve)
        self._connect_to = parse_connect_to(config.connect_to)
        self._ssl = ssl_setting(config)
        self._inner = resolver
        self._socket_factory = socket_factory
        self._resolver: GuardedResolver | None = None
        self._session: ClientSession | None = None
        self._fetcher: Fetcher | None = None

    async def __aenter__(self) -> Checker:
        if self._session is not None:
            raise RuntimeError("this Checker is already open")
        self._resolver = GuardedResolver(
            self._inner or ThreadedResolver(),  # getaddrinfo: its error codes are classified
            self._guard,
            resolve=self._resolve,
            connect_to=self._connect_to,
            owns_inner=self._inner is None,
        )
        self._session = open_session(
            self._config, self._resolver, self._socket_factory, self._ssl
        )
        self._fetcher = Fetcher(self._session, self._config, HostGates(self._config), self._guard)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
        if self._resolver is not None:
            await self._resolver.close()
        self._session = self._resolver = self._fetcher = None

    async def check(self, url: str) -> Fetch:
        """Check one distinct URL (fragment stripped); never raises but for cancellation."""
        return await self._check(parse_target(url))

    async def check_many(self, urls: Iterable[str]) -> AsyncGenerator[tuple[str, Fetch], None]:
        """Check distinct URLs, yielding each as it finishes, scheduled by host."""
        self._open()
        planned = ((url, parse_target(url)) for url in urls)
        scheduled = by_host(
            planned,
            key=_host,
            run=lambda item: self._check(item[1]),
            capacity=self._config.max_concurrency,
            limit=self._limit,
        )
        async with aclosing(scheduled):  # closing us cancels the running checks now
            async for (url, _), fetch in scheduled:
                yield url, fetch

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
        if isinstance(target, Fetch):
            return target
        if isinstance(target, Path):
            return await check_file(target)
        outcome, attempts, elapsed_ms = await self._run(target, head_first=True, whole_body=False)
        return to_fetch(outcome, attempts=attempts, elapsed_ms=elapsed_ms)

    async def _run(
        self, url: URL, *, head_first: bool, whole_body: bool
    ) -> tuple[Outcome, int, int]:
        """The outcome of all attempts at `url`, their number and the time they took."""
        fetcher = self._open()
        started = time.monotonic()
        attempts = 0

        async def attempt() -> Outcome:
            nonlocal attempts
            attempts += 1
            return await fetcher.chain(url, head_first=head_first, whole_body=whole_body)

        config = self._config
        try:
            async with asyncio.timeout(config.url_timeout):
                outcome = await with_retries(
                    attempt, retries=config.retries, wait_max=config.retry_wait_max
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


def _host(item: tuple[str, Target]) -> str | None:
    """The scheduling key: the host for http(s) URLs; the rest need no host slot."""
    target = item[1]
    return target.raw_host if isinstance(target, URL) else None
