"""Links written in prose: bare URLs, `<scheme:...>` and the rendered-article `(/path)`.

One compiled regular expression finds the candidates and `_trim` drops what
prose wraps around a bare URL: trailing punctuation and quotes, closing
brackets without an opening one, emphasis markers (`*`, `_`, `~`, as GFM
does) and a trailing backslash. linkify-it-py is not used: it was measured
at about 1 MB/s and keeps emphasis markers and a trailing `\\` in the URL.

The rendered-article convention: a site-relative path alone in parentheses,
`Iran (/policy-analysis/iran)`, is how rendered articles print their links
(`(` + `/` + a character other than `/` or a space, no whitespace, `)`).

A DOI written `doi:10.1000/182` (or `DOI: 10.1000/182`, or `<doi:10.1000/182>`)
stands for `https://doi.org/10.1000/182`, where the check stage looks it up;
its name may hold `<...>`, as the SICI DOIs of the 1990s do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

_PROSE = re.compile(
    r"""
    (?=[<(hHwWdD])  # a first-character check, without which re tries each branch everywhere
    (?:
    <(?P<angle>[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^<>\x00-\x20]*)>
  | (?<![^\W_])(?P<doi>(?i:doi):[ \t]?(?P<name>10\.\d{4,9}/(?:[^\s"<>]|<[^\s"<>]*>)+))
  | (?<![^\W_])(?P<bare>(?i:https?://(?=[^\W_]|\[)|www\.(?=[^\W_]))
        [^\s<>"`\x00-\x1f\x7f\u201c\u201d\u00ab\u00bb\u3000-\u303f\uff01\uff08\uff09\uff0c\uff1a\uff1b\uff1f]+)
  | (?<!\S)\((?P<path>/[^/\s()][^\s()]*)\)(?=[\s.,;:!?]|\Z)
    )
    """,
    re.VERBOSE,
)
_TRAILING = frozenset(".,;:!?'\"*_~\\\u2019\u2026")
DOI_RESOLVER = "https://doi.org/"
# What a DOI name may hold as is in a URL path; the rest ("#", "?", "%", ...) is escaped.
_DOI_SAFE = "/!$&'()*+,;=:@-._~"
_OPENER = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True, slots=True)
class Found:
    """A link in prose: `url` as written starts at offset `start`; `href` is
    what it stands for; a `standalone` (/path) is described by the words
    before it only."""

    start: int
    url: str
    href: str
    standalone: bool = False


def scan(text: str, start: int = 0, end: int | None = None) -> Iterator[Found]:
    """The links written in text[start:end] (what precedes `start` is seen
    only to decide where a link may begin). Each link holds ":" (after a
    scheme or "doi"), "(/" or "w." ("www."), so text without is not scanned."""
    end = len(text) if end is None else end
    # most stretches of prose, cheaply: `in` is quicker than a bounded find (and
    # the whole text's slice is the text itself, not a copy)
    window = text[start:end]
    if not (":" in window or "(/" in window or "w." in window or "W." in window):
        return
    for match in _PROSE.finditer(text, start, end):
        if match["angle"] is not None:
            angle = match["angle"]
            href = doi_url(angle[4:]) if angle[:4].lower() == "doi:" else angle
            yield Found(match.start("angle"), angle, href)
        elif match["doi"] is not None:
            written = _trim(match["doi"])
            name = written[len(match["doi"]) - len(match["name"]) :]
            yield Found(match.start("doi"), written, doi_url(name))
        elif match["path"] is not None:
            yield Found(match.start("path"), match["path"], match["path"], standalone=True)
        else:
            url = _trim(match["bare"])
            yield Found(match.start("bare"), url, bare_href(url))


def bare_href(url: str) -> str:
    """What a bare URL stands for: one written from `www.` is an http URL."""
    return "http://" + url if url[:4].lower() == "www." else url


def doi_url(name: str) -> str:
    """The doi.org URL of a DOI name (`10.1000/182`), escaped as the DOI handbook says."""
    return DOI_RESOLVER + quote(name.strip(), safe=_DOI_SAFE)


def _trim(url: str) -> str:
    end = len(url)
    unmatched = {close: url.count(close) - url.count(opener) for close, opener in _OPENER.items()}
    while end:
        last = url[end - 1]
        if last in _TRAILING:
            end -= 1
        elif unmatched.get(last, 0) > 0:
            unmatched[last] -= 1
            end -= 1
        else:
            break
    return url[:end]
