"""A multi-page website on 127.0.0.1 for the crawl tests, in the catalogue's style.

`SiteServer(pages)` serves a table of pages: a key `/path` (the query
included when it has one) answers on every host name, a key `host/path` on
that host only and first. A value is a `Page` (which may answer late), or a string
for a 200 HTML page. Anything else is a 404. As in `servers.py`, tests reach it under the
names of `HOSTS` through `SiteServer.config()` (the names resolve to
127.0.0.1; archive lookups are off) and build URLs with `url(path, host)`.
`log` records every request with the server's clock, as the catalogue's does.

`html(...)` writes a page: links, elements with ids, `<a name>`s, a head.
`generated(count, fanout)` is a site made on the fly: page `/gen/{i}` links
to home, to its parent and to its children `/gen/{fanout*i+1}` ...
`/gen/{fanout*i+fanout}` (those below `count`), to its own `#part-{i}`, and
to one page of another host (`b.test`, or `external` when given); pages
`/gen/{i}` with `i >= count` are 404s, so the site has exactly `count`
pages besides `/`. `bench/crawl.py` serves it at 100,000 pages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from servers import HOSTS, Handler, Log, Seen, fast_config

from linkcheck.config import ArchiveConfig, Config


@dataclass(frozen=True, slots=True)
class Page:
    """One answer: a body with its type and status, or a redirect; after `delay` seconds."""

    body: str = ""
    status: int = 200
    content_type: str = "text/html"
    location: str | None = None
    delay: float = 0.0


def html(
    *links: str, ids: Iterable[str] = (), names: Iterable[str] = (), head: str = "", title: str = ""
) -> str:
    """A page linking to each of `links`, an element for each id, an `<a name>` for each name."""
    anchors = "".join(f'<h2 id="{i}">{i}</h2>' for i in ids)
    named = "".join(f'<a name="{n}"></a>' for n in names)
    items = "".join(f'<li><a href="{link}">link {n}</a></li>' for n, link in enumerate(links))
    return (
        f"<!doctype html><html><head><title>{title or 'page'}</title>{head}</head>"
        f"<body>{anchors}{named}<ul>{items}</ul></body></html>"
    )


def generated_page(index: int, count: int, fanout: int, external: str) -> str:
    """Page `index` of a generated site (see the module docstring)."""
    children = [f"/gen/{c}" for c in range(fanout * index + 1, fanout * index + fanout + 1)]
    parent = f"/gen/{(index - 1) // fanout}" if index else "/"
    links = ["/", parent, *[c for c in children if int(c[5:]) < count], f"#part-{index}"]
    other = f"{external}/ext/{index % 50}"
    return html(*links, other, ids=[f"part-{index}"], title=f"page {index}")


class SiteServer:
    """The pages above on one loopback server; see the module docstring."""

    def __init__(
        self,
        pages: Mapping[str, Page | str] | None = None,
        *,
        generated: int = 0,
        fanout: int = 5,
        external: str | None = None,
    ) -> None:
        self.log = Log()
        self.pages = {key: Page(value) if isinstance(value, str) else value
                      for key, value in (pages or {}).items()}
        self.generated = generated
        self.fanout = fanout
        self._external = external
        app = web.Application(middlewares=[self._record])
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._server = TestServer(app, host="127.0.0.1")
        self._port = 0

    async def start(self) -> None:
        await self._server.start_server()
        assert self._server.port is not None
        self._port = self._server.port  # kept after close, for URLs in assertions

    async def close(self) -> None:
        await self._server.close()

    async def __aenter__(self) -> SiteServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def port(self) -> int:
        return self._port

    def url(self, path: str = "/", host: str = HOSTS[0]) -> str:
        return f"http://{host}:{self.port}{path}"

    def config(self, **overrides: Any) -> Config:
        """`fast_config` with HOSTS resolved here, no archive lookups and no soft-404
        probes (they would be requests of their own in the log)."""
        settings: dict[str, Any] = {
            "resolve": tuple(f"{host}:{self.port}:127.0.0.1" for host in HOSTS),
            "archive": ArchiveConfig(lookup="never"),
            "soft_404": False,
            "retries": 0,
        }
        return fast_config(**{**settings, **overrides})

    def paths(self, method: str = "GET", host: str = HOSTS[0]) -> list[str]:
        """The paths requested with `method` on `host`, in order."""
        return [seen.path_qs for seen in self.log.requests
                if seen.method == method and seen.host == host]

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        assert request.transport is not None
        self.log.requests.append(
            Seen(
                request.url.host or "", request.method, request.path, request.path_qs,
                request.headers, asyncio.get_running_loop().time(),
                request.transport.get_extra_info("peername")[1],
            )
        )
        return await handler(request)

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        query = request.query_string
        page = self.page(request.url.host or "", request.path + (f"?{query}" if query else ""))
        if page is None:
            return web.Response(status=404, text="<h1>Not found</h1>", content_type="text/html")
        await asyncio.sleep(page.delay)
        headers = {"Location": page.location} if page.location else {}
        body = "" if request.method == "HEAD" else page.body
        response = web.Response(status=page.status, text=body, headers=headers)
        response.content_type = page.content_type
        return response

    def page(self, host: str, path: str) -> Page | None:
        found = self.pages.get(f"{host}{path}") or self.pages.get(path)
        if found is not None or not self.generated:
            return found
        if path == "/":
            return Page(html("/gen/0", title="home"))
        name = path.removeprefix("/gen/")
        if name != path and name.isdigit() and int(name) < self.generated:
            external = self._external or self.url("", HOSTS[1])
            return Page(generated_page(int(name), self.generated, self.fanout, external))
        if path.startswith("/ext/"):
            return Page("external page", content_type="text/plain")
        return None

