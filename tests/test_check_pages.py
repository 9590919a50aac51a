"""`Checker.fetch_page`: the pages whose links a run checks, and the Checker's lifecycle."""

from __future__ import annotations

import pytest
from servers import Catalogue, MappingResolver, RecordingSocketFactory, fast_config

from linkcheck.check import Checker, FetchError, Page


async def test_a_page_is_fetched_with_get_through_redirects(catalogue: Catalogue) -> None:
    async with Checker(catalogue.config()) as checker:
        page = await checker.fetch_page(catalogue.url("/redirect/301?to=/page"))
    assert page == Page(
        url=catalogue.url("/redirect/301?to=/page"),
        final_url=catalogue.url("/page"),
        content_type="text/html; charset=utf-8",
        body=b"<html><body><a href='/ok'>ok</a></body></html>",
    )
    assert catalogue.log.count(method="HEAD") == 0


async def test_a_page_of_any_type_is_read_up_to_max_body(catalogue: Catalogue) -> None:
    async with Checker(catalogue.config()) as checker:
        html = await checker.fetch_page(catalogue.url("/html?size=1000000"))
        other = await checker.fetch_page(catalogue.url("/huge?size=200000"))
    assert len(html.body) == len(other.body) == catalogue.config().max_body


@pytest.mark.parametrize(
    ("path", "message", "config"),
    [
        ("/status/404", "404 Not Found", {}),
        ("/status/403", "accepted status 403", {"accept": frozenset({403})}),
        ("/loop/a", "redirect loop", {}),
        ("/status/503", "503 Service Unavailable", {"retries": 1}),
    ],
)
async def test_a_page_that_cannot_be_had_raises(
    catalogue: Catalogue, path: str, message: str, config: dict[str, object]
) -> None:
    async with Checker(catalogue.config(**config)) as checker:
        with pytest.raises(FetchError) as raised:
            await checker.fetch_page(catalogue.url(path))
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mailto:someone@example.org", "mailto: links are not checked"),
        ("file:///etc/hostname", "not an http(s) URL"),
        ("http://internal.test/", "private address 10.1.2.3 (set allow_private to check it)"),
        ("http://exa mple.org/", "malformed URL: bad host 'exa mple.org'"),
    ],
)
async def test_pages_that_are_not_fetched(url: str, message: str) -> None:
    factory = RecordingSocketFactory()
    resolver = MappingResolver({"internal.test": ["10.1.2.3"]})
    config = fast_config(allow_private=False)
    async with Checker(config, resolver=resolver, socket_factory=factory) as checker:
        with pytest.raises(FetchError) as raised:
            await checker.fetch_page(url)
    assert str(raised.value) == message
    assert factory.refused == []


async def test_the_checker_must_be_entered() -> None:
    checker = Checker(fast_config())
    with pytest.raises(RuntimeError, match="async with"):
        await checker.check("http://a.test/")
    async with checker:
        with pytest.raises(RuntimeError, match="already open"):
            await checker.__aenter__()
    with pytest.raises(RuntimeError, match="async with"):
        await checker.fetch_page("http://a.test/")
