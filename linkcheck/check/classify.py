"""From what the network did to a `Fetch`: the one place exceptions become verdicts.

Every request goes through `failure()` when it raises, so no aiohttp or OS
exception leaves the check stage. The mapping, most specific first:

exception (aiohttp unless said)          verdict  reason                          retried
---------------------------------------  -------  ------------------------------  -------
PrivateAddressError (our resolver, as    skipped  private address A (set ...)     no
  ClientConnectorDNSError.os_error)
ClientConnectorDNSError, EAI_NONAME or   broken   DNS: name does not exist        no
  EAI_NODATA
ClientConnectorDNSError, EAI_AGAIN ...   error    DNS: temporary failure, DNS: …  yes
ClientConnectorCertificateError          error    TLS: certificate verify failed  no
ClientSSLError (other TLS failures)      error    TLS: ...                        no
ConnectionTimeoutError (connect)         timeout  connect timeout (Ns)            yes
SocketTimeoutError (sock_read)           timeout  read timeout (Ns)               yes
TimeoutError (the request's `timeout`)   timeout  no complete answer within Ns    yes
ClientConnectorError, ECONNREFUSED       error    connection refused              yes
ClientConnectorError, other              error    cannot connect: ...             yes
ServerDisconnectedError                  error    server disconnected             yes (*)
ClientPayloadError (body cut short)      error    transfer broken: ...            yes
ClientOSError / OSError, ECONNRESET      error    connection reset                yes (*)
ClientOSError / OSError, other           error    network error: ...              yes
InvalidURL                               error    malformed URL: ...              no
ClientResponseError (unparsable answer:  error    bad response: ...               no (*)
  too many headers, line too long, ...)
anything else                            error    unexpected T: ...               no

(*) after a HEAD, these also make the fetcher try GET at once: some servers
mishandle HEAD.

Statuses of the final answer (after redirects, retries and the HEAD→GET
fallback), in this order:

status of the final answer                 verdict
-----------------------------------------  ------------------------------------
in `accept` for the host that answered     ok, "accepted status N"
any, recognised as a wall (`walls`)        blocked, "Cloudflare challenge (403)",
                                           "paywall (402)", "LinkedIn 999", ...
2xx                                        ok, redirected or moved (see below)
401, 402, 403, 429, 999                    blocked
408                                        timeout
other 4xx (404, 410, ...)                  broken
5xx                                        error
anything else (304, 6xx, ...)              error, "unexpected status ..."

A success reached through redirects is `moved` when any hop was permanent
(301, 308; the suggestion is where the last permanent hop pointed) and
`redirected` when all were temporary (302, 303, 307). 408, 429, 502, 503 and
504 are retried before they are judged. What a 2xx page says can still make
it `soft_404` (`soft404`), and a blocked answer is asked again with browser
headers before it is final (`checker`).
"""

from __future__ import annotations

import asyncio
import errno
import socket
from dataclasses import dataclass
from http import HTTPStatus

import aiohttp

from linkcheck.check.guard import PrivateAddressError, private_reason
from linkcheck.config import Config
from linkcheck.models import Fetch, Hop, Verdict

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_STATUSES = frozenset({301, 308})
BLOCKED_STATUSES = frozenset({401, 402, 403, 429, 999})
_PHRASES = {status.value: status.phrase for status in HTTPStatus}  # a dict: asked for every URL
_NO_NAME = frozenset(
    code for code in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", None)) if code is not None
)


@dataclass(frozen=True, slots=True)
class Failure:
    """A request that got no usable answer."""

    verdict: Verdict
    reason: str
    transient: bool = False
    head_suspect: bool = False  # after a HEAD: try GET, HEAD may be the problem
    status: int | None = None  # when the failure came after the status line (a broken body)


@dataclass(frozen=True, slots=True)
class Answer:
    """The parts of one response that the checks need."""

    status: int
    phrase: str = ""
    location: str | None = None
    retry_after: float | None = None
    content_type: str = ""
    wall: str | None = None  # the reason, when `walls` recognised a bot wall or paywall
    fronted: bool = False  # served through a bot-protection front (walls.fronted)
    accepted: bool = False
    body: bytes = b""

    @property
    def success(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class Outcome:
    """One attempt at a URL: the redirect hops and how the chain ended."""

    final_url: str | None
    hops: tuple[Hop, ...] = ()
    answer: Answer | None = None
    failure: Failure | None = None
    head: str | None = None  # what HEAD got when the last hop fell back to GET
    status: int | None = None


def failure(exc: BaseException, config: Config) -> Failure:
    """Convert an exception raised by one request (see the module table)."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return _dns(exc.os_error)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        detail = getattr(exc.certificate_error, "verify_message", "") or ""
        return Failure(Verdict.ERROR, "TLS: certificate verify failed" + _paren(detail))
    if isinstance(exc, aiohttp.ClientSSLError):
        return Failure(Verdict.ERROR, f"TLS: {_short(exc.os_error)}")
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return _timeout(f"connect timeout ({config.connect_timeout:g}s)")
    if isinstance(exc, aiohttp.SocketTimeoutError):
        return _timeout(f"read timeout ({config.read_timeout:g}s)")
    if isinstance(exc, asyncio.TimeoutError):
        return _timeout(f"no complete answer within {config.timeout:g}s")
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, ConnectionRefusedError):
            return Failure(Verdict.ERROR, "connection refused", transient=True)
        return Failure(Verdict.ERROR, f"cannot connect: {_short(exc.os_error)}", transient=True)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return Failure(Verdict.ERROR, "server disconnected", transient=True, head_suspect=True)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return Failure(Verdict.ERROR, f"transfer broken: {_payload(exc)}", transient=True)
    if isinstance(exc, OSError):  # ClientOSError too
        if isinstance(exc, ConnectionResetError) or exc.errno == errno.ECONNRESET:
            return Failure(Verdict.ERROR, "connection reset", transient=True, head_suspect=True)
        return Failure(Verdict.ERROR, f"network error: {_short(exc)}", transient=True)
    if isinstance(exc, aiohttp.InvalidURL):
        return Failure(Verdict.ERROR, f"malformed URL: {_short(exc)}")
    if isinstance(exc, aiohttp.ClientResponseError):
        cause = getattr(exc.__cause__, "message", None) or exc.message or "unparsable"
        return Failure(Verdict.ERROR, f"bad response: {_lower(_short(cause))}", head_suspect=True)
    return Failure(Verdict.ERROR, f"unexpected {type(exc).__name__}: {_short(exc)}")


def _dns(error: OSError) -> Failure:
    if isinstance(error, PrivateAddressError):
        return Failure(Verdict.SKIPPED, private_reason(error.address))
    if error.errno in _NO_NAME:
        return Failure(Verdict.BROKEN, "DNS: name does not exist")
    if error.errno == socket.EAI_AGAIN:
        return Failure(Verdict.ERROR, "DNS: temporary failure", transient=True)
    return Failure(Verdict.ERROR, f"DNS: {_short(error)}", transient=True)


def _timeout(reason: str) -> Failure:
    return Failure(Verdict.TIMEOUT, reason, transient=True)


def _payload(exc: aiohttp.ClientPayloadError) -> str:
    cause = getattr(exc.__cause__, "message", None)
    return _lower(_short(cause or exc).rstrip("."))


def _lower(text: str) -> str:
    """aiohttp's messages start with a capital; ours continue a sentence."""
    return text[:1].lower() + text[1:]


def _short(value: object, limit: int = 120) -> str:
    if isinstance(value, OSError) and value.strerror:
        text = value.strerror
    else:
        text = str(value) or type(value).__name__
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _paren(detail: str) -> str:
    return f" ({detail})" if detail else ""


def describe(status: int, phrase: str = "") -> str:
    """'404 Not Found': the standard phrase, else the server's own."""
    standard = _PHRASES.get(status)
    if standard is None:
        standard = _short(phrase, 40) if phrase else ""
    return f"{status} {standard}".rstrip()


def judge(answer: Answer) -> tuple[Verdict, str]:
    """The verdict of a final answer, before redirects are taken into account."""
    status = answer.status
    text = describe(status, answer.phrase)
    if answer.accepted:
        return Verdict.OK, f"accepted status {status}"
    if answer.wall is not None:
        return Verdict.BLOCKED, answer.wall
    if answer.success:
        return Verdict.OK, text
    if status in BLOCKED_STATUSES:
        return Verdict.BLOCKED, text
    if status == 408:
        return Verdict.TIMEOUT, text
    if 400 <= status < 500:
        return Verdict.BROKEN, text
    if 500 <= status < 600:
        return Verdict.ERROR, text
    return Verdict.ERROR, f"unexpected status {text}"


def to_fetch(outcome: Outcome, *, attempts: int, elapsed_ms: int) -> Fetch:
    head = f"{outcome.head}, GET " if outcome.head else ""
    suggestion = None
    if outcome.failure is not None:
        verdict, reason = outcome.failure.verdict, head + outcome.failure.reason
    else:
        assert outcome.answer is not None
        verdict, reason = judge(outcome.answer)
        reason = head + reason
        if outcome.hops:
            reason = " → ".join(str(hop.status) for hop in outcome.hops) + " → " + reason
            if verdict is Verdict.OK:
                verdict, suggestion = _redirected(outcome)
    return Fetch(
        verdict,
        reason,
        status=outcome.status,
        final_url=outcome.final_url,
        redirects=outcome.hops,
        attempts=attempts,
        elapsed_ms=elapsed_ms,
        suggestion=suggestion,
    )


def _redirected(outcome: Outcome) -> tuple[Verdict, str | None]:
    permanent = [i for i, hop in enumerate(outcome.hops) if hop.status in PERMANENT_STATUSES]
    if not permanent:
        return Verdict.REDIRECTED, None
    after = permanent[-1] + 1
    target = outcome.hops[after].url if after < len(outcome.hops) else outcome.final_url
    return Verdict.MOVED, target
