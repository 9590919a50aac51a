"""What a person at a terminal sees: a progress bar, then a summary.

The summary leads with counts by verdict, then lists the problems grouped by
document as `path:line`, so an editor can go straight to each one.
"""

from __future__ import annotations

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

from linkcheck.models import Citation, Fetch, Report, Result, Verdict
from linkcheck.report import view

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
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
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


def print_summary(console: Console, report: Report, fail_on: frozenset[Verdict]) -> None:
    """Problems by document (each URL once, with every line citing it), then counts."""
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    for document, rows in view.by_document(view.problems(report, fail_on)).items():
        console.print(f"\n[bold]{escape(document)}[/]")
        cited: dict[str, list[Citation]] = {}
        results: dict[str, Result] = {}
        for citation, result in rows:
            cited.setdefault(result.url, []).append(citation)
            results[result.url] = result
        for url, citations in cited.items():
            _print_problem(console, results[url], citations, fail_on)

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


def _print_problem(
    console: Console, result: Result, citations: list[Citation], fail_on: frozenset[Verdict]
) -> None:
    fetch = result.fetch
    first, *others = citations
    # path:line:column, which editors and terminals turn into a jump.
    where = f"{first.source}:{first.line}:{first.column}"
    if others:
        where += " (also " + ", ".join(f"{c.line}:{c.column}" for c in others) + ")"
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
