"""What kind of check a URL needs, decided before any I/O.

`parse_target` sorts a URL into an http(s) `URL` to request, a local `Path`
for a file:// URL, or a `Fetch` that is already the answer: a scheme we do not
check, a link that could not be resolved, or a malformed URL. Malformed hosts
are caught here rather than left to aiohttp so that the reason is precise and
no request is attempted.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlsplit
from urllib.request import url2pathname

from yarl import URL

from linkcheck.check.guard import parse_address
from linkcheck.models import Fetch, Verdict

Target = URL | Path | Fetch

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_NOT_CHECKED = frozenset({"mailto", "tel", "javascript", "data"})
_LABEL = re.compile(r"[A-Za-z0-9_-]{1,63}")
_DOTTED_NUMBERS = re.compile(r"[0-9.]+")
_AFTER_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*(.*)", re.S)
_KEEP = "!#$%&'()*+,/:;=?@[]~"  # besides letters, digits and "_.-": left as written


def skipped(reason: str) -> Fetch:
    return Fetch(Verdict.SKIPPED, reason)


def malformed(problem: str) -> Fetch:
    return Fetch(Verdict.ERROR, f"malformed URL: {problem}")


def parse_target(url: str) -> Target:
    text = url.strip()
    match = _SCHEME.match(text)
    if match is None:
        if text.startswith("//"):
            return skipped("protocol-relative link needs base_url")
        if text.startswith("/"):
            return skipped("root-relative link needs base_url or root_dir")
        return skipped("relative link with no base to resolve it against")
    scheme = match[1].lower()
    if scheme in _NOT_CHECKED:
        return skipped(f"{scheme}: links are not checked")
    if scheme == "file":
        return _file_target(text)
    if scheme not in ("http", "https"):
        return skipped(f"unsupported scheme {scheme}:")
    try:
        parsed = request_url(text)
    except (ValueError, UnicodeError) as error:
        return malformed(str(error) or type(error).__name__)
    problem = http_problem(parsed)
    if problem is not None:
        return malformed(problem)
    return parsed


def request_url(text: str) -> URL:
    """The URL to request for an absolute http(s) URL, fragment dropped.

    yarl would re-quote the path and query (a query's `%2F` would become `/`,
    which a server may read differently), so they are kept as written and only
    what cannot go on a request line is percent-encoded, as browsers do. yarl
    still parses the authority: it validates the port and IDNA-encodes the host.
    Raises ValueError (or UnicodeError) for a URL that cannot be parsed.
    """
    authority = URL(text).raw_authority
    match = _AFTER_AUTHORITY.match(text)
    rest = match[1].partition("#")[0] if match else ""
    if not rest.startswith("/"):
        rest = "/" + rest
    scheme = text.split(":", 1)[0].lower()
    return URL(f"{scheme}://{authority}{quote(rest, safe=_KEEP)}", encoded=True)


def http_problem(url: URL) -> str | None:
    """Why an http(s) URL cannot be requested, or None."""
    host = url.raw_host
    if not host:
        return "no host"
    if url.explicit_port == 0:
        return "port 0"
    if ":" in host:  # yarl has already validated IPv6 literals
        return None
    if _DOTTED_NUMBERS.fullmatch(host):
        return None if parse_address(host) is not None else f"bad IPv4 address {host!r}"
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return f"bad host {host!r}"
    if labels[-1].isdigit():
        return f"bad host {host!r} (numbers that are not an IPv4 address)"
    return None


def _file_target(text: str) -> Target:
    parts = urlsplit(text)
    host = parts.netloc.lower()
    if host not in ("", "localhost"):
        return skipped(f"file URL on another host ({host}) is not checked")
    return Path(url2pathname(parts.path))  # decodes the escapes, once
