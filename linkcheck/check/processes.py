"""Checks spread over forked processes: one event loop uses one core.

A check costs its event loop about half a millisecond of CPU (aiohttp's
request path, reading a page for soft-404 signs), so a large run in one
process is bound by that core while the hosts wait. `CheckProcesses` forks
`count` processes, each with its own `Checker` and event loop, and gives
every host always to the same process (round-robin in the order hosts are
first seen), so per-host limits, pacing and the soft-404 probe cache hold as
in one process; `max_concurrency` is shared out between them, so the total
in flight never exceeds it either.

Fetch keys go out and `(key, Fetch, Page | None)` come back as
length-prefixed pickles over a socket pair: both ends are this program.
Each child makes its `Checker` from the factory it inherits (a test's
injected resolver carries over too); the parent only checks the settings
first (`connection_settings`: a bad one is reported as with no children),
so it never imports aiohttp, 14 MB it would hold for the whole run. Forked,
not spawned: a start costs milliseconds, not an interpreter and its
imports. So this is for Linux; `how_many` is 1 elsewhere. The processes are
forked when a run starts, before it opens a connection or starts a thread
of its own; the child resets what it inherited of the parent's event loop
and ignores SIGINT (the parent decides when a run stops).

The command line starts them sooner (`prestart`): forked as it starts, they
import the check stage (aiohttp: 0.12-0.15 s) while it imports its own
modules and parses its options, then wait for a run's Config. A run with
the plain `Checker` takes them; one that checks here (a crawl,
`processes = 1`) ends them (`retire_spares`); one that never comes (another
command, an error) ends them too, as this process's end closes when it exits.

A process that dies (a bug: its traceback goes to standard error) leaves
its URLs to this process, which checks them with a `Checker` of its own and
the dead one's share of the caps, and says so in `lost`: never a false
verdict, never a hang. Closing the parent's end (a stopped run) makes a
process cancel its checks and exit at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import copyreg
import io
import multiprocessing
import os
import pickle
import signal
import socket
import sys
import traceback
from collections.abc import AsyncGenerator, Callable, Container, Iterable
from contextlib import aclosing
from dataclasses import replace
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

from linkcheck.check.guard import connection_settings
from linkcheck.check.schedule import Feed
from linkcheck.config import Config
from linkcheck.models import Fetch

if TYPE_CHECKING:  # only the children and a dead child's orphans import aiohttp
    from linkcheck.check.checker import Checker, Page

Result = tuple[str, Fetch, "Page | None"]
MAX_PROCESSES = 8
_SEND_EVERY = 512  # keys of a plain list sent to the processes at once
_HIGH_WATER = 1 << 20  # bytes of answers a process buffers before it waits for the parent
_EXIT_WAIT = 5.0  # seconds a process has to exit before it is killed
_spares: list[tuple[int, socket.socket]] = []  # prestarted: (pid, our end), waiting for a run


def plain_checker(config: Config) -> Checker:
    """A `Checker`, as prestarted processes make theirs; imported here, not by the caller."""
    from linkcheck.check.checker import Checker

    return Checker(config)


def prestart(count: int, imported: Callable[[], None]) -> None:
    """Fork `count` check processes now, to import the check stage while this
    process does its own start-up; `imported` runs in each after its imports.
    Raises OSError when one cannot be forked: those forked before stay spares."""
    for _ in range(count):
        _spares.append(_fork(lambda end: _wait_for_run(end, imported), ()))


def retire_spares() -> None:
    """End the prestarted processes no run took (each exits when its end closes)."""
    pids = [pid for pid, _ in _spares]
    _close_ends()
    _spares.clear()
    for pid in pids:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _fork(
    serve: Callable[[socket.socket], NoReturn], ours_too: Iterable[socket.socket]
) -> tuple[int, socket.socket]:
    """A process forked to `serve` its end of a new socket pair: its pid, and our end.
    The child closes our ends (`ours_too`, the spares'); a failed fork leaves none open."""
    ours, theirs = socket.socketpair()
    try:
        pid = os.fork()
    except OSError:
        ours.close()
        theirs.close()
        raise
    if pid == 0:  # the child: never returns
        _close_ends(*ours_too, ours)
        serve(theirs)
    theirs.close()
    return pid, ours


def _close_ends(*others: socket.socket) -> None:
    for _, end in _spares:
        end.close()
    for end in others:
        end.close()


def how_many(config: Config) -> int:
    """How many check processes `config` asks for: `processes`, or with 0 one
    per core (at most MAX_PROCESSES), never more than `max_concurrency`; 1 when
    processes cannot be forked."""
    if sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    wanted = config.processes or min(len(os.sched_getaffinity(0)), MAX_PROCESSES)
    return max(1, min(wanted, config.max_concurrency))


class CheckProcesses:
    """`Checker.check_many_pages` over `count` forked processes; an async context manager."""

    def __init__(
        self, config: Config, checker: Callable[[Config], Checker], processes: int
    ) -> None:
        self._config = replace(config, max_concurrency=config.max_concurrency // processes)
        self._checker = checker
        self._count = processes
        self._pids: list[int] = []
        self._streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._owner: dict[str, int] = {}
        self.lost: list[str] = []  # what went wrong with a process, for the report's warnings

    async def __aenter__(self) -> CheckProcesses:
        connection_settings(self._config)  # a bad setting is this process's error
        ends: list[socket.socket] = []
        try:
            for _ in range(self._count):
                if self._checker is plain_checker and _spares:
                    pid, ours = _spares.pop()
                    ends.append(ours)
                    self._pids.append(pid)
                    ours.sendall(_config_frame(self._config))
                    continue
                pid, ours = _fork(
                    lambda end: _serve_forever(end, self._checker, self._config), ends
                )
                ends.append(ours)
                self._pids.append(pid)
            for end in ends:
                self._streams.append(await asyncio.open_unix_connection(sock=end))
        except BaseException:
            for end in ends[len(self._streams):]:
                end.close()
            await self._close()
            raise
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    async def check_many_pages(
        self, urls: Iterable[str] | Feed[str], pages: Container[str]
    ) -> AsyncGenerator[Result, None]:
        """As `Checker.check_many_pages`, with `pages` asked as each key is sent."""
        answers: asyncio.Queue[Result | int | Exception] = asyncio.Queue()
        unanswered: list[set[str]] = [set() for _ in self._streams]
        gone = [False] * len(self._streams)
        orphans: Feed[str] = Feed()  # the keys of processes that died: checked here

        def route(key: str, batches: list[list[tuple[str, bool]]]) -> None:
            host = urlsplit(key).hostname or ""
            index = self._owner.setdefault(host, len(self._owner) % len(self._streams))
            if gone[index]:
                orphans.put(key)
            else:
                unanswered[index].add(key)
                batches[index].append((key, key in pages))

        async def send() -> None:
            batches: list[list[tuple[str, bool]]] = [[] for _ in self._streams]

            def flush() -> None:
                for index, batch in enumerate(batches):
                    if batch and not gone[index]:
                        self._streams[index][1].write(_frame(batch))
                    batches[index] = []

            if isinstance(urls, Feed):
                while True:
                    for key in urls:
                        route(key, batches)
                    flush()
                    if urls.closed:
                        break
                    await urls.arrival()
            else:
                for number, key in enumerate(urls, 1):
                    route(key, batches)
                    if number % _SEND_EVERY == 0:
                        flush()
                        await asyncio.sleep(0)
                flush()
            for index, (_, writer) in enumerate(self._streams):
                if not gone[index]:
                    writer.write(_frame(None))

        async def receive(index: int) -> None:
            reader = self._streams[index][0]
            try:
                while (batch := await _read(reader)) is not None:
                    for key, fetch, page in batch:
                        unanswered[index].discard(key)
                        answers.put_nowait((key, fetch, page))
            except (EOFError, OSError):
                gone[index] = True
                self.lost.append(
                    "a check process ended unexpectedly (its traceback, if it left one, is on "
                    "standard error); "
                    f"its {len(unanswered[index])} URLs in hand and its hosts' later ones "
                    "were checked in the main process"
                )
                for key in unanswered[index]:
                    orphans.put(key)
                unanswered[index].clear()
            answers.put_nowait(index)

        async def adopt() -> None:
            """Check the orphans here, with a dead process's share of the caps."""
            await orphans.arrival()
            if not orphans.closed:
                try:
                    async with self._checker(self._config) as session:
                        async for result in session.check_many_pages(orphans, pages):
                            answers.put_nowait(result)
                except Exception as error:  # no Checker here either: the run's error
                    answers.put_nowait(error)
                    return
            answers.put_nowait(-1)

        sending = asyncio.ensure_future(send())
        tasks = [sending, asyncio.ensure_future(adopt())]
        tasks += [asyncio.ensure_future(receive(index)) for index in range(len(self._streams))]
        finished = 0
        try:
            while (answer := await answers.get()) != -1:
                if isinstance(answer, Exception):
                    raise answer
                if not isinstance(answer, int):
                    yield answer
                    continue
                finished += 1
                if finished == len(self._streams):  # every process done or dead
                    await sending  # every key routed (its errors, if any)
                    orphans.close()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if finished < len(self._streams):  # stopped early: the processes stop too
                await self._close()

    async def _close(self) -> None:
        """End every process: close our ends, then wait for each (killed after _EXIT_WAIT)."""
        streams, self._streams = self._streams, []
        for _, writer in streams:
            writer.close()
        pids, self._pids = self._pids, []
        for pid in pids:
            await _reap(pid)


async def _reap(pid: int) -> None:
    """Wait for a process to exit; kill it after _EXIT_WAIT."""
    waited = asyncio.ensure_future(asyncio.to_thread(os.waitpid, pid, 0))
    with contextlib.suppress(ChildProcessError):  # reaped by someone else (SIGCHLD ignored)
        try:
            await asyncio.wait_for(asyncio.shield(waited), _EXIT_WAIT)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            await waited


def _frame(message: Any) -> bytes:
    return _sized(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _config_frame(config: Config) -> bytes:
    """A Config's read-only mappings (MappingProxyType) go as the dicts they show."""
    data = io.BytesIO()
    pickler = pickle.Pickler(data, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {
        **copyreg.dispatch_table,
        MappingProxyType: lambda proxy: (_read_only, (dict(proxy),)),
    }
    pickler.dump(config)
    return _sized(data.getvalue())


def _sized(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _read_only(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)


async def _read(reader: asyncio.StreamReader) -> Any:
    """The next message; EOFError when the other end closed."""
    try:
        size = int.from_bytes(await reader.readexactly(4), "big")
        return pickle.loads(await reader.readexactly(size))
    except asyncio.IncompleteReadError:
        raise EOFError from None


# --- in a check process ---


def _wait_for_run(end: socket.socket, imported: Callable[[], None]) -> NoReturn:
    """A prestarted process: import, wait for a run's Config, serve it; exit if none comes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when a run stops
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        from linkcheck.check.checker import Checker

        imported()
        size = end.recv(4, socket.MSG_WAITALL)
        if len(size) < 4:  # no run took this process
            os._exit(0)
        config = pickle.loads(end.recv(int.from_bytes(size, "big"), socket.MSG_WAITALL))
    except BaseException:
        traceback.print_exc()
        os._exit(1)
    _serve_forever(end, Checker, config)


def _serve_forever(
    end: socket.socket, checker: Callable[[Config], Checker], config: Config
) -> NoReturn:
    """The child's whole life: reset what the parent's event loop left, serve, exit."""
    status = 0
    try:
        signal.set_wakeup_fd(-1)  # the parent loop's: a signal here must not wake it
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        asyncio.events._set_running_loop(None)  # forked inside the parent's running loop
        asyncio.run(_serve(end, checker(config)))
    except BaseException:  # its keys fail in the parent; the cause is told here
        traceback.print_exc()
        status = 1
    finally:
        os._exit(status)


async def _serve(end: socket.socket, checker: Checker) -> None:
    """Check the keys the parent sends until it sends None; answer in batches."""
    reader, writer = await asyncio.open_unix_connection(sock=end)
    loop = asyncio.get_running_loop()
    feed: Feed[str] = Feed()
    pages: set[str] = set()
    answers: list[Result] = []

    def flush() -> None:
        if answers:
            writer.write(_frame(answers.copy()))
            answers.clear()

    async def answer(session: Checker) -> None:
        async with aclosing(session.check_many_pages(feed, pages)) as results:
            async for result in results:
                if not answers:
                    loop.call_soon(flush)  # what else finishes in this turn of the loop goes too
                answers.append(result)
                if writer.transport.get_write_buffer_size() > _HIGH_WATER:
                    await writer.drain()
        flush()

    async def listen() -> None:
        """Put the keys sent into the feed until None; return when the parent hangs up."""
        with contextlib.suppress(EOFError):
            while (batch := await _read(reader)) is not None:
                for key, wants_page in batch:
                    if wants_page:
                        pages.add(key)
                    feed.put(key)
            feed.close()
            while True:  # nothing more comes: only the end of the stream
                await _read(reader)

    async with checker as session:
        answering = asyncio.ensure_future(answer(session))
        listening = asyncio.ensure_future(listen())
        try:
            await asyncio.wait({answering, listening}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (answering, listening):
                task.cancel()
            await asyncio.gather(answering, listening, return_exceptions=True)
        if not answering.done() or answering.cancelled():
            return  # the parent stopped the run, or is gone
        answering.result()
    writer.write(_frame(None))
    await writer.drain()
    writer.close()
