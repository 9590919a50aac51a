"""One attempt at a URL: HEAD (or GET), redirects followed by hand, bodies read with a cap.

Redirects are followed here rather than by aiohttp so that every hop is
recorded, counted against its own host's slots, checked by the address guard
and sent only the headers and credentials meant for it: URL userinfo and the
sensitive shared headers (Authorization, Cookie) go to the original URL's
origin only, per-host headers to their host only.

Bodies: a 2xx HTML answer is read up to `max_body` (soft-404 detection and
fragments read it); a refusal (401, 402, 403, 429, 999, ...) up to
`walls.BODY_CAP`, to tell a bot wall or paywall from a plain refusal; anything
else only its first chunk. With `soft_404` on, soft-404 detection needs the
body of 2xx HTML pages (`soft_404_get`): with "html" (every page) a URL that
looks like a page (`looks_like_page`: no extension of a file type) gets one
capped GET at once instead of a HEAD and then a GET, which would ask twice;
any other URL, and every URL with "redirected" (only pages at the end of a
redirect) or "never", gets HEAD first, and a 2xx HTML answer to that HEAD is
followed by a GET where a body is wanted; when that GET fails, the HEAD
answer stands.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp import hdrs
from yarl import URL

from linkcheck.check import walls
from linkcheck.check.classify import (
    REDIRECT_STATUSES,
    Answer,
    Failure,
    Outcome,
    failure,
)
from linkcheck.check.guard import Guard
from linkcheck.check.retry import parse_retry_after
from linkcheck.check.schedule import HostGates
from linkcheck.check.session import Environment
from linkcheck.check.target import http_problem, request_url
from linkcheck.config import Config
from linkcheck.models import Hop, Verdict

# HEAD answers that many servers give wrongly: GET decides instead.
HEAD_REFUSED = frozenset({400, 403, 404, 405, 501})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FIRST_CHUNK = 64 * 1024
SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
# Files a GET would start downloading (the body of a non-HTML answer is cut after its
# first chunk, which costs the connection): HEAD first for these, even for "html".
FILE_EXTENSIONS = frozenset({
    "7z", "apk", "avi", "bin", "bmp", "bz2", "csv", "deb", "dmg", "doc", "docx", "epub", "exe",
    "flac", "gif", "gz", "heic", "ico", "img", "iso", "jar", "jpeg", "jpg", "m4a", "m4v", "mkv",
    "mov", "mp3", "mp4", "mpeg", "mpg", "msi", "odp", "ods", "odt", "ogg", "ogv", "opus", "pdf",
    "png", "ppt", "pptx", "ps", "rar", "rpm", "svg", "tar", "tgz", "tif", "tiff", "wav", "webm",
    "webp", "whl", "wmv", "xls", "xlsx", "xz", "zip", "zst",
})  # fmt: skip

Result = Answer | Failure


class Fetcher:
    """Runs request chains through the run's session, gates and guard."""

    def __init__(
        self, session: aiohttp.ClientSession, config: Config, gates: HostGates, guard: Guard
    ) -> None:
        self._session = session
        self._config = config
        self._gates = gates
        self._guard = guard
        self._inspect = config.soft_404_get if config.soft_404 else "never"
        self._environment = Environment()
        # The headers of every request but per-host ones, by (same origin, browser):
        # made once rather than for each request.
        safe = {k: v for k, v in config.headers.items() if k.lower() not in SENSITIVE_HEADERS}
        self._common = {
            (same_origin, browser): {
                **(config.headers if same_origin else safe),
                **(config.browser_headers if browser else {}),
            }
            for same_origin in (True, False)
            for browser in (True, False)
        }

    async def chain(
        self, start: URL, *, head_first: bool, whole_body: bool, browser: bool = False
    ) -> Outcome:
        """Follow `start` to its final answer; `whole_body` reads any type up to max_body.

        `browser` adds the configured browser-like headers (per-host headers still win).
        """
        origin = start.origin()
        credentials = _basic_authorization(start)
        current = start.with_user(None)
        hops: list[Hop] = []
        seen = {str(current)}
        while True:
            same_origin = current.origin() == origin
            headers = self._headers(current, same_origin=same_origin, browser=browser)
            if same_origin and credentials and not _has_authorization(headers):
                headers = {**headers, "Authorization": credentials}  # configured ones win
            inspect = self._inspect == "html" or (self._inspect == "redirected" and bool(hops))
            get_first = head_first and self._inspect == "html" and looks_like_page(current)
            result, head = await self._hop(
                current,
                head_first=head_first and not get_first,
                get_first=get_first,
                whole_body=whole_body,
                headers=headers,
                inspect=inspect,
            )
            final, note = str(current), _head_note(head, result)
            if isinstance(result, Failure):
                seen_status = result.status or (head.status if isinstance(head, Answer) else None)
                last = seen_status or (hops[-1].status if hops else None)
                return Outcome(final, tuple(hops), failure=result, head=note, status=last)
            if result.status not in REDIRECT_STATUSES or result.accepted:
                return Outcome(final, tuple(hops), answer=result, head=note, status=result.status)
            hops.append(Hop(str(current), result.status))
            target = _follow(current, result)
            if isinstance(target, Failure):
                reason = target
            elif len(hops) > self._config.max_redirects:
                limit = self._config.max_redirects
                reason = Failure(Verdict.ERROR, f"too many redirects ({limit})")
            elif str(target) in seen:
                reason = Failure(Verdict.ERROR, "redirect loop")
            else:
                seen.add(str(target))
                current = target
                continue
            return Outcome(str(current), tuple(hops), failure=reason, status=result.status)

    async def _hop(
        self,
        url: URL,
        *,
        head_first: bool,
        whole_body: bool,
        headers: Mapping[str, str],
        inspect: bool = False,
        get_first: bool = False,
    ) -> tuple[Result, Result | None]:
        """The answer for one URL, and what HEAD got when GET had to decide.

        `inspect`: a 2xx HTML answer to HEAD is read again with GET, for its body.
        `get_first`: GET at once; when the server answered it and then failed (a
        broken or stalled body, a reset), HEAD is asked and decides as if it had
        come first, so the verdict is the one HEAD then GET would give.
        """
        refused = self._guard.literal(url.raw_host or "")
        if refused is not None:
            return Failure(Verdict.SKIPPED, refused), None
        got: Result | None = None
        if get_first:
            got = await self._request("GET", url, headers, whole_body)
            if isinstance(got, Answer) or (got.status is None and not got.head_suspect):
                return got, None
        if head_first or got is not None:
            head = await self._request("HEAD", url, headers, whole_body)
            wanted = inspect and got is None
            if isinstance(head, Answer) and wanted and head.success and is_html(head.content_type):
                page = await self._request("GET", url, headers, whole_body)
                return (page, head) if isinstance(page, Answer) else (head, None)
            if isinstance(head, Answer) and (head.accepted or head.status not in HEAD_REFUSED):
                return head, None
            if isinstance(head, Failure) and not head.head_suspect:
                return head, None
        else:
            head = None
        return got or await self._request("GET", url, headers, whole_body), head

    async def _request(
        self,
        method: str,
        url: URL,
        headers: Mapping[str, str],
        whole_body: bool,
    ) -> Result:
        """One request inside its host's slot; every exception becomes a `Failure` here."""
        host = url.raw_host or ""
        status = None
        proxy, proxy_headers = self._environment.proxy(url)
        netrc = self._environment.authorization(url.host or "")
        if netrc and not _has_authorization(headers):
            headers = {**headers, "Authorization": netrc}
        try:
            async with (
                self._gates.slot(host),
                self._session.request(
                    method,
                    url,
                    headers=headers,
                    allow_redirects=False,
                    proxy=proxy,
                    proxy_headers=proxy_headers,
                ) as response,
            ):
                status = response.status
                return await self._answer(method, host, response, whole_body)
        except Exception as exc:  # the check stage's one boundary, see classify
            return replace(failure(exc, self._config), status=status)

    async def _answer(
        self, method: str, host: str, response: aiohttp.ClientResponse, whole_body: bool
    ) -> Answer:
        status = response.status
        success = 200 <= status < 300
        accepted = not success and self._config.accepts(host, status)
        body = b""
        if method == "GET":
            # An HTML page may be needed whole (fragments, soft 404s), a refusal's
            # page tells which wall it is; of anything else, the first chunk proves
            # the transfer starts. Never a whole file.
            cap = self._config.max_body
            wanted = (success or accepted) and (whole_body or response.content_type in HTML_TYPES)
            if not wanted and status in walls.READ_BODY:
                cap, wanted = min(cap, walls.BODY_CAP), True
            body = await _read(response.content, cap, whole=wanted)
        wall = None
        if status not in REDIRECT_STATUSES and not accepted:
            wall = walls.recognise(status, response.headers, body, host)
        return Answer(
            status=status,
            phrase=response.reason or "",
            location=response.headers.get(hdrs.LOCATION),
            retry_after=parse_retry_after(response.headers.get(hdrs.RETRY_AFTER)),
            content_type=response.headers.get(hdrs.CONTENT_TYPE, ""),
            wall=wall,
            fronted=walls.fronted(response.headers),
            accepted=accepted,
            body=body,
        )

    def _headers(
        self, url: URL, *, same_origin: bool, browser: bool = False
    ) -> Mapping[str, str]:
        """The headers for one request: shared between requests, never to be changed."""
        common = self._common[same_origin, browser]
        own = self._config.host(url.raw_host or "").headers
        return {**common, **own} if own else common


async def _read(content: aiohttp.StreamReader, cap: int, *, whole: bool) -> bytes:
    """Up to `cap` decompressed bytes, or only the first chunk unless `whole`."""
    parts: list[bytes] = []
    size = 0
    while size < cap:
        part = await content.read(min(FIRST_CHUNK, cap - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
        if not whole:
            break
    return b"".join(parts)


def looks_like_page(url: URL) -> bool:
    """No extension of a file type (`FILE_EXTENSIONS`) on the path's last segment."""
    name = url.raw_path.rpartition("/")[2]
    dot = name.rfind(".")
    return dot < 0 or name[dot + 1 :].lower() not in FILE_EXTENSIONS


def is_html(content_type: str) -> bool:
    """An HTML type, or none given (HEAD answers often omit it)."""
    media = content_type.partition(";")[0].strip().lower()
    return not media or media in HTML_TYPES


def _has_authorization(headers: Mapping[str, str]) -> bool:
    return any(name.lower() == "authorization" for name in headers)


def _basic_authorization(url: URL) -> str | None:
    """The Authorization header for URL userinfo (`user:password@`), if any."""
    if url.user is None and url.password is None:
        return None
    pair = f"{url.user or ''}:{url.password or ''}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def _follow(current: URL, answer: Answer) -> URL | Failure:
    """Where a redirect points, resolved against the current URL."""
    location = (answer.location or "").strip()
    if not location:
        return Failure(Verdict.ERROR, f"{answer.status} redirect without Location")
    try:
        joined = urljoin(str(current), location)
        scheme = urlsplit(joined).scheme
        if scheme not in ("http", "https"):
            return Failure(Verdict.ERROR, f"redirect to unsupported scheme {scheme}:")
        target = request_url(joined)
    except (ValueError, UnicodeError):
        return Failure(Verdict.ERROR, f"bad Location {location[:100]!r}")
    problem = http_problem(target)
    if problem is not None:
        return Failure(Verdict.ERROR, f"bad Location: {problem}")
    return target.with_user(None)


def _head_note(head: Result | None, result: Result) -> str | None:
    """What HEAD got, when it differs from what GET got and so explains the reason."""
    if isinstance(head, Answer):
        same = isinstance(result, Answer) and result.status == head.status
        return None if same else f"HEAD {head.status}"
    if isinstance(head, Failure):
        same = isinstance(result, Failure) and result.reason == head.reason
        return None if same else f"HEAD {head.reason}"
    return None
