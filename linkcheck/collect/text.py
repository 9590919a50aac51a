"""Plain text: bare URLs, `<url>` and `(/path)`.

A block of lines is scanned at once (the patterns never cross a line end)
and lines are counted only up to each link, so a large file streams fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from linkcheck.collect import prose
from linkcheck.collect.common import context, previous_line
from linkcheck.collect.model import Document
from linkcheck.models import Citation


def extract(blocks: Iterable[str], document: Document) -> Iterator[Citation]:
    first, previous = 1, ""  # the block's first line number; the last non-empty line before it
    for block in blocks:
        line, counted = first, 0
        for found in prose.scan(block):
            line += block.count("\n", counted, found.start)
            counted = found.start
            start = block.rfind("\n", 0, found.start) + 1
            end = block.find("\n", found.start)
            text = context(
                block[start : len(block) if end < 0 else end],
                found.start - start,
                found.start - start + len(found.url),
                previous_line(block, start, previous),
                around=not found.standalone,
            )
            yield document.cite(line, found.start - start + 1, found.url, found.href, text)
        first += block.count("\n") + 1
        previous = previous_line(block, len(block) + 1, previous)
