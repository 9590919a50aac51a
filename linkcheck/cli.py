"""The command line: options → Config → runner → renderers → exit code.

This is the only module that touches typer, the terminal and the exit
status. Exit codes: 0 nothing fails, 1 a verdict in `fail_on` occurred,
2 usage, config or input error, 130 interrupted (SIGINT), 143 (SIGTERM).
"""

from __future__ import annotations

import asyncio
import contextlib
import json as jsonlib
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from linkcheck import __version__
from linkcheck.collect import InputError
from linkcheck.config import ARCHIVE_FLAGS, Config, ConfigError, load, option_names
from linkcheck.models import Report
from linkcheck.report import json as json_report
from linkcheck.report import write_atomic
from linkcheck.report.formats import RENDERERS
from linkcheck.report.terminal import ProgressBar, print_summary
from linkcheck.runner import iter_citations, run

EXIT_OK, EXIT_FAILING, EXIT_USAGE = 0, 1, 2
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}
CONFIG_KEYS = frozenset(option_names()) | frozenset(ARCHIVE_FLAGS)

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


def _settings(ctx: typer.Context, config: Path | None) -> Config:
    """The command's flags, named as the config keys, over the config file."""
    flags = {
        name: (value or None) if isinstance(value, list) else value
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
    max_concurrency: Annotated[int | None, Flag(help="Requests in flight at once.")] = None,
    host_concurrency: Annotated[int | None, Flag(help="Requests in flight per host.")] = None,
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
) -> None:
    """Check every URL cited in INPUTS."""
    err = Console(stderr=True)
    try:
        settings = _settings(ctx, config)
        if settings.dump:
            _dump(inputs, settings, err)
            return
        code = asyncio.run(_check(inputs, settings, err))
    except (ConfigError, InputError) as error:
        raise _fail(error) from None
    raise typer.Exit(code)


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
    raise typer.Exit(EXIT_FAILING if loaded.failing(settings.fail_on) else EXIT_OK)


def _read_saved(path: Path) -> Report:
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
    try:
        show_bar = settings.progress and err.is_terminal
        with ProgressBar(err) if show_bar else contextlib.nullcontext() as bar:
            report = await run(inputs, settings, progress=bar, stop=stop)
    finally:
        for signum in EXIT_SIGNAL:
            loop.remove_signal_handler(signum)

    print_summary(Console(), report, settings.fail_on)
    _write_reports(report, settings, err)
    if received:
        return EXIT_SIGNAL[received[0]]
    return EXIT_FAILING if report.failing(settings.fail_on) else EXIT_OK


def main() -> None:
    app()
