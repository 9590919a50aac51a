"""Servers for the fault-injection suite (`test_faults.py`) and its benchmark (`bench/faults.py`).

Everything here listens on `ADDRESS` (127.0.0.2), not 127.0.0.1: the suite
runs with `allow_private = false` and allows only `ADDRESS`, so that
127.0.0.1 can stand for "a private address the guard must refuse" while no
packet can leave loopback (names come from a `MappingResolver`, sockets from
a `RecordingSocketFactory`).

- `FaultCatalogue`: the whole `servers.Catalogue` on ADDRESS, plus
  `/bomb/br` (BOMB_SIZE spaces, brotli-compressed), `/forever/{n}` (302 to
  `/forever/{n+1}`: an endless redirect that never repeats a URL) and
  `/long-header?size=N` (one header of N bytes, default 1 MiB); `/bomb/{x}`
  answers 404 for an `x` other than gzip and deflate.
- `SilentAt`: `servers.SilentServer` (accepts, never answers) on ADDRESS.
- `DroppingServer`: a minimal keep-alive HTTP/1.1 server that drops the
  connection instead of answering a share of the requests (see its docstring).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import socket
import struct
import time
from collections import Counter
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from servers import BOMB_SIZE, Catalogue, Handler, SilentServer

ADDRESS = "127.0.0.2"


@functools.cache
def brotli_bomb() -> bytes:
    """BOMB_SIZE spaces, brotli-compressed (a few hundred bytes; built once per process)."""
    import brotli  # optional: only aiohttp with brotli installed advertises `br`

    compressor = brotli.Compressor(quality=5)
    block = b" " * (1 << 20)
    parts = [compressor.process(block) for _ in range(BOMB_SIZE >> 20)]
    return b"".join([*parts, compressor.finish()])


class FaultCatalogue(Catalogue):
    """The catalogue, bound to ADDRESS, with the endpoints of the module docstring."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._server = TestServer(self._server.app, host=ADDRESS)

    def _routes(self) -> dict[str, Handler]:
        return {
            **super()._routes(),
            "/bomb/br": self._brotli_bomb,
            "/forever/{n}": self._forever,
            "/long-header": self._long_header,
        }

    async def _bomb(self, request: web.Request) -> web.StreamResponse:
        """Only the two bombs there are: the parent builds (and caches) a new one for
        any name, such as a soft-404 probe's random path, inside the measurement."""
        if request.match_info["encoding"] not in ("gzip", "deflate"):
            return web.Response(status=404, text="no such bomb")
        return await super()._bomb(request)

    async def _brotli_bomb(self, request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=brotli_bomb(), headers={"Content-Encoding": "br", "Content-Type": "text/html"}
        )

    async def _forever(self, request: web.Request) -> web.StreamResponse:
        following = int(request.match_info["n"]) + 1
        return web.Response(status=302, headers={"Location": f"/forever/{following}"})

    async def _long_header(self, request: web.Request) -> web.StreamResponse:
        size = int(request.query.get("size", str(1 << 20)))
        return web.Response(headers={"X-Filler": "x" * size})


class SilentAt(SilentServer):
    """A server that accepts connections on ADDRESS and never answers."""

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._hold, ADDRESS, 0)

    def url(self, path: str = "/", host: str = ADDRESS) -> str:
        return f"http://{host}:{self.port}{path}"


class DroppingServer:
    """Keep-alive HTTP/1.1 on ADDRESS that drops a share of requests' connections.

    Whether the n-th request for a path is dropped is a pure function of
    (seed, path, n), so a run drops the same requests whatever the
    interleaving; a drop is a reset (RST) or a close without an answer (FIN),
    half each. `answered` and `dropped` count requests by path: the truth
    that verdicts are checked against (a path answered at least once must be
    `ok` or `broken` as its kind says; one never answered must be `error`).

        /page/<n>   200 text/html, n of 1 to 8 digits (a soft-404 probe's
                    random sibling is 16 hex digits, so it gets 404)
        /gone/<n>   404
        /dead/<n>   always dropped
        else        404

    Requests without a body only (HEAD, GET); a malformed request line
    closes the connection.
    """

    def __init__(self, *, drop_rate: float, seed: int = 0) -> None:
        self.drop_rate = drop_rate
        self._key = seed.to_bytes(8, "big")
        self.answered: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        self._seen: Counter[str] = Counter()
        self.last_request = 0.0  # time.monotonic() of the latest request
        self._server: asyncio.Server | None = None
        self.connections: set[asyncio.Transport] = set()

    async def start(self, port: int = 0) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _DroppingProtocol(self), ADDRESS, port, backlog=1024
        )

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for transport in list(self.connections):  # Python 3.11 has no close_clients()
                transport.abort()
            await self._server.wait_closed()

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def requests(self) -> int:
        return self.answered.total() + self.dropped.total()

    def url(self, path: str, host: str) -> str:
        return f"http://{host}:{self.port}{path}"

    def decide(self, path: str) -> str | None:
        """ "reset" or "close" when this request for `path` is dropped, else None."""
        self._seen[path] += 1
        self.last_request = time.monotonic()
        if path.startswith("/dead/"):
            return "reset"
        digest = hashlib.blake2b(
            f"{path}#{self._seen[path]}".encode(), key=self._key, digest_size=8
        ).digest()
        draw = int.from_bytes(digest, "big")
        if draw >= self.drop_rate * 2**64:
            return None
        return "reset" if draw & 1 else "close"

    @staticmethod
    def answer(method: str, path: str) -> bytes:
        parts = path.split("?", 1)[0].split("/")
        ok = len(parts) == 3 and parts[1] == "page" and parts[2].isdecimal() and len(parts[2]) <= 8
        status = b"200 OK" if ok else b"404 Not Found"
        body = _page(parts[2]) if ok else b"<!doctype html><title>Not found</title><p>No such page."
        return b"".join((
            b"HTTP/1.1 ", status, b"\r\nContent-Type: text/html; charset=utf-8\r\n",
            b"Content-Length: %d\r\n\r\n" % len(body), b"" if method == "HEAD" else body,
        ))  # fmt: skip


def _page(number: str) -> bytes:
    return (
        f"<!doctype html><title>Report {number}</title><h1>Report {number}</h1>"
        f"<p>Findings of study {number}: a page that exists.</p>"
    ).encode()


class _DroppingProtocol(asyncio.Protocol):
    def __init__(self, server: DroppingServer) -> None:
        self._server = server
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._server.connections.add(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._server.connections.discard(self._transport)
        self._transport = None

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self._transport is not None and (end := self._buffer.find(b"\r\n\r\n")) >= 0:
            head = bytes(self._buffer[:end]).decode("latin-1")
            del self._buffer[: end + 4]
            request_line = head.split("\r\n", 1)[0].split(" ")
            if len(request_line) != 3:
                self._transport.close()
                return
            method, path, _ = request_line
            drop = self._server.decide(path)
            if drop is None:
                self._server.answered[path] += 1
                self._transport.write(self._server.answer(method, path))
                continue
            self._server.dropped[path] += 1
            if drop == "reset":
                sock = self._transport.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self._transport.abort()
            else:
                self._transport.close()
            return
