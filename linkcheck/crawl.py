"""The crawler: from start pages, every page in scope, breadth first.

`runner.crawl` drives it; the crawler only reads pages. Each page it reads
gives the runner its citations (`Citation.source` is the page) and, from the
same GET, the page's own `Fetch`, so a crawled page is never requested again
to check the links to it. What it does not crawl (links out of scope, pages
past `max_depth` or `max_pages`) is left to the runner to check like any link.

- Starts: an http(s) URL, or a folder of a built site (its `index.html`), or
  a page file in one. A folder's pages are files: `/a/` stands for
  `a/index.html`, `/a` for the file `a`, else `a/index.html`, else `a.html`,
  as static servers do; root-relative links resolve against the folder.
- Scope: `scope` prefixes and regular expressions; by default each start's
  site (scheme, host and port) or folder. A start page that redirects to
  another site (http to https, a bare domain to www) brings that site in.
- Order: breadth first by depth, which is the fewest links from a start page
  (sitemap entries are at depth 1). A page is taken only when no page two or
  more levels above it is still being read, so the depth it is taken at is
  its true depth even with many pages in flight.
- Memory: the frontier, the seen set and the anchors of crawled pages live
  in a SQLite file in a temporary folder, keyed by a 64-bit hash of the URL;
  a page's body is dropped once read.
- robots.txt (protego, Scrapy's parser): fetched once per site before its
  first page; Disallow and Allow decide which pages are read, Crawl-delay
  (and Request-rate) become the host's minimum interval in the check stage's
  per-host gates (at most `MAX_CRAWL_DELAY`). A robots.txt that is missing
  (4xx) allows everything; one that cannot be had (5xx, no connection)
  disallows everything, as RFC 9309 says. `<meta name="robots"
  content="nofollow">` stops a page's links from being followed (they are
  still checked). `ignore_robots` turns all of that off, with a warning.
- Sitemaps: `/sitemap.xml` and those robots.txt names, and the sitemaps of
  an index, on each start site; their entries are citations (so a dead entry
  is reported, on the sitemap) and, in scope, pages at depth 1.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import sqlite3
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from protego import Protego
from yarl import URL

from linkcheck.check import Checker, Page
from linkcheck.check.anchors import Anchors, Found, anchors_of, file_anchors
from linkcheck.check.fetch import is_html
from linkcheck.collect import InputError, collect, extract_document
from linkcheck.collect.files import kind_for_name
from linkcheck.config import SCOPE_PREFIX, Config
from linkcheck.models import Citation, Fetch, Verdict
from linkcheck.urls import UrlFilter, fetch_key

Warn = Callable[[str], None]

ALIVE = frozenset({Verdict.OK, Verdict.REDIRECTED, Verdict.MOVED})
SITEMAP_DEPTH = 1
MAX_SITEMAPS = 100  # per site: an index of indexes stops there
MAX_CRAWL_DELAY = 60.0  # seconds; a longer Crawl-delay would only turn pages into timeouts
INDEX_FILES = ("index.html", "index.htm")
PAGE_KINDS = frozenset({"html", "markdown"})  # local files whose links are followed
_DISALLOW_ALL = "User-agent: *\nDisallow: /\n"
_META = re.compile(rb"<meta\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(rb"""([a-z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_UNRESERVED_ESCAPE = re.compile(r"%(?:[46][1-9A-Fa-f]|[57][0-9Aa]|3[0-9]|2[DEde]|5[Ff]|7[Ee])")


@runtime_checkable
class CrawlProgress(Protocol):
    """What a crawl reports as it goes; all calls come from the event loop."""

    def crawled(self, pages: int, frontier: int) -> None: ...


@dataclass(frozen=True, slots=True)
class Start:
    """A start page and the site it stands for: `root` is the default scope
    (an origin with '/', or a folder's file: URI with '/'); `folder` is the
    local folder whose files are the site's pages, if any."""

    url: str
    root: str
    folder: str | None = None


def plan(inputs: Sequence[str]) -> list[Start]:
    """The start pages of the inputs; InputError for one that cannot be crawled."""
    starts = []
    for entry in inputs:
        if entry.lower().startswith(("http://", "https://")):
            key = fetch_key(entry)
            starts.append(Start(key, str(URL(key).origin()) + "/"))
            continue
        path = os.path.abspath(entry)
        if os.path.isdir(path):
            index = next((os.path.join(path, n) for n in INDEX_FILES if _is_file(path, n)), None)
            if index is None:
                raise InputError(f"{entry}: no index.html in this folder to start the crawl from")
            folder = path
        elif os.path.isfile(path):
            index, folder = path, os.path.dirname(path)
        else:
            raise InputError(f"{entry}: no such file, folder or page URL")
        root = Path(folder).as_uri().rstrip("/") + "/"
        starts.append(Start(Path(index).as_uri(), root, folder))
    return starts


class Scope:
    """Which URLs are crawled: prefixes and regular expressions (see config `scope`)."""

    def __init__(self, starts: Sequence[Start], patterns: Sequence[str]) -> None:
        self.default = not patterns
        entries = [start.root for start in starts] if self.default else list(patterns)
        self._prefixes = tuple(
            canonical(entry) if entry.lower().startswith("http") else entry
            for entry in entries
            if SCOPE_PREFIX.match(entry)
        )
        self._patterns = [re.compile(entry) for entry in entries if not SCOPE_PREFIX.match(entry)]

    def __contains__(self, url: str) -> bool:
        return url.startswith(self._prefixes) or any(p.search(url) for p in self._patterns)

    def add_site(self, url: str) -> None:
        """Crawl `url`'s site too (a start page redirected there)."""
        self._prefixes += (str(URL(url).origin()) + "/",)


def canonical(url: str) -> str:
    """The crawl's identity of a page: the fetch key, with escaped unreserved
    characters (`%7E`, `%41`) decoded, which RFC 3986 says changes nothing."""
    key = fetch_key(url)
    if "%" not in key:
        return key
    return _UNRESERVED_ESCAPE.sub(lambda m: unquote(m[0]), key)


class _Store:
    """The frontier, the seen set and crawled pages' anchors, in a SQLite file.

    A page is a row keyed by a 64-bit hash of its canonical URL (`canonical`),
    holding the URL as first found: waiting (state 0) or taken (1). Waiting
    rows are taken by depth, then in the order they were found.
    """

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="linkcheck-crawl-")
        self._db = sqlite3.connect(
            os.path.join(self._folder.name, "crawl.sqlite"),
            isolation_level=None,
            check_same_thread=False,  # read once more after the crawl, off the event loop
        )
        self._db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA cache_size = -8192;
            CREATE TABLE pages (id INTEGER PRIMARY KEY, url TEXT NOT NULL,
                                depth INTEGER NOT NULL, seq INTEGER NOT NULL,
                                state INTEGER NOT NULL);
            CREATE INDEX waiting ON pages (depth, seq) WHERE state = 0;
            CREATE TABLE anchors (id INTEGER PRIMARY KEY, names TEXT NOT NULL,
                                  whole INTEGER NOT NULL);
            """
        )
        self._db.execute("BEGIN")  # one transaction for the whole crawl: nothing to make durable
        self._seq = 0
        self.waiting = 0

    def close(self) -> None:
        self._db.close()
        self._folder.cleanup()

    def add(self, url: str, depth: int) -> None:
        """A page found at `depth`: new, or waiting at a greater depth (then moved up)."""
        page = _id(url)
        row = self._db.execute("SELECT depth, state FROM pages WHERE id = ?", (page,)).fetchone()
        if row is None:
            self._seq += 1
            self._db.execute(
                "INSERT INTO pages VALUES (?, ?, ?, ?, 0)", (page, url, depth, self._seq)
            )
            self.waiting += 1
        elif row[1] == 0 and row[0] > depth:
            self._db.execute("UPDATE pages SET depth = ? WHERE id = ?", (depth, page))

    def take(self, count: int, deepest: int | None) -> list[tuple[str, int]]:
        """Up to `count` waiting pages, shallowest first, none deeper than `deepest`."""
        rows = self._db.execute(
            "SELECT id, url, depth FROM pages WHERE state = 0 AND depth <= ?"
            " ORDER BY depth, seq LIMIT ?",
            (sys.maxsize if deepest is None else deepest, count),
        ).fetchall()
        self._db.executemany("UPDATE pages SET state = 1 WHERE id = ?", [(r[0],) for r in rows])
        self.waiting -= len(rows)
        return [(url, depth) for _, url, depth in rows]

    def claim(self, url: str) -> bool:
        """Take a page now (the end of a redirect); False when it was taken already."""
        page = _id(url)
        row = self._db.execute("SELECT state FROM pages WHERE id = ?", (page,)).fetchone()
        if row is not None and row[0] == 1:
            return False
        if row is None:
            self._seq += 1
            self._db.execute("INSERT INTO pages VALUES (?, ?, 0, ?, 1)", (page, url, self._seq))
        else:
            self._db.execute("UPDATE pages SET state = 1 WHERE id = ?", (page,))
            self.waiting -= 1
        return True

    def taken(self, url: str) -> str | None:
        """The URL, as first found, of the taken page `url` is a spelling of."""
        query = "SELECT url FROM pages WHERE id = ? AND state = 1"
        row = self._db.execute(query, (_id(url),)).fetchone()
        return None if row is None else str(row[0])

    def put_anchors(self, url: str, anchors: Anchors, whole: bool) -> None:
        names = "\n".join(sorted(anchors))
        row = (_id(url), names, whole)
        self._db.execute("INSERT OR REPLACE INTO anchors VALUES (?, ?, ?)", row)

    def anchors(self, url: str) -> Found | None:
        query = "SELECT names, whole FROM anchors WHERE id = ?"
        row = self._db.execute(query, (_id(url),)).fetchone()
        if row is None:
            return None
        return (frozenset(row[0].split("\n")) if row[0] else frozenset()), bool(row[1])


def _id(url: str) -> int:
    digest = hashlib.blake2b(canonical(url).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class _Robots:
    """robots.txt per site, fetched once (concurrent askers wait for the same fetch)."""

    def __init__(self, checker: Checker, config: Config, warn: Warn) -> None:
        self._checker = checker
        self._agent = config.user_agent
        self._warn = warn
        self._sites: dict[str, asyncio.Task[Protego]] = {}

    async def rules(self, url: str) -> Protego:
        origin = str(URL(url).origin())
        task = self._sites.get(origin)
        if task is None:
            task = self._sites[origin] = asyncio.ensure_future(self._load(origin))
        return await asyncio.shield(task)

    async def allowed(self, url: str) -> bool:
        return (await self.rules(url)).can_fetch(url, self._agent)

    def known(self, url: str) -> bool | None:
        """Whether `url` may be crawled, when its site's robots.txt is already read."""
        task = self._sites.get(str(URL(url).origin()))
        if task is None or not task.done() or task.cancelled() or task.exception():
            return None
        return task.result().can_fetch(url, self._agent)

    async def _load(self, origin: str) -> Protego:
        url = origin + "/robots.txt"
        fetch, page = await self._checker.check_page(url, whole_body=True)
        if page is not None and fetch.verdict in ALIVE:
            text = page.body.decode("utf-8", "replace")
        elif fetch.verdict in (Verdict.BROKEN, Verdict.BLOCKED, Verdict.SOFT_404):
            text = ""  # no robots.txt: everything is allowed
        else:
            self._warn(f"{url}: {fetch.reason}; nothing on {origin} is crawled (RFC 9309)")
            text = _DISALLOW_ALL
        rules = Protego.parse(text)
        delay = rules.crawl_delay(self._agent) or 0.0
        rate = rules.request_rate(self._agent)
        if rate is not None and rate.requests:
            delay = max(delay, rate.seconds / rate.requests)
        if delay:
            if delay > MAX_CRAWL_DELAY:
                self._warn(f"{url}: Crawl-delay {delay:g}s is more than {MAX_CRAWL_DELAY:g}s")
                delay = MAX_CRAWL_DELAY
            self._checker.at_least(URL(origin).raw_host or "", delay)
        return rules


class Crawler:
    """One crawl over one open Checker; see the module docstring.

    `cite` receives every citation found, `fetches` (the runner's, by fetch
    key) the verdicts of the pages read and of the pages not to be read.
    """

    def __init__(
        self,
        checker: Checker,
        config: Config,
        starts: Sequence[Start],
        *,
        cite: Callable[[Citation], None],
        fetches: dict[str, Fetch],
        warn: Warn,
        progress: CrawlProgress | None = None,
    ) -> None:
        self._checker = checker
        self._config = config
        self._starts = list(starts)
        self._cite = cite
        self._fetches = fetches
        self._warn = warn
        self._progress = progress
        self.scope = Scope(starts, config.scope)
        self._filter = UrlFilter(config.include, config.exclude)
        self._robots = None if config.ignore_robots else _Robots(checker, config, warn)
        self._folders = sorted((s.root, s.folder) for s in starts if s.folder is not None)
        self._hosts = {URL(s.url).raw_host for s in starts if s.folder is None}
        self._store = _Store()
        self.pages = 0

    def close(self) -> None:
        self._store.close()

    async def run(self, stop: asyncio.Event | None = None) -> bool:
        """Crawl; False when `stop` was set first (the pages read so far stand)."""
        if self._robots is None:
            self._warn("robots.txt ignored (ignore_robots): its rules and Crawl-delay do not apply")
        for start in self._starts:
            self._consider(start.url, 0, start=True)
        if self._config.max_depth != 0:
            sites = {str(URL(s.url).origin()) for s in self._starts if s.folder is None}
            await asyncio.gather(*(self._sitemaps(site) for site in sorted(sites)))
        return await self._loop(stop)

    def internal(self, url: str) -> bool:
        """A link within the crawled sites: its fragment is judged by default."""
        if url.startswith("file:"):
            return True
        return canonical(url) in self.scope or URL(url).raw_host in self._hosts

    def anchors(self, key: str) -> Found | None:
        """The anchors of a crawled page or of a local file (by fetch key)."""
        if key.startswith("file:"):
            path = self._local_path(key)
            names = file_anchors(path) if path is not None else None
            return None if names is None else (names, True)
        return self._store.anchors(key)

    def settle(self, keys: Iterable[str]) -> None:
        """Verdicts for pages in scope the crawl did not read, where they need
        no request: another spelling of a page read (`/%7Ea` for `/~a`), or
        one robots.txt disallows."""
        for key in keys:
            if key in self._fetches or not key.startswith(("http:", "https:")):
                continue
            if canonical(key) not in self.scope:
                continue
            read_as = self._store.taken(key)
            if read_as is not None and read_as in self._fetches:
                self._fetches[key] = self._fetches[read_as]
            elif self._robots is not None and self._robots.known(key) is False:
                self._fetches[key] = Fetch(Verdict.SKIPPED, "disallowed by robots.txt")

    # --- the frontier ---

    async def _loop(self, stop: asyncio.Event | None) -> bool:
        capacity = self._config.max_concurrency
        running: dict[asyncio.Task[None], int] = {}
        stopping = asyncio.ensure_future(stop.wait()) if stop else None
        started = 0
        try:
            while True:
                room = min(capacity - len(running), self._config.max_pages - started)
                if room > 0:
                    deepest = min(running.values()) + 1 if running else None
                    for url, depth in self._store.take(room, deepest):
                        running[asyncio.ensure_future(self._visit(url, depth))] = depth
                        started += 1
                if not running:
                    break
                waiting = set(running) if stopping is None else {*running, stopping}
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if stopping is not None and stopping in done:
                    return False
                for task in done:
                    del running[task]
                    task.result()
                    self.pages += 1
                    if self._progress is not None:
                        self._progress.crawled(self.pages, self._store.waiting)
        finally:
            if stopping is not None:
                stopping.cancel()
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        if self._store.waiting:
            self._warn(
                f"crawl stopped at max_pages ({self._config.max_pages}): "
                f"{self._store.waiting} pages in scope were not crawled (links to them are checked)"
            )
        return True

    def _consider(self, url: str, depth: int, *, start: bool = False) -> None:
        """A link found at `depth`: crawl it later, judge it now, or leave it to the checks."""
        key = fetch_key(url)
        if key in self._fetches or not key.startswith(("http:", "https:", "file:")):
            return
        if not start and canonical(key) not in self.scope:
            return
        excluded = self._filter.excluded(key)
        if excluded:
            self._fetches[key] = Fetch(Verdict.SKIPPED, excluded)
            return
        too_deep = 0 <= self._config.max_depth < depth
        if key.startswith("file:"):
            path = self._local_path(key)
            self._fetches[key] = _local_fetch(key, path)
            if path is None or too_deep or kind_for_name(path.name) not in PAGE_KINDS:
                return
        elif too_deep:
            return
        self._store.add(key, depth)

    # --- reading a page ---

    async def _visit(self, url: str, depth: int) -> None:
        if url.startswith("file:"):
            found, follow = await self._read_file(url)
        else:
            found, follow = await self._read_page(url, depth)
        fetch = self._fetches.get(url)
        if depth == 0 and fetch is not None and fetch.verdict not in ALIVE:
            self._warn(f"{url}: start page not crawled: {fetch.reason}")
        for citation in found:
            self._cite(citation)
        if follow and not 0 <= self._config.max_depth <= depth:
            for citation in found:
                self._consider(citation.resolved, depth + 1)

    async def _read_page(self, url: str, depth: int) -> tuple[list[Citation], bool]:
        if self._robots is not None and not await self._robots.allowed(url):
            self._fetches[url] = Fetch(Verdict.SKIPPED, "disallowed by robots.txt")
            return [], False
        fetch, page = await self._checker.check_page(url)
        self._fetches[url] = fetch
        if page is None or fetch.verdict not in ALIVE or not is_html(page.content_type):
            return [], False
        final = fetch_key(page.final_url)
        if canonical(final) != canonical(url):
            if canonical(final) not in self.scope and depth == 0 and self.scope.default:
                self.scope.add_site(final)
            if canonical(final) not in self.scope or not self._store.claim(final):
                return [], False  # another site's page, or one read already
        try:
            found, anchors, follow = await asyncio.to_thread(self._parse, page)
        except Exception as error:  # one unreadable page must not end a crawl of thousands
            self._warn(f"{url}: cannot read the page: {type(error).__name__}: {error}")
            return [], False
        whole = len(page.body) < self._config.max_body
        for key in {url, final}:
            self._store.put_anchors(key, anchors, whole)
        return found, follow

    def _parse(self, page: Page) -> tuple[list[Citation], Anchors, bool]:
        """A page's citations, anchors and whether its links are followed (in a thread)."""
        found = extract_document(
            page.body,
            source=page.url,
            base=page.final_url,
            kind=None,
            content_type=page.content_type,
            config=self._config,
            warn=self._warn,
        )
        citations = [_interned(citation) for citation in found]
        anchors = anchors_of(page.body, content_type=page.content_type or "text/html")
        return citations, anchors or frozenset(), _follows(page.body)

    async def _read_file(self, url: str) -> tuple[list[Citation], bool]:
        path = self._local_path(url)
        if path is None:
            return [], False
        folder = next((f for r, f in reversed(self._folders) if url.startswith(r)), None)
        local = replace(self._config, base_url=None, root_dir=folder or str(path.parent))

        def read() -> tuple[list[Citation], bool]:
            with path.open("rb") as file:
                head = file.read(65536)
            return [_interned(c) for c in collect([str(path)], local, warn=self._warn)], _follows(
                head
            )

        try:
            return await asyncio.to_thread(read)
        except (OSError, InputError) as error:
            self._warn(f"{path}: cannot read the page: {error}")
            return [], False

    def _local_path(self, url: str) -> Path | None:
        """The file a file: URL in a crawled folder stands for (see the module docstring)."""
        path = Path(url2pathname(urlsplit(url).path))
        if url.endswith("/") or path.is_dir():
            return next((path / n for n in INDEX_FILES if (path / n).is_file()), None)
        if path.is_file():
            return path
        if not path.suffix and path.with_suffix(".html").is_file():
            return path.with_suffix(".html")
        return None

    # --- sitemaps ---

    async def _sitemaps(self, site: str) -> None:
        """Read a site's sitemaps (and the sitemaps of its indexes), breadth first."""
        named = list((await self._robots.rules(site + "/")).sitemaps) if self._robots else []
        queue = deque([(url, True) for url in named] + [(site + "/sitemap.xml", False)])
        seen: set[str] = set()
        while queue and len(seen) < MAX_SITEMAPS:
            url, expected = queue.popleft()
            key = fetch_key(url)
            if key in seen or (self._robots is not None and not await self._robots.allowed(key)):
                continue
            seen.add(key)
            fetch, page = await self._checker.check_page(key, whole_body=True)
            if page is None or fetch.verdict not in ALIVE:
                if expected:
                    self._warn(f"{url}: sitemap not read: {fetch.reason}")
                continue
            found = await asyncio.to_thread(self._sitemap_entries, page)
            for citation in found:
                self._cite(citation)
                if citation.text == "sitemap":
                    queue.append((citation.resolved, True))
                else:
                    self._consider(citation.resolved, SITEMAP_DEPTH)

    def _sitemap_entries(self, page: Page) -> list[Citation]:
        found = extract_document(
            page.body,
            source=page.url,
            base=page.final_url,
            kind="sitemap",
            content_type=page.content_type,
            config=self._config,
            warn=self._warn,
        )
        return [_interned(citation) for citation in found]


def _local_fetch(key: str, path: Path | None) -> Fetch:
    """A file's verdict, as the check stage gives it, with a folder standing for its index."""
    if path is not None:
        return Fetch(Verdict.OK, "file exists")
    folder = Path(url2pathname(urlsplit(key).path))
    if folder.is_dir():
        return Fetch(Verdict.BROKEN, f"no index.html in folder: {folder}")
    return Fetch(Verdict.BROKEN, f"no such file: {folder}")


def _follows(head: bytes) -> bool:
    """False when the page says `<meta name="robots" content="nofollow">` (or "none")."""
    for tag in _META.finditer(head, 0, 65536):
        attributes = {
            m[1].lower(): (m[2] or m[3] or m[4] or b"").lower() for m in _ATTRIBUTE.finditer(tag[0])
        }
        if attributes.get(b"name") == b"robots":
            words = set(re.split(rb"[\s,]+", attributes.get(b"content", b"")))
            if words & {b"nofollow", b"none"}:
                return False
    return True


def _interned(citation: Citation) -> Citation:
    """The citation with its strings shared with every other citation that has
    the same ones: a site's navigation links repeat on every page."""
    return replace(
        citation,
        url=sys.intern(citation.url),
        resolved=sys.intern(citation.resolved),
        text=sys.intern(citation.text),
    )


def _is_file(folder: str, name: str) -> bool:
    return os.path.isfile(os.path.join(folder, name))
