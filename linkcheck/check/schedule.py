"""Per-host scheduling: how many requests run, where, and when.

Two levels, so that one slow or strict host never starves the others:

- `by_host` decides which URLs get a task at all. It keeps one queue per
  host and starts a URL only when its host has fewer chains running than its
  `host_concurrency`, round-robin over hosts, and never more than
  `max_concurrency` tasks at once. Queued URLs are plain items in a deque, not
  parked tasks, so 200,000 URLs cost 200,000 strings, not tasks.
- `HostGates` bounds each request (every hop of a redirect chain, HEAD and
  GET alike) by the host it goes to: at most `host_concurrency` in flight per
  host, at most `max_concurrency` overall, and request starts spaced by
  `min_interval`. A slot is held for one request only, so a chain never holds
  one host's slot while waiting for another's: no deadlock.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Hashable, Iterable
from contextlib import asynccontextmanager
from typing import TypeVar

from linkcheck.config import Config

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K", bound=Hashable)

LOOKAHEAD = 10_000  # URLs read ahead of the running ones to find a free host


class _Host:
    def __init__(self, limit: int, interval: float) -> None:
        self.slots = asyncio.Semaphore(limit)
        self.interval = interval
        self.next_start = 0.0

    async def pace(self) -> None:
        """Wait for this request's turn: starts are at least `interval` apart."""
        if not self.interval:
            return
        now = asyncio.get_running_loop().time()
        start = max(now, self.next_start)
        self.next_start = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


class HostGates:
    """The request slots of every host seen in a run."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._all = asyncio.Semaphore(config.max_concurrency)
        self._hosts: dict[str, _Host] = {}

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        gate = self._gate(host)
        async with gate.slots:
            await gate.pace()
            async with self._all:
                yield

    def at_least(self, host: str, interval: float) -> None:
        """Space request starts to `host` by `interval` or more from now on (a
        robots.txt Crawl-delay): the configured interval stays when it is longer."""
        gate = self._gate(host)
        gate.interval = max(gate.interval, interval)

    def _gate(self, host: str) -> _Host:
        gate = self._hosts.get(host)
        if gate is None:
            gate = _Host(self._config.concurrency_for(host), self._config.interval_for(host))
            self._hosts[host] = gate
        return gate


async def by_host(
    items: Iterable[T],
    key: Callable[[T], K],
    run: Callable[[T], Awaitable[R]],
    *,
    capacity: int,
    limit: Callable[[K], int],
) -> AsyncGenerator[tuple[T, R], None]:
    """Run `run(item)` for every item, yielding (item, result) as each finishes.

    At most `capacity` tasks exist at once and at most `limit(key)` per key;
    `items` is read lazily, at most `LOOKAHEAD` items ahead.
    """
    source = iter(items)
    exhausted = False
    waiting: dict[K, deque[T]] = {}
    buffered = 0
    ready: deque[K] = deque()  # keys with waiting items and a free slot, each once
    in_ready: set[K] = set()
    active: Counter[K] = Counter()
    running: dict[asyncio.Task[R], tuple[T, K]] = {}

    def mark_ready(k: K) -> None:
        if k in waiting and active[k] < limit(k) and k not in in_ready:
            ready.append(k)
            in_ready.add(k)

    try:
        while True:
            while len(running) < capacity:
                if ready:
                    k = ready.popleft()
                    in_ready.discard(k)
                    item = waiting[k].popleft()
                    buffered -= 1
                    if not waiting[k]:
                        del waiting[k]
                    active[k] += 1
                    running[asyncio.ensure_future(run(item))] = (item, k)
                    mark_ready(k)
                elif exhausted or buffered >= LOOKAHEAD:
                    break
                else:
                    try:
                        item = next(source)
                    except StopIteration:
                        exhausted = True
                        continue
                    k = key(item)
                    waiting.setdefault(k, deque()).append(item)
                    buffered += 1
                    mark_ready(k)
            if not running:
                return
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                item, k = running.pop(task)
                active[k] -= 1
                if not active[k]:
                    del active[k]
                mark_ready(k)
                yield item, task.result()
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
