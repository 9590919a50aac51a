"""DOIs: found in prose and bibliographies, looked up in the handle API, then followed.

`DoiServer` is the catalogue plus imitations of doi.org's two faces, both
answering for the DOIs in `registered` (DOI -> landing URL):

    /api/handles/{doi}   the handle API: 200 {"responseCode": 1, ...}, or
                         404 {"responseCode": 100, ...} for a DOI it does not know
                         (every request gets `handle_status` instead when it is set)
    /{doi}               the resolver: 302 to the landing page, or a 404 page

Tests reach it as doi.org and dx.doi.org through `connect_to`, over HTTPS
with a throw-away CA (`SSL_CERT_FILE`) when the default `doi_api` is used.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web
from servers import Catalogue, Handler
from yarl import URL

from linkcheck.check import Checker, doi
from linkcheck.collect import extract_document
from linkcheck.config import ArchiveConfig, Config, ConfigError, load
from linkcheck.models import Fetch, Verdict
from linkcheck.runner import run

KNOWN = "10.1234/known"
MISSING = "10.1234/missing"
SICI = "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0"
GONE = "10.1234/gone"  # registered, but its landing page is gone
HANDLES = "handles.test"


class DoiServer(Catalogue):
    """The catalogue plus doi.org's resolver and handle API; see the module docstring."""

    def __init__(self, *, ssl_context: Any = None) -> None:
        self.registered: dict[str, str] = {}
        self.handle_status: int | None = None
        super().__init__(ssl_context=ssl_context)

    def resolve(self) -> tuple[str, ...]:
        return (*super().resolve(), f"{HANDLES}:{self.port}:127.0.0.1")

    def doi_config(self, **overrides: Any) -> Config:
        """doi.org and dx.doi.org (ports 80 and 443) here, the archives never asked."""
        connect_to = tuple(
            f"{host}:{port}:127.0.0.1:{self.port}"
            for host in ("doi.org", "dx.doi.org")
            for port in (80, 443)
        )
        settings = {"connect_to": connect_to, "archive": ArchiveConfig(lookup="never")}
        return self.config(**{**settings, **overrides})

    def asked(self, path_prefix: str) -> list[str]:
        """The DOIs asked about at the handle API, or at the resolver ("/")."""
        return [
            seen.path.removeprefix(path_prefix)
            for seen in self.log.requests
            if seen.path.startswith(path_prefix) and seen.path[len(path_prefix) :][:3] == "10."
        ]

    def _routes(self) -> dict[str, Handler]:
        return {
            **super()._routes(),
            "/api/handles/{doi:.+}": self._handle,
            r"/{prefix:10\.[0-9]+}/{suffix:.+}": self._resolver,
        }

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.handle_status is not None:
            return web.Response(status=self.handle_status, text="handle server unavailable")
        name = request.match_info["doi"]
        if name not in self.registered:
            return web.json_response({"responseCode": 100, "handle": name}, status=404)
        value = {"format": "string", "value": self.registered[name]}
        return web.json_response(
            {"responseCode": 1, "handle": name, "values": [{"index": 1, "type": "URL",
                                                            "data": value}]}
        )

    async def _resolver(self, request: web.Request) -> web.StreamResponse:
        name = f"{request.match_info['prefix']}/{request.match_info['suffix']}"
        if name not in self.registered:
            return web.Response(status=404, text="<h1>DOI Not Found</h1>", content_type="text/html")
        return web.Response(status=302, headers={"Location": self.registered[name]})


async def _serving(server: DoiServer) -> AsyncIterator[DoiServer]:
    await server.start()
    server.registered = {
        KNOWN: server.url("/ok"),
        SICI: server.url("/ok", host="b.test"),
        GONE: server.url("/status/404"),
    }
    yield server
    await server.close()


@pytest.fixture
async def dois() -> AsyncIterator[DoiServer]:
    async for server in _serving(DoiServer()):
        yield server


@pytest.fixture
async def tls_dois(
    certificate_authority: trustme.CA, ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[DoiServer]:
    """The server over HTTPS as doi.org (and the catalogue's names), trusted through
    SSL_CERT_FILE: the default doi_api, https://doi.org/api/handles/, reaches it."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("doi.org", "a.test", "b.test").configure_cert(context)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    async for server in _serving(DoiServer(ssl_context=context)):
        yield server


async def _check(server: DoiServer, url: str, **config: Any) -> Fetch:
    async with Checker(server.doi_config(**config)) as checker:
        return await checker.check(url)


def _http_api(server: DoiServer) -> str:
    return f"http://{HANDLES}:{server.port}/api/handles/"


async def test_a_registered_doi_is_followed_to_its_landing_page(tls_dois: DoiServer) -> None:
    async with Checker(tls_dois.doi_config()) as checker:  # the default doi_api
        fetch = await checker.check(f"https://doi.org/{KNOWN}")
    assert (fetch.verdict, fetch.reason) == (Verdict.REDIRECTED, "302 → 200 OK")
    assert fetch.final_url == tls_dois.url("/ok")
    assert tls_dois.asked("/api/handles/") == [KNOWN]
    assert tls_dois.asked("/") == [KNOWN]
    assert checker.extra_requests["doi lookup"] == 1


async def test_an_unknown_doi_is_broken_without_asking_the_resolver(dois: DoiServer) -> None:
    fetch = await _check(dois, f"http://dx.doi.org/{MISSING}", doi_api=_http_api(dois))
    assert (fetch.verdict, fetch.reason, fetch.status) == (
        Verdict.BROKEN,
        f"DOI not found: {MISSING}",
        None,
    )
    assert fetch.attempts == 1
    assert dois.asked("/api/handles/") == [MISSING]
    assert dois.asked("/") == []


async def test_a_registered_doi_whose_landing_page_is_gone_is_broken(dois: DoiServer) -> None:
    fetch = await _check(dois, f"http://doi.org/{GONE}", doi_api=_http_api(dois))
    assert (fetch.verdict, fetch.reason) == (Verdict.BROKEN, "302 → 404 Not Found")


async def test_reserved_characters_in_a_doi_reach_the_handle_api_intact(dois: DoiServer) -> None:
    (citation,) = extract_document(
        f"Cited as doi:{SICI} in 1998.".encode(),
        source="note.txt",
        base=None,
        kind="text",
        content_type=None,
        config=Config(),
        warn=pytest.fail,
    )
    assert citation.resolved == (
        "https://doi.org/10.1002/(SICI)1097-4571(199806)49:8%3C693::AID-ASI4%3E3.0.CO;2-0"
    )
    url = citation.resolved.replace("https:", "http:")
    fetch = await _check(dois, url, doi_api=_http_api(dois))
    assert fetch.verdict is Verdict.REDIRECTED
    assert dois.asked("/api/handles/") == [SICI]


async def test_a_handle_api_that_is_down_leaves_the_resolver_to_decide(dois: DoiServer) -> None:
    dois.handle_status = 503
    missing = await _check(dois, f"http://doi.org/{MISSING}", doi_api=_http_api(dois))
    known = await _check(dois, f"http://doi.org/{KNOWN}", doi_api=_http_api(dois))
    assert (missing.verdict, missing.reason) == (Verdict.BROKEN, "404 Not Found")
    assert known.verdict is Verdict.REDIRECTED
    assert dois.asked("/api/handles/") == [MISSING] * 3 + [KNOWN] * 3  # retried, as any 503


async def test_no_lookup_without_a_doi_api(dois: DoiServer) -> None:
    fetch = await _check(dois, f"http://doi.org/{MISSING}", doi_api=None)
    assert (fetch.verdict, fetch.reason) == (Verdict.BROKEN, "404 Not Found")
    assert dois.asked("/api/handles/") == []


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://doi.org/10.1000/182", "10.1000/182"),
        ("http://dx.doi.org/10.1000/a%2Fb", "10.1000/a/b"),
        ("https://DOI.ORG/10.1000/x?query=1", "10.1000/x"),
        ("https://www.doi.org/10.1000/x", "10.1000/x"),
        ("https://doi.org/", None),
        ("https://doi.org/10.1000", None),
        ("https://doi.org/api/handles/10.1000/x", None),
        ("https://example.org/10.1000/x", None),
    ],
)
def test_which_urls_are_dois(url: str, name: str | None) -> None:
    assert doi.name(URL(url)) == name


@pytest.mark.parametrize("kind", ["text", "markdown"])
def test_doi_names_in_prose_stand_for_doi_org_urls(kind: str) -> None:
    citations = extract_document(
        b"Knuth (doi:10.1093/comjnl/27.2.97), and DOI: 10.1000/182.\n",
        source="refs.md",
        base=None,
        kind=kind,
        content_type=None,
        config=Config(),
        warn=pytest.fail,
    )
    assert [(c.line, c.column, c.url, c.resolved) for c in citations] == [
        (1, 8, "doi:10.1093/comjnl/27.2.97", "https://doi.org/10.1093/comjnl/27.2.97"),
        (1, 41, "DOI: 10.1000/182", "https://doi.org/10.1000/182"),
    ]


def test_a_doi_in_angle_brackets_is_escaped_for_its_url() -> None:
    (citation,) = extract_document(
        b"see <doi:10.1000/1#x>\n",
        source="refs.txt",
        base=None,
        kind="text",
        content_type=None,
        config=Config(),
        warn=pytest.fail,
    )
    assert (citation.column, citation.url, citation.resolved) == (
        6, "doi:10.1000/1#x", "https://doi.org/10.1000/1%23x"
    )


async def test_a_run_checks_the_dois_of_a_bibliography_and_of_prose(
    tls_dois: DoiServer, tmp_path: Path
) -> None:
    (tmp_path / "refs.bib").write_text(
        f"@article{{a, title = {{A}}, doi = {{{KNOWN}}}}}\n"
        f"@article{{b, title = {{B}}, doi = {{https://doi.org/{MISSING}}}}}\n"
    )
    (tmp_path / "notes.txt").write_text(f"As shown in doi:{KNOWN}.\n")
    report = await run([str(tmp_path)], tls_dois.doi_config())
    verdicts = {
        result.url: (result.verdict, [(Path(c.source).name, c.line) for c in result.citations])
        for result in report.results
    }
    assert verdicts == {
        f"https://doi.org/{KNOWN}": (Verdict.REDIRECTED, [("notes.txt", 1), ("refs.bib", 1)]),
        f"https://doi.org/{MISSING}": (Verdict.BROKEN, [("refs.bib", 2)]),
    }
    assert sorted(tls_dois.asked("/api/handles/")) == [KNOWN, MISSING]


def test_doi_api_is_an_http_url_or_empty_for_none() -> None:
    assert load(None, {"doi_api": ""}).doi_api is None
    assert load(None, {"doi_api": "http://127.0.0.1:8080/h/"}).doi_api == "http://127.0.0.1:8080/h/"
    with pytest.raises(ConfigError, match="doi_api: expected an http"):
        load(None, {"doi_api": "doi.org/api"})
