"""The local test-server catalogue: well- and mis-behaving HTTP endpoints on 127.0.0.1.

Tests never touch the internet and never mock the ClientSession: they talk to
these servers. Fixtures for them are in `conftest.py`.

`Catalogue` is one aiohttp `TestServer` bound to 127.0.0.1. Tests reach it
under any of `HOSTS` ("a.test", "b.test", ...): `Catalogue.config()` builds a
`Config` whose `resolve` entries point those names at 127.0.0.1 (with
`allow_private`, since that is loopback), so one server can play several
hosts for per-host caps, cross-host redirects and per-host headers.
`Catalogue.url(path, host=...)` builds URLs.

Endpoints (HEAD and GET alike unless said; `{x}` is a path part):

    /ok                      200 text/plain
    /page                    200 small text/html
    /html?size=N             200 text/html of N bytes
    /status/{code}?reason=R  that status (a 3xx has no Location)
    /redirect/{code}?to=T    that status with `Location: T` (default /ok; relative is kept)
    /chain/{c1,c2,...}       c1 → /chain/{c2,...} → ... → /ok
    /loop/a, /loop/b         302 to each other
    /flaky/{key}?fail=N&status=S&retry_after=V
                             the first N requests to (host, key) get S (default 503),
                             with `Retry-After: V` when given (V = "date:SECONDS" sends
                             an HTTP date that many seconds ahead); then 200
    /cloudflare              403 with `cf-mitigated: challenge`
    /delay?seconds=S         200 after S seconds
    /hold                    200 once the test calls `catalogue.release()` (10 s at most)
    /set-cookie?to=T         302 to T with a Set-Cookie
    /drip?every=S&count=N    text/html that sends one byte every S seconds, N times
    /huge?size=N             application/octet-stream of N bytes (default 64 MiB),
                             streamed; bytes handed to the socket in `log.written["/huge"]`
    /bomb/gzip, /bomb/deflate
                             text/html compressed: ~128 KiB on the wire, BOMB_SIZE decompressed
    /reset                   a connection reset instead of an answer
    /close                   the connection closes without an answer
    /reset-mid-body          text/html, Content-Length 100000, 1000 bytes, then a reset
    /lying-length            text/html, Content-Length 1000, 10 bytes, then the connection closes
    /many-headers?n=N        200 with N headers (default 10,000)

Every endpoint also understands `head=N` (HEAD answers status N; GET is
unchanged) and `head=reset` (HEAD gets a connection reset).

`catalogue.log` records every request: host (from the Host header, without
the port), method, path (with and without the query), headers, the
server's clock and the client's port (one per connection), plus the peak
number of requests in flight per host and over all of them.

Other servers and helpers: `SilentServer` (a raw asyncio server that accepts
and never answers), `closed_port()`, `MappingResolver` (a resolver from a
table: no DNS), and `RecordingSocketFactory` (connects only to loopback,
records and refuses everything else). For HTTPS, `Catalogue(ssl_context=...)`
with a trustme certificate (see the `tls_catalogue` fixture). `fast_config()`
is a Config with test-sized timeouts; `check_one()` and `check_all()` run a
Checker against the servers.

To add an endpoint (an archive imitation, a crawl site): a handler method,
its line in `Catalogue._routes`, and its line in the table above.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import functools
import ipaddress
import socket
import struct
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer
from multidict import CIMultiDictProxy

from linkcheck.check import Checker
from linkcheck.config import Config
from linkcheck.models import Fetch

HOSTS = ("a.test", "b.test", "c.test", "d.test")
BOMB_SIZE = 128 * 1024 * 1024
HUGE_SIZE = 64 * 1024 * 1024
CHUNK = 64 * 1024
HOLD_LIMIT = 10.0  # seconds a /hold request waits at most, so no test can hang on it

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    host: str
    method: str
    path: str
    path_qs: str
    headers: CIMultiDictProxy[str]
    at: float  # the server's loop clock
    client_port: int  # tells connections apart: keep-alive reuses one


@dataclass
class Log:
    """What a catalogue server saw, for assertions."""

    requests: list[Seen] = field(default_factory=list)
    in_flight: Counter[str] = field(default_factory=Counter)
    peak: Counter[str] = field(default_factory=Counter)
    peak_total: int = 0  # over all hosts
    written: Counter[str] = field(default_factory=Counter)

    def matching(
        self, path: str | None = None, *, host: str | None = None, method: str | None = None
    ) -> list[Seen]:
        return [
            seen
            for seen in self.requests
            if (path is None or seen.path == path)
            and (host is None or seen.host == host)
            and (method is None or seen.method == method)
        ]

    def count(
        self, path: str | None = None, *, host: str | None = None, method: str | None = None
    ) -> int:
        return len(self.matching(path, host=host, method=method))


def _reset(request: web.Request) -> None:
    """Abort the connection with a TCP RST (SO_LINGER 0), as a crashing server would."""
    transport = request.transport
    assert transport is not None
    sock = transport.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


@functools.cache
def bomb(encoding: str) -> bytes:
    """BOMB_SIZE spaces, gzip- or zlib-compressed (built once per test session)."""
    wbits = 31 if encoding == "gzip" else 15
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = b" " * (1 << 20)
    parts = [compressor.compress(block) for _ in range(BOMB_SIZE >> 20)]
    return b"".join([*parts, compressor.flush()])


def fast_config(**overrides: Any) -> Config:
    """A Config for tests: loopback allowed, small timeouts and retry waits, checks
    in the test's process (whose injected resolvers and sockets record them)."""
    settings: dict[str, Any] = {
        "allow_private": True,
        "processes": 1,
        "timeout": 3.0,
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "url_timeout": 15.0,
        "retries": 2,
        "retry_wait_max": 0.05,
        "max_body": 64 * 1024,
    }
    return replace(Config(), **{**settings, **overrides})


class Catalogue:
    """The endpoints above on one loopback server; see the module docstring."""

    def __init__(self, *, ssl_context: Any = None) -> None:
        self.log = Log()
        self._ssl = ssl_context
        self._released = asyncio.Event()
        self._flaky: Counter[tuple[str, str]] = Counter()
        app = web.Application(middlewares=[self._record, self._head_modifier])
        for path, handler in self._routes().items():
            app.router.add_route("*", path, handler)
        self._server = TestServer(app, host="127.0.0.1")

    async def start(self) -> None:
        await self._server.start_server(ssl=self._ssl)

    async def close(self) -> None:
        self._released.set()
        await self._server.close()

    @property
    def port(self) -> int:
        assert self._server.port is not None
        return self._server.port

    @property
    def scheme(self) -> str:
        return "https" if self._ssl else "http"

    def url(self, path: str, host: str = HOSTS[0]) -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def resolve(self) -> tuple[str, ...]:
        return tuple(f"{host}:{self.port}:127.0.0.1" for host in HOSTS)

    def config(self, **overrides: Any) -> Config:
        """`fast_config` with this server's names resolved to 127.0.0.1."""
        return fast_config(**{"resolve": self.resolve(), **overrides})

    def release(self) -> None:
        """Let every /hold request answer."""
        self._released.set()

    # --- middlewares ---

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        host = request.url.host or ""
        loop_time = asyncio.get_running_loop().time()
        assert request.transport is not None
        client_port = request.transport.get_extra_info("peername")[1]
        self.log.requests.append(
            Seen(
                host, request.method, request.path, request.path_qs, request.headers, loop_time,
                client_port,
            )
        )
        self.log.in_flight[host] += 1
        self.log.peak[host] = max(self.log.peak[host], self.log.in_flight[host])
        self.log.peak_total = max(self.log.peak_total, self.log.in_flight.total())
        try:
            return await handler(request)
        finally:
            self.log.in_flight[host] -= 1

    @web.middleware
    async def _head_modifier(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        head = request.query.get("head")
        if request.method != "HEAD" or head is None:
            return await handler(request)
        if head == "reset":
            return await self._reset(request)
        return web.Response(status=int(head), text="HEAD refused")

    # --- endpoints ---

    def _routes(self) -> dict[str, Handler]:
        return {
            "/ok": self._ok,
            "/page": self._page,
            "/html": self._html,
            "/status/{code}": self._status,
            "/redirect/{code}": self._redirect,
            "/chain/{codes}": self._chain,
            "/loop/{name}": self._loop,
            "/flaky/{key}": self._flaky_endpoint,
            "/cloudflare": self._cloudflare,
            "/delay": self._delay,
            "/hold": self._hold,
            "/set-cookie": self._set_cookie,
            "/drip": self._drip,
            "/huge": self._huge,
            "/bomb/{encoding}": self._bomb,
            "/reset": self._reset,
            "/close": self._close,
            "/reset-mid-body": self._reset_mid_body,
            "/lying-length": self._lying_length,
            "/many-headers": self._many_headers,
        }

    async def _ok(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text="ok")

    async def _page(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text="<html><body><a href='/ok'>ok</a></body></html>",
                            content_type="text/html")

    async def _html(self, request: web.Request) -> web.StreamResponse:
        size = int(request.query.get("size", "1000"))
        return web.Response(body=b"<html>" + b"x" * max(0, size - 6), content_type="text/html")

    async def _status(self, request: web.Request) -> web.StreamResponse:
        return web.Response(
            status=int(request.match_info["code"]),
            reason=request.query.get("reason"),
            text="status",
        )

    async def _redirect(self, request: web.Request) -> web.StreamResponse:
        status = int(request.match_info["code"])
        return web.Response(status=status, headers={"Location": request.query.get("to", "/ok")})

    async def _chain(self, request: web.Request) -> web.StreamResponse:
        first, *rest = request.match_info["codes"].split(",")
        location = "/chain/" + ",".join(rest) if rest else "/ok"
        return web.Response(status=int(first), headers={"Location": location})

    async def _loop(self, request: web.Request) -> web.StreamResponse:
        other = "b" if request.match_info["name"] == "a" else "a"
        return web.Response(status=302, headers={"Location": f"/loop/{other}"})

    async def _flaky_endpoint(self, request: web.Request) -> web.StreamResponse:
        key = (request.host, request.match_info["key"])
        self._flaky[key] += 1
        if self._flaky[key] > int(request.query.get("fail", "1")):
            return web.Response(text="ok")
        headers = {}
        retry_after = request.query.get("retry_after")
        if retry_after is not None and retry_after.startswith("date:"):
            when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=float(retry_after[5:]))
            headers["Retry-After"] = email.utils.format_datetime(when, usegmt=True)
        elif retry_after is not None:
            headers["Retry-After"] = retry_after
        return web.Response(status=int(request.query.get("status", "503")), headers=headers)

    async def _cloudflare(self, request: web.Request) -> web.StreamResponse:
        return web.Response(
            status=403,
            headers={"cf-mitigated": "challenge", "Server": "cloudflare"},
            text="<html><title>Just a moment...</title></html>",
            content_type="text/html",
        )

    async def _delay(self, request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(float(request.query.get("seconds", "0.1")))
        return web.Response(text="ok")

    async def _hold(self, request: web.Request) -> web.StreamResponse:
        try:
            await asyncio.wait_for(self._released.wait(), HOLD_LIMIT)
        except TimeoutError:
            return web.Response(status=504, text="never released")
        return web.Response(text="ok")

    async def _set_cookie(self, request: web.Request) -> web.StreamResponse:
        response = web.Response(status=302, headers={"Location": request.query.get("to", "/ok")})
        response.set_cookie("session", "secret")
        return response

    async def _drip(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        if request.method == "HEAD":
            return response
        every = float(request.query.get("every", "0.1"))
        for _ in range(int(request.query.get("count", "100"))):
            await response.write(b" ")
            await asyncio.sleep(every)
        return response

    async def _huge(self, request: web.Request) -> web.StreamResponse:
        size = int(request.query.get("size", str(HUGE_SIZE)))
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.content_length = size
        await response.prepare(request)
        if request.method == "HEAD":
            return response
        block = bytes(CHUNK)
        sent = 0
        try:
            while sent < size:
                part = block[: size - sent]
                await response.write(part)
                sent += len(part)
                self.log.written[request.path] += len(part)
        except ConnectionError:  # the client read what it wanted and left
            pass
        return response

    async def _bomb(self, request: web.Request) -> web.StreamResponse:
        encoding = request.match_info["encoding"]
        return web.Response(
            body=bomb(encoding),
            headers={"Content-Encoding": encoding, "Content-Type": "text/html"},
        )

    async def _reset(self, request: web.Request) -> web.StreamResponse:
        _reset(request)
        return web.Response()

    async def _close(self, request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    async def _reset_mid_body(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.content_length = 100_000
        await response.prepare(request)
        if request.method == "GET":
            await response.write(b"<html>" + b"x" * 994)
            await asyncio.sleep(0.05)
            _reset(request)
        return response

    async def _lying_length(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.content_length = 1000
        await response.prepare(request)
        if request.method == "GET":
            await response.write(b"<html>0123")
            assert request.transport is not None
            request.transport.close()
        return response

    async def _many_headers(self, request: web.Request) -> web.StreamResponse:
        count = int(request.query.get("n", "10000"))
        return web.Response(headers={f"X-Filler-{i}": "x" for i in range(count)})


class SilentServer:
    """A raw asyncio server that accepts connections and never answers."""

    def __init__(self) -> None:
        self.connections = 0
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", 0)

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        await reader.read()  # until the client gives up

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def close(self) -> None:
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


def closed_port() -> int:
    """A loopback port nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class MappingResolver(AbstractResolver):
    """A resolver from a table, never DNS: name → addresses, or name → a gaierror code.

    Names missing from the table do not exist (EAI_NONAME), like a real NXDOMAIN.
    """

    def __init__(self, table: Mapping[str, Sequence[str] | int]) -> None:
        self._table = dict(table)
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        entry = self._table.get(host, socket.EAI_NONAME)
        if isinstance(entry, int):
            raise socket.gaierror(entry, f"test resolver: {host}")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            )
            for address in entry
        ]

    async def close(self) -> None:
        pass


class RecordingSocketFactory:
    """For aiohttp's `socket_factory`: real sockets for loopback only.

    Any other address is recorded in `refused` and never connected to, so a
    broken guard shows up as a recorded address, not as a packet on the wire.
    """

    def __init__(self) -> None:
        self.refused: list[str] = []
        self.loopback: list[str] = []

    def __call__(self, addr_info: tuple[Any, ...]) -> socket.socket:
        family, kind, proto, _, sockaddr = addr_info
        address = sockaddr[0]
        if ipaddress.ip_address(address).is_loopback:
            self.loopback.append(address)
            return socket.socket(family, kind, proto)
        self.refused.append(address)
        raise OSError(f"test socket factory refuses to connect to {address}")


async def check_one(catalogue: Catalogue, path: str, host: str = HOSTS[0], **config: Any) -> Fetch:
    """Check one catalogue URL with a fresh Checker and `catalogue.config(**config)`."""
    async with Checker(catalogue.config(**config)) as checker:
        return await checker.check(catalogue.url(path, host))


async def check_all(checker: Checker, urls: Iterable[str]) -> dict[str, Fetch]:
    return {url: fetch async for url, fetch in checker.check_many(urls)}
