"""The HTML report in a real browser: Debian's Chromium driven by Playwright.

Skipped, with the command to run, where Chromium or Playwright is missing.
Every page is opened from file:// under its own CSP; a console error (a CSP
violation is one) fails the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fixtures.report.browser import CHROMIUM_ARGS, chromium_path
from fixtures.report.sample import (
    ARTICLE,
    HAARETZ,
    HEZBOLLAH,
    HOSTILE_TEXT,
    HOSTILE_URL,
    I24,
    NOTES,
    hostile_report,
    large_report,
    sample_report,
)

from linkcheck.models import DEFAULT_FAIL_ON, Report
from linkcheck.report import html, view

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    pytest.skip(
        "playwright is not installed: .venv/bin/pip install -e '.[test]'", allow_module_level=True
    )
CHROMIUM = chromium_path()
if CHROMIUM is None:  # pragma: no cover - depends on the machine
    pytest.skip(
        "Debian's chromium is not installed: apt-get install -y chromium", allow_module_level=True
    )

Opener = Callable[[Report], Page]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def open_report(browser: Browser, tmp_path: Path) -> Iterator[Opener]:
    """Open a rendered report; fail on any console error, page error or dialog."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    problems: list[str] = []

    def opener(report: Report) -> Page:
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("dialog", lambda dialog: (problems.append(dialog.message), dialog.dismiss()))
        target = tmp_path / "report.html"
        target.write_text(html.render(report, fail_on=DEFAULT_FAIL_ON), encoding="utf-8")
        page.goto(target.as_uri())
        page.wait_for_selector("html[data-ready='true']")
        return page

    yield opener
    context.close()
    assert problems == []


def urls(page: Page) -> list[str]:
    """The URL column of the visible rows."""
    return page.locator("#grid tbody tr.row td.c-url > :first-child").all_inner_texts()


def verdicts(page: Page) -> list[str]:
    return page.locator("#grid tbody tr.row td.c-verdict .badge").all_inner_texts()


def test_problems_come_first_and_ok_links_are_folded_away(open_report: Opener) -> None:
    report = sample_report()
    page = open_report(report)
    assert urls(page) == [r.url for r in view.problems(report, DEFAULT_FAIL_ON)]
    assert verdicts(page)[:2] == ["broken", "broken"]
    folded = page.locator("#folded")
    assert "4 URLs are folded away" in folded.inner_text()
    folded.get_by_role("button", name="Show them").click()
    assert len(urls(page)) == len(report.results)
    assert "ok" in verdicts(page)
    assert folded.is_hidden()


def test_filter_by_verdict(open_report: Opener) -> None:
    page = open_report(sample_report())
    page.locator("#chips [data-verdict='broken']").click()
    assert "broken" not in verdicts(page)
    assert page.locator("#chips [data-verdict='broken']").get_attribute("aria-pressed") == "false"
    page.locator("#show-all").click()
    page.locator("#chips [data-verdict='ok']").click()
    assert "ok" not in verdicts(page)
    assert "redirected" in verdicts(page)
    page.locator("#problems-only").click()
    assert set(verdicts(page)) == {
        "broken", "error", "timeout", "soft_404", "fragment_missing", "moved", "blocked",
    }  # fmt: skip


def search(page: Page, text: str, expected: list[str]) -> None:
    """Type a query and wait out the debounce until the rows are `expected`."""
    page.locator("#q").fill(text)
    page.wait_for_function(
        """expected => Array.from(document.querySelectorAll(
             '#grid tbody tr.row td.c-url > :first-child')).map(e => e.textContent).join('\\n')
           === expected""",
        arg="\n".join(expected),
    )


def test_free_text_search_matches_urls_anchor_text_and_reasons(open_report: Opener) -> None:
    page = open_report(sample_report())
    search(page, "haaretz", [HAARETZ])
    search(page, "antony blinken", [I24])
    assert page.locator("#range").inner_text() == "1 URL"
    search(page, "CERTIFICATE", ["https://expired.example.org/"])
    search(page, "reading list", [HEZBOLLAH, "https://slow.example.net/report.pdf"])
    search(page, "no such thing anywhere", [])
    assert page.locator("#empty").is_visible()


def test_sort_by_any_column(open_report: Opener) -> None:
    report = sample_report()
    page = open_report(report)
    shown = [r.url for r in view.problems(report, DEFAULT_FAIL_ON)]
    header = page.locator("thead th.c-url")
    header.get_by_role("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert urls(page) == sorted(shown)
    header.get_by_role("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    assert urls(page) == sorted(shown, reverse=True)
    page.locator("thead th.c-status button").click()
    statuses = page.locator("#grid tbody tr.row td.c-status").all_inner_texts()
    numbers = [-1 if s == "—" else int(s) for s in statuses]
    assert numbers == sorted(numbers)


def test_expand_a_redirect_chain(open_report: Opener) -> None:
    page = open_report(sample_report())
    page.get_by_role("button", name=f"Details of {HEZBOLLAH}").click()
    detail = page.locator("#grid tbody tr.detail")
    assert detail.count() == 1
    hops = detail.locator(".chain li").all_inner_texts()
    assert [hop.split(None, 1)[0] for hop in hops] == ["301", "302", "404"]
    assert HEZBOLLAH in hops[0]
    assert "cdn.19fortyfive.com/archive" in hops[2]
    assert "no snapshot within 365 days" in detail.inner_text()
    cites = detail.locator("table.cites tr").all_inner_texts()
    assert len(cites) == 3
    assert NOTES in cites[2]
    chain_link = detail.locator(".chain a").first
    assert chain_link.get_attribute("rel") == "noopener noreferrer"
    assert chain_link.get_attribute("target") == "_blank"
    page.get_by_role("button", name=f"Details of {HEZBOLLAH}").click()
    assert page.locator("#grid tbody tr.detail").count() == 0


def test_the_archived_copy_is_shown_with_its_date_and_distance(open_report: Opener) -> None:
    page = open_report(sample_report())
    row = page.locator("#grid tbody tr.row", has_text=HAARETZ)
    fix = row.locator("td.c-fix")
    assert "Snapshot of 2021-12-13" in fix.inner_text()
    assert "3 days before the citation" in fix.inner_text()
    href = fix.locator("a").get_attribute("href")
    assert href is not None
    assert href.startswith("https://web.archive.org/web/20211213094512/")


def test_views_by_document_and_by_host_group_the_rows(open_report: Opener) -> None:
    page = open_report(sample_report())
    page.get_by_role("tab", name="By document").click()
    groups = page.locator("#grid tbody tr.group .gname").all_inner_texts()
    assert groups == ["docs/guide.md", ARTICLE, NOTES]
    lines = page.locator("#grid tbody tr.row td.c-line").all_inner_texts()
    assert lines[:3] == ["12", "20", "31"]
    page.locator("#grid tbody tr.group button", has_text="docs/guide.md").click()
    assert page.locator("#grid tbody tr.row td.c-line").all_inner_texts()[:1] == ["27"]
    page.get_by_role("tab", name="By host").click()
    hosts = page.locator("#grid tbody tr.group .gname").all_inner_texts()
    assert hosts == sorted(hosts)
    assert "www.haaretz.com" in hosts
    page.locator("#host").select_option(label="www.19fortyfive.com (1)")
    assert urls(page) == [HEZBOLLAH]


def test_filter_by_document(open_report: Opener) -> None:
    page = open_report(sample_report())
    page.locator("#doc").select_option(label=f"{NOTES} (2)")
    assert sorted(urls(page)) == sorted([HEZBOLLAH, "https://slow.example.net/report.pdf"])


def test_only_one_page_of_rows_is_in_the_document(open_report: Opener) -> None:
    page = open_report(large_report(3000))
    page.locator("#show-all").click()
    assert page.locator("#grid tbody tr").count() == 100
    assert page.locator("#range").inner_text() == "3,000 URLs · rows 1\u2013100 of 3,000"
    first = urls(page)
    page.locator("#next").click()
    assert page.locator("#pageno").inner_text() == "Page 2 of 30"
    assert urls(page) != first
    assert len(urls(page)) == 100
    page.locator("#size").select_option("500")
    assert page.locator("#grid tbody tr").count() == 500


def test_a_hostile_report_runs_no_script_and_shows_the_text(open_report: Opener) -> None:
    page = open_report(hostile_report())
    page.locator("#show-all").click()
    for toggle in page.locator("#grid tbody button[data-open]").all():
        toggle.click()
    for tab in ("By document", "By host", "Problems by URL"):
        page.get_by_role("tab", name=tab).click()
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#grid img, #grid script, #grid svg, #grid iframe").count() == 0
    body = page.locator("#grid").inner_text()
    assert HOSTILE_TEXT in body
    assert HOSTILE_URL in body
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
    assert hrefs
    assert all(href.startswith(("https://", "http://")) for href in hrefs)
    assert all(
        rel == "noopener noreferrer"
        for rel in page.locator("a[href]").evaluate_all("links => links.map(a => a.rel)")
    )
    warning = page.locator("details.warnings li")
    assert warning.text_content() == "<script>window.__pwned='warning'</script>"


def test_light_and_dark_schemes(open_report: Opener) -> None:
    page = open_report(sample_report())
    background = "() => getComputedStyle(document.documentElement).backgroundColor"
    light = page.evaluate(background)
    page.locator("#theme").click()  # auto -> light
    assert page.evaluate(background) == light
    page.locator("#theme").click()  # light -> dark
    assert page.locator("#theme").inner_text() == "Theme: dark"
    assert page.evaluate(background) != light
    page.emulate_media(color_scheme="dark")
    page.locator("#theme").click()  # dark -> auto, follows the system: dark
    assert page.evaluate(background) != light


def test_print_shows_the_rows_without_the_controls(open_report: Opener) -> None:
    page = open_report(large_report(300))
    page.emulate_media(media="print")
    assert page.locator(".toolbar").is_hidden()
    assert page.locator(".pager").is_hidden()
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("#grid tbody tr.row").count() == len(
        view.problems(large_report(300), DEFAULT_FAIL_ON)
    )
