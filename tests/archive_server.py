"""A fake web archive on 127.0.0.1 that speaks the real archives' formats.

`ArchiveServer` is the test-server `Catalogue` (every endpoint of servers.py,
so it also serves the cited pages) plus an archive under the name
`ARCHIVE_HOST`, built from a table of captures that each test fills:
`server.captures[url] = [("20211213094512", 200), ("20211216000000", 404)]`.
`server.archive_config(...)` is a Config whose `[archive]` endpoints point
here, with test-sized pacing.

Endpoints (the original URL is written after the prefix, as the real ones take it):

    /cdx?url=U&output=json&fl=F&filter=[!]statuscode:RE&from=T&to=T&limit=N
                             Wayback CDX: a JSON array, the header row (the `fl`
                             fields) first; `[]` when nothing matches. from/to are
                             inclusive prefixes; limit=-N gives the last N
    /available?url=U&timestamp=T&closest=before|after|either&status_code=S
                             Wayback availability: {"archived_snapshots": {"closest":
                             {"available", "url", "timestamp", "status"}}} or {}
    /timegate/{U}            Memento TimeGate: 302 to the memento closest to
                             Accept-Datetime (either side; the latest without it),
                             Link: original, timemap, that memento; 404 when none
    /timemap/link/{U}        link-format TimeMap of every capture
    /memento/{T}/{U}         the capture, with its status and Memento-Datetime
    /save (POST, url=U)      Save Page Now 2: {"url", "job_id"}; 401 without
                             `Authorization: LOW <SAVE_KEYS>`
    /save/status/{job}       {"status": "pending"} `save_pending` times, then
                             {"status": "success", "timestamp", "original_url"},
                             and the capture is added to the table
    /web/{T}id_/{U}          Wayback raw (`id_`) snapshot: `server.snapshots[U]` as
                             text/html (404 without one, or without `id_`); point
                             `snapshot_url` at `server.archive_url("/web/")` to use it
    /live/{name}             a cited page: `server.live[name]` as text/html (404 without)

Misbehaviour, per endpoint name ("cdx", "available", "timegate", "timemap",
"memento", "save"): `server.down[name] = 503` answers that status every time;
`server.empty.add(name)` makes the CDX or availability API know no capture;
`server.canned[name] = (status, headers, body)` answers exactly that;
`server.limited[name] = N` answers the next N requests 429 (Retry-After: 0);
`server.delay[name] = S` waits S seconds before answering (for the cap tests).
Every request is in `server.log`, as in the catalogue.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import itertools
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import fields
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aiohttp import web
from servers import Catalogue, Handler

from linkcheck.config import ArchiveConfig, Config, TimeGate

ARCHIVE_HOST = "archive.test"
SNAPSHOT_URL = "https://web.archive.org/web/"
SAVE_KEYS = ("test-access", "test-secret")
SAVED_AT = "20261125120000"
FORMAT = "%Y%m%d%H%M%S"

Capture = tuple[str, int]  # (14-digit timestamp, status)


def moment(timestamp: str) -> dt.datetime:
    return dt.datetime.strptime(timestamp, FORMAT).replace(tzinfo=dt.UTC)


def http_date(timestamp: str) -> str:
    return email.utils.format_datetime(moment(timestamp), usegmt=True)


class ArchiveServer(Catalogue):
    """The catalogue plus a fake archive; see the module docstring."""

    def __init__(self) -> None:
        self.captures: dict[str, list[Capture]] = {}
        self.down: dict[str, int] = {}
        self.limited: Counter[str] = Counter()
        self.delay: dict[str, float] = {}
        self.empty: set[str] = set()
        self.canned: dict[str, tuple[int, dict[str, str], str]] = {}
        self.save_pending = 1
        self.snapshots: dict[str, str] = {}
        self.live: dict[str, str] = {}
        self._jobs: dict[str, list[Any]] = {}
        self._job_ids = itertools.count(1)
        super().__init__()

    def resolve(self) -> tuple[str, ...]:
        return (*super().resolve(), f"{ARCHIVE_HOST}:{self.port}:127.0.0.1")

    def archive_url(self, path: str) -> str:
        """A URL of the archive's endpoints (`ARCHIVE_HOST`, resolved to this server)."""
        return self.url(path, host=ARCHIVE_HOST)

    def archive_settings(self, **overrides: Any) -> ArchiveConfig:
        settings: dict[str, Any] = {
            "cdx_url": self.archive_url("/cdx"),
            "availability_url": self.archive_url("/available"),
            "snapshot_url": SNAPSHOT_URL,
            "min_interval": 0.0,
            "save_url": self.archive_url("/save"),
            "save_status_url": self.archive_url("/save/status/"),
            "save_poll_interval": 0.01,
            "save_timeout": 5.0,
        }
        return ArchiveConfig(**{**settings, **overrides})

    def timegate(self, name: str = "fake-memento") -> TimeGate:
        return TimeGate(name, self.archive_url("/timegate/"))

    def archive_config(self, **overrides: Any) -> Config:
        """`config()` with the archive here; keyword arguments are `[archive]`
        keys or, when not, top-level ones."""
        names = {f.name for f in fields(ArchiveConfig)}
        archive = {key: value for key, value in overrides.items() if key in names}
        rest = {key: value for key, value in overrides.items() if key not in names}
        return self.config(archive=self.archive_settings(**archive), **rest)

    def requests_to(self, path: str) -> list[dict[str, str]]:
        """The query of every request the archive got at `path`, in order."""
        return [
            dict(parse_qsl(urlsplit(seen.path_qs).query))
            for seen in self.log.matching(path, host=ARCHIVE_HOST)
        ]

    # --- the archive's table ---

    def _table(self, url: str) -> list[Capture]:
        return sorted(self.captures.get(url, []))

    def _closest(
        self, url: str, when: str | None, side: str, status: str | None = None
    ) -> Capture | None:
        table = [c for c in self._table(url) if status is None or str(c[1]) == status]
        if when is None:
            return table[-1] if table else None
        if side == "before":
            table = [c for c in table if c[0][: len(when)] <= when]
            return table[-1] if table else None
        if side == "after":
            table = [c for c in table if c[0][: len(when)] >= when]
            return table[0] if table else None
        target = moment(when.ljust(14, "0"))
        return min(table, key=lambda c: abs(moment(c[0]) - target), default=None)

    # --- routes ---

    def _routes(self) -> dict[str, Handler]:
        return {
            **super()._routes(),
            "/cdx": self._misbehaving("cdx", self._cdx),
            "/available": self._misbehaving("available", self._available),
            "/timegate/{url:.+}": self._misbehaving("timegate", self._timegate),
            "/timemap/link/{url:.+}": self._misbehaving("timemap", self._timemap),
            "/memento/{ts}/{url:.+}": self._misbehaving("memento", self._memento),
            "/save": self._misbehaving("save", self._save),
            "/save/status/{job}": self._misbehaving("save", self._save_status),
            "/web/{ts}/{url:.+}": self._misbehaving("web", self._raw_snapshot),
            "/live/{name}": self._live,
        }

    def _misbehaving(self, name: str, handler: Handler) -> Handler:
        async def answer(request: web.Request) -> web.StreamResponse:
            await asyncio.sleep(self.delay.get(name, 0.0))
            if name in self.down:
                return web.Response(status=self.down[name], text="archive down")
            if self.limited[name] > 0:
                self.limited[name] -= 1
                return web.Response(status=429, headers={"Retry-After": "0"}, text="slow down")
            if name in self.canned:
                status, headers, body = self.canned[name]
                return web.Response(status=status, headers=headers, text=body)
            if name in self.empty:
                return web.json_response([] if name == "cdx" else {"archived_snapshots": {}})
            return await handler(request)

        return answer

    @staticmethod
    def _original(request: web.Request, prefix: Callable[[str], int]) -> str:
        """The original URL written after an endpoint's prefix in the raw path."""
        raw = request.raw_path
        return raw[prefix(raw) :]

    async def _cdx(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        fields = query.get("fl", "urlkey,timestamp,original,mimetype,statuscode,digest,length")
        rows = self._table(query["url"])
        if "filter" in query:
            negate, _, pattern = query["filter"].partition("statuscode:")
            keep = [re.fullmatch(pattern, str(status)) is not None for _, status in rows]
            rows = [row for row, kept in zip(rows, keep, strict=True) if kept != bool(negate)]
        if "from" in query:
            rows = [row for row in rows if row[0][: len(query["from"])] >= query["from"]]
        if "to" in query:
            rows = [row for row in rows if row[0][: len(query["to"])] <= query["to"]]
        limit = int(query.get("limit", "0"))
        rows = rows[:limit] if limit > 0 else rows[limit:] if limit < 0 else rows
        names = fields.split(",")
        values = {"original": query["url"], "mimetype": "text/html", "urlkey": "key"}
        table = [
            [{**values, "timestamp": ts, "statuscode": str(status)}.get(n, "-") for n in names]
            for ts, status in rows
        ]
        return web.json_response([names, *table] if table else [])

    async def _available(self, request: web.Request) -> web.StreamResponse:
        url = request.query["url"]
        query = request.query
        found = self._closest(
            url, query.get("timestamp"), query.get("closest", ""), query.get("status_code")
        )
        if found is None:
            return web.json_response({"url": url, "archived_snapshots": {}})
        ts, status = found
        closest = {
            "available": True,
            "url": f"http://web.archive.org/web/{ts}/{url}",
            "timestamp": ts,
            "status": str(status),
        }
        return web.json_response({"url": url, "archived_snapshots": {"closest": closest}})

    async def _timegate(self, request: web.Request) -> web.StreamResponse:
        url = self._original(request, lambda raw: len("/timegate/"))
        wanted = request.headers.get("Accept-Datetime")
        when = email.utils.parsedate_to_datetime(wanted).strftime(FORMAT) if wanted else None
        found = self._closest(url, when, "either")
        if found is None:
            return web.Response(status=404, text="no memento")
        memento = self.archive_url(f"/memento/{found[0]}/{url}")
        links = [
            f'<{url}>; rel="original"',
            f'<{self.archive_url("/timemap/link/" + url)}>; rel="timemap"; '
            'type="application/link-format"',
            f'<{memento}>; rel="memento"; datetime="{http_date(found[0])}"',
        ]
        headers = {"Location": memento, "Vary": "accept-datetime", "Link": ", ".join(links)}
        return web.Response(status=302, headers=headers)

    async def _timemap(self, request: web.Request) -> web.StreamResponse:
        url = self._original(request, lambda raw: len("/timemap/link/"))
        table = self._table(url)
        if not table:
            return web.Response(status=404, text="no timemap")
        entries = [
            f'<{url}>; rel="original"',
            f'<{self.archive_url("/timegate/" + url)}>; rel="timegate"',
        ]
        for number, (ts, _) in enumerate(table):
            rel = "first memento" if number == 0 else "memento"
            memento = self.archive_url(f"/memento/{ts}/{url}")
            entries.append(f'<{memento}>; rel="{rel}"; datetime="{http_date(ts)}"')
        return web.Response(text=",\n".join(entries), content_type="application/link-format")

    async def _memento(self, request: web.Request) -> web.StreamResponse:
        ts = request.match_info["ts"]
        url = self._original(request, lambda raw: raw.index("/", len("/memento/")) + 1)
        status = dict(self._table(url)).get(ts)
        if status is None:
            return web.Response(status=404, text="no such memento")
        headers = {"Memento-Datetime": http_date(ts), "Link": f'<{url}>; rel="original"'}
        return web.Response(status=status, headers=headers, text=f"archived {url} at {ts}")

    async def _raw_snapshot(self, request: web.Request) -> web.StreamResponse:
        url = self._original(request, lambda raw: raw.index("/", len("/web/")) + 1)
        body = self.snapshots.get(url)
        if body is None or not request.match_info["ts"].endswith("id_"):
            return web.Response(status=404, text="no such snapshot")
        return web.Response(text=body, content_type="text/html")

    async def _live(self, request: web.Request) -> web.StreamResponse:
        body = self.live.get(request.match_info["name"])
        if body is None:
            return web.Response(status=404, text="no such page")
        return web.Response(text=body, content_type="text/html")

    async def _save(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != "LOW {}:{}".format(*SAVE_KEYS):
            return web.json_response({"message": "You need to be logged in"}, status=401)
        url = (await request.post())["url"]
        job = f"spn2-{next(self._job_ids)}"
        self._jobs[job] = [str(url), self.save_pending]
        return web.json_response({"url": url, "job_id": job})

    async def _save_status(self, request: web.Request) -> web.StreamResponse:
        job = self._jobs.get(request.match_info["job"])
        if job is None:
            return web.json_response({"status": "error", "message": "no such job"})
        if job[1] > 0:
            job[1] -= 1
            return web.json_response({"status": "pending", "job_id": request.match_info["job"]})
        self.captures.setdefault(job[0], []).append((SAVED_AT, 200))
        return web.json_response(
            {"status": "success", "timestamp": SAVED_AT, "original_url": job[0]}
        )


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[ArchiveServer]:
    """A started ArchiveServer, closed afterwards (each test module's fixture uses it)."""
    server = ArchiveServer()
    await server.start()
    try:
        yield server
    finally:
        await server.close()
