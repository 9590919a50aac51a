"""Bot walls, paywalls and login walls: answers that hide a page rather than deny it.

A page behind a wall may be alive, so a wall is `blocked`, never `broken`, and
the reason names what was recognised: the vendor of a bot challenge
("Cloudflare challenge (403)", "DataDome (403)", "LinkedIn 999"), a paywall or
a login wall ("paywall (402)", "login wall (403)"). Unrecognised 401/402/403
answers keep their plain status ("403 Forbidden"): a forbidden directory is
not a bot wall, and naming a vendor that is not there would be a false alarm.

Evidence comes in two strengths. Challenge markers (a challenge header such
as `cf-mitigated: challenge`, or a script only challenge pages load) count on
any status; but on a 2xx page they also need the page to have little text, so
that an article *about* Cloudflare's "Just a moment..." page stays ok. Vendor
*presence* (a `Server: AkamaiGHost`, an `x-datadome` header) is on every page
a vendor serves, so it counts only with a refusing status and a block page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from multidict import MultiMapping
from yarl import URL

# Statuses with which vendors refuse a request; 2xx challenges need stronger evidence.
REFUSALS = frozenset({401, 403, 405, 406, 429, 503, 999})
# Statuses whose body is read (up to BODY_CAP) to find out which wall answered.
READ_BODY = REFUSALS | {402}
BODY_CAP = 64 * 1024
CHALLENGE_PAGE_WORDS = 150  # a 2xx challenge page says little; an article about one says more

_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    headers: MultiMapping[str]
    body: str  # lower-cased, at most BODY_CAP characters

    def header(self, name: str) -> str:
        return self.headers.get(name, "").lower()

    def cookies(self) -> str:
        return " ".join(self.headers.getall("Set-Cookie", [])).lower()

    def has(self, *markers: str) -> bool:
        # map, not a generator expression: asked ~10 times for every answer
        return any(map(self.body.__contains__, markers))


@dataclass(frozen=True, slots=True)
class _Vendor:
    """One wall: `challenge` is evidence on any status, `block` only with a refusal."""

    label: str
    challenge: Callable[[_Response], bool]
    block: Callable[[_Response], bool] = lambda response: False


_VENDORS = (
    _Vendor(
        "Cloudflare challenge",
        # Not /cdn-cgi/challenge-platform/ alone: normal pages load its jsd script too.
        challenge=lambda r: r.header("cf-mitigated") == "challenge"
        or r.has("_cf_chl_opt", "cf-browser-verification"),
        block=lambda r: r.has("<title>just a moment...</title>", "checking your browser before"),
    ),
    _Vendor(
        "Cloudflare block",
        challenge=lambda r: r.has("attention required! | cloudflare"),
        block=lambda r: r.header("server") == "cloudflare"
        and (r.has("cf-error-details", "sorry, you have been blocked")
             or bool(re.search(r"error code:? 10\d\d", r.body))),
    ),
    _Vendor(
        "Vercel challenge",
        challenge=lambda r: r.header("x-vercel-mitigated") == "challenge"
        or r.has("vercel security checkpoint"),
    ),
    _Vendor(
        "AWS WAF",
        challenge=lambda r: r.header("x-amzn-waf-action") in ("challenge", "captcha")
        or r.has("awswafintegration", "token.awswaf.com", "captcha.awswaf.com"),
        block=lambda r: bool(r.header("x-amzn-waf-action")),
    ),
    _Vendor(
        "DataDome",
        challenge=lambda r: r.has("captcha-delivery.com"),
        block=lambda r: bool(r.header("x-dd-b"))
        or ((bool(r.header("x-datadome")) or "datadome=" in r.cookies()) and r.has("datadome")),
    ),
    _Vendor(
        "PerimeterX/HUMAN",
        challenge=lambda r: r.has("captcha.px-cdn.net", "px-captcha", "_pxcaptcha"),
        block=lambda r: r.has("_pxappid", "perimeterx", "human security")
        and r.has("access to this page has been denied", "press & hold", "press &amp; hold"),
    ),
    _Vendor(
        "Imperva/Incapsula",
        challenge=lambda r: r.has("incapsula incident id", "request unsuccessful. incapsula"),
        block=lambda r: r.has("_incapsula_resource")
        or (bool(r.header("x-iinfo")) and r.has("incident id")),
    ),
    _Vendor(
        "Sucuri",
        challenge=lambda r: bool(r.header("x-sucuri-block"))
        or r.has("sucuri_cloudproxy_js", "sucuri website firewall", "cloudproxy@sucuri.net",
                 "sucuri-firewall-block.css"),
    ),
    _Vendor(
        "Akamai",
        # Its block page writes punctuation as entities: "Reference&#32;&#35;18&#46;...".
        challenge=lambda r: r.has("errors.edgesuite.net", "errors&#46;edgesuite&#46;net"),
        block=lambda r: r.header("server").startswith("akamaighost")
        and r.has("reference #", "reference&#32;&#35;"),
    ),
    _Vendor(
        "Kasada",
        challenge=lambda r: r.status in REFUSALS
        and any(r.header(name) for name in ("x-kpsdk-ct", "x-kpsdk-cd", "x-kpsdk-st")),
        block=lambda r: r.has("kpsdk"),
    ),
)

# Paywalls and login walls, read only on 401, 402 and 403.
_PAYWALL = re.compile(
    r"""["']?isaccessibleforfree["']?\s*:\s*["']?false"""
    r"|subscribe (?:now )?to (?:continue|keep) reading|subscribers? only|subscriber-only"
    r"|exclusive(?:ly)? (?:content )?for subscribers|already a subscriber|to continue reading"
    r"|this (?:article|story|content) is (?:only )?(?:available )?(?:for|to) subscribers"
    r"|réservé aux abonnés|nur für abonnenten|exclusivo para suscriptores|riservato agli abbonati"
)
_LOGIN = re.compile(
    r"""<input[^>]+type\s*=\s*["']?password"""
    r"|(?:sign|log) ?in to (?:continue|view|read|access|see)|please (?:sign|log) ?in"
    r"|you (?:must|need to) (?:be logged in|sign in|log in)|login required"
    r"|authentication required|members only"
)
# Where sites send a visitor who must sign in first.
_SIGN_IN_PATH = re.compile(
    r"(?:^|/)(?:login|log-in|signin|sign-in|sign_in|logon|sso|wp-login\.php|"
    r"users/sign_in|accounts?/login|auth/login|session/new)(?:[/.?]|$)",
    re.IGNORECASE,
)
_SIGN_IN_HOST = re.compile(r"^(?:login|signin|sso|auth|accounts)\.", re.IGNORECASE)


def recognise(status: int, headers: MultiMapping[str], body: bytes, host: str) -> str | None:
    """The reason for a wall this answer is, or None when it is not recognisably one."""
    if status == 999 and _is_linkedin(host):
        return "LinkedIn 999"
    response = _Response(status, headers, body[:BODY_CAP].decode("utf-8", "replace").lower())
    success = 200 <= status < 300
    for vendor in _VENDORS:
        if vendor.challenge(response) or (status in REFUSALS and vendor.block(response)):
            if success and _words(response.body) > CHALLENGE_PAGE_WORDS:
                continue  # a page that quotes a challenge is not one
            return f"{vendor.label} ({status})"
    if status in (401, 402, 403):
        if _PAYWALL.search(response.body):
            return f"paywall ({status})"
        if _LOGIN.search(response.body):
            return f"login wall ({status})"
    return None


_FRONT_SERVERS = ("cloudflare", "akamaighost", "datadome", "sucuri", "ddos-guard")
_FRONT_HEADERS = ("cf-ray", "x-iinfo", "x-sucuri-id", "x-datadome", "x-amzn-waf-action")


def fronted(headers: MultiMapping[str]) -> bool:
    """Served through a bot-protection front: a bodiless 503 from it may be a challenge."""
    server = headers.get("Server", "").lower()
    return server.startswith(_FRONT_SERVERS) or any(name in headers for name in _FRONT_HEADERS)


def sign_in_redirect(start: URL, final: URL) -> bool:
    """A deep link that redirects to a sign-in page: the page is behind a login wall."""
    if _SIGN_IN_PATH.search(start.path) or _SIGN_IN_HOST.match(start.raw_host or ""):
        return False  # the citation is the sign-in page itself
    return bool(_SIGN_IN_PATH.search(final.path) or _SIGN_IN_HOST.match(final.raw_host or ""))


def _is_linkedin(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == "linkedin.com" or host.endswith(".linkedin.com")


def _words(html: str) -> int:
    return len(_TAGS.sub(" ", html).split())
