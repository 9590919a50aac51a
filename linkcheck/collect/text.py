"""Plain text: bare URLs, `<url>` and `(/path)`.

A block of lines is scanned at once (the patterns never cross a line end)
and lines are counted only up to each link, so a large file streams fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from linkcheck.collect import prose
from linkcheck.collect.common import context, previous_line
from linkcheck.collect.model import Document
from linkcheck.dates import access_date_near
from linkcheck.models import Citation


def extract(blocks: Iterable[str], document: Document) -> Iterator[Citation]:
    first, previous = 1, ""  # the block's first line number; the last non-empty line before it
    for block in blocks:
        line, counted, dated, accessed = first, 0, -1, None
        for found in prose.scan(block):
            line += block.count("\n", counted, found.start)
            counted = found.start
            start = block.rfind("\n", 0, found.start) + 1
            end = block.find("\n", found.start)
            line_text = block[start : len(block) if end < 0 else end]
            text = context(
                line_text,
                found.start - start,
                found.start - start + len(found.url),
                previous_line(block, start, previous),
                around=not found.standalone,
            )
            if start != dated:  # a line of text cites as one unit; read once
                dated, accessed = start, access_date_near(line_text)
            column = found.start - start + 1
            yield document.cite(line, column, found.url, found.href, text, accessed)
        first += block.count("\n") + 1
        previous = previous_line(block, len(block) + 1, previous)
