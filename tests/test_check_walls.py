"""Bot walls, paywalls and login walls: who is recognised, who must not be, the browser retry."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict
from site_farm import running_farm
from yarl import URL

from linkcheck.check import Checker
from linkcheck.check.walls import fronted, recognise, sign_in_redirect
from linkcheck.models import Verdict

FORBIDDEN = b"<h1>Forbidden</h1><p>You don't have permission to access this resource.</p>"


@pytest.mark.parametrize(
    ("status", "headers", "body", "host", "reason"),
    [
        (403, {"cf-mitigated": "challenge"}, b"", "x.org", "Cloudflare challenge (403)"),
        (503, {"Server": "cloudflare"}, b"<title>Just a moment...</title>", "x.org",
         "Cloudflare challenge (503)"),
        (403, {"Server": "cloudflare"}, b"<div id='cf-error-details'>Sorry, you have been blocked",
         "x.org", "Cloudflare block (403)"),
        (403, {"X-DataDome": "protected"}, b"<script src='https://ct.captcha-delivery.com/c.js'>",
         "x.org", "DataDome (403)"),
        (403, {}, b"<div id='px-captcha'></div>", "x.org", "PerimeterX/HUMAN (403)"),
        (403, {"Server": "AkamaiGHost"}, b"Access Denied. Reference&#32;&#35;18&#46;2f",
         "x.org", "Akamai (403)"),
        (403, {}, b"Request unsuccessful. Incapsula incident ID: 1-2", "x.org",
         "Imperva/Incapsula (403)"),
        (403, {"X-Sucuri-Block": "BL001"}, b"", "x.org", "Sucuri (403)"),
        (202, {"x-amzn-waf-action": "challenge"}, b"", "x.org", "AWS WAF (202)"),
        (429, {"x-kpsdk-ct": "abc"}, b"", "x.org", "Kasada (429)"),
        (429, {"x-vercel-mitigated": "challenge"}, b"", "x.org", "Vercel challenge (429)"),
        (999, {}, b"", "www.linkedin.com", "LinkedIn 999"),
        (402, {}, b"<p>Subscribe to continue reading</p>", "x.org", "paywall (402)"),
        (403, {}, b'{"isAccessibleForFree": false}', "x.org", "paywall (403)"),
        (401, {}, b"<form><input type='password'></form>", "x.org", "login wall (401)"),
        (403, {}, b"<p>Please log in to continue.</p>", "x.org", "login wall (403)"),
    ],
)
def test_walls_are_named(
    status: int, headers: dict[str, str], body: bytes, host: str, reason: str
) -> None:
    assert recognise(status, CIMultiDict(headers), body, host) == reason


@pytest.mark.parametrize(
    ("status", "headers", "body", "host"),
    [
        (403, {"Server": "cloudflare", "CF-RAY": "8f"}, FORBIDDEN, "x.org"),  # origin 403
        (403, {"Server": "Apache"}, FORBIDDEN, "x.org"),
        (402, {}, b"status", "x.org"),
        (999, {}, b"", "a.test"),  # 999 is LinkedIn's only on LinkedIn
        (200, {"Server": "cloudflare"},
         b"<p>Open daily.</p><script src='/cdn-cgi/challenge-platform/h/b/scripts/jsd/1/main.js'>",
         "x.org"),  # Cloudflare's script on a normal page
        (200, {"X-DataDome": "protected"}, b"<p>Prices</p>", "x.org"),
        (200, {}, b"<p>Cloudflare sets window._cf_chl_opt before its challenge. "
         + b"word " * 200 + b"</p>", "x.org"),  # an article about challenges
        (404, {"Server": "cloudflare"}, b"<title>Just a moment...</title>", "x.org"),
    ],
)
def test_plain_refusals_and_pages_behind_a_vendor_are_not_walls(
    status: int, headers: dict[str, str], body: bytes, host: str
) -> None:
    assert recognise(status, CIMultiDict(headers), body, host) is None


def test_a_front_is_told_by_its_headers() -> None:
    assert fronted(CIMultiDict({"Server": "cloudflare"}))
    assert fronted(CIMultiDict({"X-Iinfo": "1"}))
    assert not fronted(CIMultiDict({"Server": "nginx"}))


@pytest.mark.parametrize(
    ("start", "final", "wall"),
    [
        ("https://x.org/account/orders", "https://x.org/login?next=/account/orders", True),
        ("https://x.org/doc/1", "https://accounts.x.org/ServiceLogin", True),
        ("https://x.org/wp-admin/", "https://x.org/wp-login.php?redirect_to=x", True),
        ("https://x.org/login", "https://x.org/login/", False),  # the citation is the sign-in
        ("https://x.org/blog/logins-explained", "https://x.org/blog/logins", False),
    ],
)
def test_a_redirect_to_sign_in_is_a_login_wall(start: str, final: str, wall: bool) -> None:
    assert sign_in_redirect(URL(start), URL(final)) is wall


async def test_a_page_that_refuses_only_non_browsers_is_ok_with_browser_headers() -> None:
    async with running_farm() as farm:
        async with Checker(farm.config(), resolver=farm.resolver()) as checker:
            fetch = await checker.check(farm.url("picky.example", "/page"))
        assert (fetch.verdict, fetch.reason, fetch.attempts) == (
            Verdict.OK, "200 OK with browser headers (without: 403 Forbidden)", 1
        )
        asked = [(m, agent.split("/")[0]) for h, m, p, agent in farm.requests if p == "/page"]
        assert asked == [("GET", "linkcheck"), ("GET", "Mozilla")]
        assert checker.extra_requests["browser retry"] == 1


async def test_without_browser_headers_there_is_no_second_request() -> None:
    async with running_farm() as farm:
        config = farm.config(browser_headers={})
        async with Checker(config, resolver=farm.resolver()) as checker:
            fetch = await checker.check(farm.url("picky.example", "/page"))
        assert (fetch.verdict, fetch.reason) == (Verdict.BLOCKED, "403 Forbidden")
        assert farm.seen("picky.example") == ["/page"]  # one GET, no browser retry


async def test_a_head_only_refusal_is_named_after_a_get() -> None:
    """HEAD 401 has no page; the browser GET brings the login form that names the wall."""
    async with running_farm() as farm:
        async with Checker(farm.config(), resolver=farm.resolver()) as checker:
            fetch = await checker.check(farm.url("members.example", "/forum/thread"))
        assert (fetch.verdict, fetch.reason) == (Verdict.BLOCKED, "login wall (401)")
        assert farm.seen("members.example") == ["/forum/thread"] * 2
