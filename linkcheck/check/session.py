"""The run's one aiohttp session: connector, TLS, timeouts and limits in one place,
and the resolver it connects through (`GuardedResolver`).

The check stage reads the environment's proxies and .netrc once per run
(`Environment`) rather than through aiohttp's `trust_env`, which reads both
again for every request, each time in a worker thread: with thousands of
requests a second that was a tenth of the run's CPU.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Mapping
from typing import Any
from urllib.request import proxy_bypass

import aiohttp
from aiohttp import hdrs
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.helpers import basicauth_from_netrc, netrc_from_env, proxies_from_env
from yarl import URL

from linkcheck.check.guard import Guard, PrivateAddressError, parse_address, table_key
from linkcheck.config import Config

# Bounds on a response's head: a server cannot make us buffer more than this.
MAX_HEADERS = 128
MAX_FIELD_SIZE = 16 * 1024
MAX_LINE_SIZE = 16 * 1024
DNS_CACHE_SECONDS = 60
ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
_NUMERIC = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV

# What aiohttp's TCPConnector(socket_factory=...) is called with: one getaddrinfo() entry.
AddrInfo = tuple[int, int, int, str, tuple[Any, ...]]
SocketFactory = Callable[[AddrInfo], socket.socket]


def proxy_hosts() -> set[str]:
    """Hosts of the proxies named in the environment (trusted by the user)."""
    return {info.proxy.host for info in proxies_from_env().values() if info.proxy.host}


class Environment:
    """What aiohttp's `trust_env` takes from the environment, read once: the
    proxy for each scheme (unless NO_PROXY exempts the host) and a host's .netrc
    credentials (sent to that host only, and never over a configured or URL
    Authorization). Answers are kept per host."""

    def __init__(self) -> None:
        self._proxies = {
            scheme: (info.proxy, _proxy_headers(info.proxy_auth))
            for scheme, info in proxies_from_env().items()
        }
        self._netrc = netrc_from_env()
        self._bypass: dict[str, bool] = {}
        self._authorization: dict[str, str | None] = {}

    def proxy(self, url: URL) -> tuple[URL | None, dict[str, str] | None]:
        """The proxy for `url` and the headers for it; (None, None) to connect directly."""
        found = self._proxies.get(url.scheme)
        if found is None:
            return None, None
        host = url.host or ""
        bypass = self._bypass.get(host)
        if bypass is None:
            bypass = self._bypass[host] = bool(host and proxy_bypass(host))
        return (None, None) if bypass else found

    def authorization(self, host: str) -> str | None:
        """The Authorization header for `host` from .netrc, if it has an entry."""
        if self._netrc is None:
            return None
        if host not in self._authorization:
            try:
                self._authorization[host] = basicauth_from_netrc(self._netrc, host).encode()
            except LookupError:
                self._authorization[host] = None
        return self._authorization[host]


def _proxy_headers(auth: aiohttp.BasicAuth | None) -> dict[str, str] | None:
    return None if auth is None else {hdrs.PROXY_AUTHORIZATION: auth.encode()}


def open_session(
    config: Config,
    resolver: AbstractResolver,
    socket_factory: SocketFactory | None,
    ssl_context: ssl.SSLContext | bool,
    *,
    trust_env: bool = True,
) -> aiohttp.ClientSession:
    """`trust_env=False` when the caller passes an `Environment`'s answers itself."""
    connector = aiohttp.TCPConnector(
        resolver=resolver,
        socket_factory=socket_factory,
        ssl=ssl_context,
        limit=config.max_concurrency,
        ttl_dns_cache=DNS_CACHE_SECONDS,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(
            total=config.timeout,
            connect=config.connect_timeout,
            sock_read=config.read_timeout,
        ),
        headers={"User-Agent": config.user_agent, "Accept": ACCEPT},
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=trust_env,
        max_line_size=MAX_LINE_SIZE,
        max_field_size=MAX_FIELD_SIZE,
        max_headers=MAX_HEADERS,
    )


class GuardedResolver(AbstractResolver):
    """Applies --connect-to and --resolve, asks `inner` otherwise, then filters.

    The URL's host stays what TLS verifies and what the Host header says;
    only the address (and with --connect-to the port) connected to changes.
    Filtering here means aiohttp only ever connects to addresses the guard
    allowed; when none is left, `PrivateAddressError` aborts the request.
    """

    def __init__(
        self,
        inner: AbstractResolver,
        guard: Guard,
        *,
        resolve: Mapping[tuple[str, int], tuple[str, ...]],
        connect_to: Mapping[tuple[str, int], tuple[str, int]],
        owns_inner: bool,
    ) -> None:
        self._inner = inner
        self._guard = guard
        self._resolve = resolve
        self._connect_to = connect_to
        self._owns_inner = owns_inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        redirect = self._connect_to.get(table_key(host, port))
        if redirect is None:
            answers = await self._lookup(host, port, family)
        else:
            to_host, to_port = redirect
            found = await self._lookup(to_host, to_port, family)
            answers = [ResolveResult(**{**a, "hostname": host, "port": to_port}) for a in found]
        if self._guard.exempt(host):
            return answers
        allowed = [a for a in answers if not self._guard.blocks(a["host"])]
        if answers and not allowed:
            raise PrivateAddressError(answers[0]["host"])
        return allowed

    async def _lookup(
        self, host: str, port: int, family: socket.AddressFamily
    ) -> list[ResolveResult]:
        forced = self._resolve.get(table_key(host, port))
        if forced is not None:
            return [_numeric(host, address, port) for address in forced]
        if parse_address(host) is not None:
            return [_numeric(host, host.strip("[]"), port)]
        return await self._inner.resolve(host, port, family)

    async def close(self) -> None:
        if self._owns_inner:
            await self._inner.close()


def _numeric(host: str, address: str, port: int) -> ResolveResult:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return ResolveResult(
        hostname=host, host=address, port=port, family=family, proto=0, flags=_NUMERIC
    )
