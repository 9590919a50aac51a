from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.helpers import parseLinkDestination
from markdown_it.token import Token

from linkcheck.collect import collect, extract_document, markdown, prose
from linkcheck.config import Config
from linkcheck.models import Citation

SEED = Path(__file__).parent / "fixtures" / "collect" / "seed-article.md"
SITE = "https://www.washingtoninstitute.org/"
BASE = "https://ex.org/d/doc.md"

# Read off the article by hand: its 11 distinct absolute URLs, then its 10
# distinct site-relative links, resolved against the site.
SEED_URLS = {
    "https://www.19fortyfive.com/2021/12/russias-endgame-in-ukraine-bluff-bombard-or-invasion/",
    "https://www.19fortyfive.com/2021/11/why-the-iran-nuclear-talks-were-over-before-they-began/",
    "https://www.19fortyfive.com/2021/05/why-hezbollah-remains-on-sidelines-of-israel-violence/",
    "https://www.haaretz.com/middle-east-news/iran/.premium-in-u-s-gantz-says-iran-is-preparing"
    "-to-attack-israel-other-middle-east-countries-1.10455683",
    "https://www.i24news.tv/en/news/international/1639109419-benny-gantz-meets-antony-blinken"
    "-in-washington",
    "https://www.haaretz.com/israel-news/.premium-on-iran-russia-is-closer-to-israel-than-what"
    "-s-exposed-former-top-official-says-1.10450342",
    "https://www.washingtoninstitute.org/policy-analysis/what-expect-us-russia-meeting-jerusalem",
    "https://www.rferl.org/a/netanyahu-israel-russia-to-cooperate-on-pullout-of-foreign-forces"
    "-from-syria/29801050.html",
    "https://tass.com/world/1307463",
    "https://www.washingtoninstitute.org/policy-analysis/putins-war-syria-russian-foreign-policy"
    "-and-price-americas-absence",
    "https://www.19fortyfive.com/2021/12/would-russia-ever-help-syria-break-away-from-iranian"
    "-influence/",
    SITE + "experts/anna-borshchevskaya",
    SITE + "fa/policy-analysis/aya-asla-mmkn-ast-rwsyh-ayran-ra-az-swryh-dwr-knd",
    SITE + "policy-analysis/targeting-islamic-state-jihadist-military-threats-and-us-response",
    SITE + "policy-analysis/challenges-taliban-rule-and-potential-impacts-region",
    SITE + "policy-analysis/middle-east-olympics-six-countries-compete-while-great-power"
    "-politics-display",
    SITE + "policy-analysis/great-power-competition",
    SITE + "policy-analysis/military-security",
    SITE + "policy-analysis/iran",
    SITE + "policy-analysis/israel",
    SITE + "policy-analysis/syria",
}


def _markdown(source: str, *, resources: bool = False) -> list[tuple[int, int, str, str, str]]:
    warnings: list[str] = []
    found = extract_document(
        source.encode(),
        source="doc.md",
        base=BASE,
        kind="markdown",
        content_type=None,
        config=Config(resources=resources),
        warn=warnings.append,
    )
    result = [(c.line, c.column, c.url, c.resolved, c.text) for c in found]
    assert warnings == []
    return result


def _seed() -> list[Citation]:
    return list(collect([str(SEED)], Config(base_url=SITE), warn=pytest.fail))


def test_seed_article_yields_exactly_its_21_urls() -> None:
    citations = _seed()
    assert {citation.resolved for citation in citations} == SEED_URLS
    assert len(SEED_URLS) == 21
    assert not [c.url for c in citations if c.url.endswith("\\")]
    lines = SEED.read_text(encoding="utf-8").splitlines()
    for citation in citations:
        assert lines[citation.line - 1][citation.column - 1 :].startswith(citation.url)


def test_seed_article_link_and_autolink_pairs_are_two_citations_on_one_line() -> None:
    columns: dict[tuple[str, int], list[int]] = defaultdict(list)
    texts: dict[str, list[str]] = defaultdict(list)
    for citation in _seed():
        columns[citation.url, citation.line].append(citation.column)
        texts[citation.url].append(citation.text)
    pairs = [cited for cited in columns.values() if len(cited) == 2]
    assert len(pairs) == 6  # Russia, Iran, Hezbollah, broader regional hegemonic, meeting, said
    assert all(first < second for first, second in pairs)
    russia = (
        "https://www.19fortyfive.com/2021/12/russias-endgame-in-ukraine-bluff-bombard-or-invasion/"
    )
    assert texts[russia] == [
        "Russia",
        "Syrian Civil War, President Bashar al-Assad relied on assistance from Russia",
    ]


def test_seed_article_escaped_path_in_link_text_is_not_cited() -> None:
    anna = [c for c in _seed() if c.url == "/experts/anna-borshchevskaya"]
    assert [(c.line, c.column, c.text) for c in anna] == [
        (5, 59, "Anna Borshchevskaya (/experts/anna-borshchevskaya)"),
        (19, 56, "Anna Borshchevskaya (/experts/anna-borshchevskaya)"),
    ]


def test_seed_article_rendered_links_take_the_words_before_them() -> None:
    texts = {c.url: c.text for c in _seed() if c.url.startswith("/policy-analysis/")}
    assert texts["/policy-analysis/iran"] == "Iran"
    assert texts["/policy-analysis/military-security"] == "Military & Security"
    assert texts["/policy-analysis/challenges-taliban-rule-and-potential-impacts-region"] == (
        "Mohamed Mokhtar Qandil"
    )


def test_inline_links() -> None:
    source = '[a](https://x.org/1 "Title") [b](<rel page.html>) [c](/root) [d](#frag) [e]()'
    assert _markdown(source) == [
        (1, 5, "https://x.org/1", "https://x.org/1", "a"),
        (1, 35, "rel page.html", "https://ex.org/d/rel page.html", "b"),
        (1, 55, "/root", "https://ex.org/root", "c"),
        (1, 66, "#frag", "https://ex.org/d/doc.md#frag", "d"),
    ]


def test_link_text_is_not_scanned_and_images_need_resources() -> None:
    source = "[see https://no.org/x](https://y.org/) ![i](p.png) [![badge](b.svg)](https://z.org/)"
    assert _markdown(source) == [
        (1, 24, "https://y.org/", "https://y.org/", "see https://no.org/x"),
        (1, 70, "https://z.org/", "https://z.org/", "badge"),
    ]
    assert [(c[1], c[2]) for c in _markdown(source, resources=True)] == [
        (24, "https://y.org/"),
        (45, "p.png"),
        (62, "b.svg"),
        (70, "https://z.org/"),
    ]


def test_reference_links_cite_where_the_definition_writes_the_url() -> None:
    source = (
        "Uses [one][r1], [two][R1], [r2][] and [r2] first; [none][missing].\n"
        "\n"
        "[r1]: https://r1.org/x\n"
        "[r2]:\n"
        "  <https://r2.org/y z>\n"
        "[r1]: https://duplicate.org/\n"
        "[orphan]: https://orphan.org/ 'Title'\n"
    )
    assert _markdown(source) == [
        (3, 7, "https://r1.org/x", "https://r1.org/x", "one"),
        (3, 7, "https://r1.org/x", "https://r1.org/x", "two"),
        (5, 4, "https://r2.org/y z", "https://r2.org/y z", "r2"),
        (5, 4, "https://r2.org/y z", "https://r2.org/y z", "r2"),
        (6, 7, "https://duplicate.org/", "https://duplicate.org/", "r1"),
        (7, 11, "https://orphan.org/", "https://orphan.org/", "orphan"),
    ]


def test_reference_images_need_resources() -> None:
    source = "![logo][l]\n\n[l]: logo.png\n"
    assert _markdown(source) == [(3, 6, "logo.png", "https://ex.org/d/logo.png", "l")]
    assert _markdown(source, resources=True) == [
        (3, 6, "logo.png", "https://ex.org/d/logo.png", "logo")
    ]


def test_autolinks() -> None:
    assert _markdown("See <https://a.org/x> or <me@example.org>.") == [
        (1, 6, "https://a.org/x", "https://a.org/x", "See"),
        (1, 27, "me@example.org", "mailto:me@example.org", "See or"),
    ]


def test_hrefs_come_back_as_written_and_javascript_is_seen() -> None:
    source = "[a](https://x.org/é%20?q=a) [b](javascript:alert(1)) [c](https://x.org/a\\_b)"
    assert [(c[2], c[3]) for c in _markdown(source)] == [
        ("https://x.org/é%20?q=a", "https://x.org/é%20?q=a"),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("https://x.org/a\\_b", "https://x.org/a_b"),
    ]
    assert _markdown("[a](<https://x.org/é%20?q=a b>)")[0][3] == "https://x.org/é%20?q=a b"


def test_nothing_inside_code() -> None:
    source = (
        "Code `https://span.org/x` and ``[l](https://span2.org/)``.\n"
        "\n"
        "    indented https://indented.org/x\n"
        "\n"
        "```\n"
        "[l](https://fenced.org/) https://fenced.org/x\n"
        "```\n"
        "~~~~\n"
        "https://tilde.org/\n"
        "~~~~\n"
        "after https://after.org/\n"
    )
    assert [c[2] for c in _markdown(source)] == ["https://after.org/"]


def test_bare_urls_in_markdown_prose() -> None:
    source = "*https://em.org/a* a https://x.org/a\\_b\\ and https://e.org/?a=1&amp;b=2."
    assert [(c[1], c[2], c[3]) for c in _markdown(source)] == [
        (2, "https://em.org/a", "https://em.org/a"),
        (22, "https://x.org/a\\_b", "https://x.org/a_b"),
        (46, "https://e.org/?a=1&amp;b=2", "https://e.org/?a=1&b=2"),
    ]


def test_positions_in_containers_and_headings() -> None:
    source = (
        "# Title https://h.org/ ##\n"
        "> quoted [q](https://q.org/) and\n"
        "lazy https://lazy.org/\n"
        "1. item https://item.org/\n"
        "   - nested [n](https://nested.org/)\n"
        "Setext https://setext.org/\n"
        "===\n"
    )
    assert [(c[0], c[1], c[2], c[4]) for c in _markdown(source)] == [
        (1, 9, "https://h.org/", "Title"),
        (2, 14, "https://q.org/", "q"),
        (3, 6, "https://lazy.org/", "lazy"),
        (4, 9, "https://item.org/", "item"),
        (5, 17, "https://nested.org/", "n"),
        (6, 8, "https://setext.org/", "Setext"),
    ]


def test_repeated_urls_get_their_own_positions() -> None:
    source = "[a](https://x.org/) [a](https://x.org/) https://x.org/\n[b](https://x.org/)"
    assert [(c[0], c[1]) for c in _markdown(source)] == [(1, 5), (1, 25), (1, 41), (2, 5)]


def test_raw_html_links() -> None:
    source = (
        '<div align="center"><a href="https://block.org/a">Block</a>\n'
        '<img src="logo.png" alt="Logo"></div>\n'
        "\n"
        'Inline <a href="https://inline.org/a">inline <b>text</b></a> here.\n'
    )
    assert _markdown(source) == [
        (1, 30, "https://block.org/a", "https://block.org/a", "Block"),
        (4, 17, "https://inline.org/a", "https://inline.org/a", "inline text"),
    ]
    assert (2, 11, "logo.png", "https://ex.org/d/logo.png", "Logo") in _markdown(
        source, resources=True
    )


def test_front_matter_is_skipped() -> None:
    source = '---\ntitle: "https://front.org/x"\n---\nBody https://body.org/\n'
    assert [(c[0], c[2]) for c in _markdown(source)] == [(4, "https://body.org/")]


def test_an_unclosed_rule_is_not_front_matter() -> None:
    assert [c[2] for c in _markdown("---\nhttps://x.org/\n")] == ["https://x.org/"]


def test_large_documents_are_parsed_in_chunks_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    section = "Text https://x.org/{n} and [ref {n}][r].\n\n```\nhttps://in-code.org/{n}\n\n```\n\n"
    source = "".join(section.format(n=n) for n in range(200)) + "[r]: https://ref.org/\n"
    whole = _markdown(source)
    assert len(whole) == 200 + 200  # each bare URL; each use of [r], at its definition
    monkeypatch.setattr(markdown, "CHUNK_CHARS", 200)
    chunks = list(markdown._chunks([source]))
    assert len(chunks) > 20
    assert all(sum(line == "```" for line in lines) % 2 == 0 for _, lines in chunks)
    assert sorted(_markdown(source)) == sorted(whole)


def test_small_documents_are_one_chunk_as_when_streamed() -> None:
    source = "# T\n\n```\ncode\n```\ntext [a](b)\n"
    assert list(markdown._chunks([source])) == list(markdown._chunks(iter([source])))
    assert list(markdown._chunks([])) == list(markdown._chunks(iter([]))) == []


def test_link_text_across_breaks_escapes_entities_and_emphasis() -> None:
    source = (
        "[a  \nb &amp; \\* *c* `d`\\\ne](https://x.org/) <a href='https://y.org/'>f\n&amp; _g_</a>"
    )
    assert [(c[0], c[1], c[4]) for c in _markdown(source)] == [
        (3, 4, "a b & * c d e"),
        (3, 29, "f & g"),
    ]


_DESTINATION_TEXT = st.text(alphabet="<>()\\ \n\tax&;\x00\x7f", max_size=20)


@given(_DESTINATION_TEXT, st.data())
def test_destinations_are_read_as_markdown_it_reads_them(text: str, data: st.DataObject) -> None:
    pos = data.draw(st.integers(0, len(text)))
    maximum = data.draw(st.integers(pos, len(text)))
    ours, theirs = (
        markdown._destination(text, pos, maximum),
        parseLinkDestination(text, pos, maximum),
    )
    assert ours.ok == theirs.ok
    if theirs.ok:
        assert (ours.pos, ours.str) == (theirs.pos, theirs.str)
        assert text[ours.str.start : ours.str.end] == text[pos : theirs.pos]


_PROSE_PIECES = ["http://", "https://x", "www.", "WWW.", "w", "W", ".", ":", "doi:", "10.1000/x"]
_PROSE_TEXT = st.lists(st.sampled_from([*_PROSE_PIECES, "<", ">", "(/", "p", ")", " "])).map(
    "".join
)


@given(_PROSE_TEXT, st.data())
def test_prose_skips_only_text_that_cannot_hold_a_link(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    found = [link.start for link in prose.scan(text, start, end)]
    assert found == [
        match.start(match.lastgroup or 0) for match in prose._PROSE.finditer(text, start, end)
    ]


def _markdown_it() -> MarkdownIt:
    """markdown-it as `markdown._parser` sets it up, less what only makes it
    quicker or records spans: the tokens to match."""
    parser = MarkdownIt("commonmark", {"inline_definitions": True, "store_labels": True})
    parser.normalizeLink = markdown._as_written  # type: ignore[method-assign]
    parser.validateLink = markdown._anything  # type: ignore[method-assign]
    parser.inline.ruler.disable("newline")
    parser.inline.ruler2.disable("fragments_join")
    parser.core.ruler.disable("text_join")
    return parser


def _tokens(tokens: list[Token]) -> list[tuple[object, ...]]:
    return [
        (
            token.type,
            token.tag,
            token.nesting,
            token.level,
            token.content,
            token.markup,
            token.map,
            {name: str(value) for name, value in token.attrs.items()},
            {key: value for key, value in token.meta.items() if key not in ("span", "written")},
            _tokens(token.children or []),
        )
        for token in tokens
    ]


def _assert_markdown_its_tokens(source: str) -> None:
    """The shortcuts of `markdown._parser` make markdown-it's tokens (no
    inline ones for a block that cannot hold a span)."""
    ours, theirs = markdown._parser().parse(source, {}), _markdown_it().parse(source, {})
    for token in theirs:
        if token.type == "inline" and not any(mark in token.content for mark in "[<`"):
            token.children = []
    assert _tokens(ours) == _tokens(theirs)


_BLOCK_PIECES = [
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "\0",
    "    ",
    "\t",
    "> ",
    "- ",
    "* ",
    "+ ",
    "1. ",
    "2) ",
]
_MARKUP_PIECES = ["# ", "```", "~~~", "***", "---", "___", "===", "<div>", "<!-- x -->", "[a]: /u"]
_INLINE_PIECES = ["[", "]", "(", ")", "![", "`", "\\", "*", "_", "&amp;", "<a>", "<b@c.d>", ":"]
_LINK_PIECES = ["[a](b)", "[a b](c:d)", "](e)", "[a]", "](<f g>)", '](h "t")', "a", " ", "é"]
_TOKEN_SOURCE = st.lists(
    st.sampled_from(_BLOCK_PIECES + _MARKUP_PIECES + _INLINE_PIECES + _LINK_PIECES), max_size=40
).map("".join)


@given(_TOKEN_SOURCE)
def test_tokens_are_markdown_its(source: str) -> None:
    _assert_markdown_its_tokens(source)


@pytest.mark.parametrize(
    "source",
    [
        *(
            "[" * depth + "a](b)" + "](c)" * closing
            for depth in range(17, 24)
            for closing in (0, 2)
        ),
        "[a [b](c) d](e)",  # the inner link, scanned as part of the outer label first
        "[a](b)x[c](d) *e* [f](g)\n[h](i)",
        "[a](b)\n- [c](d)\n> [e](f)\n# [g](h)",
        # each rule that may end a paragraph, at each character it starts at
        *(
            "[a](b)\n" + line + after
            for line in (
                "```",
                "~~~",
                ">",
                "* * *",
                "-- -",
                "__ _",
                "*",
                "-",
                "+",
                "1.",
                "9)",
                "<p>",
                "#",
            )
            for after in (" [c](d)", "\n[c](d)")
        ),
        "[a](b)\r\n[c](d)\0[e](f)\r",
    ],
)
def test_tokens_are_markdown_its_at_depth_and_after_scans(source: str) -> None:
    _assert_markdown_its_tokens(source)
