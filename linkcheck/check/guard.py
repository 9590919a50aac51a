"""Which addresses a check may connect to, and how its connections are set up.

A link checker fetches URLs that strangers wrote, so a cited URL must not be a
way into the machine's own network (cloud metadata at 169.254.169.254, an
admin page on 10.0.0.5, a service on localhost). The decision is made on the
address actually connected to:

- names: `GuardedResolver` (in `session`) filters every answer of the resolver, so DNS
  rebinding and redirects to names of private hosts are caught where aiohttp
  connects;
- IP literals: aiohttp never asks the resolver about them, so the fetcher asks
  `Guard.literal` before each request.

Addresses that are not globally routable (private, loopback, link-local,
unique-local, unspecified, reserved, shared, documentation) and multicast
addresses are refused unless `allow_private` is set, or the address is in an
explicitly allowed network. The proxy named in the environment is the user's
own choice and exempt; through a proxy the target's name is resolved by the
proxy, so only IP literals can be checked there.

`connection_settings` parses the rest of what a Config says about connecting
(--resolve, --connect-to, the TLS verification). Nothing here imports aiohttp:
a run's main process never connects, and checks these before it forks the
check processes that do.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import ssl
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from linkcheck.config import Config, ConfigError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class PrivateAddressError(OSError):
    """Raised by the resolver so that aiohttp aborts the connection attempt."""

    def __init__(self, address: str) -> None:
        super().__init__(f"private address {address}")
        self.address = address


def private_reason(address: str) -> str:
    return f"private address {address} (set allow_private to check it)"


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, NAT64)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """True for a globally routable unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public(embedded)
        if address.is_site_local:
            return False
    return address.is_global and not address.is_multicast and not address.is_reserved


@functools.lru_cache(maxsize=4096)
def parse_address(text: str) -> IPAddress | None:
    """An IP address from a URL host or a resolver answer; brackets and zone id dropped.

    Asked for every request (and a name costs two failed parses), of a few hosts:
    the answers are kept."""
    try:
        return ipaddress.ip_address(text.strip("[]").split("%")[0])
    except ValueError:
        return None


class Guard:
    """The decision, as a pure function of an address and the settings."""

    def __init__(
        self,
        *,
        allow_private: bool,
        allowed_networks: Iterable[IPNetwork] = (),
        exempt_hosts: Iterable[str] = (),
    ) -> None:
        self._allow_private = allow_private
        self._allowed = tuple(allowed_networks)
        self._exempt = frozenset(host.lower() for host in exempt_hosts)

    def blocks(self, address: str) -> bool:
        """True when connecting to `address` is not allowed (unparsable: refused)."""
        if self._allow_private:
            return False
        parsed = parse_address(address)
        if parsed is None:
            return True
        if any(parsed.version == net.version and parsed in net for net in self._allowed):
            return False
        return not is_public(parsed)

    def exempt(self, host: str) -> bool:
        return host.lower() in self._exempt

    def literal(self, host: str) -> str | None:
        """The reason to skip a URL whose host is a refused IP literal."""
        if parse_address(host) is None or not self.blocks(host):
            return None
        return private_reason(host.strip("[]"))


def table_key(host: str, port: int | str) -> tuple[str, int]:
    """How the --resolve and --connect-to tables name a host and port."""
    return host.rstrip(".").lower(), int(port)


def parse_resolve(entries: Sequence[str]) -> dict[tuple[str, int], tuple[str, ...]]:
    """`HOST:PORT:ADDRESS[,ADDRESS]` entries (curl --resolve) by (host, port)."""
    table: dict[tuple[str, int], tuple[str, ...]] = {}
    for entry in entries:
        host, port, addresses = entry.split(":", 2)
        parsed = tuple(a.strip().strip("[]") for a in addresses.split(","))
        if any(parse_address(a) is None for a in parsed):
            raise ConfigError(f"resolve: {entry!r}: ADDRESS must be IP addresses")
        table[table_key(host, port)] = parsed
    return table


def parse_connect_to(entries: Sequence[str]) -> dict[tuple[str, int], tuple[str, int]]:
    """`HOST:PORT:CONNECT_HOST:CONNECT_PORT` entries (curl --connect-to) by (host, port)."""
    table: dict[tuple[str, int], tuple[str, int]] = {}
    for entry in entries:
        host, port, to_host, to_port = entry.split(":")
        table[table_key(host, port)] = (to_host, int(to_port))
    return table


def ssl_setting(config: Config) -> ssl.SSLContext | bool:
    """`insecure` turns verification off; `SSL_CERT_FILE` names a custom CA bundle."""
    if config.insecure:
        return False
    cafile = os.environ.get("SSL_CERT_FILE")
    if not cafile:
        return True
    try:
        return ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as error:
        raise ConfigError(f"SSL_CERT_FILE: cannot load {cafile}: {error}") from None


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """Where a Config sends connections and what TLS they verify, parsed once."""

    resolve: Mapping[tuple[str, int], tuple[str, ...]]
    connect_to: Mapping[tuple[str, int], tuple[str, int]]
    ssl: ssl.SSLContext | bool


def connection_settings(config: Config) -> ConnectionSettings:
    """Raises ConfigError for a setting no connection could use. Needs no aiohttp:
    a run's main process checks the settings with it before forking the check
    processes, which connect."""
    return ConnectionSettings(
        resolve=parse_resolve(config.resolve),
        connect_to=parse_connect_to(config.connect_to),
        ssl=ssl_setting(config),
    )
