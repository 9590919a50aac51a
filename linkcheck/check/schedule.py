"""Per-host scheduling: how many requests run, where, and when.

Two levels, so that one slow or strict host never starves the others:

- `by_host` decides which URLs get a task at all. It keeps one queue per
  host and starts a URL only when its host has fewer checks running than its
  limit (the checker's: twice `host_concurrency`, as a check may be waiting
  without a request), round-robin over hosts, and never more than its
  capacity (twice `max_concurrency`) at once. Queued URLs are plain items in a
  deque, not parked tasks, so 200,000 URLs cost 200,000 strings, not tasks.
- `HostGates` bounds each request (every hop of a redirect chain, HEAD and
  GET alike) by the host it goes to: at most `host_concurrency` in flight per
  host, at most `max_concurrency` overall, and request starts spaced by
  `min_interval`. A slot is held for one request only, so a chain never holds
  one host's slot while waiting for another's: no deadlock.
- A `Feed` gives `by_host` items that arrive while it runs: the runner checks
  URLs while documents are still being read.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Hashable,
    Iterable,
    Iterator,
)
from typing import Any, Generic, TypeVar

from linkcheck.config import Config

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K", bound=Hashable)

LOOKAHEAD = 10_000  # URLs read ahead of the running ones to find a free host


def _as_is(item: Any) -> Any:
    return item


class Feed(Generic[T]):
    """Items put while `by_host` runs them; `close` says no more will come.

    Iterating takes the items there are now and stops when there are none, so
    an open feed can be iterated again later: `by_host` waits on `arrival`.
    """

    def __init__(self) -> None:
        self._items: deque[T] = deque()
        self._closed = False
        self._waiter: asyncio.Future[None] | None = None

    def put(self, item: T) -> None:
        self._items.append(item)
        self._wake()

    def close(self) -> None:
        self._closed = True
        self._wake()

    @property
    def closed(self) -> bool:
        """Closed and drained: no item will ever come."""
        return self._closed and not self._items

    def map(self, change: Callable[[T], R]) -> Iterator[R]:
        """The items as `change` makes them, taken as they come (see the class)."""
        while self._items:
            yield change(self._items.popleft())

    def __iter__(self) -> Iterator[T]:
        return self.map(_as_is)

    async def arrival(self) -> None:
        """Return once an item was put or the feed closed."""
        if self._items or self._closed:
            return
        if self._waiter is None:
            self._waiter = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._waiter)

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        self._waiter = None


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


class _Slot:
    """One request's hold on a slot of its host (taken first, then paced) and of the
    run. A class rather than an asynccontextmanager: every request takes one."""

    __slots__ = ("_all", "_gate")

    def __init__(self, gate: _Host, all_slots: asyncio.Semaphore) -> None:
        self._gate = gate
        self._all = all_slots

    async def __aenter__(self) -> None:
        await self._gate.slots.acquire()
        try:
            await self._gate.pace()
            await self._all.acquire()
        except BaseException:
            self._gate.slots.release()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._all.release()
        self._gate.slots.release()


class HostGates:
    """The request slots of every host seen in a run."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._all = asyncio.Semaphore(config.max_concurrency)
        self._hosts: dict[str, _Host] = {}

    def slot(self, host: str) -> _Slot:
        """`async with gates.slot(host):` one request to `host`, in its turn."""
        return _Slot(self._gate(host), self._all)

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
    items: Iterable[S] | Feed[S],
    key: Callable[[T], K],
    run: Callable[[T], Awaitable[R]],
    *,
    capacity: int,
    limit: Callable[[K], int],
    plan: Callable[[S], T] = _as_is,
) -> AsyncGenerator[tuple[T, R], None]:
    """Run `run(item)` for every item, yielding (item, result) as each finishes.

    At most `capacity` tasks exist at once and at most `limit(key)` per key;
    `items` is read lazily, at most `LOOKAHEAD` items ahead, each made by
    `plan` as it is read. A `Feed` is waited on until it is closed.
    """
    feed = items if isinstance(items, Feed) else None
    source: Iterator[T] = map(plan, items)
    exhausted = False
    waiting: dict[K, deque[T]] = {}
    buffered = 0
    ready: deque[K] = deque()  # keys with waiting items and a free slot, each once
    in_ready: set[K] = set()
    active: Counter[K] = Counter()
    running: dict[asyncio.Task[R], tuple[T, K]] = {}
    # Done tasks in the order they finished, each told by its own callback: waiting on
    # all of `running` at once (asyncio.wait) cost a callback added and removed per task.
    finished: deque[asyncio.Task[R]] = deque()
    wake: asyncio.Future[None] | None = None
    arrival: asyncio.Future[None] | None = None

    def rouse(_: object = None) -> None:
        if wake is not None and not wake.done():
            wake.set_result(None)

    def finish(task: asyncio.Task[R]) -> None:
        finished.append(task)
        rouse()

    def mark_ready(k: K) -> None:
        if k in waiting and active[k] < limit(k) and k not in in_ready:
            ready.append(k)
            in_ready.add(k)

    try:
        while True:
            starved = False
            while len(running) < capacity:
                if ready:
                    k = ready.popleft()
                    in_ready.discard(k)
                    item = waiting[k].popleft()
                    buffered -= 1
                    if not waiting[k]:
                        del waiting[k]
                    active[k] += 1
                    task = asyncio.ensure_future(run(item))
                    task.add_done_callback(finish)
                    running[task] = (item, k)
                    mark_ready(k)
                elif exhausted or buffered >= LOOKAHEAD:
                    break
                else:
                    try:
                        item = next(source)
                    except StopIteration:
                        if feed is None or feed.closed:
                            exhausted = True
                            continue
                        source = feed.map(plan)
                        starved = True
                        break
                    k = key(item)
                    waiting.setdefault(k, deque()).append(item)
                    buffered += 1
                    mark_ready(k)
            if not running and not starved:
                return
            if starved and feed is not None and arrival is None:
                arrival = asyncio.ensure_future(feed.arrival())
                arrival.add_done_callback(rouse)
            if not finished and (arrival is None or not arrival.done()):
                wake = asyncio.get_running_loop().create_future()
                await wake
                wake = None
            if arrival is not None and arrival.done():
                arrival = None
            for _ in range(len(finished)):  # those that finish meanwhile wait for the next round
                task = finished.popleft()
                item, k = running.pop(task)
                active[k] -= 1
                if not active[k]:
                    del active[k]
                mark_ready(k)
                yield item, task.result()
    finally:
        if arrival is not None:
            arrival.cancel()
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
