"""A folder's documents read in worker processes, on every core.

Extraction is CPU-bound (HTML above all): two thousand pages of 100 KB take
seconds of parsing, which one process does one page at a time. When a
folder holds at least `POOL_FILES` documents and `POOL_BYTES` in all, its
files are read by `workers()` processes, each the way `_Reader.file` reads
one, and whatever reading a file did comes back in order: the document
(for `on_document`), warnings, and citations, which travel as tuples (a
Citation pickles several times slower). The parent replays it all file by
file in the folder's order, so what `collect` yields, warns and counts is
what one process would have. A file reached twice is read once, as there:
the parent keeps the identities.

Smaller folders are read in the process: starting workers would cost more
than it saves. Workers are forked (Linux): a fresh interpreter would import
the caller's main module again, which a library must not do; elsewhere every
folder is read in the process. The workers only extract: they never write to
the terminal or touch the network.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

from linkcheck.collect import files
from linkcheck.collect.model import Document
from linkcheck.config import Config
from linkcheck.models import Citation

if TYPE_CHECKING:
    from linkcheck.collect import _Reader

POOL_FILES = 64
POOL_BYTES = 16 << 20
AHEAD = 8  # files submitted per worker ahead of the one being replayed

# What reading one file did, in order: ("document", Document), ("warn", str)
# or ("citations", [citation as a tuple, ...]).
Event = tuple[str, Any]
Step = tuple[str, str]  # ("warn", message) or ("file", path): a folder walk, in order



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


def read_folder(
    steps: list[Step],
    reader: _Reader,
    config: Config,
    warn: Callable[[str], None],
    on_document: Callable[[Document], None] | None,
) -> Iterator[Citation]:
    """The citations of a walked folder's files; warnings where the walk gave them."""
    new = _new_files(steps, reader)
    count = workers()
    if count == 0 or len(new) < POOL_FILES or sum(size for _, size in new.values()) < POOL_BYTES:
        for kind, value in steps:
            if kind == "warn":
                warn(value)
            else:
                yield from reader.file(value, named=False)
        return
    reader._seen.update(identity for identity, _ in new.values())  # read by the workers
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(count, context, initializer=_start, initargs=(config,))
    try:
        pending: deque[tuple[str, str | Future[list[Event]]]] = deque()
        queued = iter(steps)
        while True:
            while len(pending) < count * AHEAD and (step := next(queued, None)) is not None:
                kind, value = step
                if kind == "file" and value in new:
                    pending.append(("read", pool.submit(_read, value)))
                else:  # a warning, or a file `reader.file` skips or reports
                    pending.append(step)
            if not pending:
                return
            kind, value = pending.popleft()
            if isinstance(value, Future):
                yield from _replay(value.result(), warn, on_document)
            elif kind == "warn":
                warn(value)
            else:
                yield from reader.file(value, named=False)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _new_files(steps: list[Step], reader: _Reader) -> dict[str, tuple[files.Identity, int]]:
    """The walk's files not read yet (by identity), with their identities and sizes;
    the rest are left to `reader.file`, which skips them or says why it cannot read them."""
    new: dict[str, tuple[files.Identity, int]] = {}
    seen = set(reader._seen)
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


def _replay(
    events: list[Event], warn: Callable[[str], None], on_document: Callable[[Document], None] | None
) -> Iterator[Citation]:
    for kind, value in events:
        if kind == "citations":
            for row in value:
                yield Citation(*row)
        elif kind == "warn":
            warn(value)
        elif on_document is not None:
            on_document(value)


# --- in a worker ---

_worker: tuple[_Reader, list[Event]] | None = None


def _start(config: Config) -> None:
    from linkcheck.collect import _Reader  # here: this module is imported by linkcheck.collect

    global _worker
    events: list[Event] = []
    _worker = (
        _Reader(
            config,
            lambda message: events.append(("warn", message)),
            lambda document: events.append(("document", document)),
        ),
        events,
    )


def _read(path: str) -> list[Event]:
    assert _worker is not None
    reader, events = _worker
    events.clear()
    reader._seen.clear()  # the parent keeps the identities
    batch: list[tuple[Any, ...]] = []
    for citation in reader.file(path, named=False):
        if not events or events[-1][1] is not batch:
            batch = []
            events.append(("citations", batch))
        batch.append(
            (
                citation.source,
                citation.line,
                citation.column,
                citation.text,
                citation.url,
                citation.resolved,
                citation.cited_on,
            )
        )
    return list(events)
