"""Content drift: a page that still loads but no longer says what was cited.

The cited version is the archived snapshot nearest the citation date, taken
raw (`id_`: the bytes as captured, without the archive's banner or rewritten
links). Both it and the live page are reduced to their main text
(`pagetext.parse`: no scripts, navigation, asides, footers or cookie
banners) and to word 3-shingles without volatile words (numbers, dates,
ids). The score is the share of the snapshot's shingles still found on the
live page (containment, the one-sided Jaccard): a page that *added*
comments, related links or an update keeps its score, one that replaced or
rewrote the cited text loses it. Below the threshold (`drift_threshold`,
0.5 by default) the citation has drifted.

Pure functions only: the runner fetches both pages after the archive lookup
(`runner._drift`, the snapshot through `raw_snapshot_url`).
"""

from __future__ import annotations

import re

from linkcheck.check.pagetext import PageText, containment, parse, shingles, words
from linkcheck.models import Drift as Drift  # the model every report reads; measured here

MIN_WORDS = 20  # a snapshot with less main text than this is not compared: too little to judge
_WAYBACK = re.compile(r"^(?P<prefix>https?://[^/]+/web/)(?P<timestamp>\d{1,14})(?:[a-z]{2}_)?/")


def raw_snapshot_url(snapshot: str) -> str:
    """The Wayback `id_` form of a snapshot URL: the archived bytes, unmodified.

    `https://web.archive.org/web/20200101000000/https://x.org/` becomes
    `https://web.archive.org/web/20200101000000id_/https://x.org/`; other
    archives' URLs are returned unchanged.
    """
    match = _WAYBACK.match(snapshot)
    if match is None:
        return snapshot
    return f"{match['prefix']}{match['timestamp']}id_/{snapshot[match.end():]}"


def retained(archived: PageText, live: PageText) -> float | None:
    """The share of the archived main text still on the live page; None when too short."""
    before = words(archived.text)
    if len(before) < MIN_WORDS:
        return None
    return containment(shingles(before), shingles(words(live.text)))


def measure(
    archived: bytes | str,
    live: bytes | str,
    *,
    snapshot: str,
    threshold: float,
    archived_type: str = "",
    live_type: str = "",
) -> Drift | None:
    """Compare a snapshot's HTML with the live page's; None when there is too little to judge.

    CPU-bound (two parses): call it off the event loop.
    """
    score = retained(parse(archived, archived_type), parse(live, live_type))
    if score is None:
        return None
    return Drift(score=score, drifted=score < threshold, snapshot=snapshot)
