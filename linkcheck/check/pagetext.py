"""What the content checks read in an HTML page: its title, headings and main text.

Soft-404 detection, the random-path probe and content drift all compare what
a page *says*, not its markup, so a page is parsed once (BeautifulSoup over
lxml) into a `PageText`: the title, the top headings, and the main text as
lines, with scripts, styles, navigation, asides, footers and cookie banners
left out, because those are the same on every page of a site and would make
any two pages look alike. Words are compared after `words()` drops what
changes from one request to the next (numbers, dates, ids, the URL's own
words), so that two fetches of one template compare equal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment, Tag
from yarl import URL

# Elements whose text is never content.
_NOT_TEXT = (
    "script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "canvas",
    "input", "select", "textarea", "button", "option", "head",
)
# Site furniture: the same on every page.
_FURNITURE = ("nav", "aside", "footer", "header")
_FURNITURE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_BANNER = re.compile(r"cookie|consent|gdpr|onetrust|cc-window|privacy-banner", re.IGNORECASE)
# Where JavaScript frameworks mount the page: empty until a browser runs the app.
_MOUNT_IDS = frozenset({"root", "app", "__next", "__nuxt", "___gatsby", "svelte", "q-app"})
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_CHARSET_PARAMETER = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
_REFRESH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:[;,]\s*(?:url\s*=\s*)?['\"]?([^'\"]*))?", re.I)
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


def parse(body: bytes | str, content_type: str = "") -> PageText:
    """Parse an HTML page (bytes are decoded first); CPU-bound, call it off the event loop."""
    text = body if isinstance(body, str) else decode(body, content_type)
    soup = BeautifulSoup(text, "lxml")
    title = _collapse(soup.title.get_text(" ")) if soup.title else ""
    article = _is_article(soup)
    refresh = _refresh(soup)
    for element in soup.find_all(_NOT_TEXT):
        element.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    app_shell = any(
        isinstance(node, Tag) and not node.get_text(strip=True) and not node.find(True)
        for node in soup.find_all(id=lambda value: bool(value) and value in _MOUNT_IDS)
    )
    headings = _headings(soup)
    root = _main(soup)
    for element in list(root.find_all(_is_furniture)):
        if not element.decomposed:
            element.decompose()
    lines = tuple(line for line in map(_collapse, root.get_text("\n").split("\n")) if line)
    return PageText(title, headings, lines, article, app_shell, refresh)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _is_article(soup: BeautifulSoup) -> bool:
    og_type = soup.find("meta", attrs={"property": "og:type"})
    if isinstance(og_type, Tag) and str(og_type.get("content", "")).lower() == "article":
        return True
    return soup.find("meta", attrs={"property": "article:published_time"}) is not None


def _refresh(soup: BeautifulSoup) -> str | None:
    meta = soup.find("meta", attrs={"http-equiv": re.compile("^refresh$", re.IGNORECASE)})
    if not isinstance(meta, Tag):
        return None
    match = _REFRESH.match(str(meta.get("content", "")))
    if not match or float(match[1]) > REFRESH_AT_MOST or not (match[2] or "").strip():
        return None
    return match[2].strip()


def _headings(soup: BeautifulSoup) -> tuple[str, ...]:
    found = [_collapse(h.get_text(" ")) for h in soup.find_all("h1", limit=3)]
    if not found:
        first = soup.find("h2")
        found = [_collapse(first.get_text(" "))] if first else []
    return tuple(h for h in found if h)


def _main(soup: BeautifulSoup) -> Tag:
    """The element holding the content: <main>, role=main, the largest <article>, or <body>."""
    main = soup.find("main") or soup.find(attrs={"role": "main"})
    if isinstance(main, Tag):
        return main
    articles = [a for a in soup.find_all("article") if isinstance(a, Tag)]
    if articles:
        return max(articles, key=lambda a: len(a.get_text()))
    return soup.body or soup


def _is_furniture(tag: Tag) -> bool:
    if tag.name in _FURNITURE and not (tag.name == "header" and tag.find_parent("article")):
        return True
    if tag.get("role") in _FURNITURE_ROLES or tag.has_attr("hidden"):
        return True
    marks = " ".join([str(tag.get("id", "")), *tag.get("class", [])])
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
