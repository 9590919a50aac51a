"""Per-host scheduling: caps, fairness, one chain per URL, bounded tasks, pacing."""

from __future__ import annotations

import asyncio
import contextlib
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from servers import Catalogue, check_all, fast_config

from linkcheck.check import Checker, schedule
from linkcheck.config import HostConfig
from linkcheck.models import Verdict


async def test_per_host_cap_holds_and_is_reached(catalogue: Catalogue) -> None:
    hosts = MappingProxyType({"b.test": HostConfig(host_concurrency=3)})
    config = catalogue.config(host_concurrency=2, max_concurrency=16, hosts=hosts)
    urls = [
        catalogue.url(f"/delay?seconds=0.15&n={n}", host)
        for n in range(8)
        for host in ("a.test", "b.test")
    ]
    async with Checker(config) as checker:
        fetches = await check_all(checker, urls)
    assert {fetch.verdict for fetch in fetches.values()} == {Verdict.OK}
    assert catalogue.log.peak["a.test"] == 2
    assert catalogue.log.peak["b.test"] == 3


async def test_each_redirect_hop_counts_against_its_own_host(catalogue: Catalogue) -> None:
    hosts = MappingProxyType({"b.test": HostConfig(host_concurrency=1)})
    config = catalogue.config(host_concurrency=4, hosts=hosts)
    target = catalogue.url("/delay?seconds=0.1", "b.test")
    urls = [
        catalogue.url(f"/redirect/302?n={n}&to={urllib.parse.quote(target, safe='')}")
        for n in range(4)
    ]
    async with Checker(config) as checker:
        fetches = await check_all(checker, urls)
    assert {fetch.verdict for fetch in fetches.values()} == {Verdict.REDIRECTED}
    assert catalogue.log.peak["b.test"] == 1
    assert catalogue.log.count("/delay", host="b.test") == 4


async def test_a_slow_host_does_not_starve_the_others(catalogue: Catalogue) -> None:
    """The a.test URLs come first and hang until every b.test URL is done."""
    config = catalogue.config(max_concurrency=4, host_concurrency=2)
    slow = [catalogue.url(f"/hold?n={n}", "a.test") for n in range(6)]
    fast = [catalogue.url(f"/ok?n={n}", "b.test") for n in range(6)]
    order = []
    async with Checker(config) as checker:
        async for url, fetch in checker.check_many(slow + fast):
            assert fetch.verdict is Verdict.OK
            order.append(url)
            if set(fast) <= set(order):
                catalogue.release()
    assert order[:6] == [url for url in order if url in fast]
    assert catalogue.log.peak["a.test"] == 2


async def test_one_request_per_distinct_url(catalogue: Catalogue) -> None:
    urls = [catalogue.url(f"/ok?n={n}", host) for n in range(25) for host in ("a.test", "c.test")]
    async with Checker(catalogue.config(max_concurrency=8)) as checker:
        fetches = await check_all(checker, urls)
    assert sorted(fetches) == sorted(urls)
    assert {fetch.verdict for fetch in fetches.values()} == {Verdict.OK}
    seen = Counter((s.host, s.method, s.path_qs) for s in catalogue.log.requests)
    assert set(seen.values()) == {1}
    assert {method for _, method, _ in seen} == {"GET"}  # pages: one GET, no HEAD
    assert len(seen) == len(urls)


async def test_connections_are_kept_alive(catalogue: Catalogue) -> None:
    async with Checker(catalogue.config()) as checker:
        for n in range(10):
            await checker.check(catalogue.url(f"/ok?n={n}"))
        await checker.check(catalogue.url("/page?head=405"))
    assert len({seen.client_port for seen in catalogue.log.requests}) == 1


async def test_check_many_yields_every_kind_of_url(catalogue: Catalogue, tmp_path: Path) -> None:
    urls = [
        catalogue.url("/ok"),
        catalogue.url("/status/404", "b.test"),
        "mailto:someone@example.org",
        "http://exa mple.org/",
        tmp_path.as_uri(),
        (tmp_path / "missing").as_uri(),
    ]
    async with Checker(catalogue.config()) as checker:
        fetches = await check_all(checker, urls)
    assert [fetches[url].verdict for url in urls] == [
        Verdict.OK, Verdict.BROKEN, Verdict.SKIPPED, Verdict.ERROR, Verdict.OK, Verdict.BROKEN
    ]


async def test_check_many_keeps_tasks_bounded(catalogue: Catalogue) -> None:
    urls = [catalogue.url(f"/ok?n={n}", f"{'abcd'[n % 4]}.test") for n in range(300)]
    config = catalogue.config(max_concurrency=8, host_concurrency=2)
    baseline = len(asyncio.all_tasks())
    most = 0
    async with Checker(config) as checker:
        async for _ in checker.check_many(urls):
            most = max(most, len(asyncio.all_tasks()) - baseline)
    # Checks, plus the server's per-connection tasks: a bound, not one task per URL.
    assert most <= 3 * config.max_concurrency


async def test_closing_check_many_early_cancels_its_work(catalogue: Catalogue) -> None:
    urls = [catalogue.url(f"/hold?n={n}") for n in range(10)] + [catalogue.url("/ok", "b.test")]
    baseline = asyncio.all_tasks()
    async with Checker(catalogue.config()) as checker:
        results = checker.check_many(urls)
        url, fetch = await anext(results)
        assert (url, fetch.verdict) == (catalogue.url("/ok", "b.test"), Verdict.OK)
        await results.aclose()
        assert not [t for t in asyncio.all_tasks() - baseline if "Checker._check" in repr(t)]


async def test_min_interval_spaces_request_starts(catalogue: Catalogue) -> None:
    config = catalogue.config(min_interval=0.25, host_concurrency=4)
    urls = [catalogue.url(f"/ok?n={n}") for n in range(3)] + [catalogue.url("/ok", "b.test")]
    async with Checker(config) as checker:
        await check_all(checker, urls)
    starts = [seen.at for seen in catalogue.log.matching("/ok", host="a.test")]
    assert all(later - earlier >= 0.2 for earlier, later in pairwise(starts))


# --- by_host on its own: deterministic, no network ---


async def test_by_host_respects_capacity_and_per_key_limits() -> None:
    running: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    total_peak = 0

    async def run(item: tuple[str, int]) -> int:
        nonlocal total_peak
        running[item[0]] += 1
        peak[item[0]] = max(peak[item[0]], running[item[0]])
        total_peak = max(total_peak, sum(running.values()))
        await asyncio.sleep(0.001)
        running[item[0]] -= 1
        return item[1]

    items = [(key, n) for n in range(20) for key in "xyz"]
    limits = {"x": 1, "y": 2, "z": 5}
    done = [
        pair
        async for pair in schedule.by_host(
            items, key=lambda item: item[0], run=run, capacity=8, limit=limits.__getitem__
        )
    ]
    assert sorted(item for item, _ in done) == sorted(items)
    assert all(item[1] == result for item, result in done)
    assert peak == Counter(limits)
    assert total_peak == 8


async def test_by_host_reads_its_input_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schedule, "LOOKAHEAD", 5)
    consumed = 0

    def items() -> Iterator[int]:
        nonlocal consumed
        for n in range(1000):
            consumed += 1
            yield n

    async def run(item: int) -> int:
        await asyncio.sleep(0)
        return item

    results = schedule.by_host(items(), key=lambda _: "one", run=run, capacity=4, limit=lambda _: 1)
    assert await anext(results) == (0, 0)
    assert consumed <= 1 + 5 + 1
    assert [item async for item, _ in results] == list(range(1, 1000))


class _Directory:
    """Pages /dir/<n> that answer at once, and a probe (any other path) that waits
    until `enough` pages were asked, or `patience` seconds: then says 404."""

    def __init__(self, enough: int, patience: float = 2.0) -> None:
        self.enough, self.patience = enough, patience
        self.pages: list[str] = []
        self.probe_saw: int | None = None  # pages asked when the probe answered
        self._enough = asyncio.Event()
        app = web.Application()
        app.router.add_get("/dir/{name}", self._answer)
        self.server = TestServer(app, host="127.0.0.1")

    async def _answer(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name.startswith("page"):
            self.pages.append(name)
            if len(self.pages) >= self.enough:
                self._enough.set()
            body = f"<!doctype html><title>Page {name}</title><h1>{name}</h1>" + f"{name} " * 80
            return web.Response(text=body, content_type="text/html")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._enough.wait(), self.patience)
        self.probe_saw = len(self.pages)
        return web.Response(status=404, text="<title>Not found</title>", content_type="text/html")


async def test_checks_waiting_for_their_directory_s_probe_leave_the_host_working() -> None:
    """A check whose page answered waits for its directory's soft-404 probe with
    no request in flight: the host's next pages are asked meanwhile, and the
    requests themselves stay within the caps."""
    site = _Directory(enough=4)
    await site.server.start_server()
    try:
        config = fast_config(host_concurrency=2, max_concurrency=8)
        urls = [f"http://127.0.0.1:{site.server.port}/dir/page{n}" for n in range(8)]
        async with Checker(config) as checker:
            fetches = await check_all(checker, urls)
    finally:
        await site.server.close()
    assert {fetch.verdict for fetch in fetches.values()} == {Verdict.OK}
    assert site.probe_saw is not None
    assert site.probe_saw >= 4  # not 2: the first two pages waiting for it
    assert checker.extra_requests["probe"] == 1
