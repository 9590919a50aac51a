"""A local HTTP farm: many virtual hosts on distinct loopback addresses.

Host `i` (0-based) listens on 127.0.0.(2+i) at one shared port (Linux routes
all of 127.0.0.0/8 to the loopback interface). The farm is a minimal
HTTP/1.1 server on `asyncio.Protocol` (keep-alive, HEAD and GET,
Content-Length, no chunking) so that it costs little CPU next to the
checker it serves. The path says how to answer (`<id>`: 1 to 9 digits):

| path | answer |
|---|---|
| `/ok/<id>`, `/ok/<id>-new` | 200, a page of its own |
| `/404/<id>` | 404 |
| `/moved/<id>` | 301 to `/ok/<id>-new` on the same host |
| `/500/<id>` | 500 |
| `/slow/<ms>/<id>` | 200, a page of its own, after `<ms>` more milliseconds |
| anything else | 404 |

As on a real site, a made-up path (say `/ok/3f9a0c...`, a checker's probe
for soft 404s) is not found, and each page has its own title and text, so
that no two pages look alike (pages are small HTML documents of ~80 words).

Every answer waits the farm-wide latency first. The farm counts requests
per (host, method, path) and the peak of requests in flight per host
(received and not yet answered). On SIGTERM (or SIGINT) it writes those
counts and its own CPU time to the `--stats` JSON file and exits.

It is bounded: it exits by itself after `--max-seconds`, when its parent
goes away, and it closes connections once `--max-requests` have been served.

Run: `python -m bench.farm --hosts 100 --port 8937 --latency-ms 50 --stats s.json`;
it prints `READY <port>` on stdout once every host is listening.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import ipaddress
import json
import os
import random
import re
import resource
import signal
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIRST_HOST = ipaddress.IPv4Address("127.0.0.2")
DEFAULT_PORT = 8937
_SUMMARY = "A local HTTP farm of virtual hosts on loopback addresses."

_REASONS = {
    200: b"OK",
    301: b"Moved Permanently",
    400: b"Bad Request",
    404: b"Not Found",
    500: b"Internal Server Error",
}
_ID = re.compile(r"[0-9]{1,9}")
_ERROR_BODY = b"<!doctype html><title>%d %s</title><h1>%s</h1>\n"
_PAGE = "<!doctype html><title>Page {0}</title><h1>Page {0}</h1><p>{1}.</p>\n"

_VOCABULARY = (
    "the of and to in is that for it as was with be by on not he this are or his from "
    "at which but have an they you were her she there one all we their can has been if "
    "more when will would who so no link source archive citation study report data method "
    "result river stone garden window market letter engine planet signal harbor forest "
    "lantern meadow bridge canyon violin pepper copper silver marble velvet thunder glacier"
)
#: The words of the farm's pages and of the corpus's prose.
WORDS = tuple(_VOCABULARY.split())


def page(path: str) -> bytes:
    """The HTML page at `path`: its own title and ~80 words drawn from the path."""
    text = " ".join(random.Random(path).choices(WORDS, k=80))
    return _PAGE.format(path, text).encode()


def host_address(index: int) -> str:
    """The loopback address of virtual host `index` (0-based): 127.0.0.2 for 0."""
    address = FIRST_HOST + index
    if not address.is_loopback or str(address).endswith(".255"):
        raise ValueError(f"host index {index} is outside the usable loopback range")
    return str(address)


def route(path: str) -> tuple[int, float, str | None]:
    """The status, extra delay (seconds) and redirect target path for a request path."""
    match path.split("?", 1)[0].split("/")[1:]:
        case ["ok", name] if _ID.fullmatch(name.removesuffix("-new")):
            return 200, 0.0, None
        case ["moved", name] if _ID.fullmatch(name):
            return 301, 0.0, f"/ok/{name}-new"
        case ["500", name] if _ID.fullmatch(name):
            return 500, 0.0, None
        case ["slow", ms, name] if _ID.fullmatch(ms) and _ID.fullmatch(name):
            return 200, int(ms) / 1000, None
    return 404, 0.0, None


@dataclass(slots=True)
class Stats:
    """What the farm saw; `requests` is keyed by (host, method, path)."""

    requests: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    in_flight: Counter[str] = field(default_factory=Counter)
    peak_in_flight: Counter[str] = field(default_factory=Counter)
    connections: Counter[str] = field(default_factory=Counter)
    total: int = 0

    def begin(self, host: str, method: str, path: str) -> None:
        self.total += 1
        self.requests[host, method, path] += 1
        now = self.in_flight[host] + 1
        self.in_flight[host] = now
        if now > self.peak_in_flight[host]:
            self.peak_in_flight[host] = now

    def end(self, host: str) -> None:
        self.in_flight[host] -= 1

    def to_json(self) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "total": self.total,
            "requests": [[h, m, p, n] for (h, m, p), n in self.requests.items()],
            "peak_in_flight": dict(self.peak_in_flight),
            "connections": dict(self.connections),
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "max_rss_kb": usage.ru_maxrss,
        }


@dataclass(frozen=True, slots=True)
class _Request:
    method: str
    path: str
    close: bool


class FarmProtocol(asyncio.Protocol):
    """One client connection to one virtual host; answers requests in order."""

    def __init__(self, farm: Farm, host: str, authority: str) -> None:
        self._farm = farm
        self._host = host
        self._authority = authority
        self._buffer = bytearray()
        self._pending: deque[_Request] = deque()
        self._busy = False
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._farm.stats.connections[self._host] += 1

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        for _ in self._pending:  # parsed but never answered
            self._farm.stats.end(self._host)
        self._pending.clear()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = bytes(self._buffer[:end]).decode("latin-1")
            lines = head.split("\r\n")
            request_line = lines[0].split(" ")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip().lower()
            body = int(headers.get("content-length", "0") or 0)
            if len(self._buffer) < end + 4 + body:
                break  # the request body has not fully arrived yet
            del self._buffer[: end + 4 + body]
            if len(request_line) != 3:
                self._reply_bad()
                return
            method, path, version = request_line
            close = headers.get("connection") == "close" or (
                version == "HTTP/1.0" and headers.get("connection") != "keep-alive"
            )
            self._farm.stats.begin(self._host, method, path)
            self._pending.append(_Request(method, path, close))
        if not self._busy:
            self._serve()

    def _serve(self) -> None:
        """Answer queued requests; a delayed one resumes the queue from its timer."""
        farm = self._farm
        while self._pending and self._transport is not None:
            if farm.stats.total > farm.max_requests:
                self._transport.close()
                return
            request = self._pending.popleft()
            status, delay, location = route(request.path)
            delay += farm.latency
            if delay > 0:
                self._busy = True
                farm.loop.call_later(delay, self._answer_later, request, status, location)
                return
            self._answer(request, status, location)

    def _answer_later(self, request: _Request, status: int, location: str | None) -> None:
        self._busy = False
        self._answer(request, status, location)
        self._serve()

    def _answer(self, request: _Request, status: int, location: str | None) -> None:
        self._farm.stats.end(self._host)
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        transport.write(
            self._farm.response(
                status, request.method, request.close, request.path, location, self._authority
            )
        )
        if request.close:
            transport.close()

    def _reply_bad(self) -> None:
        if self._transport is not None:
            self._transport.write(self._farm.response(400, "GET", True, "", None, self._authority))
            self._transport.close()


class Farm:
    """All virtual hosts of one farm process, sharing one event loop and one `Stats`."""

    def __init__(self, hosts: int, port: int, latency: float, max_requests: int) -> None:
        self.hosts = hosts
        self.port = port
        self.latency = latency
        self.max_requests = max_requests
        self.stats = Stats()
        self.loop = asyncio.get_running_loop()
        self._servers: list[asyncio.Server] = []
        self._cache: dict[tuple[int, bool, bool], bytes] = {}

    def response(
        self,
        status: int,
        method: str,
        close: bool,
        path: str,
        location: str | None,
        authority: str,
    ) -> bytes:
        """The bytes of one answer; error answers are built once and reused."""
        head_only = method == "HEAD"
        if status == 200:
            return self._build(status, head_only, close, b"", page(path.split("?", 1)[0]))
        if location is not None:
            extra = b"Location: http://%s%s\r\n" % (authority.encode(), location.encode())
            return self._build(status, head_only, close, extra, b"")
        key = (status, head_only, close)
        cached = self._cache.get(key)
        if cached is None:
            reason = _REASONS.get(status, b"Status")
            body = _ERROR_BODY % (status, reason, reason)
            cached = self._cache[key] = self._build(status, head_only, close, b"", body)
        return cached

    @staticmethod
    def _build(status: int, head_only: bool, close: bool, extra: bytes, body: bytes) -> bytes:
        return b"".join(
            (
                b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"Status")),
                b"Content-Type: text/html; charset=utf-8\r\n",
                b"Content-Length: %d\r\n" % len(body),
                b"Connection: close\r\n" if close else b"Connection: keep-alive\r\n",
                extra,
                b"\r\n",
                b"" if head_only else body,
            )
        )

    def _protocol(self, address: str) -> FarmProtocol:
        return FarmProtocol(self, address, f"{address}:{self.port}")  # port known by then

    async def start(self) -> int:
        """Listen on every host address at one port (0: pick one); return the port."""
        for index in range(self.hosts):
            address = host_address(index)
            server = await self.loop.create_server(
                functools.partial(self._protocol, address),
                host=address,
                port=self.port,
                reuse_address=True,
                backlog=4096,
            )
            if self.port == 0:
                self.port = server.sockets[0].getsockname()[1]
            self._servers.append(server)
        return self.port

    async def stop(self) -> None:
        """Stop listening; since Python 3.12 this also waits (at most 5 s) for open connections."""
        for server in self._servers:
            server.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                for server in self._servers:
                    await server.wait_closed()


async def _serve(args: argparse.Namespace) -> dict[str, Any]:
    """Serve until told to stop; return the stats."""
    farm = Farm(args.hosts, args.port, args.latency_ms / 1000, args.max_requests)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        farm.loop.add_signal_handler(signum, stop.set)
    parent = os.getppid()
    deadline = time.monotonic() + args.max_seconds
    try:
        port = await farm.start()
    except OSError as error:
        print(f"FAILED {error}", flush=True)
        raise SystemExit(2) from error
    print(f"READY {port}", flush=True)
    while not stop.is_set():  # the watchdog: stop on signal, deadline or orphaning
        if time.monotonic() > deadline or os.getppid() != parent:
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)
    await farm.stop()
    return farm.stats.to_json()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.farm", description=_SUMMARY)
    parser.add_argument("--hosts", type=int, default=10, help="virtual hosts, from 127.0.0.2")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before every answer")
    parser.add_argument("--stats", help="write the counts to this JSON file on exit")
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="exit after this long")
    parser.add_argument("--max-requests", type=int, default=10_000_000, help="serve no more")
    args = parser.parse_args(argv)
    stats = asyncio.run(_serve(args))
    if args.stats:
        Path(args.stats).write_text(json.dumps(stats))


if __name__ == "__main__":
    main()
