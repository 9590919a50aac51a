"""The anchors a `#fragment` can point at, and whether a fragment finds one.

A browser scrolls to the element whose `id` is the fragment, else to the `<a>`
whose `name` is (HTML's "find a potential indicated element"), trying the
fragment as written and percent-decoded. Markdown files are rendered by their
forge: GitHub gives each heading the id of its slug (`github_slug`), numbered
`-1`, `-2`, ... when repeated, so a Markdown target's anchors are its heading
slugs plus the ids and names in its raw HTML.

Some fragments are not anchors and are never judged (`judged` says which):
the empty one and `top` (the top of the page), text fragments (`:~:text=`),
and client-side routes (`#/path`, `#!path`) that a script reads.

`Fragments` decides which cited fragments are judged (those of internal
links unless `fragments` is off; of other links only with `check_fragments`),
keeps the anchors of the pages fetched for them, and turns a live result
whose anchor is not on the page into `fragment_missing`.

Parsing is CPU-bound: callers run these functions off the event loop.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from linkcheck.check.pagetext import decode
from linkcheck.check.target import parse_target
from linkcheck.models import Fetch, Verdict
from linkcheck.urls import split_fragment

# Imported where a page is parsed, not here: the main process of a run parses
# none, and every library it imports adds to its memory (docs/performance.md).
if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

Anchors = frozenset[str]
# A page's anchors, and whether they are all of them: a body cut at max_body
# proves the anchors it holds, not the absence of the others.
Found = tuple[Anchors, bool]
Lookup = Callable[[str], "Found | None"]

ALIVE = frozenset({Verdict.OK, Verdict.REDIRECTED, Verdict.MOVED})

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd"})
MAX_FILE_BYTES = 16 * 1024 * 1024  # a local target read for its anchors, at most

_ANCHOR_ATTRIBUTES = ".//*[@id] | .//a[@name]"


def judged(fragment: str | None) -> bool:
    """Whether a fragment names an anchor at all (see the module docstring)."""
    if not fragment or fragment.lower() == "top":
        return False
    return not fragment.startswith((":~:", "/", "!"))


def has_anchor(anchors: Anchors, fragment: str) -> bool:
    """The fragment as written, or percent-decoded as UTF-8, is one of the anchors."""
    return fragment in anchors or unquote(fragment) in anchors


def html_anchors(body: bytes | str, content_type: str = "") -> Anchors:
    """Every `id` in an HTML page, and every `name` of an `<a>`."""
    text = body if isinstance(body, str) else decode(body, content_type)
    if not text.strip():
        return frozenset()
    from lxml import etree

    parser = etree.HTMLParser(encoding="utf-8", huge_tree=True, no_network=True)
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.LxmlError:
        return frozenset()
    if root is None:
        return frozenset()
    found: set[str] = set()
    for element in root.xpath(_ANCHOR_ATTRIBUTES):
        for name in ("id", "name") if element.tag == "a" else ("id",):
            value = element.get(name)
            if value:
                found.add(value)
    return frozenset(found)


def markdown_anchors(text: str) -> Anchors:
    """GitHub's heading ids (slugs, repeats numbered) and the ids in raw HTML."""
    found: set[str] = set()
    counts: dict[str, int] = {}
    raw: list[str] = []
    tokens = _markdown().parse(text)
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and index + 1 < len(tokens):
            slug = github_slug(_plain(tokens[index + 1].children or ()))
            repeat = counts.get(slug, 0)
            counts[slug] = repeat + 1
            found.add(f"{slug}-{repeat}" if repeat else slug)
        elif token.type == "html_block":
            raw.append(token.content)
        elif token.type == "inline":
            raw.extend(c.content for c in token.children or () if c.type == "html_inline")
    return frozenset(found | html_anchors("\n".join(raw))) if raw else frozenset(found)


def github_slug(text: str) -> str:
    """A heading's slug as GitHub makes it (github-slugger): lower-cased, letters,
    marks, digits, '-' and '_' kept, each space made '-', the rest dropped."""
    kept = []
    for char in text.lower():
        if char == " ":
            kept.append("-")
        elif char in "-_" or unicodedata.category(char)[0] in "LMN":
            kept.append(char)
    return "".join(kept)


def anchors_of(body: bytes, *, content_type: str = "", name: str = "") -> Anchors | None:
    """The anchors of a fetched or read document: HTML by its type (or, with no
    type, its name), Markdown by its name; None for a kind with no anchors we know."""
    media = content_type.partition(";")[0].strip().lower()
    suffix = Path(name).suffix.lower()
    if media in ("text/markdown", "text/x-markdown") or (not media and suffix in MARKDOWN_SUFFIXES):
        return markdown_anchors(decode(body, content_type))
    if media in ("text/html", "application/xhtml+xml") or (not media and suffix in HTML_SUFFIXES):
        return html_anchors(body, content_type)
    return None


def file_anchors(path: Path) -> Anchors | None:
    """The anchors of a local HTML or Markdown file; None when it has none we
    know of or cannot be read (the file check reports that)."""
    if path.suffix.lower() not in HTML_SUFFIXES | MARKDOWN_SUFFIXES:
        return None
    try:
        with path.open("rb") as file:
            body = file.read(MAX_FILE_BYTES)
    except (OSError, ValueError):
        return None
    return anchors_of(body, name=path.name)


def _plain(children: Iterable[Token]) -> str:
    """A heading's text as rendered: text and code, without markup or raw HTML."""
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.children:
            parts.append(_plain(child.children))
    return "".join(parts)


@cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


class Fragments:
    """Which fragments are judged, the anchors they are judged against, and the verdicts.

    `internal(url)` tells a link within the checked sites; `lookup(key)` gives
    the anchors of a page the crawler read (by fetch key), when there is one.
    A body of `max_body` bytes or more was cut: an anchor it lacks is not missing.
    """

    def __init__(
        self,
        *,
        internal: Callable[[str], bool],
        fragments: bool,
        check_fragments: bool,
        max_body: int,
        lookup: Lookup | None = None,
    ) -> None:
        self._internal = internal
        self._fragments = fragments
        self._external = check_fragments
        self._max_body = max_body
        self._lookup = lookup
        self._found: dict[str, Found | None] = {}

    def judged(self, url: str) -> bool:
        """Whether the fragment of this cited URL is checked against the page."""
        if not judged(split_fragment(url)[1]):
            return False
        return self._fragments if self._internal(url) else self._external

    def may_judge(self, key: str) -> bool:
        """Whether a cited fragment of this fetch key's page would be judged:
        until every citation is read, its body may be needed."""
        if not key.startswith(("http:", "https:")):
            return False
        return self._fragments if self._internal(key) else self._external

    def pages(self, by_fetch: Mapping[str, Sequence[str]], keys: Iterable[str]) -> frozenset[str]:
        """The fetch keys among `keys` whose body is needed: an http(s) page with a
        judged fragment cited (GET instead of HEAD, for its anchors)."""
        return frozenset(
            key
            for key in keys
            if key.startswith(("http:", "https:")) and any(map(self.judged, by_fetch[key]))
        )

    def add(self, key: str, body: bytes, content_type: str) -> None:
        """The anchors of a page fetched for its fragments (parses: call off the loop)."""
        self._found[key] = self.of_body(body, content_type, name=key)

    def of_body(self, body: bytes, content_type: str, *, name: str = "") -> Found | None:
        """A fetched body's anchors, and whether the body was read whole."""
        anchors = anchors_of(body, content_type=content_type, name=name)
        return None if anchors is None else (anchors, len(body) < self._max_body)

    def anchors(self, key: str) -> Found | None:
        """The anchors of the page at a fetch key; None when unknown or not a kind with anchors."""
        if key in self._found:
            return self._found[key]
        found = self._lookup(key) if self._lookup is not None else None
        if found is None and key.startswith("file:"):
            target = parse_target(key)
            names = file_anchors(target) if isinstance(target, Path) else None
            found = None if names is None else (names, True)
        return found

    def missing(
        self, by_fetch: Mapping[str, Sequence[str]], fetches: Mapping[str, Fetch]
    ) -> dict[str, Fetch]:
        """The cited URLs whose page is live but lacks the anchor, each with its
        `fragment_missing` verdict (reads files and the crawl's store: call off the loop)."""
        verdicts: dict[str, Fetch] = {}
        for key, urls in by_fetch.items():
            fetch = fetches.get(key)
            if fetch is None or fetch.verdict not in ALIVE:
                continue
            wanted = [url for url in urls if self.judged(url)]
            found = self.anchors(key) if wanted else None
            if found is None:
                continue
            anchors, whole = found
            for url in wanted:
                fragment = split_fragment(url)[1] or ""
                if whole and not has_anchor(anchors, fragment):
                    reason = f"no anchor #{fragment} on the page"
                    verdicts[url] = replace(fetch, verdict=Verdict.FRAGMENT_MISSING, reason=reason)
        return verdicts
