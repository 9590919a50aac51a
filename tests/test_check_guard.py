"""The private-address guard, and --resolve / --connect-to that steer connections.

No test here can send a packet beyond loopback, even with a broken guard:
names come from `MappingResolver` (no DNS), and `RecordingSocketFactory`
creates sockets for loopback only; any other address it is asked for is
recorded and refused. A test asserts both the decision and what the factory
saw.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from typing import Any

import pytest
from servers import Catalogue, MappingResolver, RecordingSocketFactory, fast_config

from linkcheck.check import Checker
from linkcheck.check.guard import Guard, is_public
from linkcheck.config import ConfigError
from linkcheck.models import Fetch, Hop, Verdict

NAMES = {
    "internal.test": ["10.1.2.3"],
    "metadata.test": ["169.254.169.254"],
    "unique-local.test": ["fd00::1"],
    "public.test": ["93.184.216.34"],
    "rebinding.test": ["10.1.2.3", "93.184.216.34", "127.0.0.1"],
    "proxy.test": ["10.9.9.9"],
}
REFUSED = "cannot connect: test socket factory refuses to connect to"


def skipped_for(address: str) -> str:
    return f"private address {address} (set allow_private to check it)"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("::ffff:93.184.216.34", True),
        ("10.0.0.5", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("fec0::1", False),
        ("ff0e::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254
        ("::a00:1", False),  # IPv4-compatible, deprecated
    ],
)
def test_which_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


def test_guard_decision() -> None:
    strict = Guard(allow_private=False)
    assert strict.blocks("10.0.0.5")
    assert not strict.blocks("93.184.216.34")
    assert strict.blocks("not an address")
    assert strict.literal("10.0.0.5") == skipped_for("10.0.0.5")
    assert strict.literal("[::1]") == skipped_for("::1")
    assert strict.literal("example.org") is None
    assert not Guard(allow_private=True).blocks("10.0.0.5")
    loopback = Guard(allow_private=False, allowed_networks=[ipaddress.ip_network("127.0.0.0/8")])
    assert not loopback.blocks("127.0.0.2")
    assert loopback.blocks("10.0.0.5")


async def check(url: str, factory: RecordingSocketFactory, **config: Any) -> Fetch:
    settings = {"allow_private": False, "retries": 0, **config}
    async with Checker(
        fast_config(**settings), resolver=MappingResolver(NAMES), socket_factory=factory
    ) as checker:
        return await checker.check(url)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://internal.test/admin", "10.1.2.3"),
        ("http://metadata.test/latest/meta-data/", "169.254.169.254"),
        ("https://unique-local.test/", "fd00::1"),
        ("http://10.0.0.5/", "10.0.0.5"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://[::1]:8080/", "::1"),
        ("http://[::ffff:10.0.0.1]/", "::ffff:a00:1"),
        ("http://0.0.0.0/", "0.0.0.0"),
    ],
)
async def test_private_addresses_are_skipped_without_a_connection(url: str, address: str) -> None:
    factory = RecordingSocketFactory()
    fetch = await check(url, factory)
    assert (fetch.verdict, fetch.reason) == (Verdict.SKIPPED, skipped_for(address))
    assert (factory.refused, factory.loopback) == ([], [])


async def test_a_public_address_is_allowed() -> None:
    factory = RecordingSocketFactory()
    fetch = await check("http://public.test/", factory)
    assert fetch.verdict is Verdict.ERROR
    assert fetch.reason.startswith(REFUSED)
    assert factory.refused == ["93.184.216.34"]


async def test_private_answers_are_filtered_out_of_a_mixed_answer() -> None:
    factory = RecordingSocketFactory()
    await check("http://rebinding.test/", factory)
    assert factory.refused == ["93.184.216.34"]
    assert factory.loopback == []


async def test_allow_private_lets_the_guard_pass() -> None:
    factory = RecordingSocketFactory()
    fetch = await check("http://internal.test/", factory, allow_private=True)
    assert fetch.reason.startswith(REFUSED)
    assert factory.refused == ["10.1.2.3"]


async def test_resolve_entry_to_a_private_address_is_guarded() -> None:
    factory = RecordingSocketFactory()
    fetch = await check("http://public.test/", factory, resolve=("public.test:80:10.0.0.7",))
    assert (fetch.verdict, fetch.reason) == (Verdict.SKIPPED, skipped_for("10.0.0.7"))
    assert factory.refused == []


@pytest.mark.parametrize(
    ("target", "address"),
    [("http://internal.test/admin", "10.1.2.3"), ("http://169.254.169.254/", "169.254.169.254")],
)
async def test_redirect_from_an_allowed_host_to_a_private_one_is_skipped(
    catalogue: Catalogue, target: str, address: str
) -> None:
    """a.test is the loopback catalogue, allowed by an explicit network only."""
    factory = RecordingSocketFactory()
    resolver = MappingResolver({**NAMES, "a.test": ["127.0.0.1"]})
    config = fast_config(allow_private=False, retries=0)
    start = catalogue.url(f"/redirect/302?to={urllib.parse.quote(target, safe='')}")
    async with Checker(
        config, resolver=resolver, socket_factory=factory, allowed_networks=["127.0.0.0/8"]
    ) as checker:
        fetch = await checker.check(start)
    assert (fetch.verdict, fetch.reason) == (Verdict.SKIPPED, skipped_for(address))
    assert fetch.redirects == (Hop(start, 302),)
    assert fetch.final_url == target
    assert factory.refused == []
    assert set(factory.loopback) == {"127.0.0.1"}


async def test_proxy_from_the_environment_is_exempt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.test:3128")
    factory = RecordingSocketFactory()
    through_proxy = await check("http://public.test/", factory)
    literal = await check("http://10.0.0.5/", factory)
    assert through_proxy.reason.startswith(REFUSED)
    assert factory.refused == ["10.9.9.9"]
    assert (literal.verdict, literal.reason) == (Verdict.SKIPPED, skipped_for("10.0.0.5"))


async def test_connect_to_reaches_another_port_under_the_same_name(catalogue: Catalogue) -> None:
    config = fast_config(connect_to=(f"elsewhere.test:80:127.0.0.1:{catalogue.port}",))
    async with Checker(config, resolver=MappingResolver({})) as checker:
        fetch = await checker.check("http://elsewhere.test/ok")
    assert (fetch.verdict, fetch.final_url) == (Verdict.OK, "http://elsewhere.test/ok")
    assert catalogue.log.count("/ok", host="elsewhere.test") == 1


async def test_connect_to_a_private_address_is_guarded() -> None:
    factory = RecordingSocketFactory()
    fetch = await check("http://public.test/", factory, connect_to=("public.test:80:10.0.0.8:81",))
    assert (fetch.verdict, fetch.reason) == (Verdict.SKIPPED, skipped_for("10.0.0.8"))
    assert factory.refused == []


def test_resolve_entry_needs_ip_addresses() -> None:
    with pytest.raises(ConfigError, match="ADDRESS must be IP addresses"):
        Checker(fast_config(resolve=("a.test:80:somewhere",)))
