"""`linkcheck crawl` and `check --recursive`: the real command line, in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from servers import HOSTS
from site_server import SiteServer, html
from test_cli import SCHEMA, linkcheck


def flags(site: SiteServer, report: Path) -> list[str]:
    resolve = [arg for host in HOSTS for arg in ("--resolve", f"{host}:{site.port}:127.0.0.1")]
    return [
        "--allow-private", "--retries", "0", "--no-archive", "--no-soft-404",
        "--json", str(report), "--html", "", *resolve,
    ]


@pytest.mark.parametrize("command", [["crawl"], ["check", "--recursive"]])
async def test_crawl_reports_each_broken_link_on_every_page(
    command: list[str], tmp_path: Path
) -> None:
    pages = {
        "/": html("/a", "/b", "/a#gone"),
        "/a": html("/missing", "/b#here"),
        "/b": html("/missing", ids=["here"]),
    }
    async with SiteServer(pages) as site:
        out = tmp_path / "report.json"
        code, stdout, stderr = await linkcheck(
            *command, site.url("/"), *flags(site, out), cwd=tmp_path
        )
    assert code == 1, stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(report, SCHEMA)
    results = {result["url"]: result for result in report["results"]}
    missing = results[site.url("/missing")]
    assert missing["verdict"] == "broken"
    assert sorted(c["source"] for c in missing["citations"]) == [site.url("/a"), site.url("/b")]
    assert results[site.url("/a#gone")]["verdict"] == "fragment_missing"
    assert results[site.url("/a#gone")]["reason"] == "no anchor #gone on the page"
    assert results[site.url("/b#here")]["verdict"] == "ok"
    assert report["summary"]["documents"] == 3
    assert site.url("/a") in stdout


async def test_flags_are_validated_like_the_rest(tmp_path: Path) -> None:
    code, _, stderr = await linkcheck("crawl", "http://a.test/", "--max-pages", "0", cwd=tmp_path)
    assert code == 2
    assert "max_pages: expected a number >= 1" in stderr
    code, _, stderr = await linkcheck("crawl", "http://a.test/", "--scope", "(", cwd=tmp_path)
    assert code == 2
    assert "scope: bad regular expression" in stderr
    code, _, stderr = await linkcheck("crawl", str(tmp_path), cwd=tmp_path)
    assert code == 2
    assert "no index.html" in stderr
