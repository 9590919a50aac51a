"""The archive stage's HTTP client: its own small session, gentle with the archives.

Archives are public services run on donations, so every request:

- goes through the check stage's address guard (`check.guard`): an archive
  endpoint or a Location it sends is a URL like any other, and private
  addresses are refused unless `allow_private`;
- takes a slot of its archive (`HostGates` keyed by archive name, with the
  `[archive]` table's `concurrency` and `min_interval`), so at most
  `concurrency` requests are in flight to one archive and their starts are
  spaced;
- is retried by the check stage's one rule (`check.retry.with_retries`):
  timeouts, connection errors, 408, 429, 502, 503 and 504, with backoff or
  the archive's Retry-After, capped at `retry_wait_max`;
- follows redirects by hand (each hop guarded; credentials stay on their origin).

An endpoint that stays unreachable or rate limited after its retries is not
asked again in the run (`_down`): the rest of the lookups fall back at once
instead of each waiting out the same outage.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any
from urllib.parse import urljoin

import aiohttp
from aiohttp import hdrs
from aiohttp.resolver import ThreadedResolver
from multidict import CIMultiDictProxy
from yarl import URL

from linkcheck.archive import RATE_LIMITED, UNREACHABLE, NoSnapshot
from linkcheck.check.classify import (
    REDIRECT_STATUSES,
    Answer,
    Failure,
    Outcome,
    describe,
    failure,
)
from linkcheck.check.fetch import SENSITIVE_HEADERS
from linkcheck.check.fetch import _read as read_capped
from linkcheck.check.guard import Guard, connection_settings
from linkcheck.check.retry import parse_retry_after, with_retries
from linkcheck.check.schedule import HostGates
from linkcheck.check.session import GuardedResolver, open_session, proxy_hosts
from linkcheck.config import Config
from linkcheck.models import Verdict

MAX_BODY = 8 * 1024 * 1024  # a TimeMap of a popular page runs to megabytes
MAX_REDIRECTS = 5


@dataclass(frozen=True, slots=True)
class Reply:
    """An archive's answer: the final URL after redirects, status, headers, body."""

    url: str
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON; an archive that answers something else is not usable."""
        try:
            return json.loads(self.body)
        except ValueError:
            raise NoSnapshot(UNREACHABLE, f"{self.url}: not JSON") from None


class ArchiveClient:
    """Use as `async with ArchiveClient(config) as client`; see the module docstring."""

    def __init__(self, config: Config) -> None:
        self.config = config
        archive = config.archive
        pacing = replace(
            config,
            host_concurrency=archive.concurrency,
            min_interval=archive.min_interval,
            hosts=MappingProxyType({}),
        )
        self._gates = HostGates(pacing)
        self._guard = Guard(allow_private=config.allow_private, exempt_hosts=proxy_hosts())
        self._session: aiohttp.ClientSession | None = None
        self._closing = contextlib.AsyncExitStack()
        self._down: dict[str, NoSnapshot] = {}

    async def __aenter__(self) -> ArchiveClient:
        """The check stage's resolver (guard, --resolve, --connect-to) and session builder."""
        settings = connection_settings(self.config)
        guarded = GuardedResolver(
            ThreadedResolver(),
            self._guard,
            resolve=settings.resolve,
            connect_to=settings.connect_to,
            owns_inner=True,
        )
        self._closing.push_async_callback(guarded.close)
        self._session = open_session(self.config, guarded, None, settings.ssl)
        self._closing.push_async_callback(self._session.close)  # closed first
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._session = None
        await self._closing.aclose()

    async def request(
        self,
        archive: str,
        url: str,
        *,
        method: str = "GET",
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        redirects: int = MAX_REDIRECTS,
        max_body: int = MAX_BODY,
    ) -> Reply:
        """The answer of `archive` at `url`, after retries and up to `redirects`
        redirects. Raises NoSnapshot (unreachable, rate limited) when there is
        no usable answer, and at once for an endpoint already found down."""
        endpoint = url
        down = self._down.get(endpoint)
        if down is not None:
            raise down
        target = URL(url).with_query(params) if params else URL(url)
        sent = dict(headers or {})
        for _ in range(redirects + 1):
            try:
                reply = await self._retried(archive, method, target, sent, data, max_body)
            except NoSnapshot as problem:
                raise self._trip(endpoint, problem) from None
            location = reply.headers.get(hdrs.LOCATION)
            if reply.status not in REDIRECT_STATUSES or not location or redirects == 0:
                break
            following = URL(urljoin(str(target), location))
            if following.origin() != target.origin():
                sent = {k: v for k, v in sent.items() if k.lower() not in SENSITIVE_HEADERS}
            target, method, data = following, "GET", None
        if reply.status == 429:
            raise self._trip(endpoint, NoSnapshot(RATE_LIMITED, f"{archive}: 429", source=archive))
        if reply.status >= 500:
            problem = f"{archive}: {describe(reply.status)}"
            raise self._trip(endpoint, NoSnapshot(UNREACHABLE, problem, source=archive))
        return reply

    def down(self) -> Mapping[str, NoSnapshot]:
        """The endpoints given up on in this run, with why."""
        return MappingProxyType(self._down)

    def _trip(self, endpoint: str, problem: NoSnapshot) -> NoSnapshot:
        self._down[endpoint] = problem
        return problem

    async def _retried(
        self,
        archive: str,
        method: str,
        url: URL,
        headers: dict[str, str],
        data: Mapping[str, str] | None,
        max_body: int,
    ) -> Reply:
        """One request, retried by the check stage's rule."""
        session = self._open()
        answered: list[Reply] = []

        async def attempt() -> Outcome:
            answered.clear()
            refused = self._guard.literal(url.raw_host or "")
            if refused is not None:
                return Outcome(str(url), failure=Failure(Verdict.SKIPPED, refused))
            try:
                async with (
                    self._gates.slot(archive),
                    session.request(
                        method, url, headers=headers, data=data, allow_redirects=False
                    ) as response,
                ):
                    body = await read_capped(response.content, max_body, whole=True)
                    answered.append(Reply(str(url), response.status, response.headers, body))
                    retry_after = parse_retry_after(response.headers.get(hdrs.RETRY_AFTER))
                    answer = Answer(response.status, retry_after=retry_after)
                    return Outcome(str(url), answer=answer, status=response.status)
            except Exception as exc:  # converted by the check stage's one mapping
                return Outcome(str(url), failure=failure(exc, self.config))

        retries, wait_max = self.config.retries, self.config.retry_wait_max
        outcome = await with_retries(attempt, retries=retries, wait_max=wait_max)
        if outcome.failure is not None or not answered:
            reason = outcome.failure.reason if outcome.failure else "no answer"
            raise NoSnapshot(UNREACHABLE, f"{archive}: {reason}", source=archive)
        return answered[0]

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("use the client inside 'async with ArchiveClient(config)'")
        return self._session
