from __future__ import annotations

import datetime as dt
import itertools
import re
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from linkcheck import dates
from linkcheck.collect import Document, extract_document, html
from linkcheck.config import Config
from linkcheck.models import Citation

PAGE = "https://site.org/a/page.html"


def _html(
    source: str, *, resources: bool = False, base: str | None = PAGE
) -> list[tuple[int, int, str, str, str]]:
    warnings: list[str] = []
    found = extract_document(
        source.encode(),
        source=PAGE,
        base=base,
        kind=None,
        content_type="text/html; charset=utf-8",
        config=Config(resources=resources),
        warn=warnings.append,
    )
    result = [(c.line, c.column, c.url, c.resolved, c.text) for c in found]
    assert warnings == []
    return result


def test_anchors_and_areas_with_their_text() -> None:
    source = (
        "<!doctype html><p>See <a\n"
        '   class="x" href="page2.html?a=1&amp;b=2#frag">the  <b>second</b>\n page</a>'
        " and <A HREF='/root'>root</A>\n"
        '<map><area href="map.html" alt="Map area"></map>\n'
        '<a href="javascript:void(0)"><img src="x.png" alt="Logo"></a>'
        '<a href="mailto:a@b.org" title="Mail us"></a>\n'
    )
    assert _html(source) == [
        (
            2,
            20,
            "page2.html?a=1&amp;b=2#frag",
            "https://site.org/a/page2.html?a=1&b=2#frag",
            "the second page",
        ),
        (3, 24, "/root", "https://site.org/root", "root"),
        (4, 18, "map.html", "https://site.org/a/map.html", "Map area"),
        (5, 10, "javascript:void(0)", "javascript:void(0)", "Logo"),
        (5, 71, "mailto:a@b.org", "mailto:a@b.org", "Mail us"),
    ]


def test_resources_only_when_asked() -> None:
    source = (
        '<link rel="stylesheet" href="s.css"><script src="app.js"></script>\n'
        '<img src="i.png" srcset="a.png 1x, b,c.png 2x,d.png" alt="pic">\n'
        '<iframe src="https://v.org/embed" title="Video"></iframe>\n'
        '<picture><source srcset="w.webp" src="f.png"></picture>\n'
    )
    assert _html(source) == []
    assert _html(source, resources=True) == [
        (1, 30, "s.css", "https://site.org/a/s.css", ""),
        (1, 50, "app.js", "https://site.org/a/app.js", ""),
        (2, 11, "i.png", "https://site.org/a/i.png", "pic"),
        (2, 26, "a.png", "https://site.org/a/a.png", "pic"),
        (2, 36, "b,c.png", "https://site.org/a/b,c.png", "pic"),
        (2, 47, "d.png", "https://site.org/a/d.png", "pic"),
        (3, 14, "https://v.org/embed", "https://v.org/embed", "Video"),
        (4, 26, "w.webp", "https://site.org/a/w.webp", ""),
        (4, 39, "f.png", "https://site.org/a/f.png", ""),
    ]


def test_base_href_is_honoured() -> None:
    source = (
        '<head><base href="https://cdn.org/docs/"></head><a href="x.html">x</a><a href="/y">y</a>'
    )
    assert [c[3] for c in _html(source)] == ["https://cdn.org/docs/x.html", "https://cdn.org/y"]
    relative = '<base href="sub/"><a href="x.html">x</a>'
    assert [c[3] for c in _html(relative)] == ["https://site.org/a/sub/x.html"]


def test_tags_in_comments_scripts_and_attributes_are_not_links() -> None:
    source = (
        '<!-- <a href="same">commented</a> -->\n'
        "<script>document.write('<a href=\"same\">');</script>\n"
        "<p title='<a href=\"same\">'>\n"
        '<a href="same">real</a>\n'
    )
    assert _html(source) == [(4, 10, "same", "https://site.org/a/same", "real")]


def test_empty_and_missing_hrefs_are_skipped_and_whitespace_trimmed() -> None:
    source = '<a name="top">t</a><a href="">e</a><a href="  ">s</a><a href="\n  x.html ">x</a>'
    assert _html(source) == [(2, 3, "x.html", "https://site.org/a/x.html", "x")]


def test_long_text_is_shortened_at_a_word() -> None:
    words = " ".join(f"word{n}" for n in range(40))
    ((_, _, _, _, text),) = _html(f'<a href="x">{words}</a>')
    assert text == "word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 word11…"


def test_positions_past_line_65535() -> None:
    source = "<p>\n" * 70000 + 'text <a href="far.html">far</a>'
    assert _html(source) == [(70001, 15, "far.html", "https://site.org/a/far.html", "far")]


def test_xhtml_with_an_xml_declaration() -> None:
    source = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><body><a href="x.xhtml">x</a></body></html>'
    )
    assert _html(source) == [(2, 59, "x.xhtml", "https://site.org/a/x.xhtml", "x")]


def test_a_page_without_a_base_keeps_relative_links_as_written() -> None:
    assert _html('<a href="rel">r</a>', base=None) == [(1, 10, "rel", "rel", "r")]


def test_the_tree_read_for_the_date_serves_the_links(monkeypatch: pytest.MonkeyPatch) -> None:
    source = '<meta name="date" content="2021-12-16"><p><a href="x.html">x</a>\n'
    expected = [(1, 52, "x.html", "https://site.org/a/x.html", "x")]

    def parse_again(text: str) -> None:
        raise AssertionError("parsed twice")

    with monkeypatch.context() as patched:
        patched.setattr(html, "parse", parse_again)
        assert _html(source) == expected
    # line ends normalised make another text: parsed again, to the same links
    assert _html(source.replace("\n", "\r\n")) == expected


@given(st.text(alphabet="<!-/>acilpsrtyx \n", max_size=40), st.data())
def test_hidden_is_the_last_opening_after_the_last_closing(text: str, data: st.DataObject) -> None:
    cursor = data.draw(st.integers(0, len(text)))
    pos = data.draw(st.integers(cursor, len(text)))
    pairs = (("<!--", "-->"), ("<script", "</script"), ("<style", "</style"), ("<", ">"))
    expected = any(text.rfind(o, cursor, pos) > text.rfind(c, cursor, pos) for o, c in pairs)
    hiding = [(opening, closing, text.rfind(opening)) for opening, closing in html._HIDING]
    assert html._hidden(text, cursor, pos, hiding) == expected


def test_element_text_is_itertext_joined() -> None:
    root = html.parse("<a>one</a><a></a><a>t<b>w</b>o<!-- c -->!</a><a><img alt=x></a>")
    assert root is not None
    for element in root.iter("a"):
        assert html._text(element) == "".join(element.itertext())


X = "https://site.org/a/x"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # the next "<a" is commented out, in a script, in text or not the element's
        ('<!-- <a href="x"> --><a href="x">x</a>', (1, 31, "x", X)),
        ('<script>\'<a href="x">\'</script><a href="x">x</a>', (1, 41, "x", X)),
        ('<style>p>i{}<a href="x"></style><a href="x">x</a>', (1, 42, "x", X)),
        ('1 < 2 <a href="x">x</a>', (1, 16, "x", X)),
        ('<textarea><a href="t"></textarea><a href="x">x</a>', (1, 43, "x", X)),
        ('<a title="<a href=x>" href="x">x</a>', (1, 29, "x", X)),
        # found at once: written with entities, in capitals, among other attributes
        ('<a href="a&amp;b&#x3D;c">x</a>', (1, 10, "a&amp;b&#x3D;c", "https://site.org/a/a&b=c")),
        ("<A\nDATA-HREF=no hrefx=no HREF=x href=no>x</A>", (2, 28, "x", X)),
    ],
)
def test_each_link_is_found_where_it_is_written(
    source: str, expected: tuple[int, int, str, str]
) -> None:
    assert _html(source) == [(*expected, "x")]


_QUOTES = st.sampled_from(['"', "'", ""])
_VALUES = st.sampled_from(["", "x", "x y", " x ", "&amp;", "&ampx;", "'", '"', "<a", ">", "/", "="])
_ATTRIBUTES = st.builds(
    "{}{}{}{}{}{}".format,
    st.sampled_from([" ", "\n", "/", " / ", ""]),
    st.sampled_from(
        ["href", "HREF", "hrefx", "data-href", "src", "SRC", "srcset", "\u017frc", "x"]
    ),
    st.sampled_from(["", "=", " = "]),
    _QUOTES,
    _VALUES,
    _QUOTES,
)
_TAGS = st.builds(
    "<{}{}{}".format,
    st.sampled_from(["a", "A", "area", "img", "IMG", "\u0130mg", "source", "p"]),
    st.lists(_ATTRIBUTES, max_size=4).map("".join),
    st.sampled_from([">", "/>", " >", ""]),
)
_PIECES = st.sampled_from(
    [
        "</a>",
        ">",
        " ",
        "\n",
        "x",
        "<!--",
        "-->",
        "<script>",
        "</script>",
        "<textarea>",
        "</textarea>",
        "<",
    ]
)
_SOURCES = st.lists(st.one_of(_TAGS, _TAGS, _PIECES), max_size=12).map("".join)


@settings(max_examples=500, deadline=None)
@given(_SOURCES, st.sampled_from(["a", "area", "img", "source"]), st.sampled_from(["href", "src"]))
@example("<a href x=1>", "a", "href")
@example("<a hrefx=1 HREF = '2' href=3", "a", "href")
@example("<IMG/\u017frc=1 src=2>", "img", "src")
def test_a_start_tag_is_read_whole_as_attributes_are(source: str, tag: str, name: str) -> None:
    for cursor in range(len(source) + 1):
        opening = html._tag_pattern(tag).search(source, cursor)
        match = html._start_tag(tag, name).search(source, cursor)
        if opening is None or match is None:
            assert opening is match is None
            break
        attributes, end = html._attributes(source, opening.end())
        assert (match.start(), match.end()) == (opening.start(), end)
        value = None if match.lastindex is None else html._value(match)
        assert value == attributes.get(name)


@given(_SOURCES, st.booleans())
def test_the_regular_expression_alone_finds_what_the_search_finds(
    source: str, resources: bool
) -> None:
    root = html.parse(source)
    if root is None:
        return
    found = list(html.links(source, root, resources=resources))
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(html, "_next_tag", lambda *arguments: None)
        assert list(html.links(source, root, resources=resources)) == found


def test_values_written_with_entities_are_found_at_once() -> None:
    source = '<p><a  href="a&amp;b" title=t>x</a>'
    assert html._next_tag(source, "a", {"href": "a&b"}, 0, []) == (29, {"href": (13, "a&amp;b")})


def test_a_page_is_read_for_access_dates_whatever_letters_spell_the_words() -> None:
    # A page's links are looked at for access dates only when its text may hold one.
    letters = re.compile("[a-z]", re.IGNORECASE)
    lookalikes = [c for c in map(chr, range(0x80, sys.maxunicode + 1)) if letters.fullmatch(c)]
    assert lookalikes
    for word in ("Retrieved", "accessed", "Access-Date", "urldate", "visited", "viewed"):
        for at, lookalike in itertools.product(range(len(word)), lookalikes):
            written = f"{word[:at]}{lookalike}{word[at + 1 :]} 16 Dec 2021"
            expected = dates._ACCESS_WORD.search(written) is not None
            assert dates.may_hold_access_date(written) is expected, written


def test_rows_are_the_fields_of_the_citations() -> None:
    """What the collect workers send: each citation's fields, in order."""
    source = (
        '<base href="https://cdn.org/docs/"><meta name="date" content="2020-05-01">'
        '<p><a href="x.html">x</a> and <a href="/y"> y </a></p>\n'
        '<ul><li><a href="https://z.org/">z</a>, retrieved 16 December 2021</li></ul>'
        '<img src=" i.png" srcset="a.png 1x, b.png 2x" alt="pic">'
    )
    document = Document("page.html", "html", PAGE, "https://site.org/", dt.date(2020, 5, 1))
    for resources in (False, True):
        citations = list(html.extract(source, document, resources=resources))
        assert len(citations) == (6 if resources else 3)
        assert {c.cited_on for c in citations} == {dt.date(2020, 5, 1), dt.date(2021, 12, 16)}
        fields = [tuple(getattr(c, name) for name in Citation.__slots__) for c in citations]
        assert html.rows(source, document, resources=resources) == fields
