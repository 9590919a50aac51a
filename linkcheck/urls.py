"""URL identity: resolving a link, the forms used to de-duplicate, and filtering.

Nothing here raises on a malformed URL: a link that cannot be resolved or
normalised comes back as written, and the check stage says why it failed.
Hosts are IDNA-encoded with the `idna` package (UTS #46, as browsers do:
`straße.de` stays distinct from `strasse.de`, which the standard library's
IDNA 2003 codec would conflate); aiohttp already depends on it through yarl.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urljoin

import idna

_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21"}

# scheme ":" ["//" authority] rest — split by hand so that the path, query and
# fragment come back exactly as written (urlsplit drops an empty "?" or "#").
_PARTS = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):(?://(?P<authority>[^/?#]*))?(?P<rest>.*)", re.S
)
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\t\n\r]*\Z")
_HOST_PORT = re.compile(r"(?P<host>\[[^\]]*\]|[^:]*)(?::(?P<port>[0-9]*))?")


def resolve(url: str, base: str | None) -> str:
    """Absolute URL for a link as written (surrounding whitespace stripped).

    Left unchanged when it cannot be resolved: no base, or a malformed URL.
    """
    url = url.strip()
    if base is None or _ABSOLUTE.match(url):  # most links: urljoin would only re-assemble them
        return url
    try:
        return urljoin(base, url)
    except ValueError:
        return url


def normalise(url: str) -> str:
    """The de-duplication form: scheme and host lower-cased, IDNA host,
    default port dropped, empty path made '/'; the rest kept as written."""
    match = _PARTS.fullmatch(url)
    if match is None:
        return url
    scheme = match["scheme"].lower()
    authority, rest = match["authority"], match["rest"]
    if authority is None:
        return f"{scheme}:{rest}"
    userinfo, at, host_port = authority.rpartition("@")
    parts = _HOST_PORT.fullmatch(host_port)
    if parts is None:
        return url
    host, port = parts["host"].lower(), parts["port"]
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except UnicodeError:  # idna.IDNAError and its kin
            return url
    if port is not None and (not port or port.lstrip("0") == _DEFAULT_PORTS.get(scheme)):
        port = None
    if not rest or rest[0] in "?#":
        rest = "/" + rest
    netloc = f"{userinfo}{at}{host}" + (f":{port}" if port is not None else "")
    return f"{scheme}://{netloc}{rest}"


def split_fragment(url: str) -> tuple[str, str | None]:
    """The URL without its fragment, and the fragment ('' for a bare '#', None when absent)."""
    head, sep, fragment = url.partition("#")
    return (head, fragment) if sep else (url, None)


def fetch_key(url: str) -> str:
    """What one request chain is for: the normalised URL without its fragment."""
    return split_fragment(normalise(url))[0]


class UrlFilter:
    """The user's include/exclude regular expressions (searched anywhere in the URL).

    With include patterns, a URL matching none of them is excluded; an
    exclude pattern wins over an include pattern.
    """

    def __init__(self, include: Sequence[str], exclude: Sequence[str]) -> None:
        self._include = [re.compile(pattern) for pattern in include]
        self._exclude = [re.compile(pattern) for pattern in exclude]

    def excluded(self, url: str) -> str | None:
        """Why `url` is excluded, or None when it is to be checked."""
        for pattern in self._exclude:
            if pattern.search(url):
                return f"excluded by pattern {pattern.pattern!r}"
        if self._include and not any(pattern.search(url) for pattern in self._include):
            return "matches no include pattern"
        return None
