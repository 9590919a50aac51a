"""Archived copies: for a URL and the date it was cited, the snapshot to read instead.

A broken reference is only half a finding: the reader needs the page as the
author saw it. The snapshot is chosen the way the Internet Archive's citation
bot chooses it (`preference`): the latest capture answered with HTTP 200 on
or before the citation date, else the earliest 200 capture after it; with no
citation date, the latest 200 capture. A capture of a 404 is never chosen.

Modules:

- here: which results are looked up (`asks_archives`, below), the `Archive`
  protocol (one method, an optional snapshot), the reasons there may be none
  (`NoSnapshot`), the selection rule; nothing here imports aiohttp, so a
  run that looks nothing up never does;
- `client`: the archive stage's own small aiohttp session: the check stage's
  address guard, its one retry rule, and a cap and pace per archive;
- `wayback`: the Wayback Machine's CDX API, its availability API as fallback;
- `memento`: Memento (RFC 7089) TimeGates and link-format TimeMaps;
- `save`: Save Page Now 2, for live URLs that were never captured;
- `lookup`: which results are looked up, each URL and date once per run,
  the archives asked in order, and the result's `archive`/`archive_reason`.

An archive that is down or rate limited never changes a verdict: it becomes
an `archive_reason` and a warning.

Which results (`[archive] lookup`):

- `failing` (the default): verdicts that mean the page cannot be read as
  cited: broken, soft_404, fragment_missing, blocked, timeout, error;
- `all`: every http(s) result; `never`: none;
- and with `drift`, unless `lookup` is `never`, every live http(s) result with
  a citation date (content drift needs the snapshot from then);
- and with `save_missing`, every live http(s) result (a capture is requested
  when no archive has one).

Skipped results never are: a mailto: link, an excluded URL or a private
address has no business being sent to a public archive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from linkcheck.config import Config
from linkcheck.models import Result, Snapshot, Verdict

NOT_ARCHIVED = "not archived"
ONLY_NON_200 = "only non-200 captures"
UNREACHABLE = "archive unreachable"
RATE_LIMITED = "rate limited"
DEFINITIVE = frozenset({NOT_ARCHIVED, ONLY_NON_200})

TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"

FAILING = frozenset(
    {
        Verdict.BROKEN,
        Verdict.SOFT_404,
        Verdict.FRAGMENT_MISSING,
        Verdict.BLOCKED,
        Verdict.TIMEOUT,
        Verdict.ERROR,
    }
)
LIVE = frozenset({Verdict.OK, Verdict.REDIRECTED, Verdict.MOVED})


class NoSnapshot(Exception):
    """Why an archive has no snapshot to offer: one of the reasons above, and details."""

    def __init__(self, reason: str, detail: str = "", *, source: str = "") -> None:
        super().__init__(f"{reason} ({detail})" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.source = source

    @property
    def definitive(self) -> bool:
        """The archive answered: asking again would not help."""
        return self.reason in DEFINITIVE


class Archive(Protocol):
    """One web archive, asked for the capture to cite."""

    name: str

    async def snapshot(self, url: str, cited_on: dt.date | None) -> Snapshot | None:
        """The capture to cite for `url` cited on `cited_on`, or None when it
        was never archived; raises `NoSnapshot` for the other reasons."""
        ...


@dataclass(frozen=True, slots=True)
class Capture:
    """One archived copy as an archive lists it; `status` None: not known yet."""

    timestamp: dt.datetime
    url: str
    status: int | None = 200


def preference(captures: Iterable[Capture], cited_on: dt.date | None) -> list[Capture]:
    """Captures in the order the rule prefers them, whatever their status:
    on or before the citation date, latest first; then after it, earliest first.
    Without a date, latest first."""
    ordered = sorted(captures, key=lambda capture: capture.timestamp, reverse=True)
    if cited_on is None:
        return ordered
    before = [c for c in ordered if c.timestamp.date() <= cited_on]
    after = [c for c in reversed(ordered) if c.timestamp.date() > cited_on]
    return before + after


def choose(captures: Iterable[Capture], cited_on: dt.date | None) -> Capture | None:
    """The capture to cite: the first 200 capture in `preference` order."""
    return next((c for c in preference(captures, cited_on) if c.status == 200), None)


def parse_timestamp(value: str) -> dt.datetime:
    """A Wayback timestamp (1 to 14 digits, the rest taken as the earliest) in UTC."""
    digits = value.strip()
    if not digits.isdigit() or not 4 <= len(digits) <= 14:
        raise ValueError(f"not a timestamp: {value!r}")
    padded = digits + "0101000000"[len(digits) - 4 :] if len(digits) < 14 else digits
    return dt.datetime.strptime(padded, TIMESTAMP_FORMAT).replace(tzinfo=dt.UTC)


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def day_end(day: dt.date) -> dt.datetime:
    """The last second of a day: a capture made on the citation day counts as before it."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), dt.UTC)


def snapshot(capture: Capture, cited_on: dt.date | None, source: str) -> Snapshot:
    """The model's `Snapshot`; `distance_days` is negative before the citation date."""
    distance = None if cited_on is None else (capture.timestamp.date() - cited_on).days
    return Snapshot(
        url=capture.url,
        timestamp=capture.timestamp,
        status=capture.status or 200,
        source=source,
        distance_days=distance,
    )


def is_web(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("http", "https")


def wanted(result: Result, lookup: str) -> bool:
    """Whether `lookup` asks for an archived copy of this result."""
    if lookup == "never" or result.verdict is Verdict.SKIPPED or not is_web(result.url):
        return False
    return lookup == "all" or result.verdict in FAILING


def drift_candidate(result: Result) -> bool:
    """A live web page cited on a date: `--drift` compares it with its snapshot
    from then, so it is looked up whatever `lookup` says."""
    return result.verdict in LIVE and is_web(result.url) and cited_on(result) is not None


def to_look_up(result: Result, config: Config) -> bool:
    """Whether the run asks the archives about this result (`lookup`, or `drift` unless
    lookups are off: `never` keeps every URL away from the archives)."""
    lookup = config.archive.lookup
    if wanted(result, lookup):
        return True
    return config.drift and lookup != "never" and drift_candidate(result)


def asks_archives(result: Result, config: Config) -> bool:
    """`to_look_up`, or a live page `save_missing` may ask a capture of."""
    if to_look_up(result, config):
        return True
    return config.archive.save_missing and result.verdict in LIVE and is_web(result.url)


def cited_on(result: Result) -> dt.date | None:
    """The earliest date the result was cited, or None when no citation has one."""
    return min((c.cited_on for c in result.citations if c.cited_on is not None), default=None)
