"""PDF: link annotations (URI actions) and URLs written in the text layer, by pypdf.

A PDF has no lines to point at, so a citation's position is its page:
`line` is the page number (from 1) and `column` is 1. On each page the link
annotations come first, in the page's order, then the URLs found in the
text layer by the prose scanner. A text URL that an annotation of the same
page already cites, or that begins one (a long URL the text layer breaks
across lines), is left out: the annotation says where the link goes. A URL
broken across lines with no annotation on it is cited up to the break.
Annotations of one URL on a page (LaTeX gives a link wrapped over two lines
one rectangle per line) are one citation.

An annotation's text is the text drawn inside its rectangles; a text URL's
is the words around it. The document's date is its CreationDate.

An encrypted PDF is read when it opens with the empty password (most are
only protected against editing); otherwise, and for a file pypdf cannot
read, a warning says why and the document has no citations. A page that
cannot be read is reported and skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, BinaryIO

from pypdf import PageObject, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

from linkcheck.collect import prose
from linkcheck.collect.common import collapse, context, shorten
from linkcheck.collect.model import Document
from linkcheck.models import Citation

MAGIC = b"%PDF-"
_HEAD = 1024  # the header may follow some junk, as readers allow

Warn = Callable[[str], None]
Chunk = tuple[float, float, str]  # where a piece of text starts (x, y), and the text

# pypdf logs each oddity it works around; a PDF it cannot read is reported through `warn`.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


def sniff(head: bytes) -> bool:
    return MAGIC in head[:_HEAD]


def extract(stream: BinaryIO, document: Document, warn: Warn) -> Iterator[Citation]:
    """The citations of the PDF that `stream` (seekable) holds."""
    reader = _open(stream, document.source, warn)
    if reader is None:
        return
    document = replace(document, published=_created(reader) or document.published)
    for number, page in enumerate(reader.pages, 1):
        try:
            links = _page_links(page)
        except Exception as error:  # a broken page of an untrusted file: any pypdf error
            warn(f"{document.source}: page {number}: cannot read: {_reason(error)}")
            continue
        for url, href, text in links:
            yield document.cite(number, 1, url, href, text)


def _open(stream: BinaryIO, source: str, warn: Warn) -> PdfReader | None:
    try:
        reader = PdfReader(stream)
        if reader.is_encrypted and not reader.decrypt(""):
            warn(f"{source}: encrypted PDF that needs a password: not read")
            return None
        len(reader.pages)  # reads the page tree: a corrupt one fails here, not later
    except (FileNotDecryptedError, DependencyError) as error:
        warn(f"{source}: encrypted PDF that cannot be decrypted: {_reason(error)}")
        return None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as error:
        warn(f"{source}: not a readable PDF: {_reason(error)}")
        return None
    return reader


def _page_links(page: PageObject) -> list[tuple[str, str, str]]:
    """(url, href, text) of each link on a page: annotations, then text URLs."""
    chunks: list[Chunk] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: Any) -> None:
        if text.strip():
            x, y = tm[4], tm[5]
            chunks.append((cm[0] * x + cm[2] * y + cm[4], cm[1] * x + cm[3] * y + cm[5], text))

    words = page.extract_text(visitor_text=visit)
    drawn: dict[str, list[str]] = {}  # a link wrapped over lines has a rectangle per line
    for uri, rect in _annotations(page):
        drawn.setdefault(uri, []).append(_inside(chunks, rect))
    links = [(uri, uri, shorten(" ".join(filter(None, texts)))) for uri, texts in drawn.items()]
    annotated = list(drawn)
    for line in words.splitlines():
        for found in prose.scan(line):
            if any(uri.startswith(found.url) for uri in annotated):
                continue
            end = found.start + len(found.url)
            text = context(line, found.start, end, "", around=not found.standalone)
            links.append((found.url, found.href, text))
    return links


def _annotations(page: PageObject) -> Iterator[tuple[str, list[float]]]:
    """The URI of each link annotation, with its rectangle."""
    for reference in page.get("/Annots") or []:
        annotation = reference.get_object()
        if annotation.get("/Subtype") != "/Link":
            continue
        action = annotation.get("/A")
        action = action.get_object() if action is not None else None
        if action is None or action.get("/S") != "/URI" or "/URI" not in action:
            continue
        uri = action["/URI"]
        uri = uri.decode("latin-1") if isinstance(uri, bytes) else str(uri)
        if uri.strip():
            yield uri.strip(), [float(value) for value in annotation.get("/Rect") or []]


def _inside(chunks: list[Chunk], rect: list[float]) -> str:
    """The text that starts inside a rectangle (with a point of slack)."""
    if len(rect) != 4:
        return ""
    left, right = sorted((rect[0], rect[2]))
    bottom, top = sorted((rect[1], rect[3]))
    words = [
        text
        for x, y, text in chunks
        if left - 1 <= x <= right + 1 and bottom - 1 <= y <= top + 1
    ]
    return collapse(" ".join(words))


def _created(reader: PdfReader) -> dt.date | None:
    try:
        created = reader.metadata.creation_date if reader.metadata else None
    except (PyPdfError, ValueError, TypeError):  # a malformed date is no date
        return None
    return created.date() if created else None


def _reason(error: Exception) -> str:
    return collapse(str(error)) or type(error).__name__
