"""Soft 404s: the signals one by one, the probe's cache, and how the checker uses them."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from servers import Catalogue, check_one
from site_farm import running_farm
from yarl import URL

from linkcheck.check import Checker
from linkcheck.check.pagetext import PageText, parse
from linkcheck.check.soft404 import (
    Probe,
    Prober,
    is_deep,
    page_signal,
    probe_key,
    random_sibling,
    redirect_signal,
    same_page,
    says_not_found,
)
from linkcheck.config import ConfigError, load
from linkcheck.models import Verdict


@pytest.mark.parametrize(
    "text",
    [
        "404", "Not Found", "Page not found", "HTTP 404 Not Found", "Error 404 (Not Found)!!1",
        "404 - Page Not Found",
        "Oops! That page can\u2019t be found.", "We couldn't find the page you're looking for",
        "The requested URL was not found on this server.", "This page is no longer available",
        "Sorry, this page doesn't exist", "Product not found", "Seite nicht gefunden",
        "Die angeforderte Seite wurde leider nicht gefunden", "Page introuvable",
        "La page que vous cherchez n\u2019existe pas", "Página no encontrada",
        "Página não encontrada", "Pagina non trovata", "Pagina niet gevonden",
        "Nie znaleziono strony", "Страница не найдена", "ページが見つかりません", "页面不存在",
        "페이지를 찾을 수 없습니다", "Sayfa bulunamad\u0131", "Sidan kunde inte hittas",
        "\u0397 σελίδα δεν βρέθηκε", "الصفحة غير موجودة", "Halaman tidak ditemukan",
    ],
)
def test_not_found_messages_in_many_languages(text: str) -> None:
    assert says_not_found(text)


@pytest.mark.parametrize(
    "text",
    [
        "404 Not Found: What It Means and How to Fix It", "How to fix page not found errors",
        "No results found", "Nothing Found", "Error", "Room 404", "Not found: a memoir, part 2",
        "Search results for 'not found'", "Page not found (troubleshooting)", "",
        "page-not-found", "HTTP 404", "HTTP 404 - Wikipedia",
    ],
)
def test_mentioning_not_found_is_not_saying_it(text: str) -> None:
    assert not says_not_found(text)


def test_a_bare_404_counts_only_as_the_whole_title() -> None:
    assert says_not_found("Error 404")
    assert not says_not_found("Error 404", whole=False)


@pytest.mark.parametrize(
    ("start", "final", "reason"),
    [
        ("https://x.org/2020/01/story", "https://x.org/", "redirects to the site root"),
        ("http://x.org/story", "https://www.x.org/?utm_source=old", "redirects to the site root"),
        ("https://x.org/fr/article/vieux", "https://x.org/fr/",
         "redirects to the site's landing page (/fr/)"),
        ("https://x.org/a/b", "https://x.org/404.html", "redirects to an error page (/404.html)"),
        ("https://x.org/a/b", "https://x.org/errors/not-found", "redirects to an error page"),
        ("https://old.org/company/products/x", "https://new.org/", "redirects to the site root"),
        ("https://x.org/index.html", "https://x.org/", None),  # an index page
        ("https://x.org/en/", "https://x.org/", None),  # a language root
        ("https://sho.rt/abc", "https://x.org/", None),  # a short link to a home page
        ("https://x.org/docs", "https://x.org/docs/", None),  # a trailing slash
        ("https://x.org/old", "https://x.org/new", None),  # a real move
        ("https://x.org/old", "https://x.org/?p=123", None),  # a query that selects content
        ("https://x.org/404-guide", "https://x.org/blog/404-guide", None),  # about 404s
    ],
)
def test_where_a_redirect_ends(start: str, final: str, reason: str | None) -> None:
    got = redirect_signal(URL(start), URL(final))
    assert got == reason or (reason is not None and got is not None and got.startswith(reason))


def test_deep_means_below_the_root_and_not_an_index() -> None:
    assert [is_deep(URL(u)) for u in ("https://x/", "https://x/en", "https://x/en/index.html",
                                       "https://x/home", "https://x/about")] == [
        False, False, False, False, True
    ]


def test_a_title_only_counts_on_short_pages_that_are_not_dated_articles() -> None:
    url = URL("https://x.org/a/b")
    short = PageText(title="Page not found | Site", lines=("Try the search.",))
    assert page_signal(short, url, url) == "title says 'Page not found'"
    long_page = replace(short, lines=(" ".join(["word"] * 400),))
    assert page_signal(long_page, url, url) is None
    assert page_signal(replace(short, article=True), url, url) is None
    heading = PageText(title="Shop", headings=("Product not found",))
    assert page_signal(heading, url, url) == "heading says 'Product not found'"


def test_a_meta_refresh_to_the_root_is_a_redirect_to_the_root() -> None:
    page = parse(b"<meta http-equiv='refresh' content='0; url=/'><p>Redirecting</p>")
    url = URL("https://x.org/2015/gone")
    assert page_signal(page, url, url) == "redirects to the site root (meta refresh)"
    slow = parse(b"<meta http-equiv='refresh' content='30; url=/'><p>News</p>")
    assert page_signal(slow, url, url) is None


def _page(*lines: str, title: str = "Docs") -> PageText:
    return PageText(title=title, lines=lines)


def test_the_same_template_is_the_same_page_whatever_its_volatile_parts() -> None:
    cited = _page("We looked for /docs/old-feature and found nothing.", "Request 8f3a at 12:01.",
                  "Try the search box or start again from the home page.")
    random = _page("We looked for /docs/c0ffee12 and found nothing.", "Request 91bb at 12:02.",
                   "Try the search box or start again from the home page.")
    drop = {"docs", "old", "feature"}
    assert same_page(cited, random, drop) == pytest.approx(1.0)


def test_distinct_content_on_a_shared_template_is_another_page() -> None:
    furniture = tuple(f"menu item number {word} of the site" for word in "abcdefghij")
    real = _page(*furniture, "Version two renamed the settings file; copy the values by hand.")
    catch_all = _page(*furniture, "Hmm. Nothing lives at this address, try the search.")
    assert same_page(real, catch_all, ()) is None


def test_an_app_shell_is_never_compared() -> None:
    shell = replace(_page("Acme app", "Loading the app"), app_shell=True)
    assert same_page(shell, shell, ()) is None
    assert parse(b"<title>App</title><div id='root'></div>").app_shell


@pytest.mark.parametrize(
    ("url", "shape"),
    [("https://x.org/a/b/page.html?id=1", ".html"), ("https://x.org/a/b/c/", "/"),
     ("https://x.org/a/b/page", ""), ("https://x.org/a/b/v1.2.3", "")],
)
def test_the_random_sibling_has_the_cited_page_s_directory_and_shape(url: str, shape: str) -> None:
    sibling = random_sibling(URL(url))
    assert sibling.raw_path.startswith("/a/b/")
    assert sibling.raw_path.endswith(shape)
    assert sibling.raw_query_string == ""
    assert probe_key(URL(url)) == ("https://x.org", "/a/b/", shape)
    assert random_sibling(URL(url)) != sibling


async def test_the_prober_runs_one_probe_per_key_even_while_in_flight() -> None:
    started: list[URL] = []
    release = asyncio.Event()

    async def run(url: URL) -> Probe:
        started.append(url)
        await release.wait()
        return Probe(str(url), 404)

    prober = Prober(run)
    waiting = [asyncio.ensure_future(prober.probe(URL(f"https://x.org/d/{n}"))) for n in range(5)]
    other = asyncio.ensure_future(prober.probe(URL("https://x.org/e/1")))
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*waiting, other)
    assert len(started) == prober.sent == 2
    assert len({r.url for r in results[:5]}) == 1
    await prober.close()


async def test_a_waiter_s_timeout_does_not_cancel_the_probe_for_the_others() -> None:
    release = asyncio.Event()

    async def run(url: URL) -> Probe:
        await release.wait()
        return Probe(str(url), 200)

    prober = Prober(run)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(prober.probe(URL("https://x.org/d/1")), 0.01)
    release.set()
    assert (await prober.probe(URL("https://x.org/d/2"))).status == 200
    await prober.close()


# --- in the checker, against the site farm ---


async def test_one_probe_per_directory_for_a_whole_run() -> None:
    async with running_farm() as farm:
        farm.latency = 0.05
        paths = ["/docs/old-feature", "/docs/a", "/docs/b", "/docs/c", "/team/jane-doe"]
        async with Checker(farm.config(), resolver=farm.resolver()) as checker:
            fetches = [f async for _, f in checker.check_many(
                farm.url("catchall.example", p) for p in paths)]
        assert {f.verdict for f in fetches} == {Verdict.SOFT_404}
        probes = [p for p in farm.seen("catchall.example", "GET") if p not in paths]
        assert len(probes) == 2 == checker.extra_requests["probe"]
        assert {p.rpartition("/")[0] for p in probes} == {"/docs", "/team"}
        assert all(f.attempts == 1 for f in fetches)  # probes are not attempts


async def test_probes_stay_within_the_per_host_cap() -> None:
    async with running_farm() as farm:
        farm.latency = 0.02
        paths = [f"/dir{n}/page" for n in range(6)]
        config = farm.config(host_concurrency=2, max_concurrency=16)
        async with Checker(config, resolver=farm.resolver()) as checker:
            async for _, fetch in checker.check_many(
                farm.url("catchall.example", p) for p in paths
            ):
                assert fetch.verdict is Verdict.SOFT_404
        assert farm.peak["catchall.example"] == 2
        assert checker.extra_requests["probe"] == 6


@pytest.mark.parametrize(
    ("setting", "verdict", "methods"),
    [
        ({}, Verdict.SOFT_404, ["GET"]),  # a page: one GET at once
        ({"soft_404": False}, Verdict.OK, ["HEAD"]),
        ({"soft_404_get": "never"}, Verdict.OK, ["HEAD"]),
        ({"soft_404_get": "redirected"}, Verdict.OK, ["HEAD"]),
    ],
)
async def test_soft_404_settings_decide_which_pages_get_a_get(
    setting: dict[str, object], verdict: Verdict, methods: list[str]
) -> None:
    async with running_farm() as farm:
        path = "/products/red-widget-discontinued"
        async with Checker(farm.config(**setting), resolver=farm.resolver()) as checker:
            fetch = await checker.check(farm.url("shop.example", path))
        assert fetch.verdict is verdict
        assert [m for h, m, p, _ in farm.requests if p == path] == methods


async def test_redirected_pages_are_read_under_the_redirected_setting() -> None:
    async with running_farm() as farm:
        config = farm.config(soft_404_get="redirected")
        async with Checker(config, resolver=farm.resolver()) as checker:
            fetch = await checker.check(farm.url("news.example", "/2018/07/old-interview"))
        assert (fetch.verdict, fetch.reason) == (
            Verdict.SOFT_404, "redirects to an error page (/404.html)"
        )


async def test_when_the_get_after_head_fails_the_head_answer_stands(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, "/drip?every=0.1", timeout=0.5, retries=0)
    assert (fetch.verdict, fetch.reason, fetch.status) == (Verdict.OK, "200 OK", 200)
    assert catalogue.log.count("/drip", method="GET") == 1


async def test_the_probe_can_be_turned_off() -> None:
    async with running_farm() as farm:
        config = farm.config(soft_404_probe=False)
        async with Checker(config, resolver=farm.resolver()) as checker:
            fetch = await checker.check(farm.url("catchall.example", "/docs/old-feature"))
        assert fetch.verdict is Verdict.OK
        assert farm.seen("catchall.example") == ["/docs/old-feature"]


async def test_a_file_is_asked_with_head_first() -> None:
    """Only pages are asked with GET at once: a GET would start a file's download."""
    async with running_farm() as farm:
        path = "/reports/annual-2019.pdf"
        async with Checker(farm.config(), resolver=farm.resolver()) as checker:
            fetch = await checker.check(farm.url("news.example", path))
        assert fetch.verdict is Verdict.OK
        assert [m for h, m, p, _ in farm.requests if p == path] == ["HEAD"]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"soft_404_get": "sometimes"}, "soft_404_get: expected one of html, redirected, never"),
        ({"drift_threshold": 1.5}, "drift_threshold: expected a number from 0 to 1"),
        ({"soft_404": "yes"}, "soft_404: expected true or false"),
        ({"browser_headers": ["NoColon"]}, "browser_headers: expected 'Name: value'"),
    ],
)
def test_bad_settings_are_named(flags: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(None, flags)


def test_browser_headers_from_the_command_line_replace_the_table() -> None:
    config = load(None, {"browser_headers": ["User-Agent: Mozilla/5.0 test"]})
    assert dict(config.browser_headers) == {"User-Agent": "Mozilla/5.0 test"}
