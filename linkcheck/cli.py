"""The command line: options → Config → runner → renderers → exit code.

This is the only module that touches typer, the terminal and the exit
status. Exit codes: 0 nothing fails, 1 a verdict in `fail_on` occurred,
2 usage, config or input error, 130 interrupted (SIGINT), 143 (SIGTERM).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from linkcheck import __version__
from linkcheck.collect import InputError
from linkcheck.config import Config, ConfigError, load
from linkcheck.report import json as json_report
from linkcheck.report import write_atomic
from linkcheck.report.terminal import ProgressBar, print_summary
from linkcheck.runner import iter_citations, run

EXIT_OK, EXIT_FAILING, EXIT_USAGE = 0, 1, 2
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}

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


@app.command()
def check(
    inputs: Annotated[
        list[str], typer.Argument(help="Files, folders, glob patterns, '-' for stdin, or page URLs.")
    ],
    config: Annotated[Path | None, Flag(help="A TOML config file (see config.toml).")] = None,
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
    header: Annotated[list[str] | None, Flag(help="'Name: value' sent to every host.")] = None,
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
    accept: Annotated[str | None, Flag(help="Status codes that count as ok, e.g. 403,500-503.")] = None,
    fail_on: Annotated[str | None, Flag(help="Verdicts that fail the run, comma-separated.")] = None,
    json_path: Annotated[str | None, Flag("--json", help="Write the JSON report here.")] = None,
    progress: Annotated[
        bool | None, Flag("--progress/--no-progress", help="Show a progress bar on a terminal.")
    ] = None,
    dump: Annotated[
        bool | None, Flag("--dump/--no-dump", help="Print the citations as JSON lines; no network.")
    ] = None,
) -> None:
    """Check every URL cited in INPUTS."""
    flags: dict[str, Any] = {
        "base_url": base_url, "root_dir": root_dir, "resources": resources,
        "include": include or None, "exclude": exclude or None,
        "max_concurrency": max_concurrency, "host_concurrency": host_concurrency,
        "min_interval": min_interval, "timeout": timeout, "connect_timeout": connect_timeout,
        "read_timeout": read_timeout, "url_timeout": url_timeout, "retries": retries,
        "retry_wait_max": retry_wait_max, "max_redirects": max_redirects, "max_body": max_body,
        "user_agent": user_agent, "headers": header or None, "resolve": resolve or None,
        "connect_to": connect_to or None,
        "insecure": insecure, "allow_private": allow_private, "accept": accept,
        "fail_on": fail_on, "json": json_path, "progress": progress, "dump": dump,
    }
    err = Console(stderr=True)
    try:
        settings = load(config, flags)
        if settings.dump:
            _dump(inputs, settings, err)
            return
        code = asyncio.run(_check(inputs, settings, err))
    except (ConfigError, InputError) as error:
        err.print(f"[red]error:[/] {error}", highlight=False, markup=True)
        raise typer.Exit(EXIT_USAGE) from None
    raise typer.Exit(code)


def _dump(inputs: list[str], settings: Config, err: Console) -> None:
    def warn(message: str) -> None:
        err.print(f"warning: {message}", markup=False, highlight=False)

    for citation in iter_citations(inputs, settings, warn=warn):
        record = {
            "source": citation.source, "line": citation.line, "column": citation.column,
            "text": citation.text, "url": citation.url, "resolved": citation.resolved,
            "cited_on": citation.cited_on.isoformat() if citation.cited_on else None,
        }
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")


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

    if settings.json:
        write_atomic(Path(settings.json), json_report.render(report))
    print_summary(Console(), report, settings.fail_on)
    if received:
        return EXIT_SIGNAL[received[0]]
    return EXIT_FAILING if report.failing(settings.fail_on) else EXIT_OK


def main() -> None:
    app()
