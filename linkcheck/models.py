"""The data model every stage speaks.

Stages exchange only these types: collect yields `Citation`s, check turns a
distinct URL into a `Fetch`, the runner joins both into `Result`s and a
`Report`, and every renderer reads a `Report`. Nothing here knows about
aiohttp, soup nodes or the terminal.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum


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
class Result:
    """One URL as cited (fragment included) with every citation of it.

    `archive` is the snapshot closest to the citation date when one was
    looked up and found; otherwise `archive_reason` may say why there is none.
    """

    url: str
    fetch: Fetch
    citations: tuple[Citation, ...]
    archive: Snapshot | None = None
    archive_reason: str | None = None

    @property
    def verdict(self) -> Verdict:
        return self.fetch.verdict


@dataclass(frozen=True, slots=True)
class Report:
    """A whole run: what was checked, when, and whether it ran to the end."""

    started: dt.datetime
    finished: dt.datetime
    results: tuple[Result, ...]
    documents: int
    complete: bool = True
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def counts(self) -> Counter[Verdict]:
        return Counter(result.verdict for result in self.results)

    def failing(self, fail_on: frozenset[Verdict]) -> tuple[Result, ...]:
        return tuple(result for result in self.results if result.verdict in fail_on)
