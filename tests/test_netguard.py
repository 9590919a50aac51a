"""The guard that keeps every test on loopback really refuses, here and in subprocesses."""

from __future__ import annotations

import socket
import subprocess
import sys

import netguard
import pytest


def test_names_other_than_localhost_are_not_resolved() -> None:
    with pytest.raises(socket.gaierror, match=r"no DNS for 'web\.archive\.org'"):
        socket.getaddrinfo("web.archive.org", 443)
    assert socket.getaddrinfo("127.0.0.1", 80)


@pytest.mark.parametrize("address", ["10.1.2.3", "169.254.169.254", "93.184.216.34"])
def test_connects_beyond_loopback_are_refused_before_a_packet(address: str) -> None:
    with socket.socket() as sock, pytest.raises(netguard.OffLoopback, match="not loopback"):
        sock.connect((address, 80))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with udp, pytest.raises(netguard.OffLoopback):
        udp.sendto(b"x", (address, 53))


def test_subprocesses_are_guarded_too() -> None:
    probe = "import socket; socket.getaddrinfo('example.org', 80)"
    outcome = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=30, check=False
    )
    assert outcome.returncode == 1
    assert "test network guard: no DNS for 'example.org'" in outcome.stderr
