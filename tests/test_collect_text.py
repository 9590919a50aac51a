"""Plain text, and the prose rules Markdown shares with it."""

from __future__ import annotations

import pytest

from linkcheck.collect import extract_document
from linkcheck.config import Config
from linkcheck.models import Citation

BASE = "https://site.org/dir/doc.txt"


def _text(source: str, kind: str = "text") -> list[Citation]:
    warnings: list[str] = []
    found = list(
        extract_document(
            source.encode(),
            source="doc.txt",
            base=BASE,
            kind=kind,
            content_type=None,
            config=Config(),
            warn=warnings.append,
        )
    )
    assert warnings == []
    return found


def _urls(source: str, kind: str = "text") -> list[str]:
    return [citation.url for citation in _text(source, kind)]


@pytest.mark.parametrize("kind", ["text", "markdown"])
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("see https://x.org/a.", ["https://x.org/a"]),
        (
            "see https://x.org/a, https://y.org/b; and https://z.org/c!",
            ["https://x.org/a", "https://y.org/b", "https://z.org/c"],
        ),
        ("is it https://x.org/a? yes: https://x.org/b:", ["https://x.org/a", "https://x.org/b"]),
        ("quoted 'https://x.org/a' \"https://x.org/b\"", ["https://x.org/a", "https://x.org/b"]),
        ("(see https://x.org/a)", ["https://x.org/a"]),
        ("https://en.wikipedia.org/wiki/Foo_(bar)", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
        ("(https://en.wikipedia.org/wiki/Foo_(bar))", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
        ("[https://x.org/a] {https://x.org/b}", ["https://x.org/a", "https://x.org/b"]),
        ("https://x.org/a[1] https://x.org/b{2}", ["https://x.org/a[1]", "https://x.org/b{2}"]),
        ("*https://x.org/a* _https://x.org/b_", ["https://x.org/a", "https://x.org/b"]),
        ("**https://x.org/a** __https://x.org/b__", ["https://x.org/a", "https://x.org/b"]),
        ("ends https://x.org/a\\", ["https://x.org/a"]),
        ("www.x.org and WWW.Y.org/p.", ["www.x.org", "WWW.Y.org/p"]),
        ("HTTPS://X.ORG/A", ["HTTPS://X.ORG/A"]),
        ("http://[::1]:8080/x", ["http://[::1]:8080/x"]),
        ("<https://x.org/a_(b>", ["https://x.org/a_(b"]),
        (
            "\u201chttps://x.org/a\u201d and \u00abhttps://x.org/b\u00bb",
            ["https://x.org/a", "https://x.org/b"],
        ),
        ("no scheme x.org/a, no host https:// or www. alone, ahttps://x.org", []),
        (
            "archive https://web.archive.org/web/2020/https://x.org/a",
            ["https://web.archive.org/web/2020/https://x.org/a"],
        ),
    ],
)
def test_bare_url_boundaries(kind: str, source: str, expected: list[str]) -> None:
    assert _urls(source, kind) == expected


def test_www_urls_resolve_to_http() -> None:
    (citation,) = _text("www.x.org/p")
    assert (citation.url, citation.resolved) == ("www.x.org/p", "http://www.x.org/p")


def test_angle_brackets_cite_any_scheme_as_written() -> None:
    assert [
        (c.url, c.resolved, c.column) for c in _text("mail <mailto:a@b.org> or <ftp://f.org/x>")
    ] == [
        ("mailto:a@b.org", "mailto:a@b.org", 7),
        ("ftp://f.org/x", "ftp://f.org/x", 27),
    ]


def test_positions_are_one_based_code_points_on_any_line_ending() -> None:
    source = (
        "first\r\nd\u00e9j\u00e0 \U0001f600 https://x.org/a\rthird https://x.org/b\nhttps://x.org/c"
    )
    assert [(c.line, c.column) for c in _text(source)] == [(2, 8), (3, 7), (4, 1)]


def test_repeated_urls_get_their_own_positions() -> None:
    source = "https://x.org/a https://x.org/a\nagain https://x.org/a"
    assert [(c.line, c.column) for c in _text(source)] == [(1, 1), (1, 17), (2, 7)]


def test_site_relative_path_standing_alone_in_parentheses() -> None:
    source = (
        "TOPICS\n\nGreat Power Competition (/policy-analysis/great-power-competition)\n\n"
        "Military & Security (/policy-analysis/military-security).\n"
        "Craig Whiteside\n\n(/policy-analysis/targeting)\n"
    )
    assert [(c.line, c.column, c.url, c.resolved, c.text) for c in _text(source)] == [
        (
            3,
            26,
            "/policy-analysis/great-power-competition",
            "https://site.org/policy-analysis/great-power-competition",
            "Great Power Competition",
        ),
        (
            5,
            22,
            "/policy-analysis/military-security",
            "https://site.org/policy-analysis/military-security",
            "Military & Security",
        ),
        (
            8,
            2,
            "/policy-analysis/targeting",
            "https://site.org/policy-analysis/targeting",
            "Craig Whiteside",
        ),
    ]


@pytest.mark.parametrize(
    "source",
    [
        "fn(/not/standalone)",
        "(//protocol/relative)",
        "(/)",
        "( /space)",
        "(/with space)",
        "\\(/escaped\\)",
        "(/followed)by-text",
        "[x](/markdown/syntax)",
    ],
)
def test_other_parenthesised_paths_are_not_citations(source: str) -> None:
    assert _urls(source) == []


def test_bare_url_text_is_the_words_around_it() -> None:
    source = (
        "Sources\n"
        "The report https://x.org/a was cited.\n"
        "https://x.org/b says more\n"
        "https://x.org/c\n" + "word " * 30 + "https://x.org/d\n"
    )
    assert [c.text for c in _text(source)] == [
        "The report",  # the words before it
        "says more",  # else the words after it
        "says more",  # else the previous non-empty line, less its URLs
        " ".join(["word"] * 16),  # at most 80 characters, whole words
    ]
