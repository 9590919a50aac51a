"""What a person at a terminal sees: a progress bar, then a summary.

The summary leads with counts by verdict, then lists the problems grouped by
document as `path:line`, so an editor can go straight to each one.
"""

from __future__ import annotations

from collections import defaultdict
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from linkcheck.models import Citation, Fetch, Report, Result, Verdict

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

# What a person should look at, beyond what fails the run.
WORTH_SHOWING = frozenset(STYLE) - {Verdict.OK, Verdict.REDIRECTED, Verdict.SKIPPED}


class ProgressBar:
    """Count, rate and ETA of distinct URLs checked; a context manager."""

    def __init__(self, console: Console) -> None:
        self._bar = Progress(
            TextColumn("checking"),
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

    def __enter__(self) -> ProgressBar:
        self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._bar.stop()

    def start(self, total: int) -> None:
        self._task = self._bar.add_task("urls", total=total, rate="")

    def advance(self, fetch: Fetch) -> None:
        if self._task is None:
            return
        self._bar.advance(self._task)
        task = self._bar.tasks[self._task]
        speed = task.finished_speed or task.speed
        self._bar.update(self._task, rate=f"{speed:.0f} URL/s" if speed else "")


def _where(citation: Citation) -> str:
    return f"{citation.source}:{citation.line}"


def _problem_rows(report: Report) -> dict[str, list[tuple[Citation, Result]]]:
    by_document: dict[str, list[tuple[Citation, Result]]] = defaultdict(list)
    for result in report.results:
        if result.verdict in WORTH_SHOWING:
            for citation in result.citations:
                by_document[citation.source].append((citation, result))
    return by_document


def print_summary(console: Console, report: Report, fail_on: frozenset[Verdict]) -> None:
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    for document, rows in sorted(_problem_rows(report).items()):
        console.print(f"\n[bold]{escape(document)}[/]")
        table = Table(show_header=False, box=None, pad_edge=False)
        for citation, result in sorted(rows, key=lambda row: (row[0].line, row[0].column)):
            fetch = result.fetch
            detail = fetch.reason or ""
            if fetch.suggestion:
                detail += f" → {fetch.suggestion}"
            table.add_row(
                escape(_where(citation)),
                _badge(fetch.verdict),
                escape(result.url),
                escape(citation.text[:40]),
                escape(detail),
            )
        console.print(table)

    counts = report.counts()
    parts = [
        f"[{STYLE[verdict]}]{counts[verdict]} {verdict.value}[/]"
        for verdict in Verdict
        if counts.get(verdict)
    ]
    citations = sum(len(result.citations) for result in report.results)
    console.print(
        f"\n{len(report.results)} URLs in {citations} citations from {report.documents} "
        f"documents: " + (", ".join(parts) or "nothing to check")
    )
    if not report.complete:
        console.print("[bold yellow]Interrupted: the report holds only what was checked.[/]")
    failing = len(report.failing(fail_on))
    if failing:
        console.print(f"[bold red]{failing} URLs fail the run[/] (fail_on: {_names(fail_on)})")


def _badge(verdict: Verdict) -> str:
    return f"[{STYLE[verdict]}]{verdict.value}[/]"


def _names(verdicts: frozenset[Verdict]) -> str:
    return ", ".join(sorted(verdict.value for verdict in verdicts))
