"""Every verdict the check stage gives, from real answers of the local catalogue."""

from __future__ import annotations

import socket
from pathlib import Path
from types import MappingProxyType

import pytest
from servers import (
    Catalogue,
    MappingResolver,
    SilentServer,
    check_one,
    closed_port,
    fast_config,
)

from linkcheck.check import Checker
from linkcheck.config import HostConfig
from linkcheck.models import Hop, Verdict

# Pages get one GET at once while soft-404 detection reads every page's body
# (soft_404_get "html", the default); otherwise HEAD comes first, as here.
HEAD_FIRST = {"soft_404_get": "never"}


@pytest.mark.parametrize(
    ("path", "verdict", "reason", "status"),
    [
        ("/ok", Verdict.OK, "200 OK", 200),
        ("/status/204", Verdict.OK, "204 No Content", 204),
        ("/status/404", Verdict.BROKEN, "404 Not Found", 404),
        ("/status/410", Verdict.BROKEN, "410 Gone", 410),
        ("/status/451", Verdict.BROKEN, "451 Unavailable For Legal Reasons", 451),
        ("/status/401", Verdict.BLOCKED, "401 Unauthorized", 401),
        ("/status/402", Verdict.BLOCKED, "402 Payment Required", 402),
        ("/status/403", Verdict.BLOCKED, "403 Forbidden", 403),
        ("/status/999?reason=Request%20denied", Verdict.BLOCKED, "999 Request denied", 999),
        ("/cloudflare", Verdict.BLOCKED, "Cloudflare challenge (403)", 403),
        ("/status/500", Verdict.ERROR, "500 Internal Server Error", 500),
        ("/status/304", Verdict.ERROR, "unexpected status 304 Not Modified", 304),
    ],
)
async def test_final_status_gives_the_verdict(
    catalogue: Catalogue, path: str, verdict: Verdict, reason: str, status: int
) -> None:
    fetch = await check_one(catalogue, path)
    assert (fetch.verdict, fetch.reason, fetch.status) == (verdict, reason, status)
    assert fetch.final_url == catalogue.url(path)
    assert fetch.redirects == ()
    assert fetch.attempts == 1


@pytest.mark.parametrize(
    ("status", "verdict"),
    [(429, Verdict.BLOCKED), (408, Verdict.TIMEOUT), (502, Verdict.ERROR), (503, Verdict.ERROR),
     (504, Verdict.ERROR)],
)
async def test_transient_status_is_judged_after_the_retries(
    catalogue: Catalogue, status: int, verdict: Verdict
) -> None:
    fetch = await check_one(catalogue, f"/status/{status}", retries=2)
    assert (fetch.verdict, fetch.status, fetch.attempts) == (verdict, status, 3)
    assert catalogue.log.count(f"/status/{status}") == 3


async def test_definitive_answers_are_not_retried(catalogue: Catalogue) -> None:
    for path in ("/status/404", "/status/500", "/status/403"):
        fetch = await check_one(catalogue, path, retries=3)
        assert fetch.attempts == 1, path
    assert catalogue.log.count("/status/500") == 1


async def test_temporary_redirects_give_redirected(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, "/chain/302,303,307")
    assert fetch.verdict is Verdict.REDIRECTED
    assert fetch.reason == "302 → 303 → 307 → 200 OK"
    assert fetch.final_url == catalogue.url("/ok")
    assert fetch.suggestion is None


@pytest.mark.parametrize(
    ("codes", "suggested"),
    [("301", "/ok"), ("308", "/ok"), ("302,301,307", "/chain/307"), ("301,302,308", "/ok")],
)
async def test_a_permanent_hop_gives_moved_with_the_url_it_pointed_to(
    catalogue: Catalogue, codes: str, suggested: str
) -> None:
    fetch = await check_one(catalogue, f"/chain/{codes}")
    assert fetch.verdict is Verdict.MOVED
    assert fetch.suggestion == catalogue.url(suggested)
    assert [hop.status for hop in fetch.redirects] == [int(c) for c in codes.split(",")]


async def test_a_redirect_to_a_missing_page_is_broken(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, "/redirect/301?to=/status/404")
    assert (fetch.verdict, fetch.reason, fetch.status) == (
        Verdict.BROKEN, "301 → 404 Not Found", 404
    )
    assert fetch.redirects == (Hop(catalogue.url("/redirect/301?to=/status/404"), 301),)
    assert fetch.suggestion is None


@pytest.mark.parametrize("head", ["405", "400", "403", "404", "501"])
async def test_head_refused_falls_back_to_get(catalogue: Catalogue, head: str) -> None:
    fetch = await check_one(catalogue, f"/ok?head={head}", **HEAD_FIRST)
    assert (fetch.verdict, fetch.status) == (Verdict.OK, 200)
    assert fetch.reason == f"HEAD {head}, GET 200 OK"
    assert catalogue.log.count("/ok", method="HEAD") == 1
    assert catalogue.log.count("/ok", method="GET") == 1


async def test_head_reset_falls_back_to_get(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, "/ok?head=reset", retries=0, **HEAD_FIRST)
    assert (fetch.verdict, fetch.status, fetch.attempts) == (Verdict.OK, 200, 1)
    assert fetch.reason == "HEAD connection reset, GET 200 OK"
    assert catalogue.log.count("/ok", method="GET") == 1


async def test_head_answered_needs_no_get(catalogue: Catalogue) -> None:
    await check_one(catalogue, "/ok", **HEAD_FIRST)
    assert catalogue.log.count("/ok", method="HEAD") == 1
    assert catalogue.log.count("/ok", method="GET") == 0


async def test_accepted_status_is_ok(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, "/status/403", accept=frozenset({403}))
    assert (fetch.verdict, fetch.reason, fetch.status) == (Verdict.OK, "accepted status 403", 403)


async def test_accepted_transient_status_is_not_retried(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, "/status/503", accept=frozenset({503}), retries=2)
    assert (fetch.verdict, fetch.attempts) == (Verdict.OK, 1)


async def test_accept_per_host(catalogue: Catalogue) -> None:
    hosts = MappingProxyType({"b.test": HostConfig(accept=frozenset({404}))})
    config = catalogue.config(hosts=hosts)
    async with Checker(config) as checker:
        on_b = await checker.check(catalogue.url("/status/404", "b.test"))
        on_a = await checker.check(catalogue.url("/status/404", "a.test"))
    assert (on_b.verdict, on_b.reason) == (Verdict.OK, "accepted status 404")
    assert on_a.verdict is Verdict.BROKEN


async def test_no_answer_in_time_is_timeout(silent_server: SilentServer) -> None:
    config = fast_config(timeout=2.0, read_timeout=0.2, retries=1, retry_wait_max=0.01)
    async with Checker(config) as checker:
        fetch = await checker.check(silent_server.url())
    assert (fetch.verdict, fetch.reason, fetch.status) == (
        Verdict.TIMEOUT, "read timeout (0.2s)", None
    )
    assert fetch.attempts == 2
    assert silent_server.connections == 2


async def test_connection_refused_is_error() -> None:
    config = fast_config(retries=1, retry_wait_max=0.01)
    async with Checker(config) as checker:
        fetch = await checker.check(f"http://127.0.0.1:{closed_port()}/")
    assert (fetch.verdict, fetch.reason, fetch.attempts) == (
        Verdict.ERROR, "connection refused", 2
    )


@pytest.mark.parametrize(
    ("path", "reason"), [("/reset", "connection reset"), ("/close", "server disconnected")]
)
async def test_dropped_connection_is_error_after_retries(
    catalogue: Catalogue, path: str, reason: str
) -> None:
    fetch = await check_one(catalogue, path, retries=1)
    assert (fetch.verdict, fetch.reason, fetch.status, fetch.attempts) == (
        Verdict.ERROR, reason, None, 2
    )


async def test_unknown_host_is_broken() -> None:
    config = fast_config(retries=2)
    async with Checker(config, resolver=MappingResolver({})) as checker:
        fetch = await checker.check("http://gone.test/page")
    assert (fetch.verdict, fetch.reason, fetch.attempts) == (
        Verdict.BROKEN, "DNS: name does not exist", 1
    )


async def test_temporary_dns_failure_is_error_after_retries() -> None:
    config = fast_config(retries=1)
    resolver = MappingResolver({"flaky.test": socket.EAI_AGAIN})
    async with Checker(config, resolver=resolver) as checker:
        fetch = await checker.check("http://flaky.test/")
    assert (fetch.verdict, fetch.reason, fetch.attempts) == (
        Verdict.ERROR, "DNS: temporary failure", 2
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("mailto:someone@example.org", "mailto: links are not checked"),
        ("tel:+15555550100", "tel: links are not checked"),
        ("javascript:void(0)", "javascript: links are not checked"),
        ("data:text/plain,hello", "data: links are not checked"),
        ("ftp://ftp.example.org/file", "unsupported scheme ftp:"),
        ("/about/team", "root-relative link needs base_url or root_dir"),
    ],
)
async def test_links_that_are_not_checked_are_skipped(url: str, reason: str) -> None:
    async with Checker(fast_config()) as checker:
        fetch = await checker.check(url)
    assert (fetch.verdict, fetch.reason, fetch.attempts) == (Verdict.SKIPPED, reason, 0)


async def test_file_urls_are_checked_on_disk(tmp_path: Path) -> None:
    present = tmp_path / "a page.html"
    present.write_text("<html></html>")
    async with Checker(fast_config()) as checker:
        found = await checker.check(present.as_uri())
        missing = await checker.check((tmp_path / "gone.html").as_uri())
    assert (found.verdict, found.reason) == (Verdict.OK, "file exists")
    assert (missing.verdict, missing.reason) == (
        Verdict.BROKEN, f"no such file: {tmp_path / 'gone.html'}"
    )


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://example.org:99999/", "Port out of range 0-65535"),
        ("http://example.org:http/", "Invalid URL: port can't be converted to integer"),
        ("http://exa mple.org/", "bad host 'exa mple.org'"),
        ("http://example..org/", "bad host 'example..org'"),
        ("http:///path-only", "no host"),
        ("http://127.1/", "bad IPv4 address '127.1'"),
        ("http://[::1/", "Invalid IPv6 URL"),
    ],
)
async def test_malformed_urls_are_errors(url: str, problem: str) -> None:
    async with Checker(fast_config()) as checker:
        fetch = await checker.check(url)
    assert (fetch.verdict, fetch.reason) == (Verdict.ERROR, f"malformed URL: {problem}")
