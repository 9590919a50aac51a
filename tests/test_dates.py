"""The citation date: parsing, access dates next to links, document dates, and
what the collect stage gives each citation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from linkcheck.collect import collect
from linkcheck.config import Config
from linkcheck.dates import access_date_near, document_date, parse_date, parsed_html

DEC16 = dt.date(2021, 12, 16)
SEED = Path(__file__).parent / "fixtures" / "collect" / "seed-article.md"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-12-16", DEC16),
        ("2021-12-16T10:00:00Z", DEC16),
        ("2021-12-16T23:30:00-05:00", DEC16),  # the day as written, not in UTC
        ("2021-12-16T10:00:00.123+01:00", DEC16),
        ("Dec 16, 2021", DEC16),
        ("Dec. 16, 2021", DEC16),
        ("December 16th, 2021", DEC16),
        ("16 December 2021", DEC16),
        ("16 Dec 2021", DEC16),
        ("Thu, 16 Dec 2021 10:00:00 GMT", DEC16),
        ("Sept. 3, 2020", dt.date(2020, 9, 3)),
        ("December 2021", None),  # no day
        ("2021", None),
        ("3 times", None),
        ("", None),
        ("soon", None),
    ],
)
def test_parse_date(value: str, expected: dt.date | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('Smith, J. "Title". Site. Retrieved 16 December 2021.', DEC16),
        ("Accessed Dec. 16, 2021.", DEC16),
        ("The report (accessed on December 16, 2021) says so.", DEC16),
        ("{{cite web |url=https://a.org/ |title=A |access-date=2021-12-16}}", DEC16),
        ("@misc{a, url = {https://a.org/}, urldate = {2021-12-16}}", DEC16),
        ("Last visited 2021-12-16.", DEC16),
        ("Retrieved from https://a.org/ on the web.", None),  # APA without a date
        ("Published 16 December 2021.", None),  # a date, but not an access date
        ("Nothing to see here.", None),
    ],
)
def test_access_date_in_a_list_item(text: str, expected: dt.date | None) -> None:
    assert access_date_near(text) == expected


def test_access_date_in_prose_belongs_to_its_sentence() -> None:
    text = (
        "See the report at https://a.org/r. "
        "The archive at https://b.org/x, accessed Dec. 16, 2021 by J. Smith, differs."
    )
    assert access_date_near(text, text.index("https://a.org")) is None
    assert access_date_near(text, text.index("https://b.org")) == DEC16


def html(head: str, body: str = "") -> str:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (
            "html",
            html('<meta property="article:published_time" content="2021-12-16T10:00:00Z">'),
            DEC16,
        ),
        ("html", html('<meta property="og:published_time" content="2021-12-16">'), DEC16),
        (
            "html",
            html(
                '<script type="application/ld+json">'
                '{"@graph": [{"@type": "NewsArticle", "datePublished": "2021-12-16"}]}'
                "</script>"
            ),
            DEC16,
        ),
        ("html", html("", '<p>By A. <time datetime="2021-12-16T08:00">Thursday</time></p>'), DEC16),
        ("html", html('<meta name="date" content="Dec 16, 2021">'), DEC16),
        ("html", html('<meta name="DC.date" content="16 December 2021">'), DEC16),
        # The first source in the order wins.
        (
            "html",
            html(
                '<meta name="date" content="2020-01-01">'
                '<meta property="article:published_time" content="2021-12-16">'
            ),
            DEC16,
        ),
        ("html", html("<title>No date</title>", "<p>Dec 16, 2021</p>"), None),
        ("markdown", "---\ntitle: A\ndate: 2021-12-16\n---\n# A\n", DEC16),
        ("markdown", '---\ndate: "Dec 16, 2021"\n---\n', DEC16),
        ("markdown", "+++\ndate = 2021-12-16T10:00:00Z\n+++\n", DEC16),
        ("markdown", "---\ntitle: A\n---\n\n# A\n\nDec 16, 2021\n\nText.\n", DEC16),
        ("markdown", SEED.read_text(encoding="utf-8"), DEC16),  # the sample article
        ("text", "A TITLE\n\nWASHINGTON, 16 December 2021 - Text.\n", DEC16),
        ("text", "Title\n\n" + "x " * 60 + "Dec 16, 2021\n", None),  # a long line: prose
        ("text", "Title\nRetrieved Dec 16, 2021\n", None),  # an access date, not a dateline
        ("text", "\n" * 45 + "Dec 16, 2021\n", None),  # not near the top
        ("text", "No date at all.\n", None),
    ],
)
def test_document_date(kind: str, text: str, expected: dt.date | None) -> None:
    assert document_date(kind, text) == expected


def cited(tmp_path: Path, name: str, text: str) -> dict[str, dt.date | None]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return {c.url: c.cited_on for c in collect([str(path)], Config(), warn=print)}


def test_the_sample_article_is_cited_on_its_dateline() -> None:
    citations = list(collect([str(SEED)], Config(), warn=print))
    assert citations
    assert {citation.cited_on for citation in citations} == {DEC16}


def test_markdown_access_dates_beat_the_document_date(tmp_path: Path) -> None:
    dates = cited(
        tmp_path,
        "refs.md",
        "---\ndate: 2022-03-01\n---\n\n"
        "1. Smith. [Report](https://a.org/r). Site. Retrieved 16 December 2021.\n"
        "2. Jones. <https://b.org/x>\n\n"
        "The page https://c.org/p (accessed 2020-05-04) and https://d.org/q differ.\n",
    )
    assert dates == {
        "https://a.org/r": DEC16,
        "https://b.org/x": dt.date(2022, 3, 1),
        "https://c.org/p": dt.date(2020, 5, 4),
        "https://d.org/q": dt.date(2020, 5, 4),  # same sentence
    }


def test_html_access_dates_and_publication_date(tmp_path: Path) -> None:
    dates = cited(
        tmp_path,
        "page.html",
        html(
            '<meta property="article:published_time" content="2022-03-01T09:00:00Z">',
            '<ol><li><a href="https://a.org/r">Report</a>. Accessed 16 December 2021.</li>'
            '<li><a href="https://b.org/x">Other</a>.</li></ol>',
        ),
    )
    assert dates == {"https://a.org/r": DEC16, "https://b.org/x": dt.date(2022, 3, 1)}


def test_text_access_dates_and_dateline(tmp_path: Path) -> None:
    dates = cited(
        tmp_path,
        "notes.txt",
        "Notes\nMarch 1, 2022\n\nhttps://a.org/r retrieved 2021-12-16\nhttps://b.org/x\n",
    )
    assert dates == {"https://a.org/r": DEC16, "https://b.org/x": dt.date(2022, 3, 1)}


def test_an_undated_document_leaves_cited_on_null(tmp_path: Path) -> None:
    assert cited(tmp_path, "a.md", "See https://a.org/.\n") == {"https://a.org/": None}


def test_the_tree_of_an_html_date_is_handed_over_once_for_the_same_text() -> None:
    text = '<html><head><meta name="date" content="2021-12-16"></head><body>x</body></html>'
    assert document_date("html", text) == DEC16
    root = parsed_html(text)
    assert root is not None
    assert root.find(".//meta").get("content") == "2021-12-16"
    assert parsed_html(text) is None  # handed over once
    assert document_date("html", text) == DEC16
    assert parsed_html(text[:10] + text[10:]) is None  # an equal string is not the same text
    assert document_date("html", "<p>\ud800</p>") is None  # lone surrogate: parsed, not kept
    assert parsed_html("<p>\ud800</p>") is None
