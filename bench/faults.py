"""50,000 URLs against a server that drops ~10% of the requests' connections: nothing lost.

    python -m bench.faults [--urls 50000] [--drop-rate 0.1] [--seed 1]
    python -m bench.faults --interrupt 5 [--signal INT|TERM]
    python -m bench.faults --kill9

The CLI runs in a child process, exactly as a user runs it, on Markdown
documents citing pages (96%), 404s (3.8%) and always-dropped paths (0.2%)
on 20 host names, all served by `tests/fault_servers.DroppingServer` on
127.0.0.2 (in a thread of this process). The server decides which requests
to drop from (seed, path, n), and counts what it answered: the truth each
verdict is checked against. Printed: URLs, wall time, the child's peak RSS
(bound: 128 MiB + 8 KiB per URL), verdict counts, lost, doubled and wrong
results (all must be 0), the requests per URL, and whether the history (a
fresh bench/.work/faults/history.db each run, so no cache answers for the
server) passes SQLite's integrity check.

`--interrupt S` sends SIGINT (or `--signal TERM`) S seconds in and checks
that the JSON report is valid, `complete: false`, a subset of the cited URLs
without duplicates and with true verdicts, and how long the CLI took to exit.
`--kill9` puts an old report at the report path, and SIGKILLs the CLI as
soon as the new report's temporary file appears (mid-write): the report path
must still hold the old report byte for byte (or, had the rename won the
race, the complete new one).

Exits 1 when a check fails. Files go to bench/.work/faults/.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the server is the test suite's

from fault_servers import ADDRESS, DroppingServer  # noqa: E402

WORK = ROOT / "bench" / ".work" / "faults"
SCHEMA = ROOT / "docs" / "report.schema.json"
HISTORY = WORK / "history.db"
HOSTS = tuple(f"site{i}.test" for i in range(20))
LINKS_PER_DOCUMENT = 1_000
EXIT_SIGNAL = {"INT": 130, "TERM": 143}
RSS_BASE_MB, RSS_PER_URL_KB = 128, 8
TEMPORARY = re.compile(r"\.report\.json\..+\.tmp")


class ServerThread:
    """The dropping server on its own event loop, in a daemon thread."""

    def __init__(self, drop_rate: float, seed: int) -> None:
        self.server = DroppingServer(drop_rate=drop_rate, seed=seed)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> DroppingServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(10)
        return self.server

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def write_corpus(folder: Path, server: DroppingServer, urls: int) -> list[str]:
    """Markdown documents citing `urls` distinct URLs; returns them as cited."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.md"):
        old.unlink()
    dead, gone = urls // 500, urls * 19 // 500
    paths = (
        [f"/page/{n}" for n in range(urls - dead - gone)]
        + [f"/gone/{n}" for n in range(gone)]
        + [f"/dead/{n}" for n in range(dead)]
    )
    cited = [server.url(path, HOSTS[i % len(HOSTS)]) for i, path in enumerate(paths)]
    for start in range(0, len(cited), LINKS_PER_DOCUMENT):
        lines = (
            f"- [source {n}]({url})\n"
            for n, url in enumerate(cited[start : start + LINKS_PER_DOCUMENT], start)
        )
        (folder / f"doc{start // LINKS_PER_DOCUMENT:03}.md").write_text(
            "# Sources\n\n" + "".join(lines), encoding="utf-8"
        )
    return cited


@dataclass(frozen=True)
class Child:
    """One finished CLI process."""

    returncode: int
    wall_s: float
    max_rss_mb: float
    signalled_at: float | None  # time.monotonic()
    exit_after_signal_s: float | None
    caught_writing: bool


def run_cli(
    args: list[str],
    log: Path,
    *,
    signal_after: tuple[float, signal.Signals] | None = None,
    kill_when: Callable[[], bool] | None = None,
    timeout: float = 900,
) -> Child:
    """Run the CLI; signal it after a delay, or SIGKILL it as soon as `kill_when` holds.

    The child is reaped with `os.wait4`, so its peak RSS is its own.
    """
    started = time.monotonic()
    signalled: float | None = None
    caught = False
    with log.open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "linkcheck", *args], cwd=WORK, stdout=out,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            while True:
                pid, status, usage = os.wait4(child.pid, os.WNOHANG)
                if pid:
                    break
                now = time.monotonic()
                if now - started > timeout:
                    child.kill()
                elif signal_after and signalled is None and now - started >= signal_after[0]:
                    child.send_signal(signal_after[1])
                    signalled = now
                elif kill_when is not None and not caught and kill_when():
                    child.kill()
                    caught = True
                time.sleep(0.0002 if kill_when else 0.01)
        except BaseException:  # interrupted: leave nothing running
            child.kill()
            child.wait()
            raise
    ended = time.monotonic()
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return Child(
        returncode=child.returncode,
        wall_s=ended - started,
        max_rss_mb=usage.ru_maxrss / 1024,  # Linux reports KiB
        signalled_at=signalled,
        exit_after_signal_s=None if signalled is None else ended - signalled,
        caught_writing=caught,
    )


def cli_args(docs: Path, report: Path, port: int) -> list[str]:
    """A fresh history per run: a cache from the last one would answer instead of the server."""
    resolve = [f"--resolve={host}:{port}:{ADDRESS}" for host in HOSTS]
    return ["check", str(docs), f"--json={report}", "--html=", "--no-archive", "--no-progress",
            f"--history={HISTORY}", "--allow-private", *resolve]  # fmt: skip


def history_problems() -> list[str]:
    """What SQLite finds wrong with the history the run left (a killed one too)."""
    if not HISTORY.exists():
        return []
    with contextlib.closing(sqlite3.connect(HISTORY)) as db:
        rows = db.execute("PRAGMA integrity_check").fetchall()
    return [row[0] for row in rows if row[0] != "ok"]


def rss_bound_mb(urls: int) -> float:
    """The stated bound: the interpreter and its modules, plus 8 KiB per URL (its
    result, citation and report entry are kept to the end, by design)."""
    return RSS_BASE_MB + urls * RSS_PER_URL_KB / 1024


def truth(server: DroppingServer, url: str) -> str:
    """The verdict `url` must get: a path answered at least once is what its kind says."""
    path = urllib.parse.urlsplit(url).path
    if not server.answered[path]:
        return "error"
    return "ok" if path.startswith("/page/") else "broken"


def audit(report: dict[str, Any], cited: list[str], server: DroppingServer) -> dict[str, Any]:
    """Lost, doubled, unknown and wrong results, and the verdict counts."""
    urls = [result["url"] for result in report["results"]]
    known = set(cited)
    wrong = [
        (r["url"], r["verdict"], r["reason"])
        for r in report["results"]
        if r["url"] in known and r["verdict"] != truth(server, r["url"])
    ]
    return {
        "results": len(urls),
        "lost": len(known - set(urls)),
        "doubled": sum(n - 1 for n in Counter(urls).values()),
        "unknown": len(set(urls) - known),
        "wrong": wrong,
        "verdicts": dict(Counter(r["verdict"] for r in report["results"]).most_common()),
        "attempts": dict(sorted(Counter(r["attempts"] for r in report["results"]).items())),
    }


def schema_errors(report: dict[str, Any]) -> str | None:
    try:
        import jsonschema
    except ImportError:
        return None
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(report)
    )
    return None if error is None else error.message


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.faults", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--urls", type=int, default=50_000)
    parser.add_argument("--drop-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--interrupt", type=float, metavar="SECONDS", help="signal the CLI then")
    mode.add_argument("--kill9", action="store_true", help="SIGKILL while the report is written")
    parser.add_argument("--signal", choices=sorted(EXIT_SIGNAL), default="INT")
    args = parser.parse_args(argv)

    WORK.mkdir(parents=True, exist_ok=True)
    report_path = WORK / "report.json"
    for leftover in [report_path, *WORK.glob(".report.json.*.tmp"), *WORK.glob("history.db*")]:
        leftover.unlink(missing_ok=True)
    old_report = b'{"note": "the previous report"}\n'
    if args.kill9:
        report_path.write_bytes(old_report)

    with ServerThread(args.drop_rate, args.seed) as server:
        cited = write_corpus(WORK / "docs", server, args.urls)
        signal_after = None
        if args.interrupt is not None:
            signal_after = (args.interrupt, getattr(signal, f"SIG{args.signal}"))

        def writing() -> bool:
            return any(TEMPORARY.fullmatch(name) for name in os.listdir(WORK))

        child = run_cli(
            cli_args(WORK / "docs", report_path, server.port), WORK / "cli.log",
            signal_after=signal_after, kill_when=writing if args.kill9 else None,
        )  # fmt: skip
    return report(args, child, server, cited, report_path, old_report)


def report(
    args: argparse.Namespace,
    child: Child,
    server: DroppingServer,
    cited: list[str],
    report_path: Path,
    old_report: bytes,
) -> int:
    """Print the figures; 1 when a check failed."""
    failures: list[str] = []
    print(f"URLs: {len(cited):,} on {len(HOSTS)} hosts; drop rate {args.drop_rate:.0%}, "
          f"seed {args.seed}")  # fmt: skip
    bound = rss_bound_mb(len(cited))
    print(f"wall: {child.wall_s:.1f} s; CLI peak RSS: {child.max_rss_mb:.0f} MiB "
          f"(bound {bound:.0f} MiB); exit code {child.returncode}")  # fmt: skip
    if child.max_rss_mb > bound:
        failures.append(f"peak RSS {child.max_rss_mb:.0f} MiB above {bound:.0f} MiB")
    sent, dropped = server.requests, server.dropped.total()
    print(f"server: {sent:,} requests ({sent / len(cited):.2f} per URL), "
          f"{dropped:,} dropped ({dropped / max(1, sent):.1%})")  # fmt: skip
    leftovers = sorted(p.name for p in WORK.iterdir() if TEMPORARY.fullmatch(p.name))
    damaged = history_problems()
    print(f"history: {'damaged: ' + '; '.join(damaged[:3]) if damaged else 'intact'}")
    if damaged:
        failures.append("the history is damaged")

    if args.kill9:
        print(f"SIGKILL while writing: {'yes' if child.caught_writing else 'no (finished first)'}")
        content = report_path.read_bytes() if report_path.exists() else None
        if content == old_report:
            print("report path: the old report, byte for byte")
        elif content is not None and json.loads(content).get("complete") is True:
            print("report path: the new, complete report (the rename came first)")
        else:
            failures.append("the report path holds neither the old nor a complete new report")
        print(f"temporary files left: {leftovers or 'none'}")
        return _verdict(failures)

    # 1 for a whole run: the 404s and dead paths fail it.
    expected = EXIT_SIGNAL[args.signal] if args.interrupt is not None else 1
    if child.returncode != expected:
        failures.append(f"exit code {child.returncode}, expected {expected}")
    if leftovers:
        failures.append(f"temporary files left: {leftovers}")
    if not report_path.exists():  # e.g. a signal before the CLI set its handlers
        failures.append(f"no report written (see {WORK / 'cli.log'})")
        return _verdict(failures)
    data = json.loads(report_path.read_text(encoding="utf-8"))
    problem = schema_errors(data)
    if problem:
        failures.append(f"schema: {problem}")
    found = audit(data, cited, server)
    if args.interrupt is not None:
        assert child.signalled_at is not None
        quiet = max(0.0, server.last_request - child.signalled_at)
        print(f"{args.signal} after {args.interrupt:g} s; last request {quiet:.2f} s later; "
              f"the CLI exited {child.exit_after_signal_s:.2f} s later; "
              f"complete: {data['complete']}")  # fmt: skip
        if data["complete"] is not False:
            failures.append("an interrupted report says complete")
        found["lost"] = 0  # a subset is expected; unknown and doubled still count
    print(f"results: {found['results']:,}; verdicts: {found['verdicts']}")
    print(f"attempts per URL: {found['attempts']}")
    print(f"lost: {found['lost']}, doubled: {found['doubled']}, not cited: {found['unknown']}, "
          f"wrong verdicts: {len(found['wrong'])}")  # fmt: skip
    for name in ("lost", "doubled", "unknown"):
        if found[name]:
            failures.append(f"{found[name]} {name} results")
    failures += [f"wrong verdict: {url} {verdict} ({reason})"
                 for url, verdict, reason in found["wrong"][:10]]  # fmt: skip
    return _verdict(failures)


def _verdict(failures: list[str]) -> int:
    for failure in failures:
        print(f"FAIL: {failure}")
    print("PASS" if not failures else f"{len(failures)} checks failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
