"""Folders' documents read in worker processes, on every core.

Extraction is CPU-bound (HTML above all): two thousand pages of 100 KB take
seconds of parsing, which one process does one page at a time. When the
folders of one `collect` hold at least `POOL_FILES` new documents and
`POOL_BYTES` in all, their files are read by `workers()` processes, each the
way `_Reader.file` reads one, and whatever reading a file did comes back in
order: the document (for `on_document`), warnings, and citations, which
travel field by field, each distinct string once a chunk (a Citation pickles
several times slower); an HTML document's are read as fields (`html.rows`),
never made there. The parent replays it all file by file in each
folder's order, so what `collect` yields, warns and counts is what one
process would have. A file reached twice is read once, as there: the parent
keeps the identities.

Smaller inputs are read in the process: starting workers would cost more
than it saves. Workers are forked (Linux): a fresh interpreter would import
the caller's main module again, which a library must not do; elsewhere every
folder is read in the process. They are forked by `Workers.start`, before
`collect` yields anything, so before the caller's threads (a runner checking
the first URLs while reading goes on) can hold a lock the children would
inherit. The workers only extract: they never write to the terminal or
touch the network.

A caller with other work (the runner's checks) asks `collect` for `Waiting`
items: one comes before each wait on a worker, holding the future to await
instead of blocking.
"""

from __future__ import annotations

import gc
import multiprocessing
import operator
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import fields
from typing import TYPE_CHECKING, Any, NamedTuple

from linkcheck.collect import files
from linkcheck.collect.model import Document, Row
from linkcheck.config import Config
from linkcheck.models import Citation

if TYPE_CHECKING:
    from linkcheck.collect import _Reader

POOL_FILES = 64
POOL_BYTES = 1 << 20
AHEAD = 8  # chunks submitted per worker ahead of the one being replayed
# Files go to a worker in chunks: each submission costs the parent a wake-up of the
# pool's thread, a GIL hand-over that takes up to a millisecond of wall time.
CHUNK_FILES = 32
CHUNK_BYTES = 1 << 20
# The first chunk is an eighth of that, each next one twice the last: the first
# citations (so the first checks) wait for a few files' reading, not for 32 files'.
FIRST_CHUNK_SHARE = 8

# What reading one file did, in order: ("document", Document), ("warn", str)
# or ("citations", Columns).
Event = tuple[str, Any]
Columns = tuple[Sequence[Any], ...]  # citations field by field, in field order (`Citation.many`)
Step = tuple[str, str]  # ("warn", message) or ("file", path): a folder walk, in order
NewFiles = dict[str, tuple[files.Identity, int]]  # path: (identity, size), not read yet

_FIELDS = [one.name for one in fields(Citation)]
_ROW = operator.attrgetter(*_FIELDS)  # a Citation's `Row`
# The strings a worker interns, for pickle to send each once a chunk.
_STRINGS = {_FIELDS.index(name) for name in ("text", "url", "resolved")}
# The values the parent interns across chunks, as unpickling makes new strings (and a new
# number each time): 400,000 citations of 1,000 URLs then hold 1,000 URL strings. Not
# texts: mostly a document's own, they would cost an entry each and save little.
_SHARED = {_FIELDS.index(name) for name in ("line", "column", "url", "resolved")}


class Waiting(NamedTuple):
    """A worker's file is not read yet: await `future` (`asyncio.wrap_future`)."""

    future: Future[list[Event]]


def workers() -> int:
    """One per core; none (read in the process) on a single core or without fork."""
    if sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    cores = len(os.sched_getaffinity(0))
    return 0 if cores < 2 else min(cores, 8)


def walk(folder: str) -> list[Step]:
    """`files.walk(folder)`, its warnings in their places; OSError as there."""
    steps: list[Step] = []
    for path in files.walk(folder, lambda problem: steps.append(("warn", problem))):
        steps.append(("file", path))
    return steps


class Workers:
    """The worker processes of one `collect`."""

    def __init__(self, config: Config, count: int) -> None:
        context = multiprocessing.get_context("fork")
        self._pool = ProcessPoolExecutor(count, context, initializer=_start, initargs=(config,))
        self.count = count
        self._known: dict[Any, Any] = {}  # the `_SHARED` values replayed, one of each
        self._pool.submit(os.getpid)  # the first submit forks every worker, now

    @classmethod
    def start(cls, new: Iterable[NewFiles], config: Config) -> Workers | None:
        """Workers when the folders' new files are worth them (see the module docstring)."""
        count = workers()
        files_and_sizes = [size for folder in new for _, size in folder.values()]
        if count == 0 or len(files_and_sizes) < POOL_FILES or sum(files_and_sizes) < POOL_BYTES:
            return None
        return cls(config, count)

    def read(self, paths: list[str]) -> Future[list[Event]]:
        """What reading `paths` one after the other did."""
        return self._pool.submit(_read, paths)

    def replay(
        self,
        events: list[Event],
        warn: Callable[[str], None],
        on_document: Callable[[Document], None] | None,
    ) -> Iterator[Citation]:
        """What reading did in a worker, done again here."""
        for kind, value in events:
            if kind == "citations":
                yield from Citation.many(_interned(value, _SHARED, self._known))
            elif kind == "warn":
                warn(value)
            elif on_document is not None:
                on_document(value)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def new_files(steps: list[Step], seen: set[files.Identity]) -> NewFiles:
    """The walk's files whose identities are not in `seen` (which gains them);
    the rest are left to `reader.file`, which skips them or says why it cannot read them."""
    new: NewFiles = {}
    for kind, path in steps:
        if kind != "file":
            continue
        try:
            status = os.stat(path)
        except OSError:
            continue
        identity = files.identity(status)
        if identity not in seen:
            seen.add(identity)
            new[path] = identity, status.st_size
    return new


def read_folder(
    steps: list[Step],
    new: NewFiles,
    reader: _Reader,
    warn: Callable[[str], None],
    on_document: Callable[[Document], None] | None,
    pool: Workers | None,
    *,
    waits: bool = False,
) -> Iterator[Citation | Waiting]:
    """The citations of a walked folder's files; warnings where the walk gave them.
    `new`: its files the workers read (`new_files`); `waits`: yield `Waiting` too."""
    if pool is None or not new:
        for kind, value in steps:
            if kind == "warn":
                warn(value)
            else:
                yield from reader.file(value, named=False)
        return
    reader._seen.update(identity for identity, _ in new.values())  # read by the workers
    pending: deque[tuple[str, str | Future[list[Event]]]] = deque()
    queued = iter(steps)
    chunk: list[str] = []
    size = 0
    most_files = max(1, CHUNK_FILES // FIRST_CHUNK_SHARE)
    most_bytes = CHUNK_BYTES // FIRST_CHUNK_SHARE

    def send() -> None:
        nonlocal chunk, size, most_files, most_bytes
        if chunk:
            pending.append(("read", pool.read(chunk)))
            chunk, size = [], 0
            most_files = min(2 * most_files, CHUNK_FILES)
            most_bytes = min(2 * most_bytes, CHUNK_BYTES)

    while True:
        while len(pending) < pool.count * AHEAD and (step := next(queued, None)) is not None:
            kind, value = step
            if kind == "file" and value in new:
                chunk.append(value)
                size += new[value][1]
                if len(chunk) >= most_files or size >= most_bytes:
                    send()
            else:  # a warning, or a file `reader.file` skips or reports
                send()
                pending.append(step)
        send()
        if not pending:
            return
        kind, value = pending.popleft()
        if isinstance(value, Future):
            if waits and not value.done():
                yield Waiting(value)
            yield from pool.replay(value.result(), warn, on_document)
        elif kind == "warn":
            warn(value)
        else:
            yield from reader.file(value, named=False)


# --- in a worker ---

_worker: tuple[_Reader, list[Event]] | None = None


def _start(config: Config) -> None:
    from linkcheck.collect import _Reader  # here: this module is imported by linkcheck.collect

    global _worker
    # What the parent had is kept for good, so the collector never goes through
    # it (a full collection took a worker 16 ms with the runner's modules loaded,
    # and copies every page it touches, shared with the parent until then).
    gc.freeze()
    events: list[Event] = []
    _worker = (
        _Reader(
            config,
            lambda message: events.append(("warn", message)),
            lambda document: events.append(("document", document)),
            lambda rows: _batch(events).extend(rows),
        ),
        events,
    )


def _read(paths: list[str]) -> list[Event]:
    assert _worker is not None
    reader, events = _worker
    events.clear()
    reader._seen.clear()  # the parent keeps the identities
    for path in paths:
        for citation in reader.file(path, named=False):  # HTML's come as rows (`_batch`)
            _batch(events).append(_ROW(citation))
    known: dict[Any, Any] = {}  # this chunk's
    return [
        (kind, _interned(tuple(zip(*value, strict=True)), _STRINGS, known))
        if kind == "citations"
        else (kind, value)
        for kind, value in events
    ]


def _batch(events: list[Event]) -> list[Row]:
    """The rows the last event holds, a new "citations" event's if it is not one."""
    if not events or events[-1][0] != "citations":
        events.append(("citations", []))
    batch: list[Row] = events[-1][1]
    return batch


def _interned(columns: Columns, which: set[int], known: dict[Any, Any]) -> Columns:
    """`columns`, each value of those `which` the first equal one in `known`."""
    shared = known.setdefault
    return tuple(
        list(map(shared, values, values)) if index in which else values
        for index, values in enumerate(columns)
    )
