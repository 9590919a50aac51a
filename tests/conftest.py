"""Shared fixtures: the local servers of `servers.py`, and a hermetic environment.

Every test has a 60 s timeout (pytest-timeout, pyproject.toml); the servers'
own waits are bounded too, so a broken client fails a test, never hangs it.
"""

from __future__ import annotations

import os
import ssl
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme
from servers import Catalogue, SilentServer

# Settings from the developer's environment that would change what a test does.
_ENVIRONMENT = (
    "HTTP_PROXY", "HTTPS_PROXY", "WS_PROXY", "WSS_PROXY", "ALL_PROXY", "NO_PROXY",
    "http_proxy", "https_proxy", "ws_proxy", "wss_proxy", "all_proxy", "no_proxy",
    "SSL_CERT_FILE", "NETRC",
)


_GUARD = Path(__file__).resolve().parent / "netguard"
sys.path.insert(0, str(_GUARD))
import netguard  # noqa: E402  (lives beside sitecustomize.py, for subprocesses)

netguard.install()
# Every Python subprocess a test starts imports sitecustomize.py from here.
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [str(_GUARD), os.environ.get("PYTHONPATH")])
)


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy, custom CA or netrc from the environment leaks into a test."""
    for name in _ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def catalogue() -> AsyncIterator[Catalogue]:
    server = Catalogue()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def silent_server() -> AsyncIterator[SilentServer]:
    server = SilentServer()
    await server.start()
    yield server
    await server.close()


@pytest.fixture(scope="session")
def certificate_authority() -> trustme.CA:
    """A throw-away CA that no system trusts."""
    return trustme.CA()


@pytest.fixture
def ca_file(certificate_authority: trustme.CA, tmp_path: Path) -> Path:
    """The throw-away CA as a PEM file, for SSL_CERT_FILE."""
    path = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
async def tls_catalogue(certificate_authority: trustme.CA) -> AsyncIterator[Catalogue]:
    """The catalogue over HTTPS, with a certificate for "a.test" from the throw-away CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("a.test").configure_cert(context)
    server = Catalogue(ssl_context=context)
    await server.start()
    yield server
    await server.close()
