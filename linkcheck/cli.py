"""The command line: options → Config → runner → renderers → exit code.

This is the only module that touches typer, the terminal and the exit
status. Exit codes: 0 nothing fails, 1 a verdict in `fail_on` occurred
(with a history: a confirmed one, `Report.fatal`),
2 usage, config or input error, 130 interrupted (SIGINT), 143 (SIGTERM).
"""

from __future__ import annotations

import asyncio
import contextlib
import json as jsonlib
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from linkcheck import __version__
from linkcheck.collect import InputError
from linkcheck.config import (
    ARCHIVE_FLAGS,
    HISTORY_FLAGS,
    Config,
    ConfigError,
    load,
    option_names,
)
from linkcheck.models import Report, Verdict
from linkcheck.report import write_atomic
from linkcheck.report.formats import RENDERERS
from linkcheck.report.terminal import ProgressBar, print_summary
from linkcheck.report.view import plural, timestamp
from linkcheck.runner import iter_citations, open_history, run
from linkcheck.store import Check, Failing, Store, StoreError
from linkcheck.urls import fetch_key, normalise

if TYPE_CHECKING:
    from linkcheck import fix as fixing

EXIT_OK, EXIT_FAILING, EXIT_USAGE = 0, 1, 2
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}
CONFIG_KEYS = frozenset(option_names()) | frozenset(ARCHIVE_FLAGS) | frozenset(HISTORY_FLAGS)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Find the cited URLs that broke or moved.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"linkcheck {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """linkcheck: collect every cited URL, check it, report what broke or moved."""


Flag = typer.Option

# Report options, shared by `check` and `report`.
JsonFile = Annotated[str | None, Flag("--json", help="Write the JSON report here.")]
HtmlFile = Annotated[str | None, Flag("--html", help="Write the HTML report here.")]
MarkdownFile = Annotated[str | None, Flag("--markdown", help="Write a Markdown summary here.")]
JunitFile = Annotated[str | None, Flag("--junit", help="Write JUnit XML here.")]
SarifFile = Annotated[str | None, Flag("--sarif", help="Write SARIF 2.1.0 here.")]
CsvFile = Annotated[str | None, Flag("--csv", help="Write one CSV row per citation here.")]
FailOn = Annotated[str | None, Flag(help="Verdicts that fail the run, comma-separated.")]
ConfigFile = Annotated[Path | None, Flag(help="A TOML config file (see config.toml).")]
HistoryFile = Annotated[
    str | None, Flag(help="The history database (default .linkcheck/history.db).")
]


def _settings(ctx: typer.Context, config: Path | None) -> Config:
    """The command's flags, named as the config keys, over the config file."""
    flags = {
        name: (value or None) if isinstance(value, list | tuple) else value
        for name, value in ctx.params.items()
        if name in CONFIG_KEYS
    }
    return load(config, flags)


def _fail(error: Exception) -> typer.Exit:
    """One line, never wrapped: CI logs and scripts read it."""
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(EXIT_USAGE)


@app.command()
def check(
    ctx: typer.Context,
    inputs: Annotated[
        list[str], typer.Argument(help="Files, folders, globs, - for stdin, page URLs.")
    ],
    config: ConfigFile = None,
    base_url: Annotated[str | None, Flag(help="Resolve relative links against this URL.")] = None,
    root_dir: Annotated[str | None, Flag(help="Resolve root-relative links in files here.")] = None,
    resources: Annotated[
        bool | None, Flag("--resources/--no-resources", help="Also check img, script, link.")
    ] = None,
    include: Annotated[list[str] | None, Flag(help="Check only URLs matching (regex).")] = None,
    exclude: Annotated[list[str] | None, Flag(help="Skip URLs matching (regex).")] = None,
    recursive: Annotated[
        bool | None,
        Flag("--recursive/--no-recursive", help="Crawl: INPUTS are start pages and site folders."),
    ] = None,
    scope: Annotated[
        list[str] | None, Flag(help="Crawl only URLs under this prefix, or matching this regex.")
    ] = None,
    max_depth: Annotated[
        int | None, Flag(help="Links followed from a start page at most (-1: no limit).")
    ] = None,
    max_pages: Annotated[int | None, Flag(help="Pages crawled at most.")] = None,
    ignore_robots: Annotated[
        bool | None,
        Flag("--ignore-robots/--no-ignore-robots", help="Crawl what robots.txt disallows."),
    ] = None,
    fragments: Annotated[
        bool | None, Flag("--fragments/--no-fragments", help="Check #fragments of internal links.")
    ] = None,
    check_fragments: Annotated[
        bool | None,
        Flag("--check-fragments/--no-check-fragments", help="Also check other sites' #fragments."),
    ] = None,
    max_concurrency: Annotated[int | None, Flag(help="Requests in flight at once.")] = None,
    host_concurrency: Annotated[int | None, Flag(help="Requests in flight per host.")] = None,
    processes: Annotated[
        int | None, Flag(help="Processes checking URLs (0: one per core; 1: no others).")
    ] = None,
    min_interval: Annotated[float | None, Flag(help="Seconds between requests to a host.")] = None,
    timeout: Annotated[float | None, Flag(help="Seconds for one request.")] = None,
    connect_timeout: Annotated[float | None, Flag(help="Seconds to connect.")] = None,
    read_timeout: Annotated[float | None, Flag(help="Seconds between two reads.")] = None,
    url_timeout: Annotated[float | None, Flag(help="Seconds per URL, retries included.")] = None,
    retries: Annotated[int | None, Flag(help="Extra attempts on transient failures.")] = None,
    retry_wait_max: Annotated[float | None, Flag(help="Longest wait between attempts.")] = None,
    max_redirects: Annotated[int | None, Flag(help="Redirects followed per URL.")] = None,
    max_body: Annotated[int | None, Flag(help="Bytes of an HTML body read at most.")] = None,
    user_agent: Annotated[str | None, Flag(help="The User-Agent header.")] = None,
    headers: Annotated[
        list[str] | None, Flag("--header", help="'Name: value' sent to every host.")
    ] = None,
    resolve: Annotated[list[str] | None, Flag(help="HOST:PORT:ADDRESS, as in curl.")] = None,
    connect_to: Annotated[
        list[str] | None, Flag(help="HOST:PORT:CONNECT_HOST:CONNECT_PORT, as in curl.")
    ] = None,
    insecure: Annotated[
        bool | None, Flag("--insecure/--no-insecure", help="Do not verify TLS certificates.")
    ] = None,
    allow_private: Annotated[
        bool | None,
        Flag("--allow-private/--no-allow-private", help="Fetch private and loopback addresses."),
    ] = None,
    accept: Annotated[
        str | None, Flag(help="Status codes that count as ok, e.g. 403,500-503.")
    ] = None,
    soft_404: Annotated[
        bool | None,
        Flag("--soft-404/--no-soft-404", help="Detect pages that answer 200 but are gone."),
    ] = None,
    soft_404_get: Annotated[
        str | None, Flag(help="Which HEAD-answered HTML pages get a GET: html, redirected, never.")
    ] = None,
    soft_404_probe: Annotated[
        bool | None,
        Flag("--soft-404-probe/--no-soft-404-probe", help="Compare with a random path's page."),
    ] = None,
    browser_headers: Annotated[
        list[str] | None,
        Flag(help="'Name: value' for the browser-like retry of a blocked URL (replaces all)."),
    ] = None,
    drift: Annotated[
        bool | None, Flag("--drift/--no-drift", help="Compare live pages with their snapshots.")
    ] = None,
    drift_threshold: Annotated[
        float | None, Flag(help="Share of a snapshot's text kept below which it drifted (0-1).")
    ] = None,
    doi_api: Annotated[
        str | None, Flag(help="DOI handle API asked about doi.org links (\"\" for none).")
    ] = None,
    fail_on: FailOn = None,
    json: JsonFile = None,
    html: HtmlFile = None,
    markdown: MarkdownFile = None,
    junit: JunitFile = None,
    sarif: SarifFile = None,
    csv: CsvFile = None,
    progress: Annotated[
        bool | None, Flag("--progress/--no-progress", help="Show a progress bar on a terminal.")
    ] = None,
    dump: Annotated[
        bool | None, Flag("--dump/--no-dump", help="Print the citations as JSON lines; no network.")
    ] = None,
    cited_on: Annotated[
        str | None, Flag(help="The date every citation was made, e.g. 2021-12-16.")
    ] = None,
    archive: Annotated[
        bool | None,
        Flag("--archive/--no-archive", help="Look up archived copies (--no-archive: never)."),
    ] = None,
    archive_lookup: Annotated[
        str | None, Flag(help="Which URLs get an archived copy: failing, all or never.")
    ] = None,
    save_missing: Annotated[
        bool | None,
        Flag("--save-missing/--no-save-missing", help="Have live, never archived URLs saved."),
    ] = None,
    history: HistoryFile = None,
    no_history: Annotated[
        bool | None, Flag("--no-history", help="Keep no history: no cache, no confirmation.")
    ] = None,
    cache: Annotated[
        bool | None, Flag("--cache/--no-cache", help="Reuse recent results (--no-cache: none).")
    ] = None,
    cache_max_age: Annotated[
        str | None, Flag(help="Reuse live results checked within this, e.g. 3600, 12h, 1d.")
    ] = None,
    confirm: Annotated[
        bool | None,
        Flag("--confirm/--no-confirm", help="Confirm failures over runs (--no-confirm: at once)."),
    ] = None,
    confirm_runs: Annotated[
        int | None, Flag(help="Failing checks in a row before a failure counts.")
    ] = None,
    confirm_days: Annotated[
        int | None, Flag(help="Days the failing checks must span before a failure counts.")
    ] = None,
    changed_since: Annotated[
        str | None, Flag(help="Check only files changed since this git revision.")
    ] = None,
) -> None:
    """Check every URL cited in INPUTS."""
    err = Console(stderr=True)
    try:
        settings = _settings(ctx, config)
        if ctx.info_name == "crawl":
            settings = replace(settings, recursive=True)
        if settings.dump:
            _dump(inputs, settings, err)
            return
        code = asyncio.run(_check(inputs, settings, err))
    except (ConfigError, InputError, StoreError) as error:
        raise _fail(error) from None
    raise typer.Exit(code)


app.command(
    "crawl",
    help="Crawl the sites at URLs and built-site folders in INPUTS, and check every link on "
    "their pages, #fragments included (check --recursive; see docs/crawl.md).",
)(check)


@app.command()
def report(
    ctx: typer.Context,
    saved: Annotated[Path, typer.Argument(help="A JSON report written by `check --json`.")],
    config: ConfigFile = None,
    fail_on: FailOn = None,
    json: JsonFile = None,
    html: HtmlFile = None,
    markdown: MarkdownFile = None,
    junit: JunitFile = None,
    sarif: SarifFile = None,
    csv: CsvFile = None,
) -> None:
    """Render reports from a saved JSON report, without checking again."""
    err = Console(stderr=True)
    try:
        settings = _settings(ctx, config)
        loaded = _read_saved(saved)
    except (ConfigError, InputError) as error:
        raise _fail(error) from None
    _write_reports(loaded, settings, err)
    raise typer.Exit(EXIT_FAILING if loaded.fatal(settings.fail_on) else EXIT_OK)


@app.command("history")
def history_command(
    ctx: typer.Context,
    url: Annotated[str | None, typer.Argument(help="List every recorded check of a URL.")] = None,
    failing: Annotated[
        bool, Flag("--failing", help="List the URLs failing now, and since when.")
    ] = False,
    config: ConfigFile = None,
    history: HistoryFile = None,
    fail_on: FailOn = None,
) -> None:
    """Show the history: one URL's timeline, or the URLs failing now."""
    try:
        settings = _settings(ctx, config)
        if bool(url) == failing:
            raise InputError("give a URL or --failing, not both")
        if not settings.history:
            raise InputError('the history is off (history = "")')
        store = Store(settings.history, create=False)
        if url:
            url = normalise(url)
            lines = [_check_line(check, url) for check in store.timeline(url)]
            empty = f"no check of {url} is recorded in {store.path}"
        else:
            lines = [_failing_line(entry) for entry in store.failing(settings.fail_on)]
            empty = "no URL fails now"
    except (ConfigError, InputError, StoreError) as error:
        raise _fail(error) from None
    for line in lines:
        typer.echo(line)
    if not lines:
        typer.echo(empty, err=True)


def _check_line(check: Check, url: str) -> str:
    parts = [
        timestamp(check.at),
        f"{check.verdict.value:<16}",
        f"{check.status if check.status is not None else '-':>3}",
        check.reason,
    ]
    if check.cached:
        parts.append(f"(cached, fetched {timestamp(check.fetched)})")
    if check.confirmed:
        parts.append("(confirmed)")
    if check.final_url and check.final_url != fetch_key(url):
        parts.append(f"final: {check.final_url}")
    if check.archive_url or check.archive_reason:
        parts.append(f"archive: {check.archive_url or check.archive_reason}")
    return "  ".join(part for part in parts if part)


def _failing_line(entry: Failing) -> str:
    confirmed = "confirmed" if entry.confirmed else "not confirmed yet"
    return (
        f"{entry.url}  {entry.verdict.value}  since {timestamp(entry.first_failed)}  "
        f"({plural(entry.consecutive_failures, 'check')} in a row, {confirmed}; "
        f"last {timestamp(entry.last_checked)})"
    )


# Options `fix` shares with `check`: the same flags, so the same config keys.
BaseUrl = Annotated[str | None, Flag(help="Resolve relative links against this URL.")]
RootDir = Annotated[str | None, Flag(help="Resolve root-relative links in files here.")]
Include = Annotated[list[str] | None, Flag(help="Check only URLs matching (regex).")]
Exclude = Annotated[list[str] | None, Flag(help="Skip URLs matching (regex).")]
Resolve = Annotated[list[str] | None, Flag(help="HOST:PORT:ADDRESS, as in curl.")]
AllowPrivate = Annotated[
    bool | None,
    Flag("--allow-private/--no-allow-private", help="Fetch private and loopback addresses."),
]
CitedOn = Annotated[str | None, Flag(help="The date every citation was made, e.g. 2021-12-16.")]
ArchiveLookup = Annotated[
    bool | None,
    Flag("--archive/--no-archive", help="Look up archived copies (--no-archive: never)."),
]
ShowProgress = Annotated[
    bool | None, Flag("--progress/--no-progress", help="Show a progress bar on a terminal.")
]


@app.command("fix")
def fix_command(
    ctx: typer.Context,
    inputs: Annotated[
        list[str] | None,
        typer.Argument(help="Files, folders, globs to check and fix (with --from: to fix)."),
    ] = None,
    saved: Annotated[
        Path | None, Flag("--from", help="Fix from this JSON report instead of checking first.")
    ] = None,
    write: Annotated[
        bool, Flag("--write", help="Apply the fixes (default: print the diff).")
    ] = False,
    config: ConfigFile = None,
    base_url: BaseUrl = None,
    root_dir: RootDir = None,
    include: Include = None,
    exclude: Exclude = None,
    resolve: Resolve = None,
    allow_private: AllowPrivate = None,
    cited_on: CitedOn = None,
    archive: ArchiveLookup = None,
    history: HistoryFile = None,
    no_history: Annotated[
        bool | None, Flag("--no-history", help="Keep no history: no cache, no confirmation.")
    ] = None,
    progress: ShowProgress = None,
) -> None:
    """Rewrite the moved and dead citations in INPUTS (see docs/fix.md).

    A moved URL becomes its new location, a dead one its archived copy, as
    the config file's fix table says. A dry run prints a unified diff;
    --write applies it.
    Exit status: 0 nothing to fix, or every fix written; 1 fixes pending (dry
    run), or a fix that could not be made; 2 usage, config or input error.
    """
    from linkcheck import fix as fixing  # here: only `fix` needs it

    err = Console(stderr=True)
    try:
        settings = _settings(ctx, config)
        selected = None
        if saved is not None:
            checked = _read_saved(saved)
            selected = fixing.within(inputs) if inputs else None
        elif inputs:
            checked = _check_before_fixing(inputs, settings, err)
        else:
            raise InputError("give the INPUTS to check and fix, or --from a saved JSON report")
        planned = fixing.plan(checked, settings, selected=selected)
        outcome = fixing.prepare(planned, settings.fix.style)
    except (ConfigError, InputError, StoreError) as error:
        raise _fail(error) from None
    raise typer.Exit(_fix_files(outcome, write=write, err=err))


def _check_before_fixing(inputs: list[str], settings: Config, err: Console) -> Report:
    """A check of the inputs, as `check` makes it; Ctrl-C ends it and fixes nothing."""
    show_bar = settings.progress and err.is_terminal
    try:
        with ProgressBar(err) if show_bar else contextlib.nullcontext() as bar:
            report = asyncio.run(
                run(inputs, settings, progress=bar, history=open_history(settings))
            )
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_SIGNAL[signal.SIGINT]) from None
    for warning in report.warnings:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    return report


def _fix_files(outcome: fixing.Outcome, *, write: bool, err: Console) -> int:
    """Print the diff (dry run) or write the files; the exit status."""
    from linkcheck import fix as fixing  # here: only `fix` needs it

    for skip in outcome.skipped:
        where = f"{skip.citation.source}:{skip.citation.line}:{skip.citation.column}"
        err.print(f"{where}: {skip.citation.url}: not fixed: {skip.reason}",
                  markup=False, highlight=False, soft_wrap=True)
    failed = bool(outcome.problems)
    done = []
    for change in outcome.changes:
        if not write:
            sys.stdout.write(change.diff())
            continue
        try:
            fixing.write(change)
            done.append(change)
        except fixing.FixError as error:
            err.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
            failed = True
    changes = done if write else outcome.changes
    count = plural(sum(len(change.fixes) for change in changes), "citation")
    if not changes:
        err.print("nothing to fix")
    elif write:
        err.print(f"fixed {count} in {plural(len(changes), 'file')}")
    else:
        err.print(f"{count} to fix in {plural(len(changes), 'file')}; --write applies the diff")
    if outcome.problems:
        err.print(f"{plural(len(outcome.problems), 'citation')} could not be fixed (see above)")
    pending = bool(outcome.changes) and not write
    return EXIT_FAILING if failed or pending else EXIT_OK


def _read_saved(path: Path) -> Report:
    from linkcheck.report import json as json_report  # here: only for a saved report

    try:
        data = jsonlib.loads(path.read_text(encoding="utf-8"))
        return json_report.from_dict(data)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise InputError(f"{path}: not a linkcheck JSON report ({error})") from None


def _write_reports(report: Report, settings: Config, err: Console) -> None:
    for name, path in settings.report_paths().items():
        write_atomic(Path(path), RENDERERS[name](report, fail_on=settings.fail_on))
        err.print(f"{name} report: {path}", markup=False, highlight=False)


def _dump(inputs: list[str], settings: Config, err: Console) -> None:
    def warn(message: str) -> None:
        err.print(f"warning: {message}", markup=False, highlight=False)

    for citation in iter_citations(inputs, settings, warn=warn):
        record = {
            "source": citation.source,
            "line": citation.line,
            "column": citation.column,
            "text": citation.text,
            "url": citation.url,
            "resolved": citation.resolved,
            "cited_on": citation.cited_on.isoformat() if citation.cited_on else None,
        }
        sys.stdout.write(jsonlib.dumps(record, ensure_ascii=False) + "\n")


async def _check(inputs: list[str], settings: Config, err: Console) -> int:
    stop = asyncio.Event()
    received: list[signal.Signals] = []
    loop = asyncio.get_running_loop()

    def on_signal(signum: signal.Signals) -> None:
        received.append(signum)
        stop.set()

    for signum in EXIT_SIGNAL:
        loop.add_signal_handler(signum, on_signal, signum)
    # The handlers stay while the reports are written: a second signal then
    # lets every report be finished instead of leaving some unwritten.
    try:
        show_bar = settings.progress and err.is_terminal
        with ProgressBar(err) if show_bar else contextlib.nullcontext() as bar:
            report = await run(
                inputs, settings, progress=bar, stop=stop, history=open_history(settings)
            )
        print_summary(Console(), report, settings.fail_on)
        _print_history(Console(), report, settings.fail_on)
        _write_reports(report, settings, err)
    finally:
        for signum in EXIT_SIGNAL:
            loop.remove_signal_handler(signum)
    if received:
        return EXIT_SIGNAL[received[0]]
    return EXIT_FAILING if report.fatal(settings.fail_on) else EXIT_OK


def _print_history(console: Console, report: Report, fail_on: frozenset[Verdict]) -> None:
    """What the history adds to the summary: the change since the previous
    run, the failures not confirmed yet, and how much came from the cache."""
    lines = []
    cached = sum(1 for r in report.results if r.history and r.history.cached_at)
    if cached:
        lines.append(f"{plural(cached, 'URL')} reused from the cache (checked recently)")
    if report.comparison is not None:
        change = report.comparison
        lines.append(
            f"Since the previous run: {len(change.newly_failing)} newly failing, "
            f"{len(change.recovered)} recovered, {len(change.still_failing)} still failing"
        )
    unconfirmed = report.unconfirmed(fail_on)
    if unconfirmed:
        lines.append(
            f"{plural(len(unconfirmed), 'failing URL')} not confirmed yet, "
            "so not failing the run (see [confirm] in config.toml)"
        )
    for line in lines:
        console.print(line, markup=False, highlight=False)


def main() -> None:
    app()
