"""The terminal summary: problems by document, bounded so a person can read it."""

from __future__ import annotations

import datetime as dt

from fixtures.report.sample import sample_report
from rich.console import Console

from linkcheck.models import DEFAULT_FAIL_ON, Citation, Fetch, Report, Result, Verdict
from linkcheck.report import terminal, view

START = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def summary(report: Report) -> str:
    console = Console(record=True, width=300)
    terminal.print_summary(console, report, DEFAULT_FAIL_ON)
    return console.export_text()


def broken(url: str, citations: list[tuple[str, int]]) -> Result:
    cited = tuple(Citation(source, line, 1, "", url, url) for source, line in citations)
    return Result(url, Fetch(Verdict.BROKEN, "404 Not Found", status=404), cited)


def report_of(results: list[Result]) -> Report:
    return Report(START, START, tuple(results), documents=2)


def test_each_problem_is_listed_once_per_document_in_document_order() -> None:
    text = summary(sample_report())
    problems = view.problems(sample_report(), DEFAULT_FAIL_ON)
    for result in problems:
        assert result.url in text
    documents = [line for line in text.splitlines() if line and not line.startswith(" ")]
    listed = [d for d in documents if d in {c.source for r in problems for c in r.citations}]
    assert listed == sorted(listed)


def test_a_url_cited_many_times_in_a_document_shows_a_few_positions() -> None:
    cited = [("doc.md", line) for line in range(1, 41)]
    text = summary(report_of([broken("https://a.example/x", cited)]))
    assert "doc.md:1:1 (also 2:1, 3:1, 4:1, 5:1, 6:1 and 34 more)" in text
    assert text.count("https://a.example/x") == 1


def test_past_the_limit_problems_are_counted_not_listed() -> None:
    results = [
        broken(f"https://a.example/{n:03d}", [("a.md", n + 1), ("b.md", n + 1)]) for n in range(80)
    ]
    text = summary(report_of(results))
    assert text.count("https://a.example/") == terminal.LISTED_AT_MOST
    assert "a.md:1:1" in text  # document order: all of a.md's 80 come first...
    assert "b.md" not in text  # ...so no problem of b.md is listed
    more = 160 - terminal.LISTED_AT_MOST
    assert f"… and {more} more problems in 2 documents" in text
    assert "80 URLs in 160 citations from 2 documents: 80 broken" in text


def test_a_problem_is_placed_by_its_earliest_citation_whatever_their_order() -> None:
    late_first = broken("https://a.example/late", [("doc.md", 9), ("doc.md", 2)])
    between = broken("https://a.example/between", [("doc.md", 5)])
    text = summary(report_of([between, late_first]))
    assert "doc.md:2:1 (also 9:1)" in text
    assert text.index("https://a.example/late") < text.index("https://a.example/between")


def test_the_documents_counted_past_the_limit_are_those_with_unlisted_problems() -> None:
    cited = {"a.md": 30, "b.md": 40, "c.md": 10}  # a.md and 20 of b.md are listed
    results = [
        broken(f"https://a.example/{source}/{n:02d}", [(source, n + 1)])
        for source, count in cited.items()
        for n in range(count)
    ]
    text = summary(report_of(results))
    more = sum(cited.values()) - terminal.LISTED_AT_MOST
    assert f"… and {more} more problems in 2 documents" in text
