"""collect(): which documents the inputs stand for, how their links resolve,
and one clear message for each input that cannot be used."""

from __future__ import annotations

import builtins
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import linkcheck.collect
from linkcheck.collect import Document, InputError, collect
from linkcheck.config import Config
from linkcheck.models import Citation


def _collect(
    inputs: Sequence[str | Path], config: Config | None = None
) -> tuple[list[Citation], list[str], list[Document]]:
    warnings: list[str] = []
    documents: list[Document] = []
    citations = list(
        collect(
            [str(name) for name in inputs],
            config or Config(),
            warn=warnings.append,
            on_document=documents.append,
        )
    )
    return citations, warnings, documents


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A folder with documents, things that are not, and awkward links."""
    root = tmp_path / "site"
    (root / "sub").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / ".git").mkdir()
    (root / "a.md").write_text("[b](b.html) and [root](/root.html)\n")
    (root / "b.html").write_text('<a href="a.md#top">a</a>')
    (root / "c.txt").write_text("https://c.org/\n")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    (root / "script.js").write_text("https://js.org/")
    (root / "README").write_text("https://readme.org/")
    (root / ".hidden" / "x.md").write_text("https://hidden.org/")
    (root / ".git" / "y.md").write_text("https://git.org/")
    (root / "sub" / "d.markdown").write_text("https://d.org/")
    (root / "sub" / "loop").symlink_to(root)
    (root / "sub" / "alias.md").symlink_to(root / "a.md")
    (root / "broken.md").symlink_to(root / "missing.md")
    return root


def test_a_folder_holds_its_documents_once(site: Path) -> None:
    citations, warnings, documents = _collect([site])
    assert [(d.source, d.kind) for d in documents] == [
        (f"{site}/a.md", "markdown"),
        (f"{site}/b.html", "html"),
        (f"{site}/c.txt", "text"),
        (f"{site}/sub/d.markdown", "markdown"),
    ]
    assert warnings == [
        f"{site}/broken.md: broken symbolic link",
        f"{site}/sub/loop: symbolic link loop, not followed",
    ]
    assert [(c.source, c.url, c.resolved) for c in citations] == [
        (f"{site}/a.md", "b.html", (site / "b.html").as_uri()),
        (f"{site}/a.md", "/root.html", "/root.html"),
        (f"{site}/b.html", "a.md#top", (site / "a.md").as_uri() + "#top"),
        (f"{site}/c.txt", "https://c.org/", "https://c.org/"),
        (f"{site}/sub/d.markdown", "https://d.org/", "https://d.org/"),
    ]


def test_root_relative_links_resolve_against_root_dir(site: Path) -> None:
    citations, _, _ = _collect([site / "a.md"], Config(root_dir=str(site)))
    assert [c.resolved for c in citations] == [
        (site / "b.html").as_uri(),
        (site / "root.html").as_uri(),
    ]


def test_all_relative_links_resolve_against_base_url(site: Path) -> None:
    citations, _, _ = _collect([site / "a.md"], Config(base_url="https://ex.org/docs/"))
    assert [c.resolved for c in citations] == [
        "https://ex.org/docs/b.html",
        "https://ex.org/root.html",
    ]


def test_glob_patterns_and_files_named_twice(site: Path) -> None:
    # **/*.md: a.md, then broken.md, then sub/alias.md (a.md again); not through sub/loop
    citations, warnings, documents = _collect([f"{site}/**/*.md", site / "a.md", f"{site}/*/d.*"])
    assert [d.source for d in documents] == [f"{site}/a.md", f"{site}/sub/d.markdown"]
    assert len(citations) == 3
    assert warnings == [f"{site}/broken.md: no such file or directory"]


def test_a_named_file_is_read_whatever_its_extension(site: Path) -> None:
    citations, warnings, documents = _collect([site / "README", site / "logo.png"])
    assert [(d.source, d.kind) for d in documents] == [(f"{site}/README", "text")]
    assert [c.url for c in citations] == ["https://readme.org/"]
    assert warnings == [f"{site}/logo.png: binary content (NUL bytes)"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.md", "{site}/missing.md: no such file or directory"),
        ("*.nothing", "{site}/*.nothing: no file matches this pattern"),
        ("a.md/", "{site}/a.md/: not a directory"),
        ("broken.md", "{site}/broken.md: no such file or directory"),
    ],
)
def test_unusable_named_inputs_fail_before_anything_is_read(
    site: Path, name: str, message: str
) -> None:
    found = collect([str(site / "c.txt"), f"{site}/{name}"], Config(), warn=pytest.fail)
    with pytest.raises(InputError) as error:
        next(found)
    assert str(error.value) == message.format(site=site)


def test_page_urls_are_not_collected() -> None:
    with pytest.raises(InputError, match=r"^https://x\.org/: page URLs are fetched by the runner"):
        next(collect(["https://x.org/"], Config(), warn=pytest.fail))


def _deny(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """Make opening `denied` fail as chmod 000 does for anyone but root."""

    def guarded_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(denied):
            raise PermissionError(13, "Permission denied", str(file))
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr(linkcheck.collect, "open", guarded_open, raising=False)


def test_an_unreadable_named_file_is_an_input_error(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _deny(monkeypatch, site / "c.txt")
    with pytest.raises(InputError, match=f"^{site}/c.txt: permission denied$"):
        _collect([site / "c.txt"])


def test_an_unreadable_file_in_a_folder_is_a_warning(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _deny(monkeypatch, site / "c.txt")
    _, warnings, documents = _collect([site])
    assert f"{site}/c.txt: permission denied" in warnings
    assert len(documents) == 3


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root reads files whatever their mode; the simulated tests above cover this",
)
def test_chmod_000(site: Path) -> None:
    locked = site / "sub"
    locked.chmod(0)
    try:
        _, warnings, _ = _collect([site])
        assert f"{site}/sub: permission denied" in warnings
        with pytest.raises(InputError, match="permission denied"):
            _collect([locked])
    finally:
        locked.chmod(0o755)


def test_standard_input(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    stdin = io.TextIOWrapper(io.BytesIO(b"# Notes\n[x](x.md) and https://x.org/\n"))
    monkeypatch.setattr(sys, "stdin", stdin)
    citations, _, documents = _collect(["-"])
    assert [(d.source, d.kind) for d in documents] == [("<stdin>", "markdown")]
    assert [(c.source, c.line, c.column, c.resolved) for c in citations] == [
        ("<stdin>", 2, 5, (tmp_path / "x.md").as_uri()),
        ("<stdin>", 2, 15, "https://x.org/"),
    ]


def test_documents_are_counted_even_without_links(tmp_path: Path) -> None:
    (tmp_path / "empty.md").write_text("no links here\n")
    citations, warnings, documents = _collect([tmp_path])
    assert (citations, warnings, [d.source for d in documents]) == (
        [],
        [],
        [f"{tmp_path}/empty.md"],
    )
