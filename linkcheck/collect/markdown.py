"""Markdown: CommonMark structure by markdown-it-py, prose by `prose.scan`.

Cited: inline links, reference links (a use cites its definition's URL, at
the position where the definition writes it; a definition never used is
cited once, under its label), autolinks, bare URLs and `(/path)` in prose,
links in raw HTML, and images with `resources`. Nothing inside code blocks,
code spans, link text or image descriptions; YAML front matter is skipped.

markdown-it's `normalizeLink`/`validateLink` are replaced so hrefs come back
as written and `javascript:` links are seen (the check stage skips them with
a reason). markdown-it maps blocks to lines only, so the rules that make
links, images, autolinks, code spans and inline HTML are wrapped to record
their span in the block's inline source (an inline link's destination says
where it is written: `_Destination`), and the reference rule to record
where a definition writes its URL; `_BlockMap` turns those offsets into
document positions, and prose is scanned in the raw source between spans.

Only what those need is parsed: blocks that cannot hold a span get no
inline tokens, and the rules that only shape a link's text into tokens
(line breaks, joining text) are off, its text being whitespace-collapsed.
Where it changes none of markdown-it's tokens, its work is cut: the common
inline link, `[text](url)` with text no rule reads, is matched at once by
one regular expression (a paragraph of prose and such links only is made
into tokens directly); inline rules are tried only at the characters they
may match at, and the rules that may end a paragraph only at lines that
start with one of theirs; line ends are rewritten only if a CR or NUL is there.

Documents larger than `CHUNK_CHARS` characters are parsed in chunks, cut
at a blank line outside fenced code before an unindented line, so memory
stays bounded. They are read twice: first block rules only, for the
definitions (a use may come chunks before its definition), then in full.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache, partial
from itertools import chain, islice
from operator import attrgetter
from types import SimpleNamespace
from typing import Any

from markdown_it import MarkdownIt, rules_block, rules_core, rules_inline
from markdown_it.common.utils import unescapeAll
from markdown_it.helpers import parseLinkDestination, parseLinkLabel, parseLinkTitle
from markdown_it.parser_inline import ParserInline
from markdown_it.ruler import Ruler
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from linkcheck.collect import html, prose
from linkcheck.collect.common import LineIndex, context, shorten
from linkcheck.collect.model import Document
from linkcheck.dates import access_dates
from linkcheck.models import Citation

CHUNK_CHARS = 64 * 1024  # markdown-it's tokens take some 20 times the text's size

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ANCHOR = re.compile(r"<a[\t\n\f\r />]", re.IGNORECASE)
_DEFINITION_LABEL = re.compile(r"\[(?:\\.|[^\\\[\]])*\]:[ \t\n]*", re.S)

# block rule that may end a paragraph -> the characters its line starts with
# (after indentation), as it checks first
_PARAGRAPH_ENDS = {
    "fence": "`~",
    "blockquote": ">",
    "hr": "*-_",
    "list": "*-+0123456789",
    "html_block": "<",
    "heading": "#",
}

# inline rule -> the characters it may match at, as it checks first
_INLINE_STARTS = {
    "text": "",
    "linkify": ":",
    "newline": "\n",
    "escape": "\\",
    "backticks": "`",
    "strikethrough": "~",
    "emphasis": "*_",
    "link": "[",
    "image": "!",
    "autolink": "<",
    "html_inline": "<",
    "entity": "&",
}

# inline rule -> the token it makes whose span is recorded
_SPANNING = {
    "link": (rules_inline.link, "link_open"),
    "image": (rules_inline.image, "image"),
    "autolink": (rules_inline.autolink, "link_open"),
    "backticks": (rules_inline.backtick, "code_inline"),
    "html_inline": (rules_inline.html_inline, "html_inline"),
}
_AT = attrgetter("line", "column")  # a citation's position, to sort by
_ITEM_DEPTH = {"list_item_open": 1, "list_item_close": -1}
_WORDS = frozenset(("text", "text_special", "code_inline", "image"))  # tokens a link's text shows

InlineRule = Callable[[StateInline, bool], bool]
BlockRule = Callable[[StateBlock, int, int, bool], bool]
Position = Callable[[int], tuple[int, int]]  # offset in a block's content -> (line, column)


def extract(
    blocks: Callable[[], Iterable[str]], document: Document, *, resources: bool
) -> Iterator[Citation]:
    """The citations of the document whose text `blocks()` gives (afresh at
    each call), in document order within each chunk; in a document of
    several chunks, definitions no link uses come last."""
    reader = _Reader(document, resources)
    chunks = _chunks(blocks())
    opening = list(islice(chunks, 2))
    if len(opening) > 1:
        for first, lines in _chunks(blocks()):
            reader.define(first, lines)
    for first, lines in chain(opening, chunks):
        reader.chunk(first, lines)
        if len(opening) > 1:
            yield from reader.flush()
    reader.cite_unused()
    yield from reader.flush()


@dataclass(frozen=True, slots=True)
class _Definition:
    line: int
    column: int
    url: str
    href: str
    label: str


class _Reader:
    """One document's citations, chunk after chunk."""

    def __init__(self, document: Document, resources: bool) -> None:
        self.document = document
        self.resources = resources
        self.env: dict[str, Any] = {}  # markdown-it's, holding the definitions
        self.definitions: dict[str, _Definition] = {}  # the first of each label
        self.written: list[tuple[str, _Definition]] = []  # every definition, in order
        self.used: set[str] = set()
        self.previous = ""  # the last non-empty line before the chunk
        self.first = 1
        self.lines: list[str] = []
        self.citations: list[Citation] = []

    def define(self, first: int, lines: list[str]) -> None:
        """Learn the definitions in a chunk, parsing its blocks only."""
        source = "\n".join(_without_front_matter(lines) if first == 1 else lines)
        tokens: list[Token] = []
        _parser().block.parse(source, _parser(), self.env, tokens)
        index = LineIndex(source, first)
        for token in tokens:
            if token.type == "definition":
                self.definitions.setdefault(*self._definition(token, index))

    def chunk(self, first: int, lines: list[str]) -> None:
        """Collect the citations of `lines`, the first being document line `first`."""
        if first == 1:
            lines = _without_front_matter(lines)
        self.first, self.lines = first, lines
        self.env.pop("duplicate_refs", None)
        source = "\n".join(lines)
        tokens = _parser().parse(source, self.env)
        index = LineIndex(source, first)
        for token in tokens:  # first, as links may come before their definition
            if token.type == "definition":
                key, definition = self._definition(token, index)
                self.definitions.setdefault(key, definition)
                self.written.append((key, definition))
        items = 0  # list items open around the token: an item cites as one unit
        for token in tokens:
            items += _ITEM_DEPTH.get(token.type, 0)
            if token.type == "inline":
                made = len(self.citations)
                self._inline(token)
                self._date(token, made, whole=items > 0)
            elif token.type == "html_block":
                assert token.map is not None
                self._html(token.content, _BlockMap(token.content, self, token.map[0]).position)
        self.previous = self._previous(len(lines))

    def cite_unused(self) -> None:
        """Cite, under its label, each definition no link uses (or a later one of a label)."""
        for key, definition in self.written:
            if key not in self.used or self.definitions[key] != definition:
                self._cite_definition(definition, definition.label)

    def flush(self) -> list[Citation]:
        """The citations collected since the last flush, in document order."""
        citations, self.citations = self.citations, []
        return sorted(citations, key=_AT)

    def _definition(self, token: Token, index: LineIndex) -> tuple[str, _Definition]:
        offset, url = token.meta["written"]
        line, column = index.position(offset)
        label = shorten(token.meta["label"])
        return token.meta["id"], _Definition(line, column, url, token.meta["url"], label)

    def _cite(self, position: tuple[int, int], url: str, href: str, text: str) -> None:
        if url:
            self.citations.append(self.document.cite(*position, url, href, text))

    def _cite_definition(self, definition: _Definition, text: str) -> None:
        position = (definition.line, definition.column)
        self._cite(position, definition.url, definition.href, text)

    def _date(self, token: Token, made: int, *, whole: bool) -> None:
        """Date the citations made from `token` (from index `made` on) by an
        access date in their sentence, or anywhere in a list item."""
        spans = access_dates(token.content, whole=whole)
        if not spans:
            return
        assert token.map is not None
        where = _BlockMap(token.content, self, token.map[0])
        ranges = [(where.position(start), where.position(end), date) for start, end, date in spans]
        for number in range(made, len(self.citations)):
            citation = self.citations[number]
            at = (citation.line, citation.column)
            date = next((date for first, last, date in ranges if first <= at <= last), None)
            if date is not None:
                self.citations[number] = replace(citation, cited_on=date)

    def _previous(self, index: int) -> str:
        """The last non-empty line before chunk line `index`."""
        for number in range(index - 1, -1, -1):
            if self.lines[number].strip():
                return self.lines[number]
        return self.previous

    def _prose_text(self, position: tuple[int, int], url: str, *, around: bool) -> str:
        index, start = position[0] - self.first, position[1] - 1
        line = self.lines[index]
        return context(line, start, start + len(url), self._previous(index), around=around)

    def _inline(self, token: Token) -> None:
        assert token.map is not None
        assert token.children is not None
        source: str = token.content
        where = _BlockMap(source, self, token.map[0])
        spans: list[tuple[int, int]] = []
        children = token.children
        for number, child in enumerate(children):
            span = child.meta.get("span") if child.meta else None
            if span is None:
                continue
            spans.append(span)
            if child.type == "link_open":
                text = _plain(_inside(children, number, _closes_link))
                self._link(child, text, source, where)
            elif child.type == "image" and self.resources:
                self._link(child, child.content, source, where)
            elif child.type == "html_inline":
                anchor = _ANCHOR.match(child.content)
                text = _plain(_inside(children, number, _closes_anchor)) if anchor else ""
                self._html(child.content, partial(_shifted, where.position, span[0]), text)
        for start, end in _gaps(spans, len(source)):
            for found in prose.scan(source, start, end):
                position = where.position(found.start)
                text = self._prose_text(position, found.url, around=not found.standalone)
                self._cite(position, found.url, unescapeAll(found.href), text)

    def _link(self, token: Token, text: str, source: str, where: _BlockMap) -> None:
        href = str(token.attrs.get("src" if token.type == "image" else "href", ""))
        if token.markup == "autolink":
            start, end = token.meta["span"]
            position = where.position(start + 1)
            url = source[start + 1 : end - 1]
            self._cite(position, url, href, self._prose_text(position, url, around=True))
        elif "label" in token.meta:
            definition = self.definitions.get(token.meta["label"])
            if definition is not None:
                self.used.add(token.meta["label"])
                self._cite_definition(definition, shorten(text))
        elif token.meta.get("written") is not None:
            offset, url = token.meta["written"]
            self._cite(where.position(offset), url, href, shorten(text))

    def _html(self, source: str, position: Position, text: str = "") -> None:
        """Links in raw HTML; `text` describes those without their own (an
        inline `<a href>`, whose text follows as Markdown)."""
        root = html.parse(source)
        if root is None:
            return
        for link in html.links(source, root, resources=self.resources):
            self._cite(position(link.start), link.url, link.href, link.text or shorten(text))


def _shifted(position: Position, shift: int, offset: int) -> tuple[int, int]:
    return position(shift + offset)


class _BlockMap:
    """Offsets in a block's content to document positions.

    Each line of the content is the end of one source line, less container
    markers (`>`, list markers) and indentation, so it is found in that line;
    the first may come from a later line than the block's first, when
    markdown-it's `str.strip()` ate lines of Unicode whitespace before it.
    The lines are matched at the first position asked for (most blocks cite
    nothing), unless they are the source lines as they are (the common
    paragraph): then lines are counted.
    """

    def __init__(self, content: str, reader: _Reader, first_index: int) -> None:
        self._content, self._reader, self._first_index = content, reader, first_index
        self._first = reader.first
        self._position: Position | None = None
        self._starts: list[int] = []
        self._lines: list[int] = []
        self._columns: list[int] = []

    def position(self, offset: int) -> tuple[int, int]:
        if self._position is None:
            self._position = self._verbatim() or self._matched
        return self._position(offset)

    def _verbatim(self) -> Position | None:
        start, lines = self._first_index, self._reader.lines
        if "\n".join(lines[start : start + self._content.count("\n") + 1]) != self._content:
            return None
        return LineIndex(self._content, self._first + start).position

    def _matched(self, offset: int) -> tuple[int, int]:
        if not self._starts:
            self._match_lines()
        piece = bisect_right(self._starts, offset) - 1
        column = self._columns[piece] + offset - self._starts[piece] + 1
        return self._first + self._lines[piece], column

    def _match_lines(self) -> None:
        lines = self._reader.lines
        offset, index = 0, self._first_index
        for number, piece in enumerate(self._content.split("\n")):
            stripped = piece.lstrip(" \t")
            column = lines[index].find(stripped)
            while number == 0 and column < 0 and index + 1 < len(lines):
                index += 1
                column = lines[index].find(stripped)
            self._starts.append(offset)
            self._lines.append(index)
            self._columns.append(max(column, 0) - (len(piece) - len(stripped)))
            offset += len(piece) + 1
            index = min(index + 1, len(lines) - 1)


def _inside(children: list[Token], opening: int, closes: Callable[[Token], bool]) -> list[Token]:
    closing = opening + 1
    while closing < len(children) and not closes(children[closing]):
        closing += 1
    return children[opening + 1 : closing]


def _closes_link(token: Token) -> bool:
    return token.type == "link_close"


def _closes_anchor(token: Token) -> bool:
    return token.type == "html_inline" and token.content[:3].lower() == "</a"


def _plain(tokens: list[Token]) -> str:
    """A link's text: its words, code and image descriptions (to be collapsed)."""
    return "".join(
        token.content if token.type in _WORDS else " " if token.type.endswith("break") else ""
        for token in tokens
    )


def _gaps(spans: list[tuple[int, int]], length: int) -> Iterator[tuple[int, int]]:
    """The stretches of a block's source outside the (possibly nested) spans."""
    position = 0
    for start, end in sorted(spans):
        if start > position:
            yield position, start
        position = max(position, end)
    if position < length:
        yield position, length


def _chunks(blocks: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """The document's lines in chunks: (first line number, lines)."""
    if isinstance(blocks, list) and sum(len(block) + 1 for block in blocks) <= CHUNK_CHARS:
        # a document read whole and too small to be cut: its lines are not looked at
        lines = [line for block in blocks for line in block.split("\n")]
        if lines:
            yield 1, lines
        return
    chunk: list[str] = []
    first, size, fence, after_blank = 1, 0, "", False
    lines = (line for block in blocks for line in block.split("\n"))
    for number, line in enumerate(lines, 1):
        if size >= CHUNK_CHARS and after_blank and not fence and line[:1] not in ("", " ", "\t"):
            yield first, chunk
            chunk, first, size = [], number, 0
        chunk.append(line)
        size += len(line) + 1
        marker = _FENCE.match(line)
        if not fence:
            fence = marker[1] if marker else ""
        elif marker and marker[1][0] == fence[0] and len(marker[1]) >= len(fence):
            fence = "" if not line[marker.end() :].strip() else fence
        after_blank = not line.strip()
    if chunk:
        yield first, chunk


def _without_front_matter(lines: list[str]) -> list[str]:
    """The lines with a leading `---` YAML block blanked (line numbers kept)."""
    if lines and lines[0].rstrip() == "---":
        for end in range(1, len(lines)):
            if lines[end].rstrip() in ("---", "..."):
                return [""] * (end + 1) + lines[end + 1 :]
    return lines


@cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"inline_definitions": True, "store_labels": True})
    # markdown-it's documented override points, typed as methods
    parser.normalizeLink = _as_written  # type: ignore[method-assign]
    parser.validateLink = _anything  # type: ignore[method-assign]
    recording = {name: _recording_span(*rule) for name, rule in _SPANNING.items()}
    recording["link"] = partial(_quick_link, recording["link"])
    for name, rule in recording.items():
        parser.inline.ruler.at(name, rule)
    parser.block.ruler.at("reference", _recording_definition(rules_block.reference))
    _dispatch_paragraph_ends(parser.block.ruler)
    parser.core.ruler.at("inline", _inline_where_spans_may_be)
    parser.core.ruler.at("normalize", _normalize_if_needed)
    # Work `_plain` does not need, as a link's text is whitespace-collapsed:
    # line break tokens (a "\n" stays in the text), joining adjacent text
    # tokens, and turning escapes and entities (`text_special`) into text.
    parser.inline.ruler.disable("newline")
    parser.inline.ruler2.disable("fragments_join")
    parser.core.ruler.disable("text_join")
    _dispatch_inline(parser.inline)
    parser.helpers = SimpleNamespace(  # type: ignore[assignment]
        parseLinkLabel=parseLinkLabel,
        parseLinkDestination=_destination,
        parseLinkTitle=parseLinkTitle,
    )
    return parser


def _dispatch_inline(inline: ParserInline) -> None:
    """Let markdown-it try, where the text rule stops, only the inline rules
    that may match at the character (`_INLINE_STARTS`), in their order; and
    stop the text rule only where one may (or at a link label's end): at the
    other characters markdown-it stops at, every rule would fail, and the
    character be added to the text alone."""
    by_start: dict[str, list[InlineRule]] = {}
    names = inline.ruler.get_active_rules()
    for name, rule in zip(names, inline.ruler.getRules(""), strict=True):
        for start in _INLINE_STARTS[name]:
            by_start.setdefault(start, []).append(rule)
    inline.ruler.disable([name for name in names if name != "text"])
    inline.ruler.push("by_start", partial(_by_start, by_start))
    inline.terminator_re = re.compile(f"[{re.escape(''.join(by_start) + ']')}]")


def _by_start(rules: dict[str, list[InlineRule]], state: StateInline, silent: bool) -> bool:
    return any(rule(state, silent) for rule in rules.get(state.src[state.pos], ()))


def _dispatch_paragraph_ends(ruler: Ruler[BlockRule]) -> None:
    """Make the rules that may end a paragraph (chain "paragraph", which
    markdown-it tries at each line of each paragraph, twice: for a setext
    heading, then for the paragraph) one rule that tries only those the
    line's first character allows, all others failing on it."""
    by_start: dict[str, list[BlockRule]] = {}
    for rule in ruler.__rules__:  # the rules with their chains, which only this lists
        if rule.enabled and "paragraph" in rule.alt:
            for start in _PARAGRAPH_ENDS[rule.name]:
                by_start.setdefault(start, []).append(rule.fn)
            ruler.at(
                rule.name, rule.fn, {"alt": [name for name in rule.alt if name != "paragraph"]}
            )
    # after "paragraph", which always matches: tried in chain "paragraph" only
    ruler.push("paragraph_ends", partial(_ends_paragraph, by_start), {"alt": ["paragraph"]})


def _ends_paragraph(
    by_start: dict[str, list[BlockRule]], state: StateBlock, line: int, end: int, silent: bool
) -> bool:
    start = state.bMarks[line] + state.tShift[line]
    rules = by_start.get(state.src[start : start + 1])  # mostly none
    return rules is not None and any(rule(state, line, end, silent) for rule in rules)


def _normalize_if_needed(state: StateCore) -> None:
    """markdown-it's core rule "normalize" (CR and CRLF to LF, NUL to U+FFFD)
    where it changes something: it rewrites every line end."""
    if "\r" in state.src or "\0" in state.src:
        rules_core.normalize(state)


def _inline_where_spans_may_be(state: StateCore) -> None:
    """markdown-it's core rule "inline", skipping the blocks where no rule of
    `_SPANNING` can match (none starts without "[", "<" or "`"): only spans
    are read from the inline tokens, and their prose is scanned in the source."""
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            content = token.content
            if not ("[" in content or "<" in content or "`" in content):
                continue
            if _quick_links(state.md.inline.terminator_re.pattern).fullmatch(content):
                token.children.extend(_quick_link_tokens(content))
            else:
                state.md.inline.parse(content, state.md, state.env, token.children)


@cache
def _quick_links(terminators: str) -> re.Pattern[str]:
    """Prose and `_QUICK_LINK`s only, prose being where the text rule does
    not stop (at `terminators`, a character class)."""
    prose = f"[^{terminators[1:]}*"
    return re.compile(f"(?:{prose}{_QUICK_LINK.pattern})*{prose}")


def _quick_link_tokens(source: str) -> Iterator[Token]:
    """markdown-it's inline tokens of prose and quick links only, as its
    tokenizer and `_quick_link` make them (text at level 0 outside links, 1
    inside), without trying rule after rule, nor its rules after the
    tokenizer, which pair delimiters: there are none."""
    position = 0
    for match in _QUICK_LINK.finditer(source):
        if match.start() > position:
            yield Token("text", "", 0, content=source[position : match.start()])
        yield _described(Token("link_open", "a", 1), match)
        yield Token("text", "", 0, level=1, content=_label(match))
        yield Token("link_close", "a", -1)
        position = match.end()
    if position < len(source):
        yield Token("text", "", 0, content=source[position:])


def _as_written(url: str) -> str:
    return url


def _anything(url: str) -> bool:
    return True


def _recording_span(rule: InlineRule, token_type: str) -> InlineRule:
    """`rule`, recording the span of the `token_type` token it makes."""
    destination = {rules_inline.link: "href", rules_inline.image: "src"}.get(rule)

    def recording(state: StateInline, silent: bool) -> bool:
        start, count = state.pos, len(state.tokens)
        if not rule(state, silent):
            return False
        if not silent:
            token = next(
                (t for t in islice(state.tokens, count, None) if t.type == token_type), None
            )
            if token is not None:
                token.meta["span"] = (start, state.pos)
                if destination is not None and "label" not in token.meta:
                    token.meta["written"] = _inline_destination(token.attrs[destination])
        return True

    return recording


def _inline_destination(href: object) -> tuple[int, str] | None:
    """Where an inline link or image whose href is `href` writes its URL (no
    URL, as in `[text]()`, when its destination did not parse)."""
    if not isinstance(href, _Destination):
        return None
    return _unbracketed(href.start, href.source[href.start : href.end])


class _Destination(str):
    """A link destination as markdown-it reads it (unescaped), which remembers
    where it is written: source[start:end]. It reaches the link's token as
    its href (`normalizeLink` being `_as_written`), so the inline rules say
    where their URL is without reading it twice."""

    source: str
    start: int
    end: int


class _DestinationResult:
    """What markdown-it's rules read of `parseLinkDestination`'s result."""

    __slots__ = ("ok", "pos", "str")

    def __init__(self, ok: bool, pos: int, value: str) -> None:
        self.ok, self.pos, self.str = ok, pos, value


# A destination without "<...>", parentheses or escapes: it ends at a space,
# a control character, ")" or the end, as markdown-it's loop would end it.
_PLAIN_DESTINATION = re.compile(r"[^\x00-\x20\x7f()\\<][^\x00-\x20\x7f()\\]*")


def _destination(source: str, pos: int, maximum: int) -> _DestinationResult:
    """markdown-it's `parseLinkDestination`, its value a `_Destination`; the
    common destination is read by a regular expression, not char by char."""
    plain = _PLAIN_DESTINATION.match(source, pos, maximum)
    end = plain.end() if plain is not None else pos
    if plain is not None and (end == maximum or source[end] not in "(\\"):
        value = unescapeAll(plain[0])  # ended by a space, a control character, ")" or the end
    else:
        result = parseLinkDestination(source, pos, maximum)
        if not result.ok:
            return _DestinationResult(False, result.pos, result.str)
        value, end = result.str, result.pos
    written = _Destination(value)
    written.source, written.start, written.end = source, pos, end
    return _DestinationResult(True, end, written)


# `[text](destination)`: text that holds no bracket and no character an
# inline rule of `_INLINE_STARTS` starts at (linkify's ":" aside: it makes no
# link in a link's text), a plain destination, ")" right after it.
_QUICK_LINK = re.compile(r"\[[^\[\]\\`*_~!<&\n]+\]\((" + _PLAIN_DESTINATION.pattern + r")\)")


def _quick_link(link: InlineRule, state: StateInline, silent: bool) -> bool:
    """`link` (markdown-it's rule, recording), the common inline link matched
    at once: the same tokens (the text, read by no rule, is one text token)
    and span, without scanning the label token by token nor tokenizing the
    text. Not where that scan may end otherwise: at `maxNesting` levels, or
    over a position an earlier scan cached (perhaps at that depth)."""
    match = _QUICK_LINK.match(state.src, state.pos, state.posMax)
    if (
        match is None
        or state.level >= state.md.options["maxNesting"]
        or (state.cache and not state.cache.keys().isdisjoint(range(state.pos, match.end())))
    ):
        return link(state, silent)
    if not silent:
        _described(state.push("link_open", "a", 1), match)
        state.append_pending(_label(match))
        state.push("link_close", "a", -1)
    state.pos = match.end()
    return True


def _described(link_open: Token, match: re.Match[str]) -> Token:
    """The link_open token of a `_QUICK_LINK` match, with its href and span."""
    link_open.attrs = {"href": unescapeAll(match[1])}
    link_open.meta["span"] = match.span()
    link_open.meta["written"] = (match.start(1), match[1])
    return link_open


def _label(match: re.Match[str]) -> str:
    return match.string[match.start() + 1 : match.start(1) - 2]


def _recording_definition(rule: BlockRule) -> BlockRule:
    def recording(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
        count = len(state.tokens)
        if not rule(state, start_line, end_line, silent):
            return False
        if not silent and len(state.tokens) > count and state.tokens[-1].type == "definition":
            state.tokens[-1].meta["written"] = _definition_destination(state, start_line)
        return True

    return recording


def _definition_destination(state: StateBlock, start_line: int) -> tuple[int, str]:
    """Where a definition on lines start_line..state.line writes its URL, as
    an offset into the chunk (the rule reads each line from its first
    non-space character after the container markers)."""
    starts, pieces = [], []
    for line in range(start_line, state.line):
        begin = state.bMarks[line] + state.tShift[line]
        starts.append(begin)
        pieces.append(state.src[begin : state.eMarks[line] + 1])
    text = "".join(pieces)
    match = _DEFINITION_LABEL.match(text)
    pos = match.end() if match else 0
    result = state.md.helpers.parseLinkDestination(text, pos, len(text))
    written = text[pos : result.pos] if result.ok else ""
    piece, offset = 0, pos
    while piece + 1 < len(pieces) and offset >= len(pieces[piece]):
        offset -= len(pieces[piece])
        piece += 1
    return _unbracketed(starts[piece] + offset, written)


def _unbracketed(offset: int, written: str) -> tuple[int, str]:
    if written.startswith("<") and written.endswith(">") and len(written) >= 2:
        return offset + 1, written[1:-1]
    return offset, written
