"""The decisions every report format shares: what is a problem, in what
order, how results group, what fix is offered."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from fixtures.report.sample import ARTICLE, HAARETZ, RFERL, RFERL_NEW, sample_report

from linkcheck.models import DEFAULT_FAIL_ON, Report, Snapshot, Verdict
from linkcheck.report import view


def test_failing_verdicts_come_first_then_by_severity() -> None:
    order = view.severity_order(DEFAULT_FAIL_ON)
    assert order[:5] == (
        Verdict.BROKEN,
        Verdict.ERROR,
        Verdict.TIMEOUT,
        Verdict.SOFT_404,
        Verdict.FRAGMENT_MISSING,
    )
    assert order[5:] == (
        Verdict.MOVED,
        Verdict.BLOCKED,
        Verdict.REDIRECTED,
        Verdict.SKIPPED,
        Verdict.OK,
    )
    custom = view.severity_order(frozenset({Verdict.MOVED, Verdict.BROKEN}))
    assert custom[:3] == (Verdict.BROKEN, Verdict.MOVED, Verdict.ERROR)


def test_problems_are_failing_moved_and_blocked_by_severity_then_url() -> None:
    problems = view.problems(sample_report(), DEFAULT_FAIL_ON)
    verdicts = [result.verdict for result in problems]
    assert Verdict.OK not in verdicts
    assert Verdict.REDIRECTED not in verdicts
    assert Verdict.SKIPPED not in verdicts
    assert verdicts[:2] == [Verdict.BROKEN, Verdict.BROKEN]
    assert verdicts[-3:] == [Verdict.MOVED, Verdict.MOVED, Verdict.BLOCKED]
    broken = [result.url for result in problems if result.verdict is Verdict.BROKEN]
    assert broken == sorted(broken)


def test_fail_on_decides_what_fails() -> None:
    report = sample_report()
    everything = frozenset(Verdict)
    assert len(view.failing(report, everything)) == len(report.results)
    assert view.failing(report, frozenset()) == []
    assert len(view.problems(report, frozenset())) == 3  # two moved, one blocked


def test_citation_rows_follow_documents_and_lines() -> None:
    rows = view.citation_rows(sample_report().results)
    keys = [(citation.source, citation.line, citation.column) for citation, _ in rows]
    assert keys == sorted(keys)
    assert len(rows) == 15
    grouped = view.by_document(sample_report().results)
    assert list(grouped) == sorted(grouped)
    assert [c.line for c, _ in grouped[ARTICLE]] == sorted(c.line for c, _ in grouped[ARTICLE])


def test_hosts_group_results_and_odd_schemes_have_none() -> None:
    grouped = view.by_host(sample_report().results)
    assert list(grouped) == sorted(grouped)
    assert [r.url for r in grouped[view.NO_HOST]] == ["mailto:editor@example.org"]
    assert view.host_of("https://WWW.Example.org:8443/x") == "www.example.org"
    assert view.host_of("http://[::1") == view.NO_HOST


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a", True),
        ("HTTP://example.org", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("data:text/html,x", False),
        ("mailto:a@example.org", False),
        ("https:///nohost", False),
        (" https://example.org", False),
        ("https://exa mple.org", False),
        ("https://example.org/\x00", False),
        ("//example.org/a", False),
        ("docs/guide.md", False),
        ("", False),
        (None, False),
    ],
)
def test_only_http_urls_with_a_host_may_become_links(url: str | None, expected: bool) -> None:
    assert view.is_web_url(url) is expected


def test_the_fix_is_the_new_url_else_the_snapshot_of_a_failing_url() -> None:
    results = {result.url: result for result in sample_report().results}
    assert view.fix_for(results[RFERL], DEFAULT_FAIL_ON) == view.Fix("new URL", RFERL_NEW)
    haaretz = results[HAARETZ]
    assert haaretz.archive is not None
    assert view.fix_for(haaretz, DEFAULT_FAIL_ON) == view.Fix("archived copy", haaretz.archive.url)
    assert view.fix_for(haaretz, frozenset()) is None  # not failing: nothing to replace


def test_words_for_distance_and_duration() -> None:
    moment = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    assert view.distance_label(Snapshot("u", moment, 200, "w", 0)) == "same day as the citation"
    assert view.distance_label(Snapshot("u", moment, 200, "w", -1)) == (
        "1 day before the citation"
    )
    assert view.distance_label(Snapshot("u", moment, 200, "w", 17)) == "17 days after the citation"
    assert view.distance_label(Snapshot("u", moment, 200, "w", None)) == ""
    report = sample_report()
    assert view.duration(report) == "4.7 s"
    longer = replace(report, finished=report.started + dt.timedelta(minutes=2, seconds=3))
    assert view.duration(longer) == "2 min 3 s"
    assert view.checked_line(report) == "13 URLs in 15 citations from 3 documents"
    empty = Report(moment, moment, (), documents=1)
    assert view.checked_line(empty) == "0 URLs in 0 citations from 1 document"
    assert view.timestamp(moment) == "2020-01-01 00:00:00 UTC"
