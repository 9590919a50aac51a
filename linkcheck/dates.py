"""The date a citation was made: parsing dates, finding them in documents.

A snapshot is chosen for the date the author saw the page (docs/archives.md),
so every citation gets a `cited_on`, from the first of:

1. an access date written next to the link: "Retrieved 16 December 2021",
   "accessed on Dec. 16, 2021", `access-date=2021-12-16`, `urldate = {...}`,
   in the same sentence or list item (`access_dates`);
2. the document's publication date (`document_date`): HTML metadata
   (`article:published_time`, `og:published_time`, JSON-LD `datePublished`,
   `<time datetime>`, `<meta name="date">`, in that order), Markdown front
   matter `date:`, else a dateline near the top of a Markdown or text
   document (a short line that is, or holds, a date: "Dec 16, 2021").

Everything here is a pure function of text. Whole values (a meta tag's
content, a front matter value, a flag) are parsed by `parse_date` with
python-dateutil, which knows ISO 8601, RFC 2822 and written-out months; in
prose only the shapes of `_DATE` are taken as dates, so "3 times" or a
version number never becomes one. A date is the calendar day as written:
`2021-12-16T23:00:00-05:00` is 16 December, whatever the zone.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

# Imported where a date is parsed, not here: the main process of a run parses
# none, and every library it imports adds to its memory (docs/performance.md).
if TYPE_CHECKING:
    from lxml import etree


_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|2\d\d\d)"
_ISO = r"\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?"
# A date in prose: ISO, "Dec 16, 2021", "16 December 2021" (case-insensitive).
_DATE = re.compile(
    rf"(?<![\w-])(?:{_ISO}|{_MONTH}\s+{_DAY},?\s+{_YEAR}|{_DAY}\s+{_MONTH},?\s+{_YEAR})(?![\w-])",
    re.IGNORECASE,
)
_ACCESS = re.compile(
    r"(?<![\w-])(?:retrieved|accessed|access[-_ ]?date|urldate|last\s+visited|viewed)"
    r"(?:\s+on)?[\s:=\"'{(]*"
    rf"(?P<date>{_DATE.pattern})",
    re.IGNORECASE,
)
_ACCESS_WORD = re.compile(r"retrieved|accessed|access[-_ ]?date|urldate|visited|viewed", re.I)
# A stem every match of _ACCESS_WORD holds, lower-cased, unless the match is
# written with one of the other characters the pattern takes for an ASCII
# letter: a dotted capital or a dotless small I for "i", a long S for "s"
# (tests/test_collect_html.py checks that there is no other).
_ACCESS_STEMS = ("retrieved", "access", "urldate", "visited", "viewed")
_STEM_LOOKALIKES = ("\u0130", "\u0131", "\u017f")


def may_hold_access_date(text: str) -> bool:
    """False when `text` cannot hold an access date (most text), cheaply.

    Substring searches decide most text: without a stem in its lower-cased
    form, or a look-alike, it cannot (the case-insensitive pattern takes ten
    times as long, on text that is not all ASCII, as most pages are). ASCII
    text with a stem may (exact: ASCII has no other case forms of them); for
    any other text, the access-word pattern decides."""
    lowered = text.lower()
    if any(stem in lowered for stem in _ACCESS_STEMS):
        return text.isascii() or _ACCESS_WORD.search(text) is not None
    if text.isascii() or not any(lookalike in text for lookalike in _STEM_LOOKALIKES):
        return False
    return _ACCESS_WORD.search(text) is not None


# A sentence ends at . ! or ? and spaces before a capital or an opening
# quote, unless the word before the stop is an abbreviation: a month, an
# initial (a capital alone), or a common one (et al., vol., pp., ...).
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d)\]]*\s+(?=[\"'\u201c(\[]?[A-Z])")
_ABBREVIATION = re.compile(
    rf"(?:(?<![^\s(])[A-Z]|\b{_MONTH}|\b(?:al|ed|eds|vol|no|pp|p|mr|mrs|ms|dr|st|inc|ltd|co|jr|sr|vs|etc|"
    r"e\.g|i\.e|u\.s))\.$",
    re.IGNORECASE,
)
# A dateline: in the first lines, a short line holding a date.
DATELINE_LINES = 40
DATELINE_LENGTH = 100
_FRONT_MATTER_DATE = re.compile(r"^date\s*[:=]\s*(?P<value>.+?)\s*$", re.IGNORECASE)
_FRONT_MATTER = {"---": ("---", "..."), "+++": ("+++",)}

# HTML metadata, by preference: (attribute, value) pairs of <meta>.
_META_PUBLISHED = (
    ("property", "article:published_time"),
    ("property", "og:published_time"),
    ("property", "og:article:published_time"),
    ("itemprop", "datepublished"),
)
_META_DATE = (
    ("name", "date"),
    ("name", "dc.date"),
    ("name", "dcterms.date"),
    ("name", "dc.date.issued"),
    ("name", "citation_publication_date"),
)
_NOT_TEXT = ("script", "style")


def parse_date(value: str) -> dt.date | None:
    """The date a whole value stands for, or None.

    Day, month and year must all be written: "December 2021" is no date.
    """
    value = value.strip()
    if not value or len(value) > 64:
        return None
    try:
        return dt.datetime.fromisoformat(value).date()
    except ValueError:
        pass
    try:
        # Parsed twice with different defaults: a field taken from the
        # default differs between the two, so it was not written.
        from dateutil import parser as dateutil_parser

        first = dateutil_parser.parse(value, default=dt.datetime(2001, 1, 1))
        second = dateutil_parser.parse(value, default=dt.datetime(2002, 2, 2))
    except (ValueError, OverflowError):
        return None
    return first.date() if first.date() == second.date() else None


def find_date(text: str) -> dt.date | None:
    """The first date written in prose, or None."""
    for match in _DATE.finditer(text):
        found = parse_date(match[0])
        if found is not None:
            return found
    return None


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence of `text`, covering it whole."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if _ABBREVIATION.search(text, max(start, match.start() - 12), match.start()):
            continue
        yield start, match.start()
        start = match.end()
    yield start, len(text)


def access_date(text: str) -> dt.date | None:
    """The first access date ("Retrieved <date>", `access-date=`, ...) in `text`."""
    if not may_hold_access_date(text):
        return None
    for match in _ACCESS.finditer(text):
        found = parse_date(match["date"])
        if found is not None:
            return found
    return None


def access_dates(text: str, *, whole: bool) -> list[tuple[int, int, dt.date]]:
    """The stretches of `text` that have an access date, with the date.

    `whole`: `text` is one list item, which cites as one unit; otherwise
    each sentence has its own.
    """
    if not may_hold_access_date(text):  # the common case, cheaply
        return []
    spans = [(0, len(text))] if whole else sentences(text)
    found = ((start, end, access_date(text[start:end])) for start, end in spans)
    return [(start, end, date) for start, end, date in found if date is not None]


def access_date_near(text: str, offset: int | None = None) -> dt.date | None:
    """The access date of a link at `offset` in `text`: in its sentence, or
    anywhere in `text` when `offset` is None (a list item, a table cell)."""
    for start, end, date in access_dates(text, whole=offset is None):
        if offset is None or start <= offset <= end:
            return date
    return None


def document_date(kind: str, text: str) -> dt.date | None:
    """The publication date of a document of `kind` ("html", "markdown", "text")."""
    if kind == "html":
        return _html_date(text)
    lines = text[: DATELINE_LINES * 200].split("\n", DATELINE_LINES)[:DATELINE_LINES]
    skip = 0
    if kind == "markdown":
        front, skip = _front_matter(lines)
        if front is not None:
            return front
    return dateline(lines[skip:])


def dateline(lines: list[str]) -> dt.date | None:
    """The date of the first short line holding one, among the first lines."""
    for line in lines[:DATELINE_LINES]:
        stripped = line.strip()
        if stripped and len(stripped) <= DATELINE_LENGTH and not _ACCESS_WORD.search(stripped):
            found = find_date(stripped)
            if found is not None:
                return found
    return None


def _front_matter(lines: list[str]) -> tuple[dt.date | None, int]:
    """The `date` of a YAML (---) or TOML (+++) front matter block, and the
    number of lines the block takes (0 when there is none)."""
    closing = _FRONT_MATTER.get(lines[0].rstrip()) if lines else None
    if closing is None:
        return None, 0
    found = None
    for number, line in enumerate(lines[1:], 1):
        if line.rstrip() in closing:
            return found, number + 1
        match = _FRONT_MATTER_DATE.match(line)
        if match and found is None:
            found = parse_date(match["value"].strip("\"'"))
    return None, 0


# The last HTML document `_html_date` parsed, with its tree, for `parsed_html`
# (only one is kept: the collect stage reads a document's links right after its date).
_parsed: tuple[str, etree._Element] | None = None


def parsed_html(text: str) -> etree._Element | None:
    """The tree `document_date` made of this very string (the same object,
    so never another document's), handed over once: an HTML document's date
    and links are read from one parse. None when there is none."""
    global _parsed
    parsed, _parsed = _parsed, None
    return parsed[1] if parsed is not None and parsed[0] is text else None


def _html_date(text: str) -> dt.date | None:
    from lxml import etree

    global _parsed
    _parsed = None
    parser = etree.HTMLParser(encoding="utf-8", huge_tree=True, no_network=True)
    try:
        content, whole = text.encode("utf-8"), True
    except UnicodeEncodeError:  # lone surrogates: a tree of another text, not to be handed over
        content, whole = text.encode("utf-8", errors="replace"), False
    try:
        root = etree.fromstring(content, parser)
    except etree.LxmlError:
        return None
    if root is None:
        return None
    _parsed = (text, root) if whole else None
    metas = {
        (attribute, (meta.get(attribute) or "").strip().lower()): meta.get("content") or ""
        for meta in root.iter("meta")
        for attribute in ("name", "property", "itemprop")
    }
    found = _first(metas.get(key, "") for key in _META_PUBLISHED)
    found = found or _first(_json_ld_dates(root))
    found = found or _first(_time_dates(root))
    return found or _first(metas.get(key, "") for key in _META_DATE)


def _first(values: Iterable[object]) -> dt.date | None:
    for value in values:
        if isinstance(value, str) and (found := parse_date(value)) is not None:
            return found
    return None


def _json_ld_dates(root: etree._Element) -> Iterator[object]:
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        yield from _date_published(data)


def _date_published(data: object) -> Iterator[object]:
    """Every `datePublished` in a JSON-LD document, outermost first."""
    if isinstance(data, dict):
        if "datePublished" in data:
            yield data["datePublished"]
        for value in data.values():
            yield from _date_published(value)
    elif isinstance(data, list):
        for item in data:
            yield from _date_published(item)


def _time_dates(root: etree._Element) -> Iterator[str]:
    """`<time datetime>` values, a publication date first (itemprop, pubdate)."""
    times = [time for time in root.iter("time") if time.get("datetime")]
    marked = [t for t in times if t.get("itemprop") == "datePublished" or "pubdate" in t.attrib]
    for time in marked + times:
        yield time.get("datetime", "")
