"""The run's one aiohttp session: connector, TLS, timeouts and limits in one place."""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver
from aiohttp.helpers import proxies_from_env

from linkcheck.config import Config, ConfigError

# Bounds on a response's head: a server cannot make us buffer more than this.
MAX_HEADERS = 128
MAX_FIELD_SIZE = 16 * 1024
MAX_LINE_SIZE = 16 * 1024
DNS_CACHE_SECONDS = 60
ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"

# What aiohttp's TCPConnector(socket_factory=...) is called with: one getaddrinfo() entry.
AddrInfo = tuple[int, int, int, str, tuple[Any, ...]]
SocketFactory = Callable[[AddrInfo], socket.socket]


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


def proxy_hosts() -> set[str]:
    """Hosts of the proxies named in the environment (trusted by the user)."""
    return {info.proxy.host for info in proxies_from_env().values() if info.proxy.host}


def open_session(
    config: Config,
    resolver: AbstractResolver,
    socket_factory: SocketFactory | None,
    ssl_context: ssl.SSLContext | bool,
) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(
        resolver=resolver,
        socket_factory=socket_factory,
        ssl=ssl_context,
        limit=config.max_concurrency,
        ttl_dns_cache=DNS_CACHE_SECONDS,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(
            total=config.timeout,
            connect=config.connect_timeout,
            sock_read=config.read_timeout,
        ),
        headers={"User-Agent": config.user_agent, "Accept": ACCEPT},
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=True,
        max_line_size=MAX_LINE_SIZE,
        max_field_size=MAX_FIELD_SIZE,
        max_headers=MAX_HEADERS,
    )
