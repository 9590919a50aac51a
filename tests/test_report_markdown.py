"""The Markdown summary: a golden file, and hostile text kept literal when
a CommonMark + GFM renderer reads it."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import lxml.html
from fixtures.report.sample import (
    HOSTILE_REASON,
    HOSTILE_TEXT,
    MARKDOWN_TEXT,
    hostile_report,
    large_report,
    sample_report,
)
from markdown_it import MarkdownIt

from linkcheck.models import DEFAULT_FAIL_ON, Verdict
from linkcheck.report import markdown

GOLDEN = Path(__file__).parent / "fixtures" / "report" / "sample.md"


def to_html(text: str) -> lxml.html.HtmlElement:
    """As GitHub would show it, before its own sanitising: raw HTML allowed."""
    parser = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
    return lxml.html.fragment_fromstring(parser.render(text), create_parent="div")


def test_the_sample_matches_the_golden_file() -> None:
    text = markdown.render(sample_report(), fail_on=DEFAULT_FAIL_ON)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_failing_citations_are_a_table_with_links_to_snapshots() -> None:
    document = to_html(markdown.render(sample_report(), fail_on=DEFAULT_FAIL_ON))
    failing, attention = document.xpath("//table")[1:]
    rows = failing.xpath(".//tbody/tr")
    assert len(rows) == 7  # the citations of the six failing URLs
    assert all(len(row.xpath("./td")) == 8 for row in rows)
    snapshots = failing.xpath(".//a[starts-with(@href, 'https://web.archive.org/')]")
    assert [a.text for a in snapshots] == ["snapshot 2022-01-02", "snapshot 2021-12-13"]
    assert "3 days before the citation" in failing.text_content()
    assert document.xpath("//details/summary")[0].text == (
        "Worth a look: 4 citations (moved, blocked)"
    )
    assert "new URL" in attention.text_content()


def test_hostile_text_stays_literal() -> None:
    document = to_html(markdown.render(hostile_report(), fail_on=DEFAULT_FAIL_ON))
    assert not document.xpath("//script | //img | //svg | //b | //em")
    # The only formatting is the report's own: verdict names.
    names = {verdict.value for verdict in Verdict}
    assert {node.text for node in document.xpath("//strong | //code")} <= names
    assert all(href.startswith("https://") for href in document.xpath("//a/@href"))
    rows = document.xpath("//table")[1].xpath(".//tbody/tr")
    assert all(len(row.xpath("./td")) == 8 for row in rows)
    text = document.text_content()
    assert HOSTILE_TEXT in text
    assert " ".join(MARKDOWN_TEXT.split()) in text
    assert HOSTILE_REASON.replace("\u2028", " ") in text
    assert "<script>window.__pwned='warning'</script>" in text


def test_a_clean_run_and_an_interrupted_one() -> None:
    report = sample_report()
    clean = markdown.render(report, fail_on=frozenset())
    assert clean.startswith("## ✅ linkcheck: no URL fails the run\n")
    assert "### Failing citations" not in clean
    interrupted = markdown.render(dataclasses.replace(report, complete=False), fail_on=frozenset())
    assert "> [!WARNING]\n> Interrupted" in interrupted


def test_long_tables_stop_at_the_limit() -> None:
    report = large_report(400)
    text = markdown.render(report, fail_on=frozenset({Verdict.BROKEN}), limit=10)
    failing = sum(1 for r in report.results if r.verdict is Verdict.BROKEN)
    assert f"… and {failing - 10:,} more: see the HTML or JSON report." in text
    assert text.count("`broken`") == 10
