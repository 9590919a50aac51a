"""What every report format agrees on: which results are problems, in what
order, how they group by document and by host, and how a fix is worded.

Renderers format; they do not decide. Keeping the decisions here means the
HTML, Markdown, JUnit, SARIF and CSV reports never disagree about what
failed or in which order it is listed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from linkcheck.models import Citation, Drift, Report, Result, Snapshot, Verdict
from linkcheck.models import Comparison as Comparison  # renderers take it as view.Comparison

# Most severe first: the order problems are listed in, after "fails the run".
SEVERITY: tuple[Verdict, ...] = (
    Verdict.BROKEN,
    Verdict.ERROR,
    Verdict.TIMEOUT,
    Verdict.SOFT_404,
    Verdict.FRAGMENT_MISSING,
    Verdict.MOVED,
    Verdict.BLOCKED,
    Verdict.REDIRECTED,
    Verdict.SKIPPED,
    Verdict.OK,
)

# Worth a person's look even when they do not fail the run: a moved URL has a
# better address to cite, a blocked one could not be verified automatically.
ATTENTION: frozenset[Verdict] = frozenset({Verdict.MOVED, Verdict.BLOCKED})

# One line per verdict, as the README defines them (SARIF rules, HTML legend).
MEANING: dict[Verdict, str] = {
    Verdict.OK: "2xx with no redirect (or a status listed in accept)",
    Verdict.REDIRECTED: "2xx reached through temporary redirects only",
    Verdict.MOVED: "2xx reached after a permanent redirect; cite the new URL",
    Verdict.BROKEN: "404, 410 or another definitive 4xx, an unknown host, a missing file",
    Verdict.SOFT_404: "the page answers 200 but is gone",
    Verdict.FRAGMENT_MISSING: "the page is fine but the #anchor is gone",
    Verdict.BLOCKED: "cannot be verified automatically (401, 403, 429, a bot challenge)",
    Verdict.TIMEOUT: "no complete answer in time, after retries",
    Verdict.ERROR: "persistent 5xx, TLS failure, refused or reset connection, redirect loop",
    Verdict.SKIPPED: "not checked: mailto:, tel:, excluded, private address",
}

# The flag beside a verdict (`--drift`), for legends and rule texts.
DRIFT_MEANING = "the page loads but no longer holds most of the text its snapshot had when cited"

WEB_SCHEMES = frozenset({"http", "https"})
NO_HOST = "(no host)"


def is_web_url(url: str | None) -> bool:
    """Only http(s) URLs with a host may become links: a `javascript:` or
    `data:` URL taken from a hostile document must stay text."""
    if not url or any(char.isspace() or ord(char) < 0x20 for char in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)


def host_of(url: str) -> str:
    """The host a URL is fetched from, or NO_HOST for files and odd schemes."""
    try:
        return urlsplit(url).hostname or NO_HOST
    except ValueError:
        return NO_HOST


def is_problem(verdict: Verdict, fail_on: frozenset[Verdict]) -> bool:
    return verdict in fail_on or verdict in ATTENTION


def is_drifted(result: Result) -> bool:
    """Flagged by `--drift`: the live page no longer says what was cited."""
    return result.drift is not None and result.drift.drifted


def is_listed(result: Result, fail_on: frozenset[Verdict]) -> bool:
    """Whether a result is listed as a problem: its verdict, or its drift, asks for a look."""
    return is_problem(result.verdict, fail_on) or is_drifted(result)


def drift_score(drift: Drift) -> str:
    """The score as every report prints it (the JSON keeps it exact)."""
    return f"{drift.score:.2f}"


def drift_flag(drift: Drift) -> str:
    """The flag's words without the link: "drifted (score 0.31" is shared by every report."""
    return f"{'drifted' if drift.drifted else 'not drifted'} (score {drift_score(drift)}"


def drift_label(drift: Drift) -> str:
    """The flag with its snapshot, for plain-text reports."""
    return f"{drift_flag(drift)}, snapshot {drift.snapshot})"


def problem_verdicts(fail_on: frozenset[Verdict]) -> tuple[Verdict, ...]:
    """The verdicts shown by default, in severity order."""
    return tuple(verdict for verdict in severity_order(fail_on) if is_problem(verdict, fail_on))


def severity_order(fail_on: frozenset[Verdict]) -> tuple[Verdict, ...]:
    """Verdicts that fail the run first, then the rest, each by SEVERITY."""
    failing_first = sorted(SEVERITY, key=lambda verdict: verdict not in fail_on)
    return tuple(failing_first)


def sort_key(result: Result, fail_on: frozenset[Verdict]) -> tuple[bool, int, str]:
    """By severity (failing first), then URL: the order of every listing."""
    return (result.verdict not in fail_on, SEVERITY.index(result.verdict), result.url)


def ordered(results: Iterable[Result], fail_on: frozenset[Verdict]) -> list[Result]:
    return sorted(results, key=lambda result: sort_key(result, fail_on))


def problems(report: Report, fail_on: frozenset[Verdict]) -> list[Result]:
    """Failing results and those worth a look (drifted ones too), most severe first."""
    return ordered((r for r in report.results if is_listed(r, fail_on)), fail_on)


def failing(report: Report, fail_on: frozenset[Verdict]) -> list[Result]:
    return ordered(report.failing(fail_on), fail_on)


def citation_rows(results: Iterable[Result]) -> list[tuple[Citation, Result]]:
    """One row per citation, by document, then position in it."""
    rows = [(citation, result) for result in results for citation in result.citations]
    rows.sort(key=lambda row: (row[0].source, row[0].line, row[0].column, row[1].url))
    return rows


def by_document(results: Iterable[Result]) -> dict[str, list[tuple[Citation, Result]]]:
    grouped: dict[str, list[tuple[Citation, Result]]] = defaultdict(list)
    for citation, result in citation_rows(results):
        grouped[citation.source].append((citation, result))
    return dict(grouped)


def by_host(results: Iterable[Result]) -> dict[str, list[Result]]:
    """Results grouped by host, hosts sorted, each group in the given order."""
    grouped: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        grouped[host_of(result.url)].append(result)
    return dict(sorted(grouped.items()))


@dataclass(frozen=True, slots=True)
class Fix:
    """What to cite instead: the new address, or else an archived copy."""

    kind: str  # "new URL" or "archived copy"
    url: str


def fix_for(result: Result, fail_on: frozenset[Verdict]) -> Fix | None:
    """A moved URL's new address; for a failing one, its snapshot."""
    if result.fetch.suggestion:
        return Fix("new URL", result.fetch.suggestion)
    if result.archive is not None and result.verdict in fail_on:
        return Fix("archived copy", result.archive.url)
    return None


def distance_label(snapshot: Snapshot) -> str:
    """How far the snapshot is from the citation date, in words.

    `distance_days` is the snapshot's date minus the citation's: negative
    means the capture shows the page before it was cited.
    """
    days = snapshot.distance_days
    if days is None:
        return ""
    if days == 0:
        return "same day as the citation"
    side = "before" if days < 0 else "after"
    return f"{plural(abs(days), 'day')} {side} the citation"


def duration(report: Report) -> str:
    seconds = max((report.finished - report.started).total_seconds(), 0.0)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def timestamp(moment: dt.datetime) -> str:
    """A fixed, unambiguous form: UTC when the time is aware."""
    if moment.tzinfo is not None:
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def citation_count(report: Report) -> int:
    return sum(len(result.citations) for result in report.results)


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def checked_line(report: Report) -> str:
    """What was checked, in one sentence for every report's header."""
    return (
        f"{plural(len(report.results), 'URL')} in {plural(citation_count(report), 'citation')} "
        f"from {plural(report.documents, 'document')}"
    )
