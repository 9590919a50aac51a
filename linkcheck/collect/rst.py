"""reStructuredText: hyperlinks by docutils' parser, positions from the source.

docutils' parser alone decides what is a link (no transforms run, nothing is
included from files or the network, no error is printed): standalone URLs,
embedded ones (`` `text <url>`_ ``), and named (`` `text`_ ``) and
anonymous (`` `text`__ ``) references to their targets (`.. _name: url`,
`__ url`). Nothing inside literal blocks, code or comments is a link, and
the content of directives docutils does not know (Sphinx's among them) is
not read.

As in Markdown, a reference to a target cites the target's URL at the
position where the target writes it, with the reference's text; a target
no reference uses is cited once, under its name. With `resources`, images
are cited too.

docutils gives lines to blocks only (a section title's is its underline's),
so each inline URL is found again in the source, after the previous one and
from its block's first line, as written (a URL broken across lines is
matched whatever whitespace it holds). An access date in a link's list item,
or its sentence, is its `cited_on`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from docutils import frontend, nodes, utils
from docutils.parsers.rst import Parser

from linkcheck.collect.common import (
    LineIndex,
    collapse,
    context,
    normalise_newlines,
    shorten,
)
from linkcheck.collect.model import Document
from linkcheck.dates import access_date_near
from linkcheck.models import Citation

# Where a target's label ends and its URL begins: `.. _name: `, `.. __: `, `__ `.
_TARGET_LABEL = re.compile(r"\.\.[ \t]+_(?:`(?:\\.|[^`])*`|(?:\\.|[^:\\])*):[ \t\n]*|__[ \t\n]+")
_EMBEDDED = re.compile(r"<([^<>]*)>`__?\s*$", re.S)


@dataclass(frozen=True, slots=True)
class _Target:
    """Where a target writes its URL (`url`, whitespace taken out), and what
    it stands for; `label` is None for an embedded URL, cited where it is."""

    line: int
    column: int
    url: str
    href: str
    label: str | None


def extract(text: str, document: Document, *, resources: bool) -> Iterator[Citation]:
    text = normalise_newlines(text)
    tree = _parse(text, document.source)
    reader = _Reader(text, document)
    named, anonymous = reader.targets(tree)
    used: set[int] = set()
    next_anonymous = 0
    for node in tree.findall(_linking):
        if isinstance(node, nodes.image):
            if resources and node.get("uri"):
                yield from reader.inline(node, node["uri"], node["uri"], node.get("alt", ""))
            continue
        if node.get("refuri") is not None:
            yield from reader.reference(node, named)
            continue
        if node.get("anonymous"):
            target = anonymous[next_anonymous] if next_anonymous < len(anonymous) else None
            next_anonymous += 1
        else:
            target = named.get(node.get("refname", ""))
        if target is not None:
            used.add(id(target))
            yield reader.cite_target(target, node, shorten(collapse(node.astext())))
    unused = {id(target): target for target in (*named.values(), *anonymous)}
    for key, target in unused.items():
        if key not in used and target.label is not None:
            yield reader.cite_target(target, None, shorten(target.label))


def _linking(node: nodes.Node) -> bool:
    return isinstance(node, nodes.reference | nodes.image)


@cache
def _settings() -> Any:
    settings = frontend.get_default_settings(Parser)
    settings.report_level = 5  # problems are not ours to report: a page still has links
    settings.halt_level = 5
    settings.file_insertion_enabled = False  # `include` and `:file:`/`:url:` options
    settings.raw_enabled = False
    settings.line_length_limit = 1 << 20
    return settings


def _parse(text: str, source: str) -> nodes.document:
    settings = _settings().copy()
    settings.warning_stream = io.StringIO()
    tree = utils.new_document(source, settings)
    Parser().parse(text, tree)
    return tree


class _Reader:
    """One document's source: where its links are written."""

    def __init__(self, text: str, document: Document) -> None:
        self.text = text
        self.document = document
        self.starts = [0, *(match.end() for match in re.finditer("\n", text))]
        self.index = LineIndex(text)
        self.cursor = 0  # the end of the last inline URL found
        self.embedded: dict[str, _Target] = {}

    def targets(self, tree: nodes.document) -> tuple[dict[str, _Target], list[_Target]]:
        """The explicit external targets, by name and in order for the anonymous ones."""
        named: dict[str, _Target] = {}
        anonymous: list[_Target] = []
        index = LineIndex(self.text)
        for node in tree.findall(nodes.target):
            uri = node.get("refuri")
            if uri is None or node.line is None:  # internal, indirect or embedded
                continue
            start = self._line_start(node.line)
            opening = _TARGET_LABEL.match(self.text, start)
            after = opening.end() if opening else start
            found = self._find(uri, after)
            line, column = index.position(after if found is None else found[0])
            written = _joined(uri if found is None else found[1])
            if node.get("anonymous"):
                anonymous.append(_Target(line, column, written, uri, ""))
            for name in node.get("names", []):
                label = _label(node.rawsource) or name
                named.setdefault(name, _Target(line, column, written, uri, label))
        return named, anonymous

    def reference(self, node: nodes.Element, named: dict[str, _Target]) -> Iterator[Citation]:
        """A standalone or embedded URL, where the reference writes it."""
        uri, raw = node["refuri"], node.rawsource
        embedded = _EMBEDDED.search(raw) if raw.startswith("`") else None
        if embedded is not None:
            written = embedded[1].strip()
            text = shorten(collapse(node.astext()))
        elif uri.startswith("mailto:") and not raw.startswith("mailto:"):
            return  # an e-mail address written as such: not a link the author wrote
        else:
            written = raw or uri
            text = _words_around(node)
        citations = list(self.inline(node, written, uri, text))
        if embedded is not None and citations and node.get("name"):
            first = citations[0]
            target = _Target(first.line, first.column, first.url, uri, None)
            named.setdefault(nodes.fully_normalize_name(node["name"]), target)
        yield from citations

    def inline(self, node: nodes.Element, written: str, href: str, text: str) -> Iterator[Citation]:
        block = _block(node)
        line = block.line or 1
        if isinstance(block, nodes.title):
            line -= 1  # docutils gives a title its underline's line
        start = max(self.cursor, self._line_start(line))
        found = self._find(written, start)
        if found is None:
            offset, url = self._line_start(line), written
        else:
            offset, url = found
            self.cursor = offset + len(url)
        at_line, column = self.index.position(offset)
        yield self.document.cite(at_line, column, _joined(url), href, text, _accessed(node))

    def cite_target(self, target: _Target, node: nodes.Element | None, text: str) -> Citation:
        accessed = _accessed(node) if node is not None else None
        return self.document.cite(
            target.line, target.column, target.url, target.href, text, accessed
        )

    def _line_start(self, line: int) -> int:
        return self.starts[min(max(line, 1), len(self.starts)) - 1]

    def _find(self, written: str, start: int) -> tuple[int, str] | None:
        """Where `written` is from `start` on, and how it is written there
        (a URL docutils joined may be broken across lines in the source)."""
        found = self.text.find(written, start)
        if found >= 0:
            return found, written
        squeezed = "".join(written.split())
        if not squeezed:
            return None
        pattern = r"\s*".join(re.escape(character) for character in squeezed)
        match = re.compile(pattern).search(self.text, start)
        return (match.start(), match[0]) if match else None


def _block(node: nodes.Node) -> nodes.Element:
    """The nearest enclosing element that docutils gave a line."""
    current: nodes.Node | None = node
    while current is not None and current.line is None:
        current = current.parent
    return current if isinstance(current, nodes.Element) else node  # type: ignore[return-value]


def _words_around(node: nodes.Element) -> str:
    """The words before a standalone URL in its block's text, else those after it."""
    words = collapse(_block(node).astext())
    anchor = collapse(node.astext())
    start = words.find(anchor) if anchor else -1
    if start < 0:
        return ""
    return context(words, start, start + len(anchor), "", around=True)


def _joined(written: str) -> str:
    """A URL as written, without the line breaks and indentation that split it."""
    return "".join(written.split())


def _label(raw: str) -> str | None:
    match = re.match(r"\.\.[ \t]+_(`?)(.+?)\1:(?=[ \t\n]|$)", raw, re.S)
    return collapse(match[2]) if match else None


def _accessed(node: nodes.Node) -> dt.date | None:
    """An access date in the link's list item, or in its sentence of its block."""
    item = next((a for a in _ancestors(node) if isinstance(a, nodes.list_item)), None)
    if item is not None:
        return access_date_near(collapse(item.astext()))
    block = _block(node)
    text = collapse(block.astext())
    anchor = collapse(node.astext())
    return access_date_near(text, max(text.find(anchor), 0) if anchor else 0)


def _ancestors(node: nodes.Node) -> Iterator[nodes.Node]:
    current = node.parent
    while current is not None:
        yield current
        current = current.parent
