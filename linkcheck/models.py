"""The data model every stage speaks.

Stages exchange only these types: collect yields `Citation`s, check turns a
distinct URL into a `Fetch`, the runner joins both into `Result`s and a
`Report`, and every renderer reads a `Report`. Nothing here knows about
aiohttp, soup nodes or the terminal.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from itertools import repeat
from typing import Any


class Verdict(StrEnum):
    """The public contract: one verdict per URL as cited (see README)."""

    OK = "ok"
    REDIRECTED = "redirected"
    MOVED = "moved"
    BROKEN = "broken"
    SOFT_404 = "soft_404"
    FRAGMENT_MISSING = "fragment_missing"
    BLOCKED = "blocked"
    TIMEOUT = "timeout"
    ERROR = "error"
    SKIPPED = "skipped"


DEFAULT_FAIL_ON: frozenset[Verdict] = frozenset(
    {Verdict.BROKEN, Verdict.ERROR, Verdict.TIMEOUT, Verdict.SOFT_404, Verdict.FRAGMENT_MISSING}
)


@dataclass(frozen=True, slots=True)
class Citation:
    """One place a document cites a URL.

    `line` and `column` are 1-based and point at the first character of
    `url` (the URL exactly as written) in the source text; `resolved` is the
    absolute URL it stands for, fragment included, or `url` unchanged when
    it cannot be resolved (the check stage then says why).
    """

    source: str
    line: int
    column: int
    text: str
    url: str
    resolved: str
    cited_on: dt.date | None = None

    def __post_init__(self) -> None:
        # A run may hold a million citations, most cited as absolute URLs: then one
        # string object serves as both `url` and `resolved`.
        if self.resolved is not self.url and self.resolved == self.url:
            object.__setattr__(self, "resolved", self.url)

    @classmethod
    def many(cls, columns: Sequence[Sequence[Any]]) -> list[Citation]:
        """What `Citation(*row)` makes of each row, given column by column (one per
        field, in order, all as long) at half the cost: the collect workers' citations
        are rebuilt in the parent by the hundred thousand (collect/pool.py), and
        `__init__` sets each field through `object.__setattr__`."""
        source, line, column, text, url, resolved, cited_on = columns
        resolved = [u if r == u else r for u, r in zip(url, resolved, strict=True)]  # __post_init__
        made = list(map(object.__new__, repeat(cls, len(url))))
        columns = (source, line, column, text, url, resolved, cited_on)
        for one, values in zip(fields(cls), columns, strict=True):
            # Straight into the slot, as __init__ does past the frozen __setattr__;
            # a zero-length deque drains the map at C speed.
            deque(map(getattr(cls, one.name).__set__, made, values), maxlen=0)
        return made


@dataclass(frozen=True, slots=True)
class Hop:
    """One answered request in a redirect chain."""

    url: str
    status: int


@dataclass(frozen=True, slots=True)
class Fetch:
    """What checking one distinct URL (fragment stripped) found."""

    verdict: Verdict
    reason: str = ""
    status: int | None = None
    final_url: str | None = None
    redirects: tuple[Hop, ...] = ()
    attempts: int = 0
    elapsed_ms: int = 0
    suggestion: str | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An archived copy of a URL, chosen for the date it was cited."""

    url: str
    timestamp: dt.datetime
    status: int
    source: str
    distance_days: int | None = None


@dataclass(frozen=True, slots=True)
class Drift:
    """How much of the cited (archived) text the live page still has (`check.drift`).

    Beside the verdict, never instead of it: a drifted page still loads.
    """

    score: float  # 0.0 (none of it) to 1.0 (all of it)
    drifted: bool  # score below the run's drift_threshold
    snapshot: str  # the snapshot the live page was compared with


@dataclass(frozen=True, slots=True)
class History:
    """What the history (linkcheck/store.py) says about one result after its run.

    A failing result counts toward the exit code only once `confirmed`:
    `consecutive_failures` checks in a row since `first_failed`, as many and
    as far apart as the `[confirm]` table asks. `cached_at` is when the fetch
    reused from the cache was made; None when it was fetched in this run.
    """

    first_failed: dt.datetime | None = None
    consecutive_failures: int = 0
    confirmed: bool = False
    cached_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Comparison:
    """This run against the previous one, URL by URL: each URL's verdict now
    against its latest recorded one (a URL never seen before that fails is
    newly failing)."""

    previous_finished: dt.datetime | None
    newly_failing: tuple[str, ...]
    recovered: tuple[str, ...]
    still_failing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Result:
    """One URL as cited (fragment included) with every citation of it.

    `archive` is the snapshot closest to the citation date when one was
    looked up and found; otherwise `archive_reason` may say why there is none.
    `history` is None when the run kept no history. `drift` is the content
    drift measured with `--drift`, None when it was not measured.
    """

    url: str
    fetch: Fetch
    citations: tuple[Citation, ...]
    archive: Snapshot | None = None
    archive_reason: str | None = None
    history: History | None = None
    drift: Drift | None = None

    @property
    def verdict(self) -> Verdict:
        return self.fetch.verdict

    @property
    def confirmed(self) -> bool:
        """Whether a failure of this result counts: always without a history."""
        return self.history is None or self.history.confirmed


@dataclass(frozen=True, slots=True)
class Report:
    """A whole run: what was checked, when, and whether it ran to the end."""

    started: dt.datetime
    finished: dt.datetime
    results: tuple[Result, ...]
    documents: int
    complete: bool = True
    warnings: tuple[str, ...] = field(default_factory=tuple)
    comparison: Comparison | None = None

    def counts(self) -> Counter[Verdict]:
        return Counter(result.verdict for result in self.results)

    def failing(self, fail_on: frozenset[Verdict]) -> tuple[Result, ...]:
        return tuple(result for result in self.results if result.verdict in fail_on)

    def fatal(self, fail_on: frozenset[Verdict]) -> tuple[Result, ...]:
        """The failing results that decide the exit code: every one without
        a history, only the confirmed ones with it. The one place this is decided."""
        return tuple(result for result in self.failing(fail_on) if result.confirmed)

    def unconfirmed(self, fail_on: frozenset[Verdict]) -> tuple[Result, ...]:
        """Failing results reported but not fatal yet: not confirmed by the history."""
        return tuple(result for result in self.failing(fail_on) if not result.confirmed)
