"""Sitemaps: an index and its sitemaps (one gzipped), read as streams, a gzip bomb capped."""

from __future__ import annotations

import gzip
import io
import shutil
import zlib
from pathlib import Path

import pytest

from linkcheck.collect import Document, collect, extract_document, sitemap
from linkcheck.config import Config
from linkcheck.models import Citation

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
SITE = "https://www.example.org"
INDEX = [
    (4, 10, f"{SITE}/sitemap-pages.xml", "sitemap"),
    (8, 10, f"{SITE}/sitemap-posts.xml.gz", "sitemap"),
]
PAGES = [
    (7, 10, f"{SITE}/", ""),
    (13, 10, f"{SITE}/search?q=caf%C3%A9&amp;page=2", ""),
    (17, 10, f"{SITE}/über-uns", ""),
    (22, 13, f"{SITE}/a", ""),
    (22, 60, f"{SITE}/b", ""),
]
POSTS = [
    (5, 7, f"{SITE}/posts/2021/12/16/hello", ""),
    (8, 13, f"{SITE}/posts/2022/01/05/again", ""),
]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site's output folder: the index, a plain sitemap and a gzipped one."""
    shutil.copy(FIXTURES / "sitemap_index.xml", tmp_path)
    shutil.copy(FIXTURES / "sitemap-pages.xml", tmp_path)
    posts = (FIXTURES / "sitemap-posts.xml").read_bytes()
    (tmp_path / "sitemap-posts.xml.gz").write_bytes(gzip.compress(posts))
    (tmp_path / "feed.xml").write_text("<rss/>")  # no sitemap: not read from a folder
    return tmp_path


def _rows(citations: list[Citation]) -> list[tuple[int, int, str, str]]:
    return [(c.line, c.column, c.url, c.text) for c in citations]


def _read(content: bytes, name: str = "sitemap.xml") -> tuple[list[Citation], list[str]]:
    warnings: list[str] = []
    found = extract_document(
        content,
        source=name,
        base=None,
        kind=None,
        content_type=None,
        config=Config(),
        warn=warnings.append,
    )
    return list(found), warnings


def test_a_folder_with_an_index_reads_every_sitemap(site: Path) -> None:
    warnings: list[str] = []
    documents: list[Document] = []
    citations = list(
        collect([str(site)], Config(), warn=warnings.append, on_document=documents.append)
    )
    assert [(Path(d.source).name, d.kind) for d in documents] == [
        ("sitemap-pages.xml", "sitemap"),
        ("sitemap-posts.xml.gz", "sitemap"),
        ("sitemap_index.xml", "sitemap"),
    ]
    assert _rows(citations) == PAGES + POSTS + INDEX
    by_url = {c.url: c.resolved for c in citations}
    assert by_url[f"{SITE}/search?q=caf%C3%A9&amp;page=2"] == f"{SITE}/search?q=caf%C3%A9&page=2"
    assert warnings == []


def test_a_sitemap_is_known_by_its_content_whatever_its_name() -> None:
    index = (FIXTURES / "sitemap_index.xml").read_bytes()
    assert _rows(_read(index, "https://www.example.org/feeds/all")[0]) == INDEX
    posts = gzip.compress((FIXTURES / "sitemap-posts.xml").read_bytes())
    assert _rows(_read(posts, "https://www.example.org/sitemap.xml.gz")[0]) == POSTS


def test_a_sitemap_on_one_line_keeps_its_columns() -> None:
    entries = "".join(f"<url><loc>{SITE}/{n}</loc></url>" for n in range(3))
    content = f'<urlset xmlns="{sitemap.NAMESPACE}">{entries}</urlset>'.encode()
    starts = [content.decode().index(f"{SITE}/{n}<") + 1 for n in range(3)]
    assert _rows(_read(content)[0]) == [(1, s, f"{SITE}/{n}", "") for n, s in enumerate(starts)]


def test_a_gzip_bomb_stops_at_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sitemap, "MAX_BYTES", 1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = f'<urlset xmlns="{sitemap.NAMESPACE}"><url><loc>{SITE}/first</loc></url>'.encode()
    parts = [packer.compress(head)]
    parts += [packer.compress(b"<!--" + b" " * (1 << 20) + b"-->") for _ in range(64)]
    bomb = b"".join([*parts, packer.flush()])  # some 64 KiB packed, 64 MiB unpacked
    citations, warnings = _read(bomb, "sitemap.xml.gz")
    column = head.decode().index(f"{SITE}/first") + 1
    assert _rows(citations) == [(1, column, f"{SITE}/first", "")]
    assert warnings == ["sitemap.xml.gz: stopped after 1 MiB of XML (a gzip bomb?)"]


@pytest.mark.parametrize(
    ("content", "warning"),
    [
        (b"<rss><channel/></rss>", "not a sitemap (its root is <rss>)"),
        (b"", "not a well-formed sitemap: no element found (line 0)"),
        (b"\x1f\x8b\x08\x00garbage", "cannot decompress: "),
    ],
)
def test_what_is_not_a_sitemap_is_reported(content: bytes, warning: str) -> None:
    citations, warnings = sitemap_problems(content)
    assert citations == []
    assert len(warnings) == 1
    assert warnings[0].startswith(f"sitemap.xml: {warning}")


def test_a_broken_sitemap_keeps_what_came_before_the_break() -> None:
    content = f"<urlset><url><loc>{SITE}/a</loc></url><url><loc>{SITE}/b".encode()
    citations, warnings = sitemap_problems(content)
    assert _rows(citations) == [(1, 19, f"{SITE}/a", "")]
    assert len(warnings) == 1
    assert warnings[0].startswith("sitemap.xml: not a well-formed sitemap: ")


def sitemap_problems(content: bytes) -> tuple[list[Citation], list[str]]:
    warnings: list[str] = []
    document = Document("sitemap.xml", "sitemap")
    return list(sitemap.extract(io.BytesIO(content), document, warnings.append)), warnings
