"""Robust input: encodings, binary content, media types, and large files
read in bounded memory."""

from __future__ import annotations

import codecs
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

import linkcheck.collect
from linkcheck.collect import collect, encoding, extract_document, markdown, sniff
from linkcheck.config import Config
from linkcheck.models import Citation

FRENCH = (
    "Le café est très bon, n'est-ce pas ? Voilà une phrase en français avec des accents : "
    "élève, à, où. La méthode est décrite à https://exemple.fr/méthode et vérifiée.\n"
) * 3


def _extract(
    content: bytes, kind: str | None = "text", content_type: str | None = None
) -> tuple[list[Citation], list[str]]:
    warnings: list[str] = []
    citations = list(
        extract_document(
            content,
            source="doc",
            base=None,
            kind=kind,
            content_type=content_type,
            config=Config(),
            warn=warnings.append,
        )
    )
    return citations, warnings


def _found(
    content: bytes, kind: str | None = "text", content_type: str | None = None
) -> list[tuple[int, int, str, str]]:
    citations, warnings = _extract(content, kind, content_type)
    assert warnings == []
    return [(c.line, c.column, c.url, c.text) for c in citations]


def test_utf8_with_a_byte_order_mark() -> None:
    assert _found(codecs.BOM_UTF8 + "é https://x.org/".encode()) == [(1, 3, "https://x.org/", "é")]


@pytest.mark.parametrize("codec", ["utf-16", "utf-32"])
def test_utf16_and_utf32_with_a_byte_order_mark(codec: str) -> None:
    assert _found("été\nhttps://x.org/".encode(codec)) == [(2, 1, "https://x.org/", "été")]


def test_declared_charsets() -> None:
    page = '<meta charset="iso-8859-1"><a href="/x">caf\u00e9</a>'.encode("latin-1")
    assert _found(page, kind="html") == [(1, 37, "/x", "café")]
    xml = '<?xml version="1.0" encoding="windows-1252"?>\n<html><a href="y">\u201cq\u201d</a>'
    assert _found(xml.encode("cp1252"), kind="html") == [(2, 16, "y", "\u201cq\u201d")]
    text = "\u00e0 https://x.org/".encode("cp1252")
    assert _found(text, content_type="text/plain; charset=windows-1252") == [
        (1, 3, "https://x.org/", "à")
    ]


def test_undeclared_legacy_encodings_are_detected_when_unambiguous() -> None:
    ((line, column, url, text), *_) = _found(FRENCH.encode("cp1252"))
    assert (line, column, url) == (1, 125, "https://exemple.fr/méthode")
    assert text.endswith("La méthode est décrite à")


@pytest.mark.parametrize(
    ("content", "warning"),
    [
        ("caf\u00e9 https://x.org/".encode("latin-1"), "doc: cannot determine the text encoding"),
        (bytes(range(128, 256)) * 4, "doc: cannot determine the text encoding"),
        (b"GIF89a\0\0https://x.org/", "doc: binary content (NUL bytes)"),
        (
            codecs.BOM_UTF8 + b"ok \xff",
            "doc: not valid UTF-8 although it starts with a UTF-8 byte order mark (byte 6)",
        ),
    ],
)
def test_content_that_cannot_be_read_is_skipped_with_a_warning(
    content: bytes, warning: str
) -> None:
    assert _extract(content) == ([], [warning])


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("image/png", ([], ["doc: not a document (image/png)"])),
        ("application/json", ([], ["doc: not a document (application/json)"])),
    ],
)
def test_fetched_content_that_is_not_a_document(
    content_type: str, expected: tuple[list[Citation], list[str]]
) -> None:
    assert _extract(b'{"u": "https://x.org/"}', kind=None, content_type=content_type) == expected


def test_the_kind_of_a_fetched_page_follows_its_media_type_then_its_name() -> None:
    source = b"[a](https://x.org/)"
    markdown_page = extract_document(
        source,
        source="https://h.org/README.md",
        base="https://h.org/README.md",
        kind=None,
        content_type="text/plain",
        config=Config(),
        warn=pytest.fail,
    )
    assert [c.text for c in markdown_page] == ["a"]
    as_text = _found(source, kind=None, content_type="text/plain")
    assert as_text == [(1, 5, "https://x.org/", "a")]
    html = _found(b'<p><a href="u">t</a>', kind=None, content_type="text/html")
    assert html == [(1, 13, "u", "t")]


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        ("<!DOCTYPE html><html>", "html"),
        ("\n  <html lang=en>", "html"),
        ('<?xml version="1.0"?>\n<!-- c --><!doctype html>', "html"),
        ("# Title\n\ntext", "markdown"),
        ("text with [a link](x.md)", "markdown"),
        ("[ref]: https://x.org/\n", "markdown"),
        ("```\ncode\n```", "markdown"),
        ("plain text https://x.org/ and <html> later", "text"),
    ],
)
def test_sniff(head: str, kind: str) -> None:
    assert sniff(head) == kind


def _peak_memory(run: Callable[[], int]) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = run()
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _write(path: Path, size: int, line: Callable[[int], str]) -> int:
    with path.open("w", encoding="utf-8") as file:
        written, number = 0, 0
        while written < size:
            written += file.write(line(number))
            number += 1
    return number


def _count(path: Path) -> int:
    return sum(1 for _ in collect([str(path)], Config(), warn=pytest.fail))


def test_a_large_text_file_is_read_in_bounded_memory(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    prose = "Prose without links that goes on, as articles do, line after line after line.\n"
    lines = _write(big, 24_000_000, lambda n: f"See https://x.org/{n}.\n" if n % 50 == 0 else prose)
    count, peak = _peak_memory(lambda: _count(big))
    assert count == (lines + 49) // 50
    assert peak < big.stat().st_size / 10


def test_a_large_markdown_file_is_read_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # markdown-it is slow, the more so under tracemalloc: a smaller file, smaller chunks.
    monkeypatch.setattr(markdown, "CHUNK_CHARS", 4 * 1024)
    monkeypatch.setattr(encoding, "_BLOCK", 16 * 1024)
    big = tmp_path / "big.md"
    prose = "Prose without links that goes on, as articles do, line after line.\n" * 6 + "\n"
    cited = "A [link](https://x.org/{n}), https://y.org/{n} and [a reference][r].\n\n"
    big.write_text("[r]: https://ref.org/\n\n")
    with big.open("a") as file:
        for n in range(2_000):
            file.write(cited.format(n=n) + prose * 2)
    _count(Path(__file__).parent / "fixtures" / "collect" / "seed-article.md")  # warm caches
    count, peak = _peak_memory(lambda: _count(big))
    assert count == 3 * 2_000
    assert peak < big.stat().st_size / 4


def test_streamed_and_whole_reads_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    document = tmp_path / "doc.md"
    document.write_text(
        "---\ntitle: x\n---\n# T https://t.org/\r\n\r\n[a][r] (/rel/x)\r\n\n[r]: https://r.org/\n"
    )
    whole = list(collect([str(document)], Config(), warn=pytest.fail))
    monkeypatch.setattr(linkcheck.collect, "STREAM_BYTES", 0)
    monkeypatch.setattr(markdown, "CHUNK_CHARS", 10)
    assert list(collect([str(document)], Config(), warn=pytest.fail)) == whole
    assert [(c.line, c.column) for c in whole] == [(4, 5), (6, 9), (8, 6)]


def test_a_large_file_in_a_legacy_encoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linkcheck.collect, "STREAM_BYTES", 0)
    document = tmp_path / "doc.txt"
    document.write_bytes(FRENCH.encode("cp1252") * 50)
    citations = list(collect([str(document)], Config(), warn=pytest.fail))
    assert len(citations) == 150
    assert citations[-1].url == "https://exemple.fr/méthode"


def test_a_large_file_with_a_nul_byte_far_in_is_binary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linkcheck.collect, "STREAM_BYTES", 0)
    document = tmp_path / "doc.txt"
    document.write_bytes(b"https://x.org/\n" * 100_000 + b"\0")
    warnings: list[str] = []
    assert list(collect([str(document)], Config(), warn=warnings.append)) == []
    assert warnings == [f"{document}: binary content (NUL bytes)"]
