"""Sitemaps (sitemaps.org): the `<loc>` of every `<url>`, and of every `<sitemap>` of an index.

The document is read as a stream: lxml's `iterparse` pulls it through a
reader that gunzips it when it starts with the gzip magic (whatever its
name), stops at `MAX_BYTES` of XML (the protocol allows 50 MB, so a gzip
bomb stops there with a warning), and keeps the last lines it read so that
each URL's column can be found in the source (lxml gives lines only). Each
`<url>` is dropped once read, so memory stays small whatever the size.

An index's sitemaps are cited, so that a missing one is reported; they are
not fetched: give their files as inputs (a folder holding them all is read
whole). A URL as written keeps its `&amp;`, what it stands for has `&`. A
page's citation has no text; an index's entries have the text "sitemap". Sitemaps are UTF-8,
as the protocol requires: columns count UTF-8 code points.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO
from xml.sax.saxutils import escape

from linkcheck.collect.model import Document
from linkcheck.models import Citation

Warn = Callable[[str], None]

MAX_BYTES = 64 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
_CHUNK = 64 * 1024  # bytes read at a time, and kept behind the cursor at most
_ENTRIES = {"url": "", "sitemap": "sitemap"}  # entry element -> the text of its citation
_ROOTS = ("urlset", "sitemapindex")
# The elements read, with the namespace or without it (as sloppy generators write them).
_TAGS = {
    tag: name for name in ("loc", *_ENTRIES) for tag in (name, f"{{{NAMESPACE}}}{name}")
}
_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:urlset|sitemapindex)[\s>]",
    re.S,
)


class TooLarge(Exception):
    """More XML than `MAX_BYTES`."""


def sniff(head: bytes) -> bool:
    """Whether a document starting with `head` is a (plain) sitemap or index."""
    return _START.match(head[:65536]) is not None


def extract(stream: BinaryIO, document: Document, warn: Warn) -> Iterator[Citation]:
    """The citations of the sitemap that `stream` (seekable) holds."""
    from lxml import etree  # where a page is parsed only (collect/html.py)

    magic = stream.read(2)
    stream.seek(0)
    packed = magic == GZIP_MAGIC
    source = _Source(gzip.GzipFile(fileobj=stream, mode="rb") if packed else stream)
    events = etree.iterparse(
        source,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
    )
    try:
        event, root = next(events)
        name = etree.QName(root)
        if name.localname not in _ROOTS or name.namespace not in (NAMESPACE, None):
            warn(f"{document.source}: not a sitemap (its root is <{root.tag}>)")
            return
        for event, element in events:
            parent = element.getparent()
            if event == "start" or parent is None or element.tag not in _TAGS:
                continue
            kind = _TAGS.get(parent.tag) if _TAGS[element.tag] == "loc" else None
            url = (element.text or "").strip()
            if kind in _ENTRIES and url:
                line, column, written = source.locate(element.sourceline or 1, url)
                yield document.cite(line, column, written, url, _ENTRIES[kind])
            elif _TAGS[element.tag] in _ENTRIES:
                element.clear()  # read: dropped, with the entries before it
                while element.getprevious() is not None:
                    del parent[0]
    except TooLarge:
        warn(f"{document.source}: stopped after {MAX_BYTES >> 20} MiB of XML (a gzip bomb?)")
    except etree.XMLSyntaxError as error:
        warn(f"{document.source}: not a well-formed sitemap: {error}")
    except StopIteration:
        warn(f"{document.source}: empty sitemap")
    except (OSError, EOFError, zlib.error) as error:  # gzip's complaints about its input
        warn(f"{document.source}: cannot decompress: {error}")


class _Source:
    """What lxml reads, capped, kept from the last URL found on to find the next.

    The cursor is where the last URL found ends, with its line and column;
    lxml reads ahead of it by a chunk, so the window stays small, also in a
    sitemap written on one line.
    """

    def __init__(self, raw: BinaryIO | gzip.GzipFile) -> None:
        self._raw = raw
        self._total = 0
        self._window = bytearray()
        self._cursor = 0  # an offset in the window
        self._line, self._column = 1, 0  # at the cursor: its line, characters before it

    def read(self, size: int = -1) -> bytes:
        wanted = _CHUNK if size is None or size < 0 else size
        data = self._raw.read(min(wanted, MAX_BYTES + 1 - self._total))
        self._total += len(data)
        if self._total > MAX_BYTES:
            raise TooLarge
        if self._cursor > _CHUNK:
            del self._window[: self._cursor]
            self._cursor = 0
        self._window += data
        return data

    def locate(self, line: int, url: str) -> tuple[int, int, str]:
        """The position of `url`, written on `line` or after it (and after the
        last one), and how it is written (`&` as `&amp;`); column 1 of `line`
        when it is not found (written with character references)."""
        window = self._window
        while self._line < line and (end := window.find(b"\n", self._cursor)) >= 0:
            self._cursor, self._line, self._column = end + 1, self._line + 1, 0
        for written in dict.fromkeys((escape(url), url)):
            encoded = written.encode("utf-8")
            found = window.find(encoded, self._cursor)
            if found >= 0:
                break
        else:
            return line, 1, url
        breaks = window.count(b"\n", self._cursor, found)
        if breaks:
            begin = window.rfind(b"\n", self._cursor, found) + 1
            self._line, self._column = self._line + breaks, 0
        else:
            begin = self._cursor
        self._column += len(window[begin:found].decode("utf-8", errors="replace"))
        position = self._line, self._column + 1, written
        self._cursor = found + len(encoded)
        self._column += len(written)
        return position
