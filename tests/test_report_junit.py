"""The JUnit XML report, read back by an XML parser as CI would."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import lxml.etree
from fixtures.report.sample import (
    ARTICLE,
    HAARETZ,
    HOSTILE_TEXT,
    HOSTILE_URL,
    RFERL,
    hostile_report,
    sample_report,
)

from linkcheck.models import DEFAULT_FAIL_ON, Verdict
from linkcheck.report import junit


def cases(text: str) -> dict[str, ET.Element]:
    root = ET.fromstring(text)
    return {case.get("name", ""): case for case in root.iter("testcase")}


def test_one_test_case_per_url_and_a_failure_per_failing_verdict() -> None:
    report = sample_report()
    text = junit.render(report, fail_on=DEFAULT_FAIL_ON)
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("tests") == "13"
    assert suite.get("failures") == "6"
    assert suite.get("skipped") == "1"
    assert suite.get("errors") == "0"
    assert suite.get("time") == "4.690"
    by_name = cases(text)
    assert set(by_name) == {r.url for r in report.results}
    for result in report.results:
        case = by_name[result.url]
        assert case.get("classname") == min(c.source for c in result.citations)
        failure = case.find("failure")
        assert (failure is not None) is (result.verdict in DEFAULT_FAIL_ON)
    haaretz = by_name[HAARETZ].find("failure")
    assert haaretz is not None
    assert haaretz.get("type") == "broken"
    assert haaretz.get("message") == f"broken: 404 Not Found (cited in {ARTICLE}:31)"
    assert "archived copy: https://web.archive.org/web/20211213094512/" in (haaretz.text or "")
    assert f'{ARTICLE}:31:44 "closer to Israel' in (haaretz.text or "")
    skipped = by_name["mailto:editor@example.org"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "mailto: is not checked"
    moved = by_name[RFERL].find("system-out")
    assert moved is not None
    assert "fix: cite the new URL https://www.rferl.org/a/29801050.html" in (moved.text or "")


def test_fail_on_moves_verdicts_between_passing_and_failing() -> None:
    text = junit.render(sample_report(), fail_on=frozenset({Verdict.MOVED, Verdict.SKIPPED}))
    suite = ET.fromstring(text).find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "3"
    assert suite.get("skipped") == "0"


def test_hostile_text_is_well_formed_xml_and_reads_back_the_same() -> None:
    text = junit.render(hostile_report(), fail_on=DEFAULT_FAIL_ON)
    lxml.etree.fromstring(text.encode("utf-8"))  # the strict parser agrees
    by_name = cases(text)
    failure = by_name[HOSTILE_URL].find("failure")
    assert failure is not None
    assert HOSTILE_TEXT in (failure.text or "")
    assert by_name[HOSTILE_URL].get("classname") == '=HYPERLINK("http://evil.example")'
    control = next(case for name, case in by_name.items() if name.startswith("data:"))
    message = control.find("failure")
    assert message is not None
    assert "control \ufffd\ufffd\ufffd chars and ]]> end" in (message.get("message") or "")
