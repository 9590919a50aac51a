"""The data model every stage speaks.

Stages exchange only these types: collect yields `Citation`s, check turns a
distinct URL into a `Fetch`, the runner joins both into `Result`s and a
`Report`, and every renderer reads a `Report`. Nothing here knows about
aiohttp, soup nodes or the terminal.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from itertools import repeat
from typing import Any, overload


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


class Citations(Sequence[Citation]):
    """Every citation of one URL (a `Result`'s), held column by column.

    A run may hold a million citations until its reports are written: as
    objects they took 96 bytes each (45 of S3's 122 MB), as columns about
    26 (`CitationColumns`). A `Citation` is made again each time one is
    read; `rows` reads their fields without. Immutable.
    """

    __slots__ = ("_gathered",)

    def __init__(self, citations: Iterable[Citation] = ()) -> None:
        self._gathered = CitationColumns()
        for citation in citations:
            self._gathered.append(citation)

    @classmethod
    def _of(cls, gathered: CitationColumns) -> Citations:
        made = cls.__new__(cls)
        made._gathered = gathered
        return made

    def __len__(self) -> int:
        return len(self._gathered)

    def __iter__(self) -> Iterator[Citation]:
        return iter(Citation.many(self._gathered.columns()))

    def rows(self) -> Iterator[tuple[str, int, int, str, str, str, dt.date | None]]:
        """Each citation's fields, in `Citation`'s order, with no `Citation` made:
        for the reports that read every citation of a run."""
        return zip(*self._gathered.columns(), strict=True)

    @overload
    def __getitem__(self, index: int) -> Citation: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Citation, ...]: ...

    def __getitem__(self, index: int | slice) -> Citation | tuple[Citation, ...]:
        if isinstance(index, slice):
            return tuple(self)[index]
        return self._gathered.citation(index)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Citations({list(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return Citations, (tuple(self),)


class CitationColumns:
    """Citations gathered by appending (the runner's catalogue gathers each
    URL's while reading), for `Citations`: `freeze`, and nothing is appended after.

    Two columns always, each holding two fields in turn (one list and one
    array for a URL cited once, as a crawl's pages mostly are): `places`,
    each citation's source and text (strings shared with other citations),
    and `positions`, its line and column as 4-byte numbers. The rest only
    once a citation needs them: `urls` while every URL as written is
    `written` (a URL cited absolutely, as it mostly is), `resolved` while
    every resolved URL is its URL as written, `cited_on` while none is dated.
    """

    __slots__ = ("cited_on", "places", "positions", "resolved", "urls", "written")

    def __init__(self) -> None:
        self.places: list[str] = []
        self.positions = array("I")
        self.written = ""
        self.urls: list[str] | None = None
        self.resolved: list[str] | None = None
        self.cited_on: list[dt.date | None] | None = None

    def __len__(self) -> int:
        return len(self.positions) >> 1

    def append(self, citation: Citation) -> None:
        url, resolved, cited_on = citation.url, citation.resolved, citation.cited_on
        count = len(self.positions) >> 1  # len(self), without a call per citation
        if self.urls is None and url != self.written:
            if count:
                self.urls = [self.written] * count  # the first to differ: a column of its own
            else:
                self.written = url
        if resolved is not url and self.resolved is None:
            self.resolved = [self.written] * count if self.urls is None else self.urls.copy()
        if cited_on is not None and self.cited_on is None:
            self.cited_on = [None] * count
        places, positions = self.places, self.positions
        places.append(citation.source)
        places.append(citation.text)
        positions.append(citation.line)
        positions.append(citation.column)
        if self.urls is not None:
            self.urls.append(url)
        if self.resolved is not None:
            self.resolved.append(resolved)
        if self.cited_on is not None:
            self.cited_on.append(cited_on)

    def columns(self) -> tuple[Sequence[Any], ...]:
        """One sequence per field of `Citation`, in order, all as long."""
        count = len(self)
        places, positions = self.places, self.positions
        urls = [self.written] * count if self.urls is None else self.urls
        return (
            places[0::2], positions[0::2], positions[1::2], places[1::2], urls,
            urls if self.resolved is None else self.resolved,
            [None] * count if self.cited_on is None else self.cited_on,
        )  # fmt: skip

    def citation(self, index: int) -> Citation:
        """The citation at `index` (negative from the end), as `Citation(*row)`."""
        count = len(self)
        if not -count <= index < count:
            raise IndexError("citation index out of range")
        index %= count
        url = self.written if self.urls is None else self.urls[index]
        return Citation(
            self.places[2 * index], self.positions[2 * index], self.positions[2 * index + 1],
            self.places[2 * index + 1], url,
            url if self.resolved is None else self.resolved[index],
            None if self.cited_on is None else self.cited_on[index],
        )  # fmt: skip

    def freeze(self) -> Citations:
        return Citations._of(self)


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
    citations: Citations  # any sequence of citations is made one
    archive: Snapshot | None = None
    archive_reason: str | None = None
    history: History | None = None
    drift: Drift | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.citations, Citations):  # a tuple, from a test or a JSON report
            object.__setattr__(self, "citations", Citations(self.citations))

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
