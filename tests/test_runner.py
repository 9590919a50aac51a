"""The runner joins collect and check: one fetch per distinct URL, every document counted."""

from __future__ import annotations

from pathlib import Path

from servers import Catalogue

from linkcheck.config import ArchiveConfig
from linkcheck.models import Verdict
from linkcheck.runner import run


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
