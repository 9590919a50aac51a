from __future__ import annotations

import pytest

from linkcheck.urls import UrlFilter, fetch_key, normalise, resolve, split_fragment


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("page.html#a", "https://ex.org/dir/doc.html", "https://ex.org/dir/page.html#a"),
        ("../up", "https://ex.org/a/b/c", "https://ex.org/a/up"),
        ("/root?q=1", "https://ex.org/a/b", "https://ex.org/root?q=1"),
        ("//cdn.org/x", "https://ex.org/", "https://cdn.org/x"),
        ("#top", "https://ex.org/doc", "https://ex.org/doc#top"),
        ("  https://other.org/x \n", "https://ex.org/", "https://other.org/x"),
        ("other.md", "file:///home/me/docs/a.md", "file:///home/me/docs/other.md"),
        ("mailto:a@b.org", "https://ex.org/", "mailto:a@b.org"),
        ("javascript:void(0)", "https://ex.org/", "javascript:void(0)"),
        ("/x", None, "/x"),
        (" rel ", None, "rel"),
        ("http://[bad/x", "https://ex.org/", "http://[bad/x"),
    ],
)
def test_resolve(url: str, base: str | None, expected: str) -> None:
    assert resolve(url, base) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.ORG/Path?Q=A#Frag", "https://example.org/Path?Q=A#Frag"),
        ("http://example.org", "http://example.org/"),
        ("http://example.org?q", "http://example.org/?q"),
        ("http://example.org#f", "http://example.org/#f"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("https://example.org:443/a", "https://example.org/a"),
        ("https://example.org:80/a", "https://example.org:80/a"),
        ("http://example.org:/a", "http://example.org/a"),
        ("http://User:Pw@Example.org:8080", "http://User:Pw@example.org:8080/"),
        ("https://Bücher.DE/straße", "https://xn--bcher-kva.de/straße"),
        ("https://straße.de/", "https://xn--strae-oqa.de/"),
        ("http://[::1]:80/x", "http://[::1]/x"),
        ("https://example.org/a?", "https://example.org/a?"),
        ("MAILTO:Someone@Example.org", "mailto:Someone@Example.org"),
        ("file:///Home/A.md", "file:///Home/A.md"),
    ],
)
def test_normalise(url: str, expected: str) -> None:
    assert normalise(url) == expected


@pytest.mark.parametrize(
    "malformed",
    ["", "no scheme", "/root/only", "http://example.org:port/", "http://a..b\u00e9/", "://x"],
)
def test_normalise_returns_malformed_input_unchanged(malformed: str) -> None:
    assert normalise(malformed) == malformed


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.org/p#a", ("https://x.org/p", "a")),
        ("https://x.org/p#", ("https://x.org/p", "")),
        ("https://x.org/p", ("https://x.org/p", None)),
        ("https://x.org/p#a#b", ("https://x.org/p", "a#b")),
    ],
)
def test_split_fragment(url: str, expected: tuple[str, str | None]) -> None:
    assert split_fragment(url) == expected


def test_fetch_key_shares_one_request_between_fragments() -> None:
    assert fetch_key("HTTPS://X.org:443#a") == fetch_key("https://x.org/#b") == "https://x.org/"


def test_filter_exclude_wins_and_include_restricts() -> None:
    only_docs = UrlFilter(include=[r"^https://docs\."], exclude=[r"/private/"])
    assert only_docs.excluded("https://docs.x.org/a") is None
    assert only_docs.excluded("https://docs.x.org/private/a") == "excluded by pattern '/private/'"
    assert only_docs.excluded("https://www.x.org/a") == "matches no include pattern"


def test_filter_without_patterns_excludes_nothing() -> None:
    assert UrlFilter(include=[], exclude=[]).excluded("https://x.org/") is None
