"""A folder read by worker processes gives what one process reads, in the same order."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import pytest

from linkcheck.collect import Document, collect, pool
from linkcheck.config import Config
from linkcheck.models import Citation


def folder(tmp_path: Path) -> Path:
    """Documents of several kinds, one without links, a file reached twice, a loop and
    unreadable files."""
    root = tmp_path / "site"
    (root / "deep").mkdir(parents=True)
    for n in range(30):
        (root / f"page{n:02d}.md").write_text(
            f"# Page {n}\n\nSee [a](https://a.example/{n}) and <https://b.example/{n % 7}>.\n"
        )
        (root / "deep" / f"doc{n:02d}.html").write_text(
            f'<!doctype html><title>{n}</title><p>Read <a href="/x/{n}">this</a> '
            f'and <a href="https://c.example/{n}#part">that</a>.</p>'
        )
    (root / "deep" / "none.html").write_text("<!doctype html><title>none</title><p>No link.")
    (root / "bad.md").write_bytes(b"\xff\xfe\x00\x00binary\x00\x00" * 10)
    (root / "notes.txt").write_text("plain https://d.example/notes and more\n")
    os.symlink(root / "page03.md", root / "again.md")  # the same file twice
    os.symlink(root, root / "deep" / "loop")  # a folder link loop
    return root


def read(root: Path, config: Config) -> tuple[list[Citation], list[str], list[Document]]:
    warnings: list[str] = []
    documents: list[Document] = []
    found = list(collect([str(root)], config, warn=warnings.append, on_document=documents.append))
    return found, warnings, documents


def test_workers_read_what_one_process_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = folder(tmp_path)
    config = Config(root_dir=str(root))
    monkeypatch.setattr(pool, "workers", lambda: 0)
    alone = read(root, config)
    monkeypatch.setattr(pool, "workers", lambda: 2)
    monkeypatch.setattr(pool, "POOL_FILES", 10)
    monkeypatch.setattr(pool, "POOL_BYTES", 0)
    together = read(root, config)
    assert together == alone
    citations, warnings, documents = together
    assert len(citations) == 30 * 4 + 1
    assert len(documents) == 30 * 2 + 2  # page03.md once; bad.md is not a document
    assert any("loop" in warning for warning in warnings)
    assert any("bad.md" in warning for warning in warnings)


def test_a_small_folder_is_read_in_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("no workers for a small folder")

    monkeypatch.setattr(pool, "ProcessPoolExecutor", refuse)
    root = folder(tmp_path)
    citations, _, _ = read(root, Config(root_dir=str(root)))
    assert len(citations) == 30 * 4 + 1


def test_workers_citations_share_their_strings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parent keeps one object per distinct URL and line number, across chunks."""
    root = folder(tmp_path)
    for n in range(9):  # line 301: a number Python does not keep one of
        (root / f"long{n}.md").write_text("\n" * 300 + "<https://a.example/far>\n")
    monkeypatch.setattr(pool, "workers", lambda: 2)
    monkeypatch.setattr(pool, "POOL_FILES", 10)
    monkeypatch.setattr(pool, "POOL_BYTES", 0)
    monkeypatch.setattr(pool, "CHUNK_FILES", 3)
    citations, _, _ = read(root, Config(root_dir=str(root)))
    for name in ("url", "resolved", "line"):
        values = [getattr(citation, name) for citation in citations]
        assert len({id(value) for value in values}) == len(set(values)), name
    assert all(c.resolved is c.url for c in citations if c.resolved == c.url)


def test_citations_made_column_by_column_are_those_made_one_by_one() -> None:
    rows = [
        ("a.md", 3, 1, "a", "https://a.example/", "https://a.example/", None),
        ("a.md", 300, 7, "", "/x", "https://b.example/x", dt.date(2020, 1, 2)),
        ("b.md", 1, 1, "b", "https://a.example/", "".join(["https://a.example/"]), None),
    ]
    one_by_one = [Citation(*row) for row in rows]
    made = Citation.many(list(zip(*rows, strict=True)))
    assert made == one_by_one
    assert [hash(c) for c in made] == [hash(c) for c in one_by_one]
    assert [repr(c) for c in made] == [repr(c) for c in one_by_one]
    assert made[2].resolved is made[2].url  # as __post_init__ makes it
    assert Citation.many([(), (), (), (), (), (), ()]) == []
    with pytest.raises(dataclasses.FrozenInstanceError):
        made[0].url = "https://c.example/"  # type: ignore[misc]


def test_the_first_chunks_are_small_so_the_first_checks_start_soon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    for n in range(100):
        (root / f"page{n:03d}.md").write_text(f"<https://a.example/{n}>\n")
    sent: list[int] = []
    read_chunk = pool.Workers.read

    def recorded(self: pool.Workers, paths: list[str]) -> object:
        sent.append(len(paths))
        return read_chunk(self, paths)

    monkeypatch.setattr(pool.Workers, "read", recorded)
    monkeypatch.setattr(pool, "workers", lambda: 2)
    monkeypatch.setattr(pool, "POOL_BYTES", 0)
    citations, _, _ = read(root, Config(root_dir=str(root)))
    assert len(citations) == 100
    assert sent == [4, 8, 16, 32, 32, 8]  # an eighth of CHUNK_FILES first, then doubling
