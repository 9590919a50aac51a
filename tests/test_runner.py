"""The runner joins collect and check: one fetch per distinct URL, every document counted."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from servers import Catalogue, fast_config

from linkcheck.collect import markdown, pool
from linkcheck.config import ArchiveConfig, CacheConfig, Config
from linkcheck.models import Citation, Verdict
from linkcheck.runner import _Catalogue, run
from linkcheck.store import Store


async def test_documents_without_links_count_and_fragments_share_one_fetch(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    page = catalogue.url("/page")
    (tmp_path / "a.md").write_text(f"[one]({page}#a) and [two]({page}#b) and {page}\n")
    (tmp_path / "empty.md").write_text("No links here.\n")
    config = catalogue.config(archive=ArchiveConfig(lookup="never"))

    report = await run([str(tmp_path)], config)

    assert report.documents == 2
    urls = sorted(result.url for result in report.results)
    assert urls == [page, f"{page}#a", f"{page}#b"]
    assert {result.verdict for result in report.results} == {Verdict.OK}
    assert catalogue.log.count("/page") == 1


def test_citations_are_grouped_by_url_as_normalised_and_urls_by_fetch() -> None:
    told: list[str] = []
    catalogue = _Catalogue(on_new_key=told.append)
    cited = [
        Citation("a.md", 1, 1, "", written, written)
        for written in ("HTTP://Example.COM/a", "http://example.com/a#x", "http://example.com/a")
    ]
    cited.append(Citation("b.md", 1, 1, "", "HTTP://Example.COM/a", "HTTP://Example.COM/a"))
    for citation in cited:
        catalogue.add(citation)
    page = "http://example.com/a"
    by_url = {url: list(citations.freeze()) for url, citations in catalogue.by_url.items()}
    assert by_url == {page: [cited[0], cited[2], cited[3]], f"{page}#x": [cited[1]]}
    assert catalogue.by_fetch == {page: [page, f"{page}#x"]}
    assert told == [page]  # each fetch key once, when first cited
    assert catalogue.documents == {"a.md", "b.md"}


# --- checking while reading: the first URLs are asked while later documents are read ---


class _Gate:
    """A server whose /first answer opens a gate file that reading the last document waits for."""

    def __init__(self, gate: Path) -> None:
        self.gate = gate
        self.log: list[str] = []
        app = web.Application()
        app.router.add_get("/{name}", self._page)
        self.server = TestServer(app, host="127.0.0.1")

    async def _page(self, request: web.Request) -> web.Response:
        self.log.append(request.path)
        if request.path == "/first":
            self.gate.touch()
        body = '<!doctype html><title>A page</title><h1 id="there">There</h1>' + "words " * 50
        return web.Response(text=body, content_type="text/html")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.port}{path}"

    async def __aenter__(self) -> _Gate:
        await self.server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.server.close()


def _config(**overrides: Any) -> Config:
    """Every path of the gate server answers the same page: no soft-404 judging."""
    return fast_config(archive=ArchiveConfig(lookup="never"), soft_404=False, **overrides)


def _read_last_once_gate_opens(
    monkeypatch: pytest.MonkeyPatch, gate: Path, patience: float = 20
) -> Path:
    """Workers read the folder, and one of them waits (at most `patience` seconds) for the
    gate before reading `last.md`; the returned file says whether it was open by then."""
    seen = gate.with_name("gate-was-open")
    extract = markdown.extract

    def waiting_extract(blocks: Any, document: Any, **options: Any) -> Any:
        if document.source.endswith("last.md"):
            deadline = time.monotonic() + patience
            while not gate.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            seen.write_text(str(gate.exists()))
        return extract(blocks, document, **options)

    monkeypatch.setattr(markdown, "extract", waiting_extract)  # forked workers inherit it
    monkeypatch.setattr(pool, "workers", lambda: 2)
    monkeypatch.setattr(pool, "POOL_FILES", 2)
    monkeypatch.setattr(pool, "POOL_BYTES", 0)
    monkeypatch.setattr(pool, "CHUNK_FILES", 1)  # each file its own task
    return seen


async def test_urls_are_checked_while_later_documents_are_still_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = tmp_path / "gate"
    seen = _read_last_once_gate_opens(monkeypatch, gate)
    docs = tmp_path / "docs"
    docs.mkdir()
    async with _Gate(gate) as site:
        (docs / "a-first.md").write_text(f"[first]({site.url('/first')})\n")
        (docs / "last.md").write_text(f"[last]({site.url('/last')})\n")
        report = await run([str(docs)], _config())
        first, last = site.url("/first"), site.url("/last")
    assert seen.read_text() == "True"  # /first was checked before last.md was read
    assert {result.url: result.verdict for result in report.results} == {
        first: Verdict.OK,
        last: Verdict.OK,
    }
    assert sorted(site.log) == ["/first", "/last"]


@pytest.mark.parametrize("max_age", [86400.0, 0.0], ids=["cache", "no-cache"])
async def test_with_a_history_the_first_urls_are_asked_while_reading_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, max_age: float
) -> None:
    """Keys wait for the history's cache only until reading lets the loop run."""
    gate = tmp_path / "gate"
    seen = _read_last_once_gate_opens(monkeypatch, gate)
    docs = tmp_path / "docs"
    docs.mkdir()
    history = Store(tmp_path / "history.db")
    async with _Gate(gate) as site:
        (docs / "a-first.md").write_text(f"[first]({site.url('/first')})\n")
        (docs / "last.md").write_text(f"[last]({site.url('/last')})\n")
        config = _config(cache=CacheConfig(max_age=max_age))
        await run([str(docs)], config, history=history)  # the history file exists now
        gate.unlink()
        site.log.clear()
        (docs / "a-first.md").write_text(f"[first]({site.url('/first?again')})\n")
        report = await run([str(docs)], config, history=history)
        again, last = site.url("/first?again"), site.url("/last")
    assert seen.read_text() == "True"  # /first?again was asked before last.md was read
    assert {result.url: result.verdict for result in report.results} == {
        again: Verdict.OK,
        last: Verdict.OK,
    }
    assert site.log == ["/first"] if max_age else sorted(site.log) == ["/first", "/last"]


async def test_a_fragment_cited_after_its_page_is_judged_from_one_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = tmp_path / "gate"
    seen = _read_last_once_gate_opens(monkeypatch, gate, patience=1)
    docs = tmp_path / "docs"
    docs.mkdir()
    async with _Gate(gate) as site:
        (docs / "a-first.md").write_text(f"[first]({site.url('/first')})\n")
        (docs / "last.md").write_text(
            f"[here]({site.url('/first#there')}) [gone]({site.url('/first#gone')})\n"
        )
        report = await run([str(docs)], _config(base_url=site.url("/")))
        first = site.url("/first")
    verdicts = {result.url: result.verdict for result in report.results}
    assert verdicts == {
        first: Verdict.OK,
        f"{first}#there": Verdict.OK,
        f"{first}#gone": Verdict.FRAGMENT_MISSING,
    }
    assert seen.read_text() == "False"  # an internal page waits for every document,
    assert site.log == ["/first"]  # so one GET serves its verdict and its anchors
