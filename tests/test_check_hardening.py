"""Hostile or broken servers: credentials, cookies, bombs, floods, drips, cut transfers, TLS."""

from __future__ import annotations

import base64
import urllib.parse
from pathlib import Path
from types import MappingProxyType

import pytest
from servers import BOMB_SIZE, HUGE_SIZE, Catalogue, check_one, fast_config

from linkcheck.check import Checker
from linkcheck.config import ConfigError, HostConfig
from linkcheck.models import Verdict


def to_b(catalogue: Catalogue, code: int = 302, path: str = "/ok") -> str:
    """A path on a.test that redirects to `path` on b.test."""
    target = urllib.parse.quote(catalogue.url(path, "b.test"), safe="")
    return f"/redirect/{code}?to={target}"


def headers_seen(catalogue: Catalogue, host: str) -> list[dict[str, str]]:
    return [
        {name.lower(): value for name, value in seen.headers.items()}
        for seen in catalogue.log.matching(host=host)
    ]


async def test_url_credentials_go_to_their_origin_only(catalogue: Catalogue) -> None:
    url = catalogue.url(to_b(catalogue)).replace("http://", "http://user:secret@")
    async with Checker(catalogue.config()) as checker:
        fetch = await checker.check(url)
    assert fetch.verdict is Verdict.REDIRECTED
    basic = "Basic " + base64.b64encode(b"user:secret").decode()
    assert [h.get("authorization") for h in headers_seen(catalogue, "a.test")] == [basic]
    assert [h.get("authorization") for h in headers_seen(catalogue, "b.test")] == [None]
    assert "secret" not in (fetch.final_url or "") + "".join(hop.url for hop in fetch.redirects)


async def test_netrc_credentials_go_to_their_host_only(
    catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine a.test login user password secret\n")
    monkeypatch.setenv("NETRC", str(netrc))
    async with Checker(catalogue.config()) as checker:
        fetch = await checker.check(catalogue.url(to_b(catalogue)))
    assert fetch.verdict is Verdict.REDIRECTED
    basic = "Basic " + base64.b64encode(b"user:secret").decode()
    assert [h.get("authorization") for h in headers_seen(catalogue, "a.test")] == [basic]
    assert [h.get("authorization") for h in headers_seen(catalogue, "b.test")] == [None]


async def test_url_credentials_follow_a_redirect_on_the_same_origin(catalogue: Catalogue) -> None:
    url = catalogue.url("/redirect/302?to=/ok").replace("http://", "http://user:secret@")
    async with Checker(catalogue.config()) as checker:
        await checker.check(url)
    assert all(h.get("authorization") for h in headers_seen(catalogue, "a.test"))
    assert len(headers_seen(catalogue, "a.test")) == 2


async def test_headers_reach_only_the_hosts_they_are_meant_for(catalogue: Catalogue) -> None:
    hosts = {"a.test": HostConfig(headers=MappingProxyType({"Authorization": "Bearer a-token",
                                                            "X-Api-Key": "for-a"}))}
    shared = {"X-Team": "docs", "Cookie": "consent=yes"}
    config = catalogue.config(
        hosts=MappingProxyType(hosts), headers=MappingProxyType(shared), user_agent="probe/1"
    )
    async with Checker(config) as checker:
        await checker.check(catalogue.url(to_b(catalogue)))
    [on_a] = headers_seen(catalogue, "a.test")
    [on_b] = headers_seen(catalogue, "b.test")
    assert (on_a["authorization"], on_a["x-api-key"], on_a["cookie"]) == (
        "Bearer a-token", "for-a", "consent=yes"
    )
    assert "authorization" not in on_b
    assert "x-api-key" not in on_b
    assert "cookie" not in on_b
    assert on_a["x-team"] == on_b["x-team"] == "docs"
    assert on_a["user-agent"] == on_b["user-agent"] == "probe/1"


async def test_a_configured_authorization_wins_over_url_credentials(catalogue: Catalogue) -> None:
    hosts = {"a.test": HostConfig(headers=MappingProxyType({"Authorization": "Bearer a-token"}))}
    url = catalogue.url("/ok").replace("http://", "http://user:secret@")
    async with Checker(catalogue.config(hosts=MappingProxyType(hosts))) as checker:
        fetch = await checker.check(url)
    assert fetch.verdict is Verdict.OK
    assert headers_seen(catalogue, "a.test")[0]["authorization"] == "Bearer a-token"


async def test_cookies_are_not_kept(catalogue: Catalogue) -> None:
    async with Checker(catalogue.config()) as checker:
        await checker.check(catalogue.url("/set-cookie?to=/ok"))
        await checker.check(catalogue.url("/set-cookie?to=" + urllib.parse.quote(
            catalogue.url("/ok", "b.test"), safe="")))
        await checker.check(catalogue.url("/page"))
    assert not any("cookie" in h for host in ("a.test", "b.test")
                   for h in headers_seen(catalogue, host))


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_compression_bomb_is_read_up_to_max_body(
    catalogue: Catalogue, encoding: str
) -> None:
    async with Checker(catalogue.config()) as checker:
        page = await checker.fetch_page(catalogue.url(f"/bomb/{encoding}"))
        fetch = await checker.check(catalogue.url(f"/bomb/{encoding}"))  # one GET: a page
    assert len(page.body) == catalogue.config().max_body < BOMB_SIZE
    assert set(page.body) == {ord(" ")}
    assert (fetch.verdict, fetch.reason) == (Verdict.OK, "200 OK")


async def test_of_a_large_file_only_the_first_chunk_is_read(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, "/huge?head=405")
    assert (fetch.verdict, fetch.status) == (Verdict.OK, 200)
    assert 0 < catalogue.log.written["/huge"] < HUGE_SIZE // 4


async def test_ten_thousand_headers_are_a_precise_error(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, "/many-headers", retries=2)
    assert (fetch.verdict, fetch.reason, fetch.attempts) == (
        Verdict.ERROR, "bad response: too many headers received", 1
    )


async def test_a_slow_drip_ends_in_timeout(catalogue: Catalogue) -> None:
    """A byte every 0.1 s never trips read_timeout; the request's timeout ends it."""
    fetch = await check_one(
        catalogue, "/drip?head=405&every=0.1", timeout=0.6, read_timeout=0.4, retries=0
    )
    assert (fetch.verdict, fetch.status) == (Verdict.TIMEOUT, 200)
    assert fetch.reason == "HEAD 405, GET no complete answer within 0.6s"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/reset-mid-body?head=405",
         "transfer broken: not enough data to satisfy content length header "
         "(received 1000 of 100000 bytes)"),
        ("/lying-length?head=405",
         "transfer broken: not enough data to satisfy content length header "
         "(received 10 of 1000 bytes)"),
    ],
)
async def test_a_transfer_cut_short_is_an_error(
    catalogue: Catalogue, path: str, reason: str
) -> None:
    fetch = await check_one(catalogue, path, retries=1)
    assert (fetch.verdict, fetch.status, fetch.attempts) == (Verdict.ERROR, 200, 2)
    assert fetch.reason == f"HEAD 405, GET {reason}"


async def test_untrusted_certificate_is_a_tls_error(tls_catalogue: Catalogue) -> None:
    fetch = await check_one(tls_catalogue, "/ok", retries=2)
    assert fetch.verdict is Verdict.ERROR
    assert fetch.reason.startswith("TLS: certificate verify failed")
    assert fetch.attempts == 1


async def test_ssl_cert_file_names_a_custom_ca(
    tls_catalogue: Catalogue, ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    fetch = await check_one(tls_catalogue, "/ok")
    assert (fetch.verdict, fetch.final_url) == (Verdict.OK, tls_catalogue.url("/ok"))


async def test_insecure_skips_verification(tls_catalogue: Catalogue) -> None:
    fetch = await check_one(tls_catalogue, "/ok", insecure=True)
    assert fetch.verdict is Verdict.OK


def test_an_unreadable_ssl_cert_file_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigError, match="SSL_CERT_FILE"):
        Checker(fast_config())
