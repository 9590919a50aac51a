"""Redirects followed by hand: every hop recorded, loops and limits, bad Locations."""

from __future__ import annotations

import urllib.parse

import pytest
from servers import Catalogue, check_one

from linkcheck.models import Hop, Verdict


def redirect(code: int, to: str) -> str:
    return f"/redirect/{code}?to={urllib.parse.quote(to, safe='')}"


async def test_every_hop_is_recorded(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, "/chain/301,302,307,308")
    assert fetch.redirects == (
        Hop(catalogue.url("/chain/301,302,307,308"), 301),
        Hop(catalogue.url("/chain/302,307,308"), 302),
        Hop(catalogue.url("/chain/307,308"), 307),
        Hop(catalogue.url("/chain/308"), 308),
    )
    assert (fetch.status, fetch.final_url) == (200, catalogue.url("/ok"))
    assert [seen.method for seen in catalogue.log.requests] == ["GET"] * 5  # one per hop


@pytest.mark.parametrize(
    ("location", "final"),
    [("../ok", "/ok"), ("ok", "/redirect/ok"), ("/ok?x=1", "/ok?x=1"), ("/ok#part", "/ok")],
)
async def test_relative_location_is_resolved_against_the_current_url(
    catalogue: Catalogue, location: str, final: str
) -> None:
    fetch = await check_one(catalogue, redirect(302, location))
    assert fetch.final_url == catalogue.url(final)


async def test_redirect_to_another_host(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, redirect(307, catalogue.url("/ok", "b.test")))
    assert (fetch.verdict, fetch.final_url) == (Verdict.REDIRECTED, catalogue.url("/ok", "b.test"))
    assert catalogue.log.count("/redirect/307", host="a.test") == 1
    assert catalogue.log.count("/ok", host="b.test") == 1


async def test_loop_is_an_error(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, "/loop/a", retries=2)
    assert (fetch.verdict, fetch.reason, fetch.status, fetch.attempts) == (
        Verdict.ERROR, "redirect loop", 302, 1
    )
    assert fetch.redirects == (
        Hop(catalogue.url("/loop/a"), 302), Hop(catalogue.url("/loop/b"), 302)
    )
    assert catalogue.log.count("/loop/a") == 1


async def test_too_many_redirects_is_an_error(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, "/chain/302,302,302,302", max_redirects=2)
    assert (fetch.verdict, fetch.reason) == (Verdict.ERROR, "too many redirects (2)")
    assert len(fetch.redirects) == 3
    assert catalogue.log.count("/chain/302") == 0


async def test_max_redirects_zero_follows_none(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, "/redirect/301", max_redirects=0)
    assert (fetch.verdict, fetch.reason) == (Verdict.ERROR, "too many redirects (0)")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/status/302", "302 redirect without Location"),
        ("/redirect/301?to=http://exa%20mple.org/", "bad Location: bad host 'exa mple.org'"),
        ("/redirect/302?to=http://%5Bbroken/", "bad Location 'http://[broken/'"),
        ("/redirect/302?to=mailto:someone@example.org", "redirect to unsupported scheme mailto:"),
    ],
)
async def test_missing_or_bad_location_is_an_error(
    catalogue: Catalogue, path: str, reason: str
) -> None:
    fetch = await check_one(catalogue, path)
    assert (fetch.verdict, fetch.reason) == (Verdict.ERROR, reason)
    assert len(fetch.redirects) == 1


async def test_each_hop_uses_head_then_get_when_refused(catalogue: Catalogue) -> None:
    target = catalogue.url("/ok?head=405", "b.test")
    fetch = await check_one(catalogue, redirect(302, target), soft_404_get="never")  # HEAD first
    assert (fetch.verdict, fetch.reason) == (Verdict.REDIRECTED, "302 → HEAD 405, GET 200 OK")
    assert catalogue.log.count("/redirect/302", method="GET") == 0
    assert catalogue.log.count("/ok", host="b.test", method="GET") == 1
