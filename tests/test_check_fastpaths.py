"""The check stage's shortcuts give what the long way gives.

Every page a check reads goes through `pagetext` and `soft404`, and every
request through `HostGates`, so these take shortcuts (ASCII text, bounded
word counts, a probe already answered, a plain slot object); each is held
here to the result of the long way.
"""

from __future__ import annotations

import asyncio
import string
import unicodedata

import pytest
from yarl import URL

from linkcheck.check import pagetext, soft404
from linkcheck.check.schedule import HostGates
from linkcheck.config import Config

ASCII_SAMPLES = [
    string.printable,
    "Page Not Found",
    "Oops! That page can't be found.",
    "We couldn`t find it -- sorry",
    "404 | Error_404 | page-not-found",
    "\tMixed\nCASE  and\x0bcontrol\x1f chars",
    "",
]


def _fold_long_way(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _tokens_long_way(text: str) -> list[str]:
    folded = "".join(c for c in _fold_long_way(text) if c not in "'`\u2018\u2019")
    return "".join(c if c.isalnum() or unicodedata.category(c).startswith("M") else " "
                   for c in folded).split()  # fmt: skip


@pytest.mark.parametrize("text", ASCII_SAMPLES)
def test_ascii_text_folds_and_splits_as_any_text(text: str) -> None:
    assert pagetext.fold(text) == _fold_long_way(text)
    assert soft404._phrase_tokens(text) == _tokens_long_way(text)


@pytest.mark.parametrize("text", ["Seite nicht gefunden", "Café ﬁle ß İ", "ページが見つかりません"])
def test_other_text_takes_the_long_way(text: str) -> None:
    assert pagetext.fold(text) == _fold_long_way(text)
    assert soft404._phrase_tokens(text) == _tokens_long_way(text)


@pytest.mark.parametrize(
    ("text", "count", "more"),
    [
        ("", 0, False),
        ("a", 0, True),
        ("a b c", 3, False),
        ("a b c d", 3, True),
        ("abcdefghij", 1, False),  # long enough to hold two words, but one
        ("a,b,c,d", 3, True),  # as short as four words can be
        ("é ü ß ø", 3, True),
        (" ".join(["word"] * 301), 300, True),
        (" ".join(["word"] * 300), 300, False),
    ],
)
def test_more_words_than_counts_as_far_as_it_needs(text: str, count: int, more: bool) -> None:
    assert pagetext.more_words_than(text, count) is more
    assert more is (len(pagetext._WORD.findall(text)) > count)


def test_a_title_without_parts_is_judged_once_and_the_same() -> None:
    url = URL("http://example.org/docs/gone")
    page = pagetext.PageText(title="404", lines=("short",))
    assert soft404.page_signal(page, url, url) == "title says '404'"
    assert soft404.page_signal(pagetext.PageText(title="Error 404 - Docs"), url, url) is None


async def test_a_probe_is_known_once_it_is_in() -> None:
    release = asyncio.Event()
    answer = soft404.Probe("http://example.org/docs/x", 404)

    async def run(url: URL) -> soft404.Probe:
        await release.wait()
        return answer

    prober = soft404.Prober(run)
    page = URL("http://example.org/docs/page")
    assert prober.known(page) is None  # never asked
    waiting = asyncio.ensure_future(prober.probe(page))
    await asyncio.sleep(0)
    assert prober.known(page) is None  # asked, not answered
    release.set()
    assert await waiting is answer
    assert prober.known(URL("http://example.org/docs/other")) is answer  # same directory
    assert prober.known(URL("http://example.org/blog/page")) is None
    await prober.close()


async def test_a_slot_given_up_while_waiting_frees_its_host() -> None:
    gates = HostGates(Config(max_concurrency=2, host_concurrency=2))
    async with gates.slot("a.test"), gates.slot("b.test"):  # the run's two slots
        # takes a.test's second slot, then waits for one of the run's
        waiting = asyncio.ensure_future(gates.slot("a.test").__aenter__())
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    async with asyncio.timeout(1), gates.slot("a.test"), gates.slot("a.test"):
        pass  # both of a.test's slots are free again


PAGES = [
    "<html><head><title>Docs</title></head><body><nav>Home | About</nav><main><h1>Guide</h1>"
    "<p>First <b>step</b>.</p><div hidden>secret</div><p>Second step.</p></main>"
    "<footer>© 2021</footer></body></html>",
    "<html><head><title>Page not found</title></head><body><h1>404</h1>"
    "<p>Sorry, nothing here.</p><script>var x = 1;</script></body></html>",
    "<html><body><article><h2>News</h2>" + "<p>word " * 400 + "</article>"
    "<aside>Related</aside></body></html>",
    '<html><body><div id="root"></div><noscript>Enable JavaScript</noscript></body></html>',
    "<p>no html element at all<br>second line &amp; an entity",
]


@pytest.mark.parametrize("html", PAGES)
def test_lazy_lines_are_the_eager_lines(html: str) -> None:
    eager = pagetext.parse(html)
    lazy = pagetext.parse(html, lazy=True)
    assert isinstance(lazy.lines, pagetext.LazyLines)
    assert lazy == eager
    assert tuple(lazy.lines) == eager.lines
    assert lazy.text == eager.text


def test_a_page_is_cleared_by_its_title_before_its_text_is_built() -> None:
    url = URL("http://example.org/docs/page")

    def never() -> tuple[str, ...]:
        raise AssertionError("the lines were built")

    ok = pagetext.PageText(title="Guide", headings=("Install",), lines=pagetext.LazyLines(never))
    assert soft404.page_signal(ok, url, url) is None
    long_text = pagetext.LazyLines(lambda: ("word " * 400,))
    gone = pagetext.PageText(title="Page not found", lines=long_text)
    assert soft404.page_signal(gone, url, url) is None  # a long page is not a soft 404
    short = pagetext.PageText(title="Page not found", lines=pagetext.LazyLines(lambda: ("Sorry",)))
    assert soft404.page_signal(short, url, url) == "title says 'Page not found'"
