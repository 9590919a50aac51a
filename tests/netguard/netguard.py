"""Keep every test on loopback, even when the code under test is wrong.

`install()` replaces name resolution and socket connects for this process:
only loopback addresses (127.0.0.0/8, ::1) and the name `localhost` get
through; anything else fails at once with a clear error, before a packet
can leave. The test session installs it in its own process (conftest.py)
and, through `sitecustomize.py` beside this file on PYTHONPATH, in every
Python subprocess a test starts (the command line under test included).
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import Any

_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_sendto = socket.socket.sendto
_INET = (socket.AF_INET, socket.AF_INET6)


class OffLoopback(OSError):
    """What a test gets when its code tried to reach beyond loopback."""


def is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host is None or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not is_loopback(host):
        raise socket.gaierror(socket.EAI_NONAME, f"test network guard: no DNS for {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def _refuse(sock: socket.socket, address: Any) -> None:
    if sock.family in _INET and not is_loopback(address[0]):
        raise OffLoopback(errno.ENETUNREACH, f"test network guard: {address[0]} is not loopback")


def _connect(self: socket.socket, address: Any) -> None:
    _refuse(self, address)
    _real_connect(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _refuse(self, address)
    return _real_connect_ex(self, address)


def _sendto(self: socket.socket, data: Any, *args: Any) -> int:
    _refuse(self, args[-1])
    return _real_sendto(self, data, *args)


def install() -> None:
    socket.getaddrinfo = _getaddrinfo
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = _sendto  # type: ignore[method-assign,assignment]
