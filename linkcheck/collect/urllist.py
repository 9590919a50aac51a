"""Lists of URLs, one a line: plain lists (`.urls`, and `.txt` files that are
lists) and JSON lines (`.jsonl`, `.ndjson`) with a `url` field.

A plain list: blank lines and lines starting with `#` are skipped; a line
is a URL (absolute, `//host`, `/path`, `./x`, `../x` or `www.`) and may end
with a comment after whitespace and `#` (`https://x.org/  # why`), which is
the citation's text, and may hold an access date ("# accessed 2021-12-16").
A URL stands for itself resolved against the list's base, so a list of
paths checks a site with `base_url`. Any other line is read as prose, so a
stray sentence still has its URLs cited.

A `.txt` file is a list, not prose, when at least `LIST_SHARE` of its first
`SAMPLE_LINES` non-empty, non-comment lines, and at least two of them, are
each one absolute URL (with or without a comment). Prose with a few URLs on
lines of their own is not a list; a list with a heading or two still is; a
lone URL reads the same either way and stays text.

JSON lines: each non-empty line is an object whose `url` is a string; its
column is where that string starts in the line. The text is its `title`
(else `text`, else `name`), and `cited_on`, `accessed` or `urldate` is its
date. Lines that are not such objects are reported in one warning.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator

from linkcheck.collect import prose
from linkcheck.collect.common import collapse, context, shorten
from linkcheck.collect.model import Document
from linkcheck.dates import access_date_near, parse_date
from linkcheck.models import Citation

LIST_SHARE = 0.9
SAMPLE_LINES = 1000
_REPORTED_LINES = 10  # line numbers named in the warning about bad JSON lines

_ENTRY = re.compile(r"[ \t]*(?P<url>\S+)[ \t]*(?:(?<=[ \t])#[ \t]*(?P<comment>.*?))?[ \t]*")
_URL_LIKE = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*:|//|/|\.\.?/|(?i:www\.))\S")
_ABSOLUTE = re.compile(r"(?i:https?://|www\.)[^\s#]*\S")
_URL_KEY = re.compile(r'"url"\s*:\s*"')
_TEXT_KEYS = ("title", "text", "name")
_DATE_KEYS = ("cited_on", "accessed", "urldate")
_JSON = json.JSONDecoder()


def is_list(text: str) -> bool:
    """Whether a text document is a list of URLs (see the module docstring)."""
    entries = urls = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        entries += 1
        match = _ENTRY.fullmatch(line)
        urls += match is not None and _ABSOLUTE.fullmatch(match["url"]) is not None
        if entries == SAMPLE_LINES:
            break
    return urls >= max(2, LIST_SHARE * entries)


def extract(blocks: Iterable[str], document: Document) -> Iterator[Citation]:
    """The citations of a plain list of URLs."""
    for number, line in _lines(blocks):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _ENTRY.fullmatch(line)
        if match is not None and _URL_LIKE.match(match["url"]):
            comment = collapse(match["comment"] or "")
            accessed = access_date_near(comment) if comment else None
            url, column = match["url"], match.start("url") + 1
            href = prose.bare_href(url)
            yield document.cite(number, column, url, href, shorten(comment), accessed)
            continue
        for found in prose.scan(line):
            end = found.start + len(found.url)
            text = context(line, found.start, end, "", around=not found.standalone)
            accessed = access_date_near(line)
            yield document.cite(number, found.start + 1, found.url, found.href, text, accessed)


def extract_json_lines(
    blocks: Iterable[str], document: Document, warn: Callable[[str], None]
) -> Iterator[Citation]:
    """The citations of a JSON lines document, one an object with a `url`."""
    bad: list[int] = []
    for number, line in _lines(blocks):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        url = entry.get("url") if isinstance(entry, dict) else None
        if not isinstance(url, str) or not url.strip():
            bad.append(number)
            continue
        assert isinstance(entry, dict)
        text = next((v for k in _TEXT_KEYS if isinstance(v := entry.get(k), str)), "")
        yield document.cite(
            number, _column(line, url), url, url, shorten(text), _date(entry)
        )
    if bad:
        named = ", ".join(str(number) for number in bad[:_REPORTED_LINES])
        more = f" and {len(bad) - _REPORTED_LINES} more" if len(bad) > _REPORTED_LINES else ""
        lines = "line" if len(bad) == 1 else "lines"
        warn(f"{document.source}: {lines} {named}{more}: not a JSON object with a url")


def _lines(blocks: Iterable[str]) -> Iterator[tuple[int, str]]:
    """The document's lines, numbered from 1 (blocks hold whole lines)."""
    number = 0
    for block in blocks:
        for line in block.split("\n"):
            number += 1
            yield number, line


def _column(line: str, url: str) -> int:
    """Where the `url` string's value starts in a JSON line (a nested `url`
    key may come first), from 1."""
    for match in _URL_KEY.finditer(line):
        try:
            value, _ = _JSON.raw_decode(line, match.end() - 1)  # from the opening quote
        except ValueError:
            continue
        if value == url:
            return match.end() + 1
    return 1


def _date(entry: dict[str, object]) -> dt.date | None:
    for key in _DATE_KEYS:
        value = entry.get(key)
        if isinstance(value, str) and (date := parse_date(value)) is not None:
            return date
    return None
