"""What a person at a terminal sees: a progress bar, then a summary.

The summary lists the problems grouped by document as `path:line`, so an
editor can go straight to each one, then the counts by verdict. A person
reads a screenful, not 80,000 lines: at most `LISTED_AT_MOST` problems (a URL
in a document) are listed, each with at most `POSITIONS_AT_MOST` positions,
and the rest is counted, never formatted; the file reports list every one.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from linkcheck.models import Citation, Citations, Fetch, Report, Result, Verdict
from linkcheck.report import view

if TYPE_CHECKING:  # rich.progress is imported only when a bar is shown
    from rich.progress import TaskID

STYLE = {
    Verdict.OK: "green",
    Verdict.REDIRECTED: "cyan",
    Verdict.MOVED: "yellow",
    Verdict.BROKEN: "bold red",
    Verdict.SOFT_404: "red",
    Verdict.FRAGMENT_MISSING: "red",
    Verdict.BLOCKED: "magenta",
    Verdict.TIMEOUT: "red",
    Verdict.ERROR: "red",
    Verdict.SKIPPED: "dim",
}
LISTED_AT_MOST = 50
POSITIONS_AT_MOST = 5


class ProgressBar:
    """Count, rate and ETA of distinct URLs checked, after a crawl's pages
    crawled and frontier size; a context manager."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._task: TaskID | None = None
        self._crawl: TaskID | None = None

    def __enter__(self) -> ProgressBar:
        self._bar.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._bar.stop()

    def start(self, total: int) -> None:
        """The distinct URLs known so far; called again as reading finds more."""
        if self._task is None:
            self._task = self._bar.add_task("checking", total=total, rate="")
        else:
            self._bar.update(self._task, total=total)

    def crawled(self, pages: int, frontier: int) -> None:
        """A crawl's pages read so far, and the pages in scope waiting (no total yet)."""
        if self._crawl is None:
            self._crawl = self._bar.add_task("crawling", total=None, rate="")
        self._bar.update(self._crawl, completed=pages, rate=f"{frontier} waiting")

    def advance(self, fetch: Fetch) -> None:
        if self._task is None:
            return
        self._bar.advance(self._task)
        task = self._bar.tasks[self._task]
        speed = task.finished_speed or task.speed
        self._bar.update(self._task, rate=f"{speed:.0f} URL/s" if speed else "")


def print_summary(console: Console, report: Report, fail_on: frozenset[Verdict]) -> None:
    """Problems by document (each URL once per document, with where it is cited), then
    counts; past `LISTED_AT_MOST` problems only how many more there are."""
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    listed, more, documents = _listing(report, fail_on)
    document = None
    for problem in listed:
        if problem.source != document:
            document = problem.source
            console.print(f"\n[bold]{escape(document)}[/]")
        _print_problem(console, problem.result, problem.citations, fail_on)
    if more:
        console.print(
            f"\n… and {view.plural(more, 'more problem')} in {view.plural(documents, 'document')}:"
            " the HTML, JSON and CSV reports list every one",
            highlight=False,
        )

    counts = report.counts()
    parts = [
        f"[{STYLE[verdict]}]{counts[verdict]} {verdict.value}[/]"
        for verdict in Verdict
        if counts.get(verdict)
    ]
    console.print(
        f"\n{view.checked_line(report)}: " + (", ".join(parts) or "nothing to check"),
        highlight=False,
    )
    if not report.complete:
        console.print("[bold yellow]Interrupted: the report holds only what was checked.[/]")
    failing = len(report.failing(fail_on))
    if failing:
        names = ", ".join(sorted(verdict.value for verdict in fail_on))
        console.print(f"[bold red]{view.plural(failing, 'URL')} fail the run[/] ({names})")


@dataclass(frozen=True, slots=True)
class _Problem:
    """A problem URL in one document, with its citations there in order."""

    source: str
    result: Result
    citations: list[Citation]


def _listing(report: Report, fail_on: frozenset[Verdict]) -> tuple[list[_Problem], int, int]:
    """The first `LISTED_AT_MOST` problems in document order (by document, then
    the position of their first citation); how many more; in how many documents."""
    results: dict[str, Result] = {}
    problems: Counter[str] = Counter()  # per document

    def keys() -> Iterator[tuple[str, tuple[int, int], str]]:
        """(source, first (line, column), url) of each problem: streamed, since a
        large run has hundreds of thousands and only the first few are kept."""
        for result in report.results:
            if view.is_listed(result, fail_on):
                results[result.url] = result
                first = _first_positions(result.citations)
                problems.update(first.keys())
                yield from zip(first, first.values(), repeat(result.url))

    chosen = heapq.nsmallest(LISTED_AT_MOST, keys())
    listed = []
    for source, _, url in chosen:
        result = results[url]
        here = sorted(
            (c for c in result.citations if c.source == source), key=lambda c: (c.line, c.column)
        )
        listed.append(_Problem(source, result, here))
    unlisted = problems - Counter(map(_SOURCE, chosen))
    return listed, problems.total() - len(chosen), len(unlisted)


_SOURCE = itemgetter(0)


def _first_positions(citations: Citations) -> dict[str, tuple[int, int]]:
    """Each document's first (line, column) among `citations`, whatever their order."""
    first: dict[str, tuple[int, int]] = {}
    for source, line, column, _, _, _, _ in citations.rows():
        position = (line, column)
        seen = first.get(source)
        if seen is None or position < seen:
            first[source] = position
    return first


def _print_problem(
    console: Console, result: Result, citations: list[Citation], fail_on: frozenset[Verdict]
) -> None:
    fetch = result.fetch
    first, *others = citations
    # path:line:column, which editors and terminals turn into a jump.
    where = f"{first.source}:{first.line}:{first.column}"
    if others:
        shown = ", ".join(f"{c.line}:{c.column}" for c in others[:POSITIONS_AT_MOST])
        rest = len(others) - POSITIONS_AT_MOST
        where += f" (also {shown}" + (f" and {rest:,} more)" if rest > 0 else ")")
    text = next((c.text for c in citations if c.text), "")
    console.print(
        f"  [{STYLE[fetch.verdict]}]{fetch.verdict.value:<9}[/] {escape(where)}"
        + (f"  [italic]{escape(text[:60])}[/]" if text else ""),
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"            {escape(result.url)}", highlight=False, soft_wrap=True)
    if fetch.reason:
        console.print(f"            [dim]{escape(fetch.reason)}[/]", highlight=False)
    fix = view.fix_for(result, fail_on)
    if fix and fix.url != (result.archive.url if result.archive else None):
        console.print(f"            {fix.kind}: {escape(fix.url)}", highlight=False, soft_wrap=True)
    _print_archive(console, result)
    if result.drift is not None and result.drift.drifted:
        console.print(
            f"            [yellow]{escape(view.drift_label(result.drift))}[/]",
            highlight=False,
            soft_wrap=True,
        )


def _print_archive(console: Console, result: Result) -> None:
    """The snapshot beside the citation, with its date; or why there is none."""
    snapshot = result.archive
    if snapshot is not None:
        when = snapshot.timestamp.date().isoformat()
        distance = view.distance_label(snapshot)
        console.print(
            f"            archived copy: {escape(snapshot.url)}"
            f" [dim]({when}{', ' + distance if distance else ''})[/]",
            highlight=False,
            soft_wrap=True,
        )
    elif result.archive_reason:
        console.print(
            f"            [dim]archived copy: none ({escape(result.archive_reason)})[/]",
            highlight=False,
        )
