"""The collect stage: every citation in the local inputs, streamed document by document.

- Inputs: files, folders (recursive; hidden folders and `.git` skipped,
  symbolic-link loops reported), glob patterns and `-` for standard input.
  http(s) page URLs are the runner's: it fetches them and calls
  `extract_document`.
- Counting documents: `collect(..., on_document=callback)` calls
  `callback(document)` once per document read (once it is known to be
  text, before its citations), so the runner can report `documents: N`
  while citations stream.
- Kinds (`KINDS`): HTML, Markdown, text, reStructuredText, BibTeX, PDF,
  sitemaps, URL lists and JSON lines (docs/sources.md), by extension (and
  `sitemap*.xml(.gz)`), else by the content (`sniff`; a PDF or sitemap by
  its first bytes). A text document that is a list of URLs is read as one
  (`urllist.is_list`). In a folder only files with a document extension
  (`files.EXTENSIONS`) are read, since a site's images, styles and scripts
  are not documents; a file named on the command line is read whatever its
  extension.
- Problems: a named input that does not exist or cannot be read raises
  `InputError`; a binary or undecodable document, or a file found in a
  folder or by a glob pattern that cannot be read, is reported through
  `warn` and skipped.
- Memory: Markdown, text and list files over `STREAM_BYTES` are read in
  blocks of lines (`files.LINE_KINDS`); PDFs and sitemaps are read by their
  extractors from the open file; HTML, reStructuredText, BibTeX and
  standard input are read whole. A file reached twice
  (named twice, or through a symbolic link) is read once.
- Resolution: see `Document`. A local file's base is `base_url` when set,
  else its own `file:` URI; root-relative links need `base_url` or
  `root_dir`. Standard input resolves against `base_url`, else the current
  folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import BinaryIO, Literal, overload
from urllib.parse import urlsplit

from linkcheck import dates
from linkcheck.collect import encoding, files, html, pool, sitemap, text, urllist
from linkcheck.collect.common import normalise_newlines
from linkcheck.collect.files import KINDS, STDIN
from linkcheck.collect.model import Document, InputError, Row
from linkcheck.config import Config
from linkcheck.models import Citation

__all__ = ["KINDS", "Document", "InputError", "collect", "extract_document", "sniff"]

STREAM_BYTES = 1 << 20

Warn = Callable[[str], None]
OnDocument = Callable[[Document], None]
OnRows = Callable[[list[Row]], None]

_MEDIA_TYPES = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/x-rst": "rst",
    "application/x-bibtex": "bibtex",
    "application/pdf": "pdf",
}
_PROSE_KINDS = ("html", "markdown", "text", "rst")
_HTML_START = re.compile(
    r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.I | re.S
)
_MARKDOWN_MARKS = re.compile(
    r"^ {0,3}(?:#{1,6}[ \t]|```|~~~|\[[^\]\n]+\]:[ \t])|\]\([^()\s]*\)", re.MULTILINE
)


@overload
def collect(
    inputs: Sequence[str],
    config: Config,
    *,
    warn: Warn,
    on_document: OnDocument | None = None,
    waits: Literal[False] = False,
) -> Iterator[Citation]: ...


@overload
def collect(
    inputs: Sequence[str],
    config: Config,
    *,
    warn: Warn,
    on_document: OnDocument | None = None,
    waits: bool,
) -> Iterator[Citation | pool.Waiting]: ...


def collect(
    inputs: Sequence[str],
    config: Config,
    *,
    warn: Warn,
    on_document: OnDocument | None = None,
    waits: bool = False,
) -> Iterator[Citation | pool.Waiting]:
    """Every citation in the local inputs, streamed document by document; with
    `waits`, also a `pool.Waiting` before each wait on a worker process."""
    expanded = [found for name in inputs for found in _expand(name)]
    reader = _Reader(config, warn, on_document)
    # Folders are walked first: workers, when worth it, fork before anything is yielded.
    walked: dict[int, list[pool.Step] | str] = {}
    new: dict[int, pool.NewFiles] = {}
    seen: set[files.Identity] = set()
    for index, (path, named) in enumerate(expanded):
        if path == STDIN:
            continue
        if not os.path.isdir(path):
            with contextlib.suppress(OSError):
                seen.add(files.identity(os.stat(path)))
            continue
        try:
            walked[index] = steps = pool.walk(path)
        except OSError as error:
            if named:
                raise InputError(files.problem(path, error)) from None
            walked[index] = files.problem(path, error)
            continue
        new[index] = pool.new_files(steps, seen)
    workers = pool.Workers.start(new.values(), config)
    try:
        for index, (path, named) in enumerate(expanded):
            if path == STDIN:
                yield from reader.stdin()
            elif index not in walked:
                yield from reader.file(path, named=named)
            elif isinstance(steps := walked[index], str):
                warn(steps)
            else:
                yield from pool.read_folder(
                    steps, new[index], reader, warn, on_document, workers, waits=waits
                )
    finally:
        if workers is not None:
            workers.close()


def extract_document(
    content: bytes,
    *,
    source: str,
    base: str | None,
    kind: str | None,
    content_type: str | None,
    config: Config,
    warn: Warn,
) -> Iterator[Citation]:
    """The citations of one document, e.g. a fetched page (`source` and
    `base` being its URL). `kind` None: from `content_type`, the name, the
    content."""
    if kind not in (None, *KINDS):
        raise ValueError(f"unknown document kind {kind!r}; expected one of {KINDS}")
    return _extract(
        content,
        Document(source, kind or "", base, base),
        content_type=content_type,
        config=config,
        warn=warn,
        on_document=None,
    )


def sniff(head: str) -> str:
    """The kind of a document from its first characters."""
    head = head[:65536]
    if _HTML_START.match(head):
        return "html"
    return "markdown" if _MARKDOWN_MARKS.search(head) else "text"


def _expand(name: str) -> list[tuple[str, bool]]:
    if urlsplit(name).scheme.lower() in ("http", "https"):
        raise InputError(f"{name}: page URLs are fetched by the runner, not collected")
    return files.expand(name)


class _Reader:
    """Reads local documents, each file once."""

    def __init__(
        self,
        config: Config,
        warn: Warn,
        on_document: OnDocument | None,
        on_rows: OnRows | None = None,
    ) -> None:
        """`on_rows`: where an HTML document's citations go as fields (`html.rows`),
        all at once, instead of being made: the collect workers send fields."""
        self._config = config
        self._warn = warn
        self._on_document = on_document
        self._on_rows = on_rows
        self._seen: set[files.Identity] = set()
        folder = config.root_dir
        self._root = Path(os.path.abspath(folder)).as_uri().rstrip("/") + "/" if folder else None

    def stdin(self) -> Iterator[Citation]:
        try:
            content = sys.stdin.buffer.read()
        except OSError as error:
            raise InputError(files.problem(STDIN, error)) from None
        base = self._config.base_url or Path.cwd().as_uri() + "/"
        yield from self._extract(content, Document("<stdin>", "", base, self._site_root()))

    def file(self, path: str, *, named: bool) -> Iterator[Citation]:
        """The citations of one file; a problem raises InputError when the
        user named the file, and is reported through `warn` otherwise."""
        try:
            status = os.stat(path)
            if files.identity(status) in self._seen:
                return
            self._seen.add(files.identity(status))
            if not (stat.S_ISREG(status.st_mode) or stat.S_ISFIFO(status.st_mode)):
                self._fail(path, "not a regular file", named=named)
                return
            kind = files.kind_for_name(path) or ""
            base = self._config.base_url or Path(os.path.abspath(path)).as_uri()
            document = Document(path, kind, base, self._site_root())
            large = stat.S_ISREG(status.st_mode) and status.st_size > STREAM_BYTES
            if kind in files.BINARY_KINDS:
                with open(path, "rb") as file:
                    yield from _binary(file, document, self._warn, self._on_document)
            elif large and kind in ("", *files.LINE_KINDS):
                yield from self._stream(path, document)
            else:
                with open(path, "rb") as file:
                    content = file.read()
                yield from self._extract(content, document)
        except OSError as error:
            self._fail(path, error, named=named)

    def _site_root(self) -> str | None:
        return self._config.base_url or self._root

    def _fail(self, path: str, reason: str | OSError, *, named: bool) -> None:
        message = files.problem(path, reason)
        if named:
            raise InputError(message)
        self._warn(message)

    def _extract(self, content: bytes, document: Document) -> Iterator[Citation]:
        return _extract(
            content,
            document,
            content_type=None,
            config=self._config,
            warn=self._warn,
            on_document=self._on_document,
            on_rows=self._on_rows,
        )

    def _stream(self, path: str, document: Document) -> Iterator[Citation]:
        """A large file, line by line, once its encoding is known."""
        with open(path, "rb") as file:
            binary = "" if document.kind else _binary_kind(file.read(65536))
            if binary:
                file.seek(0)
                document = replace(document, kind=binary)
                yield from _binary(file, document, self._warn, self._on_document)
                return
        try:
            name = encoding.probe(path)
        except encoding.Undecodable as error:
            self._warn(files.problem(path, str(error)))
            return
        with open(path, "rb") as file:
            head = file.read(65536).decode(name, errors="replace")
        kind = _text_kind(document.kind or sniff(head), head)
        if kind not in files.LINE_KINDS:
            with open(path, "rb") as file:
                yield from self._extract(file.read(), replace(document, kind=kind))
            return
        document = replace(document, kind=kind, published=_published(kind, head))
        if self._on_document is not None:
            self._on_document(document)
        try:
            blocks = partial(encoding.read_blocks, path, name)
            yield from _blocks(blocks, document, self._config, self._warn)
        except encoding.Undecodable as error:
            self._warn(files.problem(path, str(error)))


def _extract(
    content: bytes,
    document: Document,
    *,
    content_type: str | None,
    config: Config,
    warn: Warn,
    on_document: OnDocument | None,
    on_rows: OnRows | None = None,
) -> Iterator[Citation]:
    """The citations of `document` ('' as its kind when not known yet); with
    `on_rows`, an HTML document's go to it as one list of their fields instead."""
    media_type = (content_type or "").partition(";")[0].strip().lower()
    kind = (
        document.kind
        or _MEDIA_TYPES.get(media_type)
        or files.kind_for_name(urlsplit(document.source).path)
        or _binary_kind(content)
    )
    if not kind and media_type and not _textual(media_type):
        warn(files.problem(document.source, f"not a document ({media_type})"))
        return
    if kind in files.BINARY_KINDS:
        yield from _binary(io.BytesIO(content), replace(document, kind=kind), warn, on_document)
        return
    declared = [encoding.charset_parameter(content_type)]
    if kind in ("html", None):
        declared += encoding.declared_in(content)
    try:
        decoded = encoding.decode(content, declared)
    except encoding.Undecodable as error:
        warn(files.problem(document.source, str(error)))
        return
    kind = _text_kind(kind or sniff(decoded), decoded)
    document = replace(document, kind=kind, published=_published(kind, decoded))
    if on_document is not None:
        on_document(document)
    if document.kind == "html":
        if on_rows is None:
            yield from html.extract(decoded, document, resources=config.resources)
        elif found := html.rows(decoded, document, resources=config.resources):
            on_rows(found)
    elif document.kind == "rst":
        from linkcheck.collect import rst  # docutils: imported for reStructuredText only

        yield from rst.extract(decoded, document, resources=config.resources)
    elif document.kind == "bibtex":
        from linkcheck.collect import bibtex  # bibtexparser, pylatexenc: for BibTeX only

        yield from bibtex.extract(decoded, document, warn)
    else:
        whole = [normalise_newlines(decoded)]
        yield from _blocks(lambda: whole, document, config, warn)


def _blocks(
    blocks: Callable[[], Iterable[str]], document: Document, config: Config, warn: Warn
) -> Iterator[Citation]:
    """Citations of a document of `files.LINE_KINDS`, which `blocks()` reads
    (afresh at each call)."""
    if document.kind == "markdown":
        from linkcheck.collect import markdown  # markdown-it: only where documents are read

        return markdown.extract(blocks, document, resources=config.resources)
    if document.kind == "urls":
        return urllist.extract(blocks(), document)
    if document.kind == "jsonl":
        return urllist.extract_json_lines(blocks(), document, warn)
    return text.extract(blocks(), document)


def _binary(
    stream: BinaryIO, document: Document, warn: Warn, on_document: OnDocument | None
) -> Iterator[Citation]:
    """Citations of a document its extractor reads as bytes: a PDF, a sitemap."""
    if on_document is not None:
        on_document(document)
    if document.kind == "pdf":
        from linkcheck.collect import pdf  # pypdf: imported for PDFs only

        return pdf.extract(stream, document, warn)
    return sitemap.extract(stream, document, warn)


def _binary_kind(head: bytes) -> str:
    """'pdf' or 'sitemap' when the first bytes say so, else ''."""
    from linkcheck.collect import pdf  # pypdf: only when a document's kind is not known yet

    if pdf.sniff(head):
        return "pdf"
    return "sitemap" if sitemap.sniff(head) else ""


def _published(kind: str, text: str) -> dt.date | None:
    """The date of a document that is prose; the entries of lists and
    bibliographies carry their own (a date in a first line is an entry's)."""
    return dates.document_date(kind, text) if kind in _PROSE_KINDS else None


def _text_kind(kind: str, decoded: str) -> str:
    """A text document that is a list of URLs is read as one."""
    return "urls" if kind == "text" and urllist.is_list(decoded) else kind


def _textual(media_type: str) -> bool:
    return media_type.startswith("text/") or media_type.endswith(("/xml", "+xml"))
