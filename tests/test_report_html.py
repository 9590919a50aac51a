"""The HTML report as a file: self-contained, pinned by its CSP, and inert
whatever the documents said. (tests/test_report_browser.py runs it.)"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re

import lxml.html
import pytest
from fixtures.report.sample import (
    HAARETZ,
    HOSTILE_TEXT,
    JAVASCRIPT_URL,
    hostile_report,
    large_report,
    sample_report,
)

from linkcheck.models import DEFAULT_FAIL_ON, Verdict
from linkcheck.report import html
from linkcheck.report.view import Comparison


def page(text: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(text)


def csp_of(text: str) -> dict[str, str]:
    content = page(text).xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    return dict(part.strip().split(" ", 1) for part in content.split(";"))


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_page_is_self_contained_and_pinned_by_its_csp() -> None:
    text = html.render(sample_report(), fail_on=DEFAULT_FAIL_ON)
    document = page(text)
    policy = csp_of(text)
    assert policy["default-src"] == "'none'"
    assert policy["img-src"] == "data:"
    scripts = document.xpath("//script")
    assert [s.get("type") for s in scripts] == ["application/json", None]
    assert all(s.get("src") is None for s in scripts)
    assert policy["script-src"] == sha256(scripts[1].text)
    (style,) = document.xpath("//style")
    assert policy["style-src"] == sha256(style.text)
    # Nothing to fetch: no stylesheet, font, image or frame from elsewhere.
    for element in document.iter():
        for name in ("src", "href"):
            value = element.get(name)
            assert value is None or value.startswith("data:"), (element.tag, value)
    assert not document.xpath("//*[@style]"), "inline style attributes break the CSP"
    assert "@import" not in style.text
    assert "url(" not in style.text


def test_the_data_element_holds_every_result_and_cannot_end_early() -> None:
    report = hostile_report()
    text = html.render(report, fail_on=DEFAULT_FAIL_ON)
    raw = re.search(
        r'<script type="application/json" id="linkcheck-data">(.*?)</script>', text, re.S
    )
    assert raw is not None
    assert "<" not in raw.group(1)
    assert ">" not in raw.group(1)
    assert "&" not in raw.group(1)
    assert "\u2028" not in raw.group(1)
    data = json.loads(raw.group(1))
    assert data == json.loads(json.dumps(html.payload(report, DEFAULT_FAIL_ON)))
    assert {r["u"] for r in data["results"]} == {r.url for r in report.results}
    anchors = [c[3] for r in data["results"] for c in r["c"]]
    assert HOSTILE_TEXT in anchors


def test_hostile_text_is_escaped_in_the_markup() -> None:
    text = html.render(hostile_report(), fail_on=DEFAULT_FAIL_ON)
    document = page(text)
    assert len(document.xpath("//script")) == 2
    assert not document.xpath("//img | //svg//*[@onload] | //iframe | //object")
    for element in document.iter():
        assert not [name for name in element.attrib if name.lower().startswith("on")]
    warnings = document.xpath("//details[@class='warnings']//li")
    assert [li.text_content() for li in warnings] == ["<script>window.__pwned='warning'</script>"]


def test_results_are_ordered_by_severity_then_url_with_short_keys() -> None:
    data = html.payload(sample_report(), DEFAULT_FAIL_ON)
    names = [v["name"] for v in data["verdicts"]]
    order = [names[r["v"]] for r in data["results"]]
    assert order[:2] == ["broken", "broken"]
    assert order[-1] == "ok"
    assert [v["name"] for v in data["verdicts"] if v["problem"]] == [
        "broken", "error", "timeout", "soft_404", "fragment_missing", "moved", "blocked",
    ]  # fmt: skip
    haaretz = next(r for r in data["results"] if "haaretz" in r["u"])
    assert haaretz["ar"]["d"] == "3 days before the citation"
    assert haaretz["fx"][0] == "archived copy"
    fragment = next(r for r in data["results"] if r["u"].endswith("#section-3"))
    assert "fu" not in fragment  # the final URL is the page itself


def test_the_header_counts_verdicts_and_names_what_fails() -> None:
    document = page(html.render(sample_report(), fail_on=DEFAULT_FAIL_ON))
    assert document.xpath("string(//h1)").split() == ["6", "URLs", "fail", "the", "run"]
    chips = {c.get("data-verdict"): c for c in document.xpath("//button[@data-verdict]")}
    assert set(chips) == {v.value for v in Verdict}  # the sample has every verdict
    assert chips["broken"].xpath("string(.//*[@class='count'])") == "2"
    assert chips["ok"].get("aria-pressed") == "false"
    assert chips["moved"].get("aria-pressed") == "true"
    assert len(document.xpath("//svg[@class='bar']/rect")) == len(Verdict)
    assert "took 4.7 s" in document.xpath("string(//p[@class='meta'])")
    assert not document.xpath("//*[@id='comparison']")


def test_an_interrupted_or_empty_run_says_so() -> None:
    report = dataclasses.replace(sample_report(), complete=False)
    assert "Interrupted" in html.render(report, fail_on=DEFAULT_FAIL_ON)
    empty = dataclasses.replace(sample_report(), results=(), documents=0)
    document = page(html.render(empty, fail_on=DEFAULT_FAIL_ON))
    assert document.xpath("string(//h1)").strip() == "No URL fails the run"
    assert "No URL was found" in document.text_content()


def test_the_previous_run_block_appears_only_with_history() -> None:
    comparison = Comparison(
        previous_finished=None,
        newly_failing=("https://example.org/new", JAVASCRIPT_URL),
        recovered=("https://example.org/back",),
        still_failing=(),
    )
    text = html.render(sample_report(), fail_on=DEFAULT_FAIL_ON, comparison=comparison)
    block = page(text).xpath("//*[@id='comparison']")[0]
    assert [dd.text for dd in block.xpath(".//dd")] == ["2", "1", "0"]
    hrefs = block.xpath(".//a/@href")
    assert hrefs == ["https://example.org/new", "https://example.org/back"]
    assert all(a.get("rel") == "noopener noreferrer" for a in block.xpath(".//a"))
    assert JAVASCRIPT_URL in block.text_content()
    data = html.payload(sample_report(), DEFAULT_FAIL_ON, comparison)
    assert not [r for r in data["results"] if "n" in r]  # none of the sample's URLs is new
    newly = dataclasses.replace(comparison, newly_failing=(HAARETZ,))
    data = html.payload(sample_report(), DEFAULT_FAIL_ON, newly)
    assert [r["u"] for r in data["results"] if r.get("n")] == [HAARETZ]


@pytest.mark.parametrize("fail_on", [frozenset(), frozenset(Verdict)])
def test_any_fail_on_renders(fail_on: frozenset[Verdict]) -> None:
    document = page(html.render(large_report(200), fail_on=fail_on))
    assert document.xpath("//h1")
