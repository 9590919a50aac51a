"""What a URL needs before any I/O, and the URL actually requested."""

from __future__ import annotations

from pathlib import Path

import pytest
from servers import Catalogue, check_one
from yarl import URL

from linkcheck.check.target import parse_target, request_url
from linkcheck.models import Fetch, Verdict


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("//cdn.example.org/lib.js", "protocol-relative link needs base_url"),
        ("images/logo.png", "relative link with no base to resolve it against"),
        ("file://fileserver/share/doc.pdf", "file URL on another host (fileserver) is not checked"),
        ("MAILTO:someone@example.org", "mailto: links are not checked"),
    ],
)
def test_unresolvable_links_are_skipped(url: str, reason: str) -> None:
    assert parse_target(url) == Fetch(Verdict.SKIPPED, reason)


def test_file_urls_become_paths() -> None:
    assert parse_target("file:///tmp/a%20b.html") == Path("/tmp/a b.html")
    assert parse_target("file://localhost/tmp/x") == Path("/tmp/x")
    assert parse_target("file:///tmp/100%2525.txt") == Path("/tmp/100%25.txt")


@pytest.mark.parametrize(
    ("url", "requested"),
    [
        ("HTTP://Example.ORG/Path", "http://example.org/Path"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org?q=1", "https://example.org/?q=1"),
        ("https://example.org/page#section", "https://example.org/page"),
        ("https://bücher.example/straße", "https://xn--bcher-kva.example/stra%C3%9Fe"),
        ("https://example.org/a b?c d", "https://example.org/a%20b?c%20d"),
        ("https://example.org/x%2Fy?to=http%3A%2F%2Fa%2F&b=%26", None),
        ("https://example.org/%7Euser/%", None),
        ("https://user:secret@example.org:8443/", None),
        ("http://[2001:db8::1]:8080/", None),
    ],
)
def test_path_and_query_are_requested_as_written(url: str, requested: str | None) -> None:
    target = parse_target(url)
    assert isinstance(target, URL)
    assert str(target) == (requested or url)
    assert str(request_url(url)) == (requested or url)


async def test_the_server_sees_the_escapes_as_written(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, "/ok?to=http%3A%2F%2Fb.test%2F&x=a%26b&name=é")
    assert fetch.verdict is Verdict.OK
    assert catalogue.log.requests[0].path_qs == "/ok?to=http%3A%2F%2Fb.test%2F&x=a%26b&name=%C3%A9"
