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
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass

from lxml import etree
from yarl import URL

# Elements whose text is never content.
_NOT_TEXT = (
    "script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "canvas",
    "input", "select", "textarea", "button", "option", "head",
)
# Site furniture: the same on every page.
_FURNITURE = ("nav", "aside", "footer", "header")
_FURNITURE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
# Elements whose own text is never text (BeautifulSoup's string containers).
_CONTAINERS = frozenset({"script", "style", "template", "rt", "rp"})
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
REFRESH_AT_MOST = 5.0  # seconds: a slower meta refresh is a notice, not a redirect


@dataclass(frozen=True, slots=True)
class PageText:
    """The readable parts of one HTML page."""

    title: str = ""
    headings: tuple[str, ...] = ()  # the h1s (at most 3), else the first h2
    lines: tuple[str, ...] = ()  # the main text, one block per line
    article: bool = False  # declares itself a dated article (og:type, article:published_time)
    app_shell: bool = False  # an empty JavaScript mount point: the content renders in a browser
    refresh: str | None = None  # a meta refresh target, when it fires within REFRESH_AT_MOST

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


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


Element = etree._Element


def parse(body: bytes | str, content_type: str = "") -> PageText:
    """Parse an HTML page (bytes are decoded first); CPU-bound: a large page takes
    milliseconds."""
    text = body if isinstance(body, str) else decode(body, content_type)
    parser = etree.HTMLParser(encoding="utf-8", no_network=True)
    try:
        root = etree.fromstring(text.encode("utf-8", "surrogatepass"), parser)
    except etree.LxmlError:
        root = None
    if root is None:  # nothing but blanks or comments
        return PageText()
    title_element = next(root.iter("title"), None)
    title = "" if title_element is None else _collapse(" ".join(_strings(title_element, ())))
    article = _is_article(root)
    refresh = _refresh(root)
    hidden = set(root.iter(*_NOT_TEXT))
    shown = list(_elements(root, hidden))
    app_shell = any(
        element.get("id") in _MOUNT_IDS
        and not any(isinstance(c.tag, str) and c not in hidden for c in element)
        and not any(s.strip() for s in _strings(element, hidden))
        for element in shown
        if element.get("id")
    )
    headings = _headings(shown, hidden)
    main = _main(root, shown, hidden)
    furniture = [e for e in _elements(main, hidden) if e is not main and _is_furniture(e)]
    lines = _strings(main, hidden.union(furniture))
    kept = (line for line in map(_collapse, "\n".join(lines).split("\n")) if line)
    return PageText(title, headings, tuple(kept), article, app_shell, refresh)


def _strings(top: Element, hidden: Collection[Element]) -> list[str]:
    """The text nodes under `top` in document order, as BeautifulSoup's `get_text`
    sees them: without the elements in `hidden` (their tails stay), comments, and
    the text inside string containers."""
    if any(ancestor.tag in _CONTAINERS for ancestor in top.iterancestors()):
        return []
    found: list[str] = []

    def walk(element: Element) -> None:
        if element.text:
            found.append(element.text)
        for child in element:
            if isinstance(child.tag, str) and child.tag not in _CONTAINERS and child not in hidden:
                walk(child)
            if child.tail:
                found.append(child.tail)

    walk(top)
    return found


def _elements(top: Element, hidden: Collection[Element]) -> Iterator[Element]:
    """`top` and the elements under it in document order, without those in `hidden`
    and everything inside them."""
    skip = 0
    for event, element in etree.iterwalk(top, events=("start", "end")):
        if event == "start":
            if skip or element in hidden:
                skip += 1
            else:
                yield element
        elif skip:
            skip -= 1


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _first_meta(root: Element, attribute: str, value: str) -> Element | None:
    return next((m for m in root.iter("meta") if m.get(attribute) == value), None)


def _is_article(root: Element) -> bool:
    og_type = _first_meta(root, "property", "og:type")
    if og_type is not None and og_type.get("content", "").lower() == "article":
        return True
    return _first_meta(root, "property", "article:published_time") is not None


def _refresh(root: Element) -> str | None:
    meta = next(
        (m for m in root.iter("meta") if _REFRESH_NAME.search(m.get("http-equiv") or "")), None
    )
    if meta is None:
        return None
    match = _REFRESH.match(meta.get("content", ""))
    if not match or float(match[1]) > REFRESH_AT_MOST or not (match[2] or "").strip():
        return None
    return match[2].strip()


def _headings(shown: list[Element], hidden: set[Element]) -> tuple[str, ...]:
    """The first three h1s, else the first h2."""
    chosen = [e for e in shown if e.tag == "h1"][:3]
    if not chosen:
        chosen = [e for e in shown if e.tag == "h2"][:1]
    found = (_collapse(" ".join(_strings(heading, hidden))) for heading in chosen)
    return tuple(heading for heading in found if heading)


def _main(root: Element, shown: list[Element], hidden: set[Element]) -> Element:
    """The element holding the content: <main>, role=main, the largest <article>, or <body>."""
    main = next((e for e in shown if e.tag == "main"), None)
    if main is None:
        main = next((e for e in shown if e.get("role") == "main"), None)
    if main is not None:
        return main
    articles = [e for e in shown if e.tag == "article"]
    if articles:
        return max(articles, key=lambda article: _length(article, hidden))
    return next((e for e in shown if e.tag == "body"), root)


def _length(top: Element, hidden: Collection[Element]) -> int:
    """The length of `_strings(top, hidden)` as BeautifulSoup keeps them: a blank
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
            if isinstance(child.tag, str) and child.tag not in _CONTAINERS and child not in hidden:
                walk(child, preformatted)

    walk(top, any(ancestor.tag in _PREFORMATTED for ancestor in top.iterancestors()))
    return total


def _is_furniture(element: Element) -> bool:
    if element.tag in _FURNITURE and not (
        element.tag == "header" and any(a.tag == "article" for a in element.iterancestors())
    ):
        return True
    if element.get("role") in _FURNITURE_ROLES or element.get("hidden") is not None:
        return True
    marks = " ".join([element.get("id", ""), *element.get("class", "").split()])
    return bool(marks.strip()) and bool(_BANNER.search(marks))


def fold(text: str) -> str:
    """Case- and accent-insensitive form: NFKD, combining marks dropped, casefolded."""
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


def word_count(text: str) -> int:
    return len(_WORD.findall(text))
