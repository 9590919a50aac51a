"""Positions and citation text, shared by the extractors.

Every extractor finds a link as an offset into some string and turns it
into a (line, column) of the document's decoded text: 1-based, lines ended
by '\\n', '\\r\\n' or '\\r', columns in code points, as the architecture note
defines them. Text reaches the extractors with its line ends normalised to
'\\n' (which changes no position), as *blocks*: strings of whole lines, each
block's end being a line end, so a large file streams in bounded memory.
"""

from __future__ import annotations

import re

TEXT_LIMIT = 80

_NEWLINE = re.compile(r"\r\n?|\n")
# What is not words in the prose around a link: Markdown links (kept as their
# text), tags and autolinks, bare URLs, (/paths), emphasis, code and link
# markers, and a numbered list's marker.
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)\s]*\)")
_NOT_WORDS = re.compile(
    r"\(?<[^<>]*>\)?|(?i:https?://|www\.)\S*|\(/[^\s()]*\)|[*`\[\]]|\A\s*\d{1,9}[.)](?=\s)"
)
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+(?=[,.;:!?])")
_EDGES = " \t*_`~#>|([{<)]}\"':;,-\u201c\u201d\u2018\u2019\u00ab\u00bb\u2014\u2013"


def normalise_newlines(text: str) -> str:
    return _NEWLINE.sub("\n", text) if "\r" in text else text


def previous_line(text: str, start: int, default: str) -> str:
    """The last non-empty line of text[:start] (`start` begins a line), else `default`."""
    while start > 0:
        begin = text.rfind("\n", 0, start - 1) + 1
        if text[begin : start - 1].strip():
            return text[begin : start - 1]
        start = begin
    return default


def collapse(text: str) -> str:
    return " ".join(text.split())


def shorten(text: str, limit: int = TEXT_LIMIT) -> str:
    """Whitespace collapsed, at most `limit` characters, cut at a word when possible."""
    text = collapse(text)
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip() + "…"


def _words(text: str) -> str:
    text = _NOT_WORDS.sub(" ", _MARKDOWN_LINK.sub(r"\1", text))
    return _SPACE_BEFORE_PUNCTUATION.sub("", collapse(text)).strip(_EDGES)


def words_before(text: str, limit: int = TEXT_LIMIT) -> str:
    """The last words of `text`, at most `limit` characters."""
    words = _words(text)
    if len(words) <= limit:
        return words
    tail = words[-limit:]
    space = tail.find(" ")
    return tail[space + 1 :] if 0 <= space < limit // 2 else tail


def words_after(text: str, limit: int = TEXT_LIMIT) -> str:
    """The first words of `text`, at most `limit` characters."""
    words = _words(text)
    if len(words) <= limit:
        return words
    head = words[:limit]
    space = head.rfind(" ")
    return head[:space] if space > limit // 2 else head


def context(line: str, start: int, end: int, previous: str, *, around: bool) -> str:
    """Text for a link written in prose at line[start:end]: the words just
    before it, else (when `around`) just after it, else the previous
    non-empty line's last words."""
    return (
        words_before(line[:start])
        or (words_after(line[end:]) if around else "")
        or words_before(previous)
    )


class LineIndex:
    """Offsets in one string with '\\n' line ends to (line, column) positions,
    the string starting at line `first_line`, column 1. Lines are counted
    from the last offset asked for, so offsets in order cost one pass."""

    def __init__(self, text: str, first_line: int = 1) -> None:
        self._text = text
        self._first_line = first_line
        self._offset, self._line = 0, first_line

    def position(self, offset: int) -> tuple[int, int]:
        if offset < self._offset:
            self._offset, self._line = 0, self._first_line
        self._line += self._text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line, offset - self._text.rfind("\n", 0, offset)
