"""Fragments: `#x` is checked against the target's anchors; a live page without it is
`fragment_missing`, internal links by default and other sites' with `check_fragments`."""

from __future__ import annotations

from pathlib import Path

import pytest
from servers import fast_config
from site_server import Page, SiteServer, html

from linkcheck.check import Checker
from linkcheck.check.anchors import (
    github_slug,
    has_anchor,
    html_anchors,
    judged,
    markdown_anchors,
)
from linkcheck.config import ArchiveConfig, Config
from linkcheck.models import Report, Result, Verdict
from linkcheck.runner import run


def local_config(**overrides: object) -> Config:
    """Settings for local files only: no archive lookups."""
    return fast_config(archive=ArchiveConfig(lookup="never"), **overrides)


def by_url(report: Report) -> dict[str, Result]:
    return {result.url: result for result in report.results}


# --- anchors ---


def test_html_anchors_are_ids_and_a_names_outside_comments() -> None:
    page = (
        b"<html><body><h1 id='top-heading'>x</h1><a name='legacy'></a><div name='no'></div>"
        b"<!-- <p id='commented'> --><script>var s = '<p id=\"scripted\">'</script>"
        b"<section id='caf\xc3\xa9'></section></body></html>"
    )
    assert html_anchors(page, "text/html; charset=utf-8") == {"top-heading", "legacy", "café"}


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Hello World", "hello-world"),
        ("Hello, *World*!", "hello-world"),
        ("API `v2` (beta)", "api-v2-beta"),
        ("Ça va? 100%", "ça-va-100"),
        ("foo_bar -- baz", "foo_bar----baz"),
        ("[A link](https://example.org) here", "a-link-here"),
    ],
)
def test_markdown_headings_get_githubs_slugs(heading: str, slug: str) -> None:
    assert markdown_anchors(f"# {heading}\n") == {slug}


def test_repeated_headings_are_numbered_and_raw_html_anchors_count() -> None:
    text = (
        "# Usage\n\n## Usage\n\nSetext\n======\n\n"
        '<a name="old"></a>\n\nSee <span id=inline>x</span>.\n'
    )
    assert markdown_anchors(text) == {"usage", "usage-1", "setext", "old", "inline"}
    assert github_slug("Usage") == "usage"


@pytest.mark.parametrize(
    ("fragment", "wanted"),
    [("", False), (None, False), ("top", False), ("TOP", False), (":~:text=hello", False),
     ("/route/1", False), ("!/hashbang", False), ("intro", True)],
)
def test_fragments_that_are_not_anchors_are_not_judged(fragment: str | None, wanted: bool) -> None:
    assert judged(fragment) is wanted


def test_a_fragment_matches_as_written_or_percent_decoded() -> None:
    anchors = frozenset({"café", "a b"})
    assert has_anchor(anchors, "caf%C3%A9")
    assert has_anchor(anchors, "a%20b")
    assert not has_anchor(anchors, "Café")  # ids are case-sensitive


# --- local files: internal, on by default ---


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


async def test_local_fragments_are_checked_against_files(tmp_path: Path) -> None:
    write(tmp_path, "b.md", "# Getting Started\n\n## Install\n\n<a name=\"legacy\"></a>\n")
    write(tmp_path, "c.html", html(ids=["present"]))
    a = write(
        tmp_path,
        "a.md",
        "# Intro\n\n[ok](b.md#getting-started) [ok](b.md#install) [legacy](b.md#legacy)\n"
        "[gone](b.md#uninstall) [html](c.html#present) [html gone](c.html#absent)\n"
        "[self](#intro) [self gone](#outro) [top](b.md#top) [text](b.md#:~:text=x)\n",
    )
    report = await run([str(a)], local_config())
    results = {r.url.rpartition("/")[2]: r for r in report.results}
    missing = {name for name, r in results.items() if r.verdict is Verdict.FRAGMENT_MISSING}
    assert missing == {"b.md#uninstall", "c.html#absent", "a.md#outro"}
    assert results["b.md#uninstall"].fetch.reason == "no anchor #uninstall on the page"
    assert {r.verdict for n, r in results.items() if n not in missing} == {Verdict.OK}


async def test_fragments_can_be_turned_off(tmp_path: Path) -> None:
    write(tmp_path, "b.md", "# Title\n")
    a = write(tmp_path, "a.md", "[gone](b.md#nothing)\n")
    report = await run([str(a)], local_config(fragments=False))
    assert [r.verdict for r in report.results] == [Verdict.OK]


async def test_a_missing_target_stays_broken(tmp_path: Path) -> None:
    a = write(tmp_path, "a.md", "[gone](nowhere.md#x)\n")
    report = await run([str(a)], local_config())
    assert [r.verdict for r in report.results] == [Verdict.BROKEN]


# --- web pages ---


async def test_a_page_inputs_own_site_is_internal_and_one_get_serves_both() -> None:
    pages = {
        "/": html("#present", "#absent", "/other#here", "/other#nowhere", ids=["present"]),
        "/other": html(ids=["here"]),
    }
    async with SiteServer(pages) as site:
        report = await run([site.url("/")], site.config())
    results = by_url(report)
    assert results[site.url("/#absent")].verdict is Verdict.FRAGMENT_MISSING
    assert results[site.url("/other#nowhere")].verdict is Verdict.FRAGMENT_MISSING
    assert results[site.url("/#present")].verdict is Verdict.OK
    assert results[site.url("/other#here")].verdict is Verdict.OK
    assert site.paths("HEAD") == []  # one GET per page: the check and the anchors
    assert site.paths("GET").count("/other") == 1


async def test_other_sites_fragments_need_check_fragments(tmp_path: Path) -> None:
    pages = {"/doc": html(ids=["here"])}
    async with SiteServer(pages) as site:
        links = f"[a]({site.url('/doc#here')}) [b]({site.url('/doc#gone')})\n"
        doc = write(tmp_path, "a.md", links)
        default = await run([str(doc)], site.config())
        assert {r.verdict for r in default.results} == {Verdict.OK}
        assert site.paths("HEAD") == ["/doc"]

        checked = await run([str(doc)], site.config(check_fragments=True))
    results = by_url(checked)
    assert results[site.url("/doc#gone")].verdict is Verdict.FRAGMENT_MISSING
    assert results[site.url("/doc#here")].verdict is Verdict.OK


async def test_the_anchor_is_looked_for_on_the_page_a_redirect_ends_at(tmp_path: Path) -> None:
    pages = {"/old": Page(status=301, location="/new"), "/new": html(ids=["kept"])}
    async with SiteServer(pages) as site:
        links = f"[a]({site.url('/old#kept')}) [b]({site.url('/old#lost')})\n"
        doc = write(tmp_path, "a.md", links)
        report = await run([str(doc)], site.config(check_fragments=True))
    results = by_url(report)
    assert results[site.url("/old#kept")].verdict is Verdict.MOVED
    lost = results[site.url("/old#lost")]
    assert lost.verdict is Verdict.FRAGMENT_MISSING
    assert lost.fetch.suggestion == site.url("/new")


async def test_an_anchor_past_max_body_is_not_called_missing(tmp_path: Path) -> None:
    filler = "<p>" + "x" * 4000 + "</p>"
    pages = {"/long": html(ids=["early"]).replace("<ul>", filler + '<b id="late"></b><ul>')}
    async with SiteServer(pages) as site:
        doc = write(
            tmp_path, "a.md",
            f"[a]({site.url('/long#late')}) [b]({site.url('/long#early')})"
            f" [c]({site.url('/long#never')})\n",
        )
        report = await run([str(doc)], site.config(check_fragments=True, max_body=2048))
    assert {r.verdict for r in report.results} == {Verdict.OK}


async def test_check_page_is_one_get_with_the_body() -> None:
    async with SiteServer({"/p": html(ids=["a"])}) as site, Checker(site.config()) as checker:
        fetch, page = await checker.check_page(site.url("/p"))
        missing, none = await checker.check_page(site.url("/nope"))
    assert fetch.verdict is Verdict.OK
    assert page is not None
    assert b'id="a"' in page.body
    assert missing.verdict is Verdict.BROKEN
    assert none is None
    assert [seen.method for seen in site.log.requests] == ["GET", "GET"]
