"""Property tests: no input crashes an extractor, and every citation's
(line, column) points at its URL exactly as written in the decoded text."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkcheck.collect import extract_document
from linkcheck.config import Config
from linkcheck.models import Citation

# Pieces that make links likely, mixed with arbitrary text.
_URLS = st.sampled_from(
    [
        "https://example.org/a_(b)",
        "http://x.org/a?b=1&amp;c=2",
        "www.example.org",
        "https://x.org/a\\",
        "/root/path",
        "rel/page.html#frag",
        "<https://x.org/auto>",
        "<a@b.co>",
        "(/policy/x)",
        "javascript:alert(1)",
        "mailto:someone@example.org",
    ]
)
_MARKUP = st.sampled_from([
    "[", "]", "(", ")", "<", ">", "!", "*", "_", "`", "```", "~~~", "\\", "#", "> ", "- ", "1. ",
    "    ", "\t", "\n", "\r\n", "\r", "\n\n", "---\n", "&amp;", "&#x41;", '"', "'", "]: ", "[ref]",
    "[ref]: ", "](", "<a href=", "<a href='", '<img src="', 'srcset="', "<!--", "-->", "<script>",
    "</script>", "<base href=", "</a>", "<area href=", "\u00e9", "\u2028", "\u00a0", "\ufeff",
    "\U0001f600", "\x0b", "\x0c", "\x1c", "\x85", "\u3000",
])  # fmt: skip
_PIECES = st.one_of(_URLS, _MARKUP, st.text(max_size=6))
_DOCUMENTS = st.lists(_PIECES, max_size=40).map("".join)

_VALUES = st.lists(st.one_of(_URLS, _MARKUP, st.text(max_size=4)), max_size=4).map("".join)
_QUOTED = st.tuples(st.sampled_from(['"', "'", ""]), _VALUES).map(lambda q: q[0] + q[1] + q[0])
_TAGS = st.builds(
    "<{}{}{}={}{}>".format,
    st.sampled_from(["a", "A", "area", "img", "link", "script", "iframe", "source", "base", "p"]),
    st.sampled_from([" ", "\n  ", ' title="x" ', " data-x=1 ", "/"]),
    st.sampled_from(["href", "HREF", "src", "srcset"]),
    _QUOTED,
    st.sampled_from(["", " alt='t'", " href=other"]),
)
_MARKDOWN_LINKS = st.builds(
    "{}[{}]({}){}".format, st.sampled_from(["", "!"]), _VALUES, _VALUES, _VALUES
) | st.builds("[{}]: {}\n".format, _VALUES, _VALUES)
_HTML_DOCUMENTS = st.lists(st.one_of(_TAGS, _PIECES), max_size=30).map("".join)
_MARKDOWN_DOCUMENTS = st.lists(st.one_of(_MARKDOWN_LINKS, _PIECES), max_size=30).map("".join)

_PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _extract(document: str, kind: str, resources: bool) -> list[Citation]:
    return list(
        extract_document(
            document.encode("utf-8"),
            source="doc",
            base="https://example.org/dir/doc",
            kind=kind,
            content_type=None,
            config=Config(resources=resources),
            warn=lambda message: None,
        )
    )


def _assert_positions(document: str, citations: list[Citation]) -> None:
    """Line `line` from column `column` starts with the URL as written (read
    on from there: an HTML attribute value may hold a line break)."""
    text = document.removeprefix("\ufeff")  # the decoder drops a UTF-8 byte order mark
    lines = re.split(r"\r\n?|\n", text)
    normalised = "\n".join(lines)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    for citation in citations:
        assert citation.url, citation
        assert 1 <= citation.line <= len(lines), citation
        assert 1 <= citation.column <= len(lines[citation.line - 1]) + 1, citation
        offset = starts[citation.line - 1] + citation.column - 1
        assert normalised[offset:].startswith(citation.url), (citation, lines[citation.line - 1])


@_PROPERTY
@given(_MARKDOWN_DOCUMENTS, st.booleans())
def test_markdown_positions_point_at_the_url(document: str, resources: bool) -> None:
    _assert_positions(document, _extract(document, "markdown", resources))


@_PROPERTY
@given(_HTML_DOCUMENTS, st.booleans())
def test_html_positions_point_at_the_url(document: str, resources: bool) -> None:
    _assert_positions(document, _extract(document, "html", resources))


@_PROPERTY
@given(_DOCUMENTS)
def test_text_positions_point_at_the_url(document: str) -> None:
    _assert_positions(document, _extract(document, "text", False))


@settings(max_examples=100, deadline=None)
@given(st.text(), st.sampled_from(["markdown", "html", "text"]))
def test_arbitrary_text_never_crashes(document: str, kind: str) -> None:
    _assert_positions(document, _extract(document, kind, True))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200), st.sampled_from([None, "markdown", "html", "text"]))
def test_arbitrary_bytes_never_crash(content: bytes, kind: str | None) -> None:
    warnings: list[str] = []
    citations = list(
        extract_document(
            content,
            source="doc",
            base=None,
            kind=kind,
            content_type=None,
            config=Config(resources=True),
            warn=warnings.append,
        )
    )
    assert not (citations and warnings)
