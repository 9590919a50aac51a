"""BibTeX: `url`, `doi`, arXiv `eprint`, and `\\url{}` / `\\href{}{}` in `howpublished` and `note`.

bibtexparser (v2) parses: it gives each entry's and each field's line and
each value with its enclosing braces or quotes removed. The column comes
from finding the value as written after `field =` in the source. A value
that is not one URL (words, several URLs, a `#` concatenation) is scanned
as prose is, so nothing in it is lost.

- `doi`: a DOI name (`10.1000/182`, `doi:10.1000/182`) stands for
  https://doi.org/10.1000/182, which the check stage asks the DOI proxy's
  handle API about; a doi.org URL is taken as written.
- `eprint` with `archiveprefix = {arXiv}` (BibTeX) or `eprinttype = {arxiv}`
  (biblatex) stands for https://arxiv.org/abs/<id>.
- LaTeX escapes in a URL (`\\_`, `{\\%}`, `\\textasciitilde{}`, ...) are undone
  in what it stands for; the URL as written keeps them.
- Each citation's text is "key: title" (the title's LaTeX turned into text by
  pylatexenc) and its `cited_on` the entry's `urldate`, else an access date
  in its `note` ("Accessed: 2021-12-16", as many styles write it).
- An entry bibtexparser cannot parse is reported through `warn` with its
  line, and the others are still cited; an entry whose key was already used
  is reported and still cited.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import bibtexparser
from bibtexparser import model
from bibtexparser.exceptions import ParsingException
from pylatexenc.latex2text import LatexNodes2Text
from pylatexenc.latexwalker import LatexWalkerError

from linkcheck.collect import prose
from linkcheck.collect.common import LineIndex, collapse, normalise_newlines, shorten
from linkcheck.collect.model import Document
from linkcheck.dates import access_date_near, parse_date
from linkcheck.models import Citation

ARXIV = "https://arxiv.org/abs/"

_LATEX_ESCAPE = re.compile(r"\{?\\([_%&#$])\}?|\{?\\textasciitilde(?:\{\})?\}?|\\~\{\}")
_COMMANDS = re.compile(r"\\(?:url|href)\s*\{\s*([^{}\s]+)\s*\}")
_DOI_PREFIX = re.compile(r"(?i:https?://(?:dx\.|www\.)?doi\.org/|doi:\s*)")
_ARXIV_PREFIX = re.compile(r"^(?i:arxiv:)")
_LINKING_FIELDS = ("url", "doi", "eprint", "howpublished", "note")
_LATEX = LatexNodes2Text(math_mode="verbatim")


@dataclass(frozen=True, slots=True)
class _Link:
    """A URL written in a field: as written, what it stands for, where it starts."""

    start: int
    url: str
    href: str


# bibtexparser logs each entry it cannot parse; `warn` reports them, once.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())


def extract(text: str, document: Document, warn: Callable[[str], None]) -> Iterator[Citation]:
    text = normalise_newlines(text)
    try:
        library = bibtexparser.parse_string(text)
    except ParsingException as error:  # bibtexparser's own bug, it says; not the file's
        warn(f"{document.source}: cannot parse the BibTeX: {type(error).__name__}")
        return
    for block in library.failed_blocks:
        warn(f"{document.source}: line {(block.start_line or 0) + 1}: {_problem(block)}")
    entries = [(entry, False) for entry in library.entries]
    entries += [  # a duplicate's entry, as written: bibtexparser leaves its values enclosed
        (block.ignore_error_block, True)
        for block in library.failed_blocks
        if isinstance(block, model.DuplicateBlockKeyBlock)
        and isinstance(block.ignore_error_block, model.Entry)
    ]
    entries.sort(key=lambda pair: pair[0].start_line or 0)
    starts = [0, *(match.end() for match in re.finditer("\n", text))]
    index = LineIndex(text)
    for entry, enclosed in entries:
        fields = {field.key.lower(): _value(field, enclosed) for field in entry.fields}
        title = _title(fields["title"]) if "title" in fields else ""
        describe = shorten(f"{entry.key}: {title}" if title else entry.key)
        accessed = parse_date(fields.get("urldate", "")) or access_date_near(fields.get("note", ""))
        for field in entry.fields:  # in the order they are written
            name = field.key.lower()
            if name not in _LINKING_FIELDS or (name == "eprint" and not _arxiv(fields)):
                continue
            at = _field_start(text, starts, field)
            for link in _links(name, fields[name], text, at):
                line, column = index.position(link.start)
                yield document.cite(line, column, link.url, link.href, describe, accessed)


def _links(name: str, value: str, text: str, at: int) -> Iterator[_Link]:
    """The URLs of a field whose value is written from offset `at` on (at its
    opening brace or quote, or at the value itself when it has neither)."""
    # Where the value is written as is: almost always; not when bibtexparser
    # rewrote it (a @string macro), and each URL is then looked for on its own.
    base = next((s for s in (at + 1, at) if value and text.startswith(value, s)), -1)

    def link(offset: int, url: str, href: str) -> _Link:
        start = base + offset if base >= 0 else _find(text, url, at)
        return _Link(start, url, href)

    written = value.strip()
    if name in ("howpublished", "note") or _COMMANDS.search(value):
        found = [link(m.start(1), m[1], _unescaped(m[1])) for m in _COMMANDS.finditer(value)]
        words = _COMMANDS.sub(lambda match: " " * len(match[0]), value)
        found += [link(f.start, f.url, _unescaped(f.href)) for f in prose.scan(words)]
        yield from sorted(found, key=lambda found: found.start)
    elif not written or any(c.isspace() or c in '"#' for c in written):
        for f in prose.scan(value):
            yield link(f.start, f.url, _unescaped(f.href))
    else:
        offset, meaning = value.index(written), _unescaped(written)
        if name == "doi":
            yield link(offset, written, _doi_href(meaning))
        elif name == "eprint":
            yield link(offset, written, ARXIV + _ARXIV_PREFIX.sub("", meaning, count=1))
        else:
            yield link(offset, written, meaning)


def _arxiv(fields: dict[str, str]) -> bool:
    kind = fields.get("archiveprefix") or fields.get("eprinttype") or ""
    return kind.strip().lower() == "arxiv"


def _doi_href(value: str) -> str:
    """A doi.org URL as written; a DOI name, bare or after `doi:`, as its doi.org URL."""
    prefix = _DOI_PREFIX.match(value)
    if prefix is None:
        return prose.doi_url(value)
    return value if prefix[0][:4].lower() == "http" else prose.doi_url(value[prefix.end() :])


def _field_start(text: str, starts: list[int], field: model.Field) -> int:
    """Where the value of `field` begins to be written: after its `name =`."""
    line = min(max(field.start_line or 0, 0), len(starts) - 1)
    pattern = re.compile(rf"{re.escape(field.key)}\s*=\s*", re.IGNORECASE)
    match = pattern.search(text, starts[line])
    return match.end() if match else starts[line]


def _find(text: str, written: str, at: int) -> int:
    """Where `written` is, from `at` on; `at` itself when it is not found as is
    (a value bibtexparser rewrote, e.g. from a @string macro)."""
    found = text.find(written, at)
    return at if found < 0 else found


def _value(field: model.Field, enclosed: bool) -> str:
    """A field's value, without its enclosing braces or quotes when still `enclosed`."""
    value = field.value if isinstance(field.value, str) else str(field.value)
    if enclosed and len(value) >= 2 and (value[0], value[-1]) in (("{", "}"), ('"', '"')):
        return value[1:-1]
    return value


def _unescaped(url: str) -> str:
    return _LATEX_ESCAPE.sub(lambda match: match[1] or "~", url)


def _title(raw: str) -> str:
    """A title as a reader sees it: `{\\"o}` is "ö", `{DNA}` is "DNA"."""
    try:
        return collapse(_LATEX.latex_to_text(raw))
    except LatexWalkerError:  # tolerant parsing leaves little to fail; keep what is written
        return collapse(raw.replace("{", "").replace("}", ""))


def _problem(block: model.Block) -> str:
    """One line on why a block is not cited as it is."""
    raw = collapse((block.raw or "").split(",", 1)[0])[:60]
    duplicate = getattr(block, "ignore_error_block", None)
    if isinstance(block, model.DuplicateBlockKeyBlock) and isinstance(duplicate, model.Entry):
        return f"duplicate entry key {duplicate.key!r}, cited all the same"
    error = getattr(block, "error", None)
    reason = collapse(getattr(error, "abort_reason", None) or str(error or "")) or "unreadable"
    return f"malformed entry {raw} skipped: {reason}"


