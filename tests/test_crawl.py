"""Crawling a site: breadth first in scope, every page read once, robots.txt and
sitemaps honoured, every link checked and reported on each page it is on."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from pathlib import Path

import pytest
from servers import HOSTS
from site_server import Page, SiteServer, html

from linkcheck.collect import InputError
from linkcheck.models import Report, Result, Verdict
from linkcheck.runner import crawl

SITEMAP = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</urlset>'
)
INDEX = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</sitemapindex>'
)


def sitemap(*urls: str, index: bool = False) -> Page:
    entry = "<sitemap><loc>{}</loc></sitemap>" if index else "<url><loc>{}</loc></url>"
    body = (INDEX if index else SITEMAP).format("".join(entry.format(u) for u in urls))
    return Page(body, content_type="application/xml")


def robots(text: str) -> Page:
    return Page(text, content_type="text/plain")


def by_url(report: Report) -> dict[str, Result]:
    return {result.url: result for result in report.results}


def crawled(site: SiteServer) -> Counter[str]:
    """GETs per path on the site's first host (robots.txt and sitemaps left out)."""
    return Counter(
        path for path in site.paths("GET")
        if path != "/robots.txt" and not path.startswith("/sitemap")
    )


# --- breadth first, depth, pages ---


async def test_a_generated_site_is_crawled_whole_each_page_once() -> None:
    async with SiteServer(generated=2000, fanout=6) as site:
        report = await crawl([site.url("/")], site.config(host_concurrency=8, max_concurrency=32))
    gets = crawled(site)
    assert len(gets) == 2001  # / and /gen/0 ... /gen/1999
    assert set(gets.values()) == {1}
    assert sorted(site.paths("HEAD", HOSTS[1])) == sorted(f"/ext/{i}" for i in range(50))
    assert site.paths("HEAD") == []  # no page of the site is requested twice
    assert report.complete
    assert set(report.counts()) == {Verdict.OK}
    assert report.documents == 2001


async def test_max_depth_stops_following_links_but_still_checks_them() -> None:
    async with SiteServer(generated=200, fanout=3) as site:
        report = await crawl([site.url("/")], site.config(max_depth=2))
    # / (0) -> /gen/0 (1) -> /gen/1..3 (2): read; their links (depth 3) only checked.
    assert set(crawled(site)) == {"/", "/gen/0", "/gen/1", "/gen/2", "/gen/3"}
    assert sorted(site.paths("HEAD")) == sorted(f"/gen/{i}" for i in range(4, 13))
    assert by_url(report)[site.url("/gen/12")].verdict is Verdict.OK


async def test_breadth_first_reads_every_page_at_its_shallowest_depth() -> None:
    # /a is at depth 2 through /slow, and at depth 3 through a chain that answers first.
    pages = {
        "/": html("/chain1", "/slow"),
        "/chain1": html("/chain2"),
        "/chain2": html("/a"),
        "/slow": Page(html("/a"), delay=0.3),
        "/a": html("/b"),
        "/b": html("/c"),
        "/c": html(),
    }
    async with SiteServer(pages) as site:
        await crawl([site.url("/")], site.config(max_depth=3))
    assert set(crawled(site)) == {"/", "/chain1", "/chain2", "/slow", "/a", "/b"}
    assert site.paths("HEAD") == ["/c"]


async def test_max_pages_is_a_cap_and_the_rest_are_checked() -> None:
    async with SiteServer(generated=100, fanout=10) as site:
        report = await crawl([site.url("/")], site.config(max_pages=5, max_concurrency=1))
    assert len(crawled(site)) == 5
    assert any("max_pages (5)" in warning for warning in report.warnings)
    assert {r.verdict for r in report.results} == {Verdict.OK}


async def test_cycles_and_many_spellings_of_one_page_read_it_once() -> None:
    async with SiteServer() as site:
        origin = site.url("").upper().replace("HTTP://", "http://")  # http://A.TEST:port
        site.pages.update({
            "/": Page(html("/a", "./a", "/x/../a", f"{origin}/a", "/a#part", "/%61", "a?", "/a?x")),
            "/a": Page(html("/b", "/")),
            "/b": Page(html("/a", "/")),
        })
        report = await crawl([site.url("/")], site.config())
    assert crawled(site) == {"/": 1, "/a": 1, "/b": 1, "/a?x": 1}  # a query is another page
    assert site.paths("HEAD") == []
    results = by_url(report)
    assert results[site.url("/%61")].fetch == results[site.url("/a")].fetch


async def test_a_broken_internal_link_is_reported_with_every_page_it_is_on() -> None:
    pages = {
        "/": html("/one", "/two", "/three"),
        "/one": html("/missing"),
        "/two": html("/missing", "/missing"),
        "/three": html("/fine"),
        "/fine": html(),
    }
    async with SiteServer(pages) as site:
        report = await crawl([site.url("/")], site.config())
    broken = by_url(report)[site.url("/missing")]
    assert broken.verdict is Verdict.BROKEN
    assert sorted(c.source for c in broken.citations) == [  # in the order pages were read
        site.url("/one"), site.url("/two"), site.url("/two")
    ]
    assert crawled(site)["/missing"] == 1  # read once, as a page, not checked again


async def test_a_redirect_is_followed_and_its_end_read_once() -> None:
    pages = {
        "/": html("/old", "/new"),
        "/old": Page(status=301, location="/new"),
        "/new": html("/leaf"),
        "/leaf": html(),
    }
    async with SiteServer(pages) as site:
        report = await crawl([site.url("/")], site.config(max_concurrency=1))
    assert crawled(site) == {"/": 1, "/old": 1, "/new": 1, "/leaf": 1}
    assert by_url(report)[site.url("/old")].verdict is Verdict.MOVED
    assert by_url(report)[site.url("/leaf")].verdict is Verdict.OK


# --- scope ---


async def test_other_sites_are_checked_not_crawled() -> None:
    async with SiteServer() as site:
        site.pages.update({
            "/": Page(html("/in", site.url("/out", HOSTS[1]))),
            "/in": Page(html()),
            f"{HOSTS[1]}/out": Page(html("/deeper")),
        })
        report = await crawl([site.url("/")], site.config())
    assert site.paths("HEAD", HOSTS[1]) == ["/out"]
    assert site.paths("GET", HOSTS[1]) == []
    assert by_url(report)[site.url("/out", HOSTS[1])].verdict is Verdict.OK


@pytest.mark.parametrize(
    "scope",
    [["http://a.test:{port}/docs/"], [r"/docs/"], [r"^http://a\.test:\d+/docs/"]],
)
async def test_scope_by_prefix_or_regex(scope: list[str]) -> None:
    pages = {
        "/docs/": html("/docs/a", "/blog/"),
        "/docs/a": html("/docs/b"),
        "/docs/b": html(),
        "/blog/": html("/blog/post"),
    }
    async with SiteServer(pages) as site:
        wanted = tuple(entry.format(port=site.port) for entry in scope)
        await crawl([site.url("/docs/")], site.config(scope=wanted))
    assert set(crawled(site)) == {"/docs/", "/docs/a", "/docs/b"}
    assert site.paths("HEAD") == ["/blog/"]


async def test_a_start_page_that_redirects_to_another_site_brings_it_in_scope() -> None:
    async with SiteServer() as site:
        site.pages.update({
            f"{HOSTS[0]}/": Page(status=301, location=site.url("/", HOSTS[1])),
            f"{HOSTS[1]}/": Page(html("/page")),
            f"{HOSTS[1]}/page": Page(html()),
        })
        await crawl([site.url("/")], site.config())
    assert site.paths("GET", HOSTS[1]).count("/page") == 1


# --- robots.txt ---


async def test_robots_disallow_and_allow_decide_what_is_read() -> None:
    rules = (
        "User-agent: *\nDisallow: /\n\n"
        "User-agent: linkcheck\nDisallow: /private/\nAllow: /private/open\n"
    )
    pages = {
        "/robots.txt": robots(rules),
        "/": html("/public", "/private/secret", "/private/open"),
        "/public": html("/private/other"),
        "/private/secret": html("/never"),
        "/private/open": html(),
    }
    async with SiteServer(pages) as site:
        report = await crawl([site.url("/")], site.config())
    assert set(crawled(site)) == {"/", "/public", "/private/open"}
    assert site.paths("HEAD") == []
    secret = by_url(report)[site.url("/private/secret")]
    assert secret.verdict is Verdict.SKIPPED
    assert secret.fetch.reason == "disallowed by robots.txt"
    assert by_url(report)[site.url("/private/other")].verdict is Verdict.SKIPPED


async def test_ignore_robots_reads_everything_and_says_so() -> None:
    pages = {"/robots.txt": robots("User-agent: *\nDisallow: /\n"), "/": html("/a"), "/a": html()}
    async with SiteServer(pages) as site:
        report = await crawl([site.url("/")], site.config(ignore_robots=True))
    assert set(crawled(site)) == {"/", "/a"}
    assert "/robots.txt" not in site.paths("GET")
    assert any("robots.txt ignored" in warning for warning in report.warnings)


async def test_an_unreachable_robots_txt_disallows_everything() -> None:
    pages = {"/robots.txt": Page("down", status=500), "/": html("/a")}
    async with SiteServer(pages) as site:
        report = await crawl([site.url("/")], site.config())
    assert crawled(site) == {}
    assert any("nothing on" in warning for warning in report.warnings)


async def test_crawl_delay_spaces_the_pages_by_the_servers_clock() -> None:
    pages = {
        "/robots.txt": robots("User-agent: *\nCrawl-delay: 0.2\n"),
        "/": html(*[f"/p{i}" for i in range(4)]),
        **{f"/p{i}": html() for i in range(4)},
    }
    async with SiteServer(pages) as site:
        await crawl([site.url("/")], site.config(host_concurrency=4))
    times = [seen.at for seen in site.log.requests if seen.path != "/robots.txt"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(gaps) >= 5
    assert min(gaps) >= 0.15  # requests are spaced at the client: arrivals may differ a little


async def test_meta_robots_nofollow_checks_a_pages_links_without_crawling_them() -> None:
    pages = {
        "/": html("/stop"),
        "/stop": html("/beyond", head='<meta content="noindex, nofollow" name="ROBOTS">'),
        "/beyond": html("/further"),
    }
    async with SiteServer(pages) as site:
        report = await crawl([site.url("/")], site.config())
    assert set(crawled(site)) == {"/", "/stop"}
    assert site.paths("HEAD") == ["/beyond"]
    assert by_url(report)[site.url("/beyond")].verdict is Verdict.OK


# --- sitemaps ---


async def test_sitemaps_find_pages_no_link_reaches_and_are_reported() -> None:
    async with SiteServer() as site:
        site.pages.update({
            "/robots.txt": robots(f"User-agent: *\nAllow: /\nSitemap: {site.url('/maps.xml')}\n"),
            "/": Page(html()),
            "/maps.xml": sitemap(site.url("/sitemap-pages.xml"), index=True),
            "/sitemap-pages.xml": sitemap(site.url("/orphan"), site.url("/gone")),
            "/sitemap.xml": sitemap(site.url("/listed")),
            "/orphan": Page(html("/child")),
            "/child": Page(html()),
            "/listed": Page(html()),
        })
        report = await crawl([site.url("/")], site.config())
    assert {"/orphan", "/child", "/listed", "/gone"} <= set(crawled(site))
    gone = by_url(report)[site.url("/gone")]
    assert gone.verdict is Verdict.BROKEN
    assert [c.source for c in gone.citations] == [site.url("/sitemap-pages.xml")]


# --- a built site in a folder ---


def build(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


async def test_a_folder_is_crawled_from_its_index_with_links_resolved_to_files(
    tmp_path: Path,
) -> None:
    async with SiteServer({"/external": html()}) as site:
        build(tmp_path / "_site", {
            "index.html": html(
                "/a/", "b.html", "/c", "/missing/", "/nothing.html", "/a/#intro", "/a/#gone",
                "/img/logo.png?v=3", site.url("/external"), site.url("/dead"),
            ),
            "a/index.html": html("../b.html#part", "/d/", ids=["intro"]),
            "b.html": html(ids=["part"]),
            "c.html": html(),
            "d/index.html": html("/deeper.html"),
            "deeper.html": html(),
            "img/logo.png": "png",
            "missing/readme.txt": "a folder without index.html",
            "orphan.html": html("/never-read"),
        })
        report = await crawl([str(tmp_path / "_site")], site.config(max_depth=2))
    results = {r.url.partition("_site")[2] or r.url: r for r in report.results}
    verdicts = {url: r.verdict for url, r in results.items()}
    assert verdicts == {
        "/a/": Verdict.OK,
        "/b.html": Verdict.OK,
        "/c": Verdict.OK,
        "/missing/": Verdict.BROKEN,
        "/nothing.html": Verdict.BROKEN,
        "/a/#intro": Verdict.OK,
        "/a/#gone": Verdict.FRAGMENT_MISSING,
        "/img/logo.png?v=3": Verdict.OK,
        site.url("/external"): Verdict.OK,
        site.url("/dead"): Verdict.BROKEN,
        "/b.html#part": Verdict.OK,
        "/d/": Verdict.OK,
        "/deeper.html": Verdict.OK,  # depth 3: checked, not read
    }
    assert results["/missing/"].fetch.reason.startswith("no index.html in folder")
    sources = {Path(c.source).relative_to(tmp_path / "_site").as_posix()
               for r in report.results for c in r.citations}
    assert sources == {"index.html", "a/index.html", "d/index.html"}


def test_a_folder_without_an_index_cannot_be_crawled(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no index\.html"):
        asyncio.run(crawl([str(tmp_path)], SiteServer().config()))


# --- interruption ---


async def test_a_stopped_crawl_reports_what_it_read() -> None:
    class StopAfter:
        """A progress display that asks to stop after 20 pages."""

        def start(self, total: int) -> None: ...

        def advance(self, fetch: object) -> None: ...

        def crawled(self, pages: int, frontier: int) -> None:
            if pages == 20:
                stop.set()

    stop = asyncio.Event()
    async with SiteServer(generated=500, fanout=3) as site:
        report = await crawl([site.url("/")], site.config(), stop=stop, progress=StopAfter())
    assert not report.complete
    assert len(report.results) > 0
    assert len(crawled(site)) < 500
