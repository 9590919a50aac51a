"""HTML: `a[href]`, `area[href]` and, with `resources`, embedded resources.

lxml decides which elements exist (so nothing inside comments, scripts or
attribute values is taken for a tag), but the position and the URL as
written come from the source: lxml's `sourceline` is the line where a start
tag *ends* and stops counting at 65535, and attribute values come back with
entities such as `&amp;` decoded. So each element's start tag is found
again in the source, in document order, from a cursor, and the element's
attribute value checks that the right tag was found. Nearly always it is
the next start tag of its name, read whole by one regular expression
(`_next_tag`); where it is not (that one is commented out, say, or holds
another value), `_locate` looks further, attribute by attribute.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from linkcheck.collect.common import LineIndex, collapse, normalise_newlines, shorten
from linkcheck.collect.model import Document, Row
from linkcheck.dates import access_dates, may_hold_access_date, parsed_html
from linkcheck.models import Citation

# Imported where a page is parsed, not here: the main process of a run parses
# none, and every library it imports adds to its memory (docs/performance.md).
if TYPE_CHECKING:
    from lxml import etree

_LINKS = {"a": ("href",), "area": ("href",)}
# Where an access date next to a link is looked for: a list item whole, else
# the link's sentence in its paragraph or cell.
_CITING_BLOCKS = frozenset({"li", "dd", "dt", "p", "td", "th", "blockquote", "figcaption"})
_RESOURCES = {
    **_LINKS,
    "img": ("src", "srcset"),
    "link": ("href",),
    "script": ("src",),
    "iframe": ("src",),
    "source": ("src", "srcset"),
}
# How many same-named tags past the cursor may be looked at for the one whose
# value matches, before settling for the first that has the attribute.
_LOOKAHEAD = 8

_SPACE = r"\t\n\f\r "  # HTML's whitespace, narrower than Python's \s


def _attribute(name: str, group: str) -> str:
    """An attribute whose name matches `name`, then its value double-quoted,
    single-quoted or bare: the name and each value in a `group` ("(" captures)."""
    return (
        rf"""[{_SPACE}/]*{group}{name})(?:[{_SPACE}]*=[{_SPACE}]*"""
        rf"""(?:"{group}[^"]*)"|'{group}[^']*)'|{group}[^{_SPACE}>]*)))?"""
    )


_NAME = rf"[^{_SPACE}/>][^{_SPACE}/>=]*"
_ATTRIBUTE = re.compile(_attribute(_NAME, "("))
_ANY_ATTRIBUTE = _attribute(_NAME, "(?:")
# What hides a tag: a comment, script or style opened and not closed (each
# opening starts with "<"), or a "<" not closed by a ">".
_HIDING = (("<!--", "-->"), ("<script", "</script"), ("<style", "</style"))
# Any of their openings, looked for first: most documents have none, which one
# search tells (the three searches for the last of each take half as long again).
_ANY_HIDING = re.compile("|".join(re.escape(opening) for opening, _ in _HIDING))
# Each (opening, closing) of _HIDING a document has, with where its last such opening is.
_Hiding = list[tuple[str, str, int]]
# A srcset is "url [descriptors], url [descriptors], ..."; a URL may hold
# commas, and one directly followed by commas has no descriptors.
_SRCSET_URL = re.compile(rf"[{_SPACE},]*([^{_SPACE},][^{_SPACE}]*)")
_DESCRIPTORS = re.compile(r"[^,(]*(?:\([^)]*\)[^,(]*)*,?")


class Link(NamedTuple):
    """A link found in HTML source: `url` as written starts at offset `start`."""

    start: int
    url: str
    href: str
    text: str
    accessed: dt.date | None = None  # an access date in the link's list item or sentence


_Fields = tuple[int, str, str, str, dt.date | None]  # a Link's fields, unnamed


_Item = TypeVar("_Item")


def extract(text: str, document: Document, *, resources: bool) -> Iterator[Citation]:
    return _extract(text, document, Document.cite, resources=resources)


def rows(text: str, document: Document, *, resources: bool) -> list[Row]:
    """The fields of `extract`'s citations (`Document.row`), none made, in
    one list: the collect workers take a document's at once."""
    return list(_extract(text, document, Document.row, resources=resources))


def _extract(
    text: str,
    document: Document,
    cite: Callable[[Document, int, int, str, str, str, dt.date | None], _Item],
    *,
    resources: bool,
) -> Iterator[_Item]:
    text = normalise_newlines(text)  # as libxml2 does in attribute values
    root = parsed_html(text)  # the tree the document's date was read from, if any
    if root is None:
        root = parse(text)
    if root is None:
        return
    base = next((href for element in root.iter("base") if (href := element.get("href"))), None)
    if base is not None:
        document = document.with_base(base)
    index = LineIndex(text)
    for start, url, href, description, accessed in _links(text, root, resources=resources):
        line, column = index.position(start)
        yield cite(document, line, column, url, href, description, accessed)


def parse(text: str) -> etree._Element | None:
    from lxml import etree

    parser = etree.HTMLParser(encoding="utf-8", huge_tree=True, no_network=True)
    try:
        return etree.fromstring(text.encode("utf-8"), parser)
    except etree.LxmlError:  # libxml2 recovers from nearly anything; not from everything
        return None


def links(text: str, root: etree._Element, *, resources: bool) -> Iterator[Link]:
    """The links of the document `root` parsed from `text`, in document order."""
    return map(Link._make, _links(text, root, resources=resources))


def _links(text: str, root: etree._Element, *, resources: bool) -> Iterator[_Fields]:
    """The fields of `links`, which `extract` reads without making a `Link` of each."""
    from lxml import etree

    wanted = _RESOURCES if resources else _LINKS
    cursor = 0
    blocks: dict[etree._Element, _Block] = {}
    # lxml's text serialisation: the document's text as itertext() joins it, in C
    dated = may_hold_access_date(etree.tostring(root, method="text", encoding=str, with_tail=False))
    hiding = [
        (opening, closing, final)
        for opening, closing in (_HIDING if _ANY_HIDING.search(text) else ())
        if (final := text.rfind(opening)) >= 0
    ]
    for element in root.iter(*wanted):
        tag = element.tag
        values: dict[str, str] = {}  # the wanted attributes' values, the empty left out
        for name in wanted[tag]:
            if value := element.get(name):
                values[name] = value
        if not values:
            continue
        found = (
            _next_tag(text, tag, values, cursor, hiding)
            or _locate(text, tag, values, cursor, hiding)
            or _locate(text, tag, values, cursor, None)
        )
        if found is None:
            continue
        cursor, written = found
        description = _describe(element, tag)
        accessed = _accessed(element, blocks) if dated else None
        attributes: Iterable[tuple[str, tuple[int, str]]] = written.items()
        if len(written) > 1:
            attributes = sorted(written.items(), key=_in_source_order)
        for name, (start, raw) in attributes:
            if name == "srcset":
                for offset, url in _srcset(raw):
                    yield start + offset, url, html.unescape(url), description, accessed
            elif url := raw.strip():
                # where the stripped value starts in raw: it cannot start in the spaces
                yield start + raw.find(url), url, values[name], description, accessed


_Block = tuple[str, list[tuple[int, int, dt.date]]]  # a block's text, its dated stretches


def _accessed(element: etree._Element, blocks: dict[etree._Element, _Block]) -> dt.date | None:
    """An access date in the element's list item, or in its sentence of the
    enclosing block; `blocks` keeps what each block holds, read once."""
    block = next((a for a in element.iterancestors() if a.tag in _CITING_BLOCKS), None)
    if block is None:
        return None
    if block not in blocks:
        text = collapse("".join(block.itertext()))
        blocks[block] = text, access_dates(text, whole=block.tag == "li")
    text, spans = blocks[block]
    if not spans:  # the common case: no access date in the block
        return None
    anchor = collapse(_text(element))
    at = max(text.find(anchor), 0) if anchor else 0
    return next((date for start, end, date in spans if start <= at <= end), None)


def _locate(
    text: str, tag: str, values: dict[str, str], cursor: int, hiding: _Hiding | None
) -> tuple[int, dict[str, tuple[int, str]]] | None:
    """Where the start tag of an element with these attribute values is
    written: the end of the tag, and each attribute's (offset, raw value).
    With `hiding`: not in what looks like a comment, script, style or another
    tag (a second look without it finds tags after, say, a "<" in text)."""
    fallback = None
    for tries, match in enumerate(_tag_pattern(tag).finditer(text, cursor)):
        if hiding is not None and _hidden(text, cursor, match.start(), hiding):
            continue
        attributes, end = _attributes(text, match.end())
        written = {name: attributes[name] for name in values if name in attributes}
        if written and {name: html.unescape(raw) for name, (_, raw) in written.items()} == values:
            return end, written
        if fallback is None and written:
            fallback = end, written
        if tries == _LOOKAHEAD:
            break
    return fallback


def _next_tag(
    text: str, tag: str, values: dict[str, str], cursor: int, hiding: _Hiding
) -> tuple[int, dict[str, tuple[int, str]]] | None:
    """What `_locate` finds first, by regular expression alone: the next
    start tag of `tag`, when it is not hidden and has these values, as nearly
    every element's has; else None."""
    written: dict[str, tuple[int, str]] = {}
    end = cursor
    for name, value in values.items():  # one or two: the same tag each time
        match = _start_tag(tag, name).search(text, cursor)
        if match is None or match.lastindex is None:
            return None
        if _hidden(text, cursor, match.start(), hiding):
            return None
        _, raw = written[name] = _value(match)
        if (html.unescape(raw) if "&" in raw else raw) != value:
            return None
        end = match.end()
    return end, written


def _in_source_order(attribute: tuple[str, tuple[int, str]]) -> int:
    return attribute[1][0]


def _hidden(text: str, cursor: int, pos: int, hiding: _Hiding) -> bool:
    """Whether `pos` is inside a comment, script, style or tag opened after
    `cursor` (which is never inside one: it is the end of a real start tag)."""
    last = text.rfind("<", cursor, pos)
    if last < 0:  # nothing opened at all
        return False
    if last > text.rfind(">", cursor, pos):
        return True
    for opening, closing, final in hiding:  # looked for only where the text has one
        if final >= cursor and text.rfind(opening, cursor, pos) > text.rfind(closing, cursor, pos):
            return True
    return False


def _srcset(raw: str) -> Iterator[tuple[int, str]]:
    pos = 0
    while (match := _SRCSET_URL.match(raw, pos)) is not None:
        url, pos = match[1], match.end()
        if url.endswith(","):
            url = url.rstrip(",")
        elif descriptors := _DESCRIPTORS.match(raw, pos):
            pos = descriptors.end()
        yield match.start(1), url


@cache
def _tag_pattern(tag: str) -> re.Pattern[str]:
    return re.compile(rf"<{re.escape(tag)}(?=[{_SPACE}/>]|\Z)", re.IGNORECASE)


@cache
def _start_tag(tag: str, name: str) -> re.Pattern[str]:
    """A start tag whole, as `_tag_pattern` and `_attributes` read it, its
    first attribute named `name` in the groups of `_ATTRIBUTE` (none match
    when it has none). Attribute names are matched by their ASCII letters in
    either case, not ignoring case: `_attributes` lower-cases names, and no
    other character lower-cases to a letter of `href`, `src` or `srcset`,
    where an ignoring-case pattern takes a long S ("\u017f") for "s"."""
    named = "".join(f"[{letter}{letter.upper()}]" for letter in name) + rf"(?=[{_SPACE}/>=]|\Z)"
    others = rf"(?:(?![{_SPACE}/]*{named}){_ANY_ATTRIBUTE})*+"
    first = rf"(?:{_attribute(named, '(')}(?:{_ANY_ATTRIBUTE})*+)?+"
    return re.compile(f"(?i:{_tag_pattern(tag).pattern}){others}{first}")


def _attributes(text: str, pos: int) -> tuple[dict[str, tuple[int, str]], int]:
    """A start tag's attributes from `pos` on (the first of a name wins, as in
    HTML): name -> (offset of the value, raw value); and where the tag ends."""
    attributes: dict[str, tuple[int, str]] = {}
    while (match := _ATTRIBUTE.match(text, pos)) is not None:
        attributes.setdefault(match[1].lower(), _value(match))
        pos = match.end()
    return attributes, pos


def _value(match: re.Match[str]) -> tuple[int, str]:
    """The (offset, raw value) of the attribute in the groups of `_ATTRIBUTE`;
    a name alone has an empty value where it ends."""
    group = match.lastindex or 1  # the value's group, or 1: the name's (always there)
    return (match.end(1), "") if group == 1 else (match.start(group), match[group])


def _describe(element: etree._Element, tag: str) -> str:
    """The citation text: an anchor's text, else an image's alt, else a title."""
    if tag == "a":
        words = _text(element)
        if words and not words.isspace():  # has words: `shorten` collapses the spaces
            return shorten(words)
        image = next((img for img in element.iter("img") if img.get("alt")), None)
        if image is not None:
            return shorten(image.get("alt", ""))
    return shorten(element.get("alt") or element.get("title") or "")


def _text(element: etree._Element) -> str:
    """The element's text, as `itertext()` joins it; most anchors hold
    nothing but their text, read without the iterator."""
    return "".join(element.itertext()) if len(element) else element.text or ""
