"""What the content checks read in an HTML page: its title, headings and main text.

Soft-404 detection, the random-path probe and content drift all compare what
a page *says*, not its markup, so a page is parsed once (with lxml) into a
`PageText`: the title, the top headings, and the main text as lines, with
scripts, styles, navigation, asides, footers and cookie banners left out,
because those are the same on every page of a site and would make any two
pages look alike.

Every page checked is read this way, so the tree is walked with lxml
directly rather than through BeautifulSoup (a hundred times slower on a
small page); the text is what BeautifulSoup's `get_text` gives: text nodes
in document order, no comments, nothing inside script, style, template, rt
or rp, and a removed element's following text kept as a node of its own.
Words are compared after `words()` drops what changes from one request to
the next (numbers, dates, ids, the URL's own words), so that two fetches of
one template compare equal.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, overload

from yarl import URL

# Imported where a page is parsed, not here: the main process of a run parses
# none, and every library it imports adds to its memory (docs/performance.md).
if TYPE_CHECKING:
    from lxml import etree
    from lxml.etree import _Element as Element

# Elements whose text is never content.
_NOT_TEXT = frozenset({
    "script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "canvas",
    "input", "select", "textarea", "button", "option", "head",
})
# Site furniture: the same on every page.
_FURNITURE = ("nav", "aside", "footer", "header")
_FURNITURE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
# Elements whose own text is never text (BeautifulSoup's string containers).
_CONTAINERS = frozenset({"script", "style", "template", "rt", "rp"})
_SKIPPED = _NOT_TEXT | _CONTAINERS  # children whose text `_strings` leaves out
_LANDMARKS = frozenset({"h1", "h2", "main", "article", "body"})  # what `_headings`, `_main` seek
_ASCII_SPACE = " \n\t\f\r"
_PREFORMATTED = frozenset({"pre", "textarea"})  # where BeautifulSoup keeps blank text as is
_BANNER = re.compile(r"cookie|consent|gdpr|onetrust|cc-window|privacy-banner", re.IGNORECASE)
# Where JavaScript frameworks mount the page: empty until a browser runs the app.
_MOUNT_IDS = frozenset({"root", "app", "__next", "__nuxt", "___gatsby", "svelte", "q-app"})
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_CHARSET_PARAMETER = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
_REFRESH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:[;,]\s*(?:url\s*=\s*)?['\"]?([^'\"]*))?", re.I)
_REFRESH_NAME = re.compile("^refresh$", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_MAX_WORD = 30  # longer "words" are tokens, hashes or base64: volatile
_PARSERS = threading.local()  # pages are parsed on the event loop and in worker threads
REFRESH_AT_MOST = 5.0  # seconds: a slower meta refresh is a notice, not a redirect


@dataclass(frozen=True, slots=True)
class PageText:
    """The readable parts of one HTML page."""

    title: str = ""
    headings: tuple[str, ...] = ()  # the h1s (at most 3), else the first h2
    lines: Sequence[str] = ()  # the main text, one block per line (`parse`: maybe `LazyLines`)
    article: bool = False  # declares itself a dated article (og:type, article:published_time)
    app_shell: bool = False  # an empty JavaScript mount point: the content renders in a browser
    refresh: str | None = None  # a meta refresh target, when it fires within REFRESH_AT_MOST

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class LazyLines(Sequence[str]):
    """A page's main-text lines, built from its tree when first read (`parse(lazy=True)`):
    a checked page is mostly judged by its title and headings alone, and building its
    lines is a third of a parse. Built, the lines let go of the tree."""

    __slots__ = ("_build", "_lines")

    def __init__(self, build: Callable[[], tuple[str, ...]]) -> None:
        self._build: Callable[[], tuple[str, ...]] | None = build
        self._lines: tuple[str, ...] = ()

    @property
    def built(self) -> tuple[str, ...]:
        if self._build is not None:
            self._lines, self._build = self._build(), None
        return self._lines

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...
    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        return self.built[index]

    def __len__(self) -> int:
        return len(self.built)

    def __iter__(self) -> Iterator[str]:
        return iter(self.built)

    def __eq__(self, other: object) -> bool:
        return self.built == (other.built if isinstance(other, LazyLines) else other)

    def __hash__(self) -> int:
        return hash(self.built)

    def __repr__(self) -> str:
        return repr(self.built)


def decode(body: bytes, content_type: str = "") -> str:
    """The page's text: the declared charset, else UTF-8; never fails (it is only read)."""
    names = []
    declared = _CHARSET_PARAMETER.search(content_type or "")
    if declared:
        names.append(declared[1])
    meta = _CHARSET.search(body[:4096])
    if meta:
        names.append(meta[1].decode("ascii", "replace"))
    for name in names:
        try:
            return body.decode(name, "replace")  # as browsers do: bad bytes become U+FFFD
        except LookupError:
            continue
    return body.decode("utf-8", "replace")




def parse(body: bytes | str, content_type: str = "", *, lazy: bool = False) -> PageText:
    """Parse an HTML page (bytes are decoded first); CPU-bound: a large page takes
    milliseconds.

    Every page checked comes here, so the elements are sorted in one pass over
    the tree, and a hidden element is told by its tag alone. `lazy`: the lines
    are `LazyLines`, and the page holds its tree until they are read.
    """
    from lxml import etree

    text = body if isinstance(body, str) else decode(body, content_type)
    try:
        root = etree.fromstring(text.encode("utf-8", "surrogatepass"), _parser())
    except etree.LxmlError:
        root = None
    if root is None:  # nothing but blanks or comments
        return PageText()
    title_element: Element | None = None
    metas: list[Element] = []
    shown: list[Element] = []  # in document order, without hidden elements and their insides
    landmarks: list[Element] = []  # the shown elements with a tag in _LANDMARKS
    inside: set[Element] = set()  # the hidden elements and everything in them
    for element in root.iter(etree.Element):
        tag = element.tag
        if tag == "title":
            if title_element is None:
                title_element = element
        elif tag == "meta":
            metas.append(element)
        if element in inside:
            continue
        if tag in _NOT_TEXT:
            inside.update(element.iter(etree.Element))
            continue
        shown.append(element)
        if tag in _LANDMARKS:
            landmarks.append(element)
    title = ""
    if title_element is not None:
        title = _collapse(" ".join(_strings(title_element, _CONTAINERS)))
    app_shell = any(
        not any(isinstance(child.tag, str) and child.tag not in _NOT_TEXT for child in element)
        and not any(s.strip() for s in _strings(element))
        for element in shown
        if element.get("id") in _MOUNT_IDS
    )

    def main_text() -> tuple[str, ...]:
        main = _main(root, shown, landmarks)
        under_main = (e for e in main.iter(etree.Element) if e is not main and e not in inside)
        furniture = {e for e in under_main if _is_furniture(e)}
        lines = _strings(main, furniture=furniture)
        return tuple(line for line in map(_collapse, "\n".join(lines).split("\n")) if line)

    return PageText(
        title,
        _headings(landmarks),
        LazyLines(main_text) if lazy else main_text(),
        _is_article(metas),
        app_shell,
        _refresh(metas),
    )


def _parser() -> etree.HTMLParser:
    """This thread's parser: made once, since a parser serves one document at a time."""
    from lxml import etree

    parser: etree.HTMLParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.HTMLParser(encoding="utf-8", no_network=True)
    return parser


def _strings(
    top: Element, skipped: Container[str] = _SKIPPED, furniture: Container[Element] = ()
) -> list[str]:
    """The text nodes under `top` in document order, as BeautifulSoup's `get_text`
    sees them: without the elements whose tag is `skipped` (hidden ones and string
    containers) and the `furniture` (their tails stay), comments, and the text inside
    string containers."""
    if any(ancestor.tag in _CONTAINERS for ancestor in top.iterancestors()):
        return []
    found: list[str] = []

    def walk(element: Element) -> None:
        if text := element.text:
            found.append(text)
        for child in element:
            tag = child.tag
            if isinstance(tag, str) and tag not in skipped and child not in furniture:
                walk(child)
            if tail := child.tail:
                found.append(tail)

    walk(top)
    return found


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _first_meta(metas: list[Element], attribute: str, value: str) -> Element | None:
    return next((m for m in metas if m.get(attribute) == value), None)


def _is_article(metas: list[Element]) -> bool:
    og_type = _first_meta(metas, "property", "og:type")
    if og_type is not None and og_type.get("content", "").lower() == "article":
        return True
    return _first_meta(metas, "property", "article:published_time") is not None


def _refresh(metas: list[Element]) -> str | None:
    meta = next((m for m in metas if _REFRESH_NAME.search(m.get("http-equiv") or "")), None)
    if meta is None:
        return None
    match = _REFRESH.match(meta.get("content", ""))
    if not match or float(match[1]) > REFRESH_AT_MOST or not (match[2] or "").strip():
        return None
    return match[2].strip()


def _headings(landmarks: list[Element]) -> tuple[str, ...]:
    """The first three h1s, else the first h2."""
    chosen = [e for e in landmarks if e.tag == "h1"][:3]
    if not chosen:
        chosen = [e for e in landmarks if e.tag == "h2"][:1]
    found = (_collapse(" ".join(_strings(heading))) for heading in chosen)
    return tuple(heading for heading in found if heading)


def _main(root: Element, shown: list[Element], landmarks: list[Element]) -> Element:
    """The element holding the content: <main>, role=main, the largest <article>, or <body>."""
    main = next((e for e in landmarks if e.tag == "main"), None)
    if main is None:
        main = next((e for e in shown if e.get("role") == "main"), None)
    if main is not None:
        return main
    articles = [e for e in landmarks if e.tag == "article"]
    if articles:
        return max(articles, key=_length)
    return next((e for e in landmarks if e.tag == "body"), root)


def _length(top: Element) -> int:
    """The length of `_strings(top)` as BeautifulSoup keeps them: a blank
    text node outside <pre> and <textarea> is one character."""
    if any(ancestor.tag in _CONTAINERS for ancestor in top.iterancestors()):
        return 0
    total = 0

    def walk(element: Element, preformatted: bool) -> None:
        nonlocal total
        preformatted = preformatted or element.tag in _PREFORMATTED
        for text in (element.text, *(child.tail for child in element)):
            if text:
                total += len(text) if preformatted or text.strip(_ASCII_SPACE) else 1
        for child in element:
            if isinstance(child.tag, str) and child.tag not in _SKIPPED:
                walk(child, preformatted)

    walk(top, any(ancestor.tag in _PREFORMATTED for ancestor in top.iterancestors()))
    return total


def _is_furniture(element: Element) -> bool:
    tag = element.tag
    if tag in _FURNITURE and not (
        tag == "header" and any(a.tag == "article" for a in element.iterancestors())
    ):
        return True
    get = element.get
    if get("role") in _FURNITURE_ROLES or get("hidden") is not None:
        return True
    # No banner word spans a blank, so the id and the classes are searched as written.
    return _BANNER.search(f"{get('id') or ''} {get('class') or ''}") is not None


def fold(text: str) -> str:
    """Case- and accent-insensitive form: NFKD, combining marks dropped, casefolded."""
    if text.isascii():  # nothing to decompose, and casefold() is lower() there
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str, drop: Iterable[str] = ()) -> list[str]:
    """The words of `text`, folded, without volatile ones: anything with a digit
    (dates, counters, ids), very long tokens, and the words in `drop`."""
    dropped = set(drop)
    return [
        word
        for word in _WORD.findall(fold(text))
        if len(word) <= _MAX_WORD and not any(c.isdigit() for c in word) and word not in dropped
    ]


def url_words(url: URL) -> set[str]:
    """The words of a URL's path and query: pages often echo them ("/old-post was not found")."""
    return set(words(f"{url.raw_path} {url.raw_query_string}".replace("%20", " ")))


def shingles(tokens: Sequence[str], size: int = 3) -> frozenset[tuple[str, ...]]:
    """Overlapping runs of `size` words; a shorter text is one shingle."""
    if len(tokens) < size:
        return frozenset({tuple(tokens)}) if tokens else frozenset()
    return frozenset(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def jaccard(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> float:
    """|a & b| / |a | b|: 1.0 for the same text, 0.0 for texts with no run in common."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def containment(part: frozenset[tuple[str, ...]], whole: frozenset[tuple[str, ...]]) -> float:
    """|part & whole| / |part|: how much of `part` is still found in `whole`."""
    if not part:
        return 1.0
    return len(part & whole) / len(part)


def more_words_than(text: str, count: int) -> bool:
    """Whether `text` has more than `count` words, counted no further than that: a
    text shorter than two characters a word (a word and a separator) has fewer."""
    if len(text) < 2 * count + 1:
        return False
    return next(islice(_WORD.finditer(text), count, None), None) is not None
