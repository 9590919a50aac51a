"""reStructuredText: hyperlinks and targets as docutils reads them, positions as written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from linkcheck.collect import collect, extract_document
from linkcheck.config import Config
from linkcheck.models import Citation

FIXTURE = Path(__file__).parent / "fixtures" / "sources" / "page.rst"
PUBLISHED = dt.date(2021, 12, 16)  # the page's `:Date:` line


def _rst(source: str, *, resources: bool = False) -> list[Citation]:
    warnings: list[str] = []
    found = list(
        extract_document(
            source.encode(),
            source="page.rst",
            base="https://site.example.org/docs/page.html",
            kind="rst",
            content_type=None,
            config=Config(resources=resources),
            warn=warnings.append,
        )
    )
    assert warnings == []
    return found


def test_a_page_cites_links_and_targets_but_nothing_in_literal_blocks() -> None:
    warnings: list[str] = []
    citations = list(collect([str(FIXTURE)], Config(), warn=warnings.append))
    spec = "https://httpwg.org/specs/rfc9110.html"
    assert [(c.line, c.column, c.url, c.text, c.cited_on) for c in citations] == [
        (7, 28, "https://docs.python.org/3/", "Python documentation", PUBLISHED),
        (11, 25, spec, "HTTP specification", PUBLISHED),  # a use, cited at its target
        (8, 35, "https://www.rfc-editor.org/rfc/rfc9110",
         "The Python documentation and the HTTP specification say so; see", PUBLISHED),
        (13, 4, "https://anon.example.org/first", "anonymous link", PUBLISHED),
        (14, 4, "https://anon.example.org/second", "another one", PUBLISHED),
        (27, 13, "https://reports.example.org/2021", "Report on", dt.date(2022, 1, 5)),
        (29, 19, "https://split.example.org/a/very/long/path",
         "A long title broken over two lines", PUBLISHED),
        (11, 25, spec, "HTTP specification", PUBLISHED),
        (35, 36, "https://docs.python.org/3/", "Python documentation", PUBLISHED),
        (37, 20, "https://unused.example.org/", "unused target", PUBLISHED),
    ]
    assert all(c.resolved == c.url for c in citations)
    assert warnings == []


def test_each_position_points_at_the_url_as_written() -> None:
    lines = FIXTURE.read_text(encoding="utf-8").split("\n")
    for citation in collect([str(FIXTURE)], Config(), warn=lambda _: None):
        written = lines[citation.line - 1][citation.column - 1 :]
        assert citation.url.startswith(written.split()[0].rstrip(">`_.,")), citation


def test_relative_links_resolve_and_email_addresses_are_not_links() -> None:
    citations = _rst(
        "See `the guide <guide.html#setup>`_, write to a@b.example.org or\n"
        "<mailto:team@b.example.org>.\n"
    )
    assert [(c.line, c.column, c.url, c.resolved) for c in citations] == [
        (1, 17, "guide.html#setup", "https://site.example.org/docs/guide.html#setup"),
        (2, 2, "mailto:team@b.example.org", "mailto:team@b.example.org"),
    ]


def test_a_title_link_is_found_on_the_title_line() -> None:
    citations = _rst("About https://x.example.org/\n============================\n\nText.\n")
    assert [(c.line, c.column, c.text) for c in citations] == [(1, 7, "About")]


def test_the_same_url_twice_in_a_paragraph_has_two_positions() -> None:
    citations = _rst("Once https://x.example.org/ and twice\nhttps://x.example.org/ here.\n")
    assert [(c.line, c.column) for c in citations] == [(1, 6), (2, 1)]


def test_images_only_with_resources() -> None:
    source = ".. image:: https://img.example.org/a.png\n   :alt: A chart\n"
    assert _rst(source) == []
    assert [(c.line, c.column, c.url, c.text) for c in _rst(source, resources=True)] == [
        (1, 12, "https://img.example.org/a.png", "A chart"),
    ]


def test_unknown_directives_and_roles_do_not_stop_the_page() -> None:
    citations = _rst(
        ".. toctree::\n\n   intro\n\n"
        "Uses :ref:`x` and https://after.example.org/.\n\n"
        ".. code-block:: python\n\n   https://in-code.example.org/\n"
    )
    assert [(c.line, c.url) for c in citations] == [(5, "https://after.example.org/")]
