"""Finding documents: what a named input stands for, and the files in a folder."""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from linkcheck.collect.model import InputError

STDIN = "-"

EXTENSIONS = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".mkd": "markdown",
    ".txt": "text",
    ".rst": "rst",
    ".rest": "rst",
    ".bib": "bibtex",
    ".pdf": "pdf",
    ".urls": "urls",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
# Every kind of document, one extractor each (`model.KINDS` names the first three only).
KINDS = ("html", "markdown", "text", "rst", "bibtex", "pdf", "sitemap", "urls", "jsonl")
# Kinds whose extractor reads bytes, not text: a PDF is binary, a sitemap may be gzipped.
BINARY_KINDS = frozenset({"pdf", "sitemap"})
# Kinds read in blocks of lines, so that a large file streams; the others are read whole.
LINE_KINDS = frozenset({"markdown", "text", "urls", "jsonl"})

_GLOB_MAGIC = frozenset("*?[")

Identity = tuple[int, int]  # (device, inode): one file, whatever path reaches it


def kind_for_name(name: str) -> str | None:
    """The kind of a document by its name: its extension, and `sitemap*.xml(.gz)`."""
    base = os.path.basename(name).lower()
    if "sitemap" in base and base.endswith((".xml", ".xml.gz")):
        return "sitemap"
    return EXTENSIONS.get(os.path.splitext(base)[1])


def expand(name: str) -> list[tuple[str, bool]]:
    """The paths a named input stands for, each with whether the user named
    it (a glob pattern's matches were not named one by one); `STDIN` as is.
    Checked before anything is read, so a typo fails the run at once."""
    if name == STDIN:
        return [(name, True)]
    try:
        os.stat(name)
        return [(name, True)]
    except FileNotFoundError:
        if _GLOB_MAGIC.isdisjoint(name):
            raise InputError(problem(name, "no such file or directory")) from None
    except OSError as error:
        raise InputError(problem(name, error)) from None
    matches = sorted(_glob(name))
    if not matches:
        raise InputError(problem(name, "no file matches this pattern"))
    return [(match, False) for match in matches]


def _glob(pattern: str) -> list[str]:
    """A glob pattern's matches, hidden names left out unless the pattern
    writes them. pathlib expands `**` without following symbolic links to
    folders; glob.glob follows them, round a link loop some 40 times."""
    if "**" not in pattern:
        return glob.glob(pattern)
    written = set(Path(pattern).parts)
    absolute = os.path.isabs(pattern)
    root = Path(os.sep if absolute else ".")
    return [
        str(path)
        for path in root.glob(pattern.lstrip(os.sep) if absolute else pattern)
        if not any(part.startswith(".") and part not in written for part in path.parts)
    ]


def walk(folder: str, warn: Callable[[str], None]) -> Iterator[str]:
    """The document files under `folder`, depth first in name order.

    Hidden folders (`.git` among them) are skipped and symbolic-link loops
    are reported, not followed; only files with a document extension are
    documents here. `folder` itself is read at once: OSError if it cannot be.
    """
    identity = _identity(folder)
    entries = _entries(folder)
    return _walk(folder, entries, frozenset({identity}), {identity}, warn)


def _walk(
    folder: str,
    entries: list[os.DirEntry[str]],
    ancestors: frozenset[Identity],
    visited: set[Identity],
    warn: Callable[[str], None],
) -> Iterator[str]:
    for entry in entries:
        try:
            if entry.is_dir():
                if entry.name.startswith("."):
                    continue
                identity = _identity(entry.path)
                if identity in ancestors:
                    warn(problem(entry.path, "symbolic link loop, not followed"))
                elif identity not in visited:  # else already read through another link
                    visited.add(identity)
                    inside = _entries(entry.path)
                    yield from _walk(entry.path, inside, ancestors | {identity}, visited, warn)
            elif kind_for_name(entry.name) is not None:
                if entry.is_file():
                    yield entry.path
                elif entry.is_symlink() and not os.path.exists(entry.path):
                    warn(problem(entry.path, "broken symbolic link"))
        except OSError as error:
            warn(problem(entry.path, error))


def _entries(folder: str) -> list[os.DirEntry[str]]:
    with os.scandir(folder) as entries:
        return sorted(entries, key=lambda entry: entry.name)


def identity(status: os.stat_result) -> Identity:
    return status.st_dev, status.st_ino


def _identity(path: str) -> Identity:
    return identity(os.stat(path))


def problem(path: str, reason: str | OSError) -> str:
    """The one-line message for a path that cannot be used."""
    if isinstance(reason, OSError):
        reason = reason.strerror.lower() if reason.strerror else str(reason)
    return f"{path}: {reason}"
