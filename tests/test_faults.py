"""Fault injection: every hostile server of the catalogue, through the whole pipeline.

Each fault is cited in a Markdown document next to a healthy neighbour and
checked by `linkcheck.runner.run`, exactly as a user's run would. For each:
the verdict and reason are the documented ones, every cited URL has exactly
one result (nothing lost, nothing doubled, the neighbour unharmed), and the
Python heap's peak (tracemalloc, around the run) stays under a stated bound.
tracemalloc sees Python allocations only (bytes, str, every object; not
lxml's or zlib's own buffers): bench/faults.py measures the whole process.

The suite runs with `allow_private = false`: the servers live on 127.0.0.2,
the only address allowed, names come from a `MappingResolver` and sockets
from a `RecordingSocketFactory`, so even a broken guard could not send a
packet beyond loopback; every fault also asserts what the factory saw.

`pytest tests/test_faults.py -s` prints the figures of docs/hardening.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sqlite3
import sys
import time
import tracemalloc
import urllib.parse
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fault_servers import ADDRESS, DroppingServer, FaultCatalogue, SilentAt, brotli_bomb
from servers import HOSTS, Catalogue, MappingResolver, RecordingSocketFactory, bomb, fast_config
from test_cli import server_flags

from linkcheck.check import Checker
from linkcheck.config import ArchiveConfig, Config
from linkcheck.models import Report, Result, Verdict
from linkcheck.runner import run
from linkcheck.urls import normalise

MiB = 1024 * 1024
MAX_BODY = 2 * MiB  # the default, so that the figures are those of a default run
BASE_BOUND = 4 * MiB  # one run's own heap: session, parsers, a report of two results
BODY_BOUND = 2 * MAX_BODY + BASE_BOUND  # a body read in full: the body, and one copy
NAMES: dict[str, list[str]] = {
    **{host: [ADDRESS] for host in (*HOSTS, "silent.test")},
    "metadata.test": ["169.254.169.254"],
    "rebinding.test": ["127.0.0.1"],
}
T = TypeVar("T")

try:
    brotli_bomb()
    HAS_BROTLI = True
except ImportError:
    HAS_BROTLI = False


def skipped_for(address: str) -> str:
    return f"private address {address} (set allow_private to check it)"


def after_get(reason: str) -> re.Pattern[str]:
    """What GET got, noted after the refused HEAD when HEAD was sent first: whether it
    is depends on the HEAD/GET strategy (fetch.py), not on the fault."""
    return re.compile(r"(HEAD 405, GET )?" + re.escape(reason))


def cut_short(received: int, announced: int) -> re.Pattern[str]:
    return after_get(
        "transfer broken: not enough data to satisfy content length header "
        f"(received {received} of {announced} bytes)"
    )


@dataclass
class Servers:
    """The fault catalogue and the silent server, as the table's URLs see them."""

    catalogue: FaultCatalogue
    silent: SilentAt

    def url(self, path: str, host: str = HOSTS[0]) -> str:
        return self.catalogue.url(path, host)

    def redirect(self, target: str) -> str:
        return self.url("/redirect/302?to=" + urllib.parse.quote(target, safe=""))


@dataclass(frozen=True)
class Fault:
    """One row of the table: what is cited, with which settings, and what must come of it."""

    name: str
    url: Callable[[Servers], str]
    verdict: Verdict
    reason: str | re.Pattern[str]  # a pattern where it quotes the server or varies
    settings: Mapping[str, Any] = field(default_factory=dict)
    bound: int = BASE_BOUND
    needs: str | None = None  # an optional module the fault needs


def at(path: str) -> Callable[[Servers], str]:
    return lambda servers: servers.url(path)


def redirect_to(target: str) -> Callable[[Servers], str]:
    """A redirect from the (allowed) catalogue to `target`; `{port}` is the catalogue's."""
    return lambda servers: servers.redirect(target.format(port=servers.catalogue.port))


DRIP = {"timeout": 0.6, "read_timeout": 0.4, "retries": 0}
FAULTS = [
    Fault("connection reset", at("/reset"), Verdict.ERROR, "connection reset"),
    Fault("closed without an answer", at("/close"), Verdict.ERROR, "server disconnected"),
    Fault("reset mid-body", at("/reset-mid-body?head=405"), Verdict.ERROR,
          cut_short(1000, 100_000)),
    Fault("reset mid-body, HEAD answered 200 (that answer stands)", at("/reset-mid-body"),
          Verdict.OK, "200 OK"),
    Fault("lying Content-Length", at("/lying-length?head=405"), Verdict.ERROR,
          cut_short(10, 1000)),
    Fault("redirect loop", at("/loop/a"), Verdict.ERROR, "redirect loop"),
    Fault("endless redirect to new URLs", at("/forever/0"), Verdict.ERROR,
          "too many redirects (10)"),
    Fault("redirect into 127.0.0.1", redirect_to("http://127.0.0.1:{port}/ok"), Verdict.SKIPPED,
          skipped_for("127.0.0.1")),
    Fault("redirect into 169.254.169.254", redirect_to("http://169.254.169.254/latest/meta-data/"),
          Verdict.SKIPPED, skipped_for("169.254.169.254")),
    Fault("redirect to a name for 169.254.169.254", redirect_to("http://metadata.test/"),
          Verdict.SKIPPED, skipped_for("169.254.169.254")),
    Fault("redirect to a name rebound to 127.0.0.1", redirect_to("http://rebinding.test/"),
          Verdict.SKIPPED, skipped_for("127.0.0.1")),
    Fault("gzip bomb, 128 MiB", at("/bomb/gzip?head=405"), Verdict.OK, after_get("200 OK"),
          bound=BODY_BOUND),
    Fault("gzip bomb, 128 MiB, HEAD answered 200", at("/bomb/gzip"), Verdict.OK, "200 OK",
          bound=BODY_BOUND),
    Fault("deflate bomb, 128 MiB", at("/bomb/deflate?head=405"), Verdict.OK,
          after_get("200 OK"), bound=BODY_BOUND),
    Fault("brotli bomb, 128 MiB", at("/bomb/br?head=405"), Verdict.OK, after_get("200 OK"),
          bound=BODY_BOUND, needs="brotli"),
    Fault("64 MiB download", at("/huge?head=405"), Verdict.OK, after_get("200 OK")),
    Fault("10,000 headers", at("/many-headers"), Verdict.ERROR,
          "bad response: too many headers received"),
    Fault("one header of 1 MiB", at("/long-header"), Verdict.ERROR,
          re.compile(r"bad response: got more than 16384 bytes when reading: b'x+…"),
          bound=BASE_BOUND + 3 * MiB),  # the server in this process builds it 3 times
    Fault("slow drip, 1 byte / 0.1 s", at("/drip?head=405&every=0.1"), Verdict.TIMEOUT,
          after_get("no complete answer within 0.6s"), DRIP),
    Fault("slow drip, 1 byte / 1 s", at("/drip?head=405&every=1&count=3"), Verdict.TIMEOUT,
          after_get("read timeout (0.4s)"), DRIP),
    Fault("accepts, never answers", lambda s: s.silent.url(host="silent.test"), Verdict.TIMEOUT,
          "read timeout (0.5s)", {"read_timeout": 0.5, "retries": 1}),
    Fault("accepts, never answers; url_timeout ends the retries",
          lambda s: s.silent.url(host="silent.test"), Verdict.TIMEOUT,
          "no result within url_timeout (1.2s)",
          {"read_timeout": 0.5, "retries": 10, "url_timeout": 1.2}),
]  # fmt: skip


@dataclass(frozen=True)
class Figure:
    """What one fault cost, for the table in docs/hardening.md."""

    name: str
    verdict: str
    reason: str
    attempts: int
    peak: int
    bound: int
    seconds: float


FIGURES: list[Figure] = []


@pytest.fixture(scope="module", autouse=True)
def _print_figures() -> Iterator[None]:
    """With `-s`, the figures as the Markdown table of docs/hardening.md."""
    yield
    if FIGURES:
        print("\n| fault | verdict | reason | attempts | peak traced heap | bound | time |")
        print("|---|---|---|---|---|---|---|")
    for f in FIGURES:
        print(f"| {f.name} | {f.verdict} | {f.reason} | {f.attempts} | {f.peak / MiB:.2f} MiB "
              f"| {f.bound / MiB:.0f} MiB | {f.seconds:.2f} s |")  # fmt: skip


@pytest.fixture
async def servers() -> AsyncIterator[Servers]:
    catalogue, silent = FaultCatalogue(), SilentAt()
    await catalogue.start()
    await silent.start()
    yield Servers(catalogue, silent)
    await silent.close()
    await catalogue.close()


async def traced(work: Awaitable[T]) -> tuple[T, int, float]:
    """What `work` returns, the peak of the Python heap above its start, and the seconds."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        began = time.perf_counter()
        value = await work
        seconds = time.perf_counter() - began
        return value, tracemalloc.get_traced_memory()[1] - start, seconds
    finally:
        tracemalloc.stop()


def config(**settings: Any) -> Config:
    """The suite's settings: the guard on, no archive lookups, test-sized waits."""
    base = {"allow_private": False, "archive": ArchiveConfig(lookup="never"), "max_body": MAX_BODY}
    return fast_config(**{**base, "retries": 1, **settings})


async def check_document(
    doc: Path,
    settings: Config,
    factory: RecordingSocketFactory,
    names: Mapping[str, list[str]],
    stop: asyncio.Event | None = None,
) -> Report:
    """The whole pipeline on `doc` (a file or folder), allowed to connect to ADDRESS only."""

    def checker(config: Config) -> Checker:
        return Checker(
            config,
            resolver=MappingResolver(names),
            socket_factory=factory,
            allowed_networks=[f"{ADDRESS}/32"],
        )

    return await run([str(doc)], settings, checker=checker, stop=stop)


def cite(doc: Path, urls: list[str]) -> Path:
    doc.write_text(
        "# Citations\n\n" + "".join(f"- [source {i}]({url})\n" for i, url in enumerate(urls)),
        encoding="utf-8",
    )
    return doc


def by_url(report: Report, cited: list[str]) -> dict[str, Result]:
    """The results by URL, once it is sure that each cited URL has exactly one."""
    urls = [result.url for result in report.results]
    assert report.complete
    assert len(urls) == len(set(urls)), [u for u, n in Counter(urls).items() if n > 1]
    assert sorted(urls) == sorted({normalise(url) for url in cited})
    return {result.url: result for result in report.results}


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(
            fault,
            id=fault.name,
            marks=[pytest.mark.skipif(not HAS_BROTLI, reason="brotli is not installed")]
            if fault.needs == "brotli"
            else [],
        )
        for fault in FAULTS
    ],
)
async def test_fault(servers: Servers, tmp_path: Path, fault: Fault) -> None:
    for encoding in ("gzip", "deflate"):  # built once per session, never while measured
        bomb(encoding)
    neighbour = servers.url("/page", host="b.test")
    factory = RecordingSocketFactory()
    warm = cite(tmp_path / "warm.md", [servers.url("/ok"), neighbour])
    await check_document(warm, config(), factory, NAMES)  # imports and pools, untraced

    cited = [fault.url(servers), neighbour]
    settings = config(**fault.settings)
    doc = cite(tmp_path / "fault.md", cited)
    report, peak, seconds = await traced(check_document(doc, settings, factory, NAMES))

    results = by_url(report, cited)
    result, healthy = results[normalise(cited[0])], results[normalise(neighbour)]
    FIGURES.append(Figure(fault.name, result.verdict.value, result.fetch.reason,
                          result.fetch.attempts, peak, fault.bound, seconds))  # fmt: skip
    assert result.verdict is fault.verdict
    if isinstance(fault.reason, str):
        assert result.fetch.reason == fault.reason
    else:
        assert fault.reason.fullmatch(result.fetch.reason), result.fetch.reason
    assert healthy.verdict is Verdict.OK
    assert factory.refused == []  # nothing beyond loopback was ever tried
    assert set(factory.loopback) == {ADDRESS}  # nor any loopback address but the allowed one
    assert peak < fault.bound, f"{peak / MiB:.1f} MiB"


# --- many URLs, a server that drops ~10% of the requests' connections ---

DROP_HOSTS = tuple(f"h{i}.test" for i in range(8))
DROP_BOUND = 16 * MiB  # 2,000 URLs: their results, citations and report


def drop_corpus(server: DroppingServer, pages: int, gone: int, dead: int) -> list[str]:
    """Pages, 404s and always-dropped paths, spread over the hosts in turn."""
    paths = (
        [f"/page/{n}" for n in range(pages)]
        + [f"/gone/{n}" for n in range(gone)]
        + [f"/dead/{n}" for n in range(dead)]
    )
    return [server.url(path, DROP_HOSTS[i % len(DROP_HOSTS)]) for i, path in enumerate(paths)]


def expected(server: DroppingServer, url: str) -> Verdict:
    """The truth: a path answered at least once is what its kind says; else an error."""
    path = urllib.parse.urlsplit(url).path
    if not server.answered[path]:
        return Verdict.ERROR
    return Verdict.OK if path.startswith("/page/") else Verdict.BROKEN


async def test_dropped_connections_are_retried_and_nothing_is_lost(tmp_path: Path) -> None:
    server = DroppingServer(drop_rate=0.1, seed=20_240_601)
    await server.start()
    try:
        cited = drop_corpus(server, pages=1_800, gone=150, dead=50)
        doc = cite(tmp_path / "many.md", cited)
        names = {host: [ADDRESS] for host in DROP_HOSTS}
        # HEAD answers suffice here (a dropped HEAD still falls back to GET); the
        # soft-404 GET of every page would double the time. bench/faults.py has it.
        settings = config(retries=2, host_concurrency=8, soft_404_get="never")
        factory = RecordingSocketFactory()
        report, peak, seconds = await traced(check_document(doc, settings, factory, names))
    finally:
        await server.close()

    results = by_url(report, cited)
    wrong = {url: (r.verdict, r.fetch.reason) for url, r in results.items()
             if r.verdict is not expected(server, url)}  # fmt: skip
    assert wrong == {}
    verdicts = Counter(result.verdict for result in results.values())
    dead = [r.fetch for url, r in results.items() if "/dead/" in url]
    survived = [url for url, r in results.items()
                if "/page/" in url and server.dropped[urllib.parse.urlsplit(url).path]]  # fmt: skip
    FIGURES.append(Figure(
        f"{len(cited):,} URLs, {server.dropped.total():,} of {server.requests:,} requests "
        "dropped", ", ".join(f"{n:,} {v.value}" for v, n in verdicts.most_common()),
        f"{len(survived)} pages dropped then answered: ok; always dropped: "
        + ", ".join(sorted({fetch.reason for fetch in dead})),
        max(fetch.attempts for fetch in dead), peak, DROP_BOUND, seconds,
    ))  # fmt: skip
    assert server.dropped.total() > 0.05 * server.requests  # the fault really happened
    assert survived  # and transient drops were retried into ok
    assert {(fetch.verdict, fetch.attempts) for fetch in dead} == {(Verdict.ERROR, 3)}
    assert verdicts[Verdict.BROKEN] == 150  # the 404s; a drop never makes a page broken
    assert factory.refused == []
    assert peak < DROP_BOUND, f"{peak / MiB:.1f} MiB"


# --- a stop (Ctrl-C, SIGTERM) is heard while the inputs are still being read ---


async def test_a_stop_during_collection_ends_it_early(tmp_path: Path) -> None:
    """Reading a large input takes seconds; a Ctrl-C must not wait for all of it."""
    for n in range(3):
        cite(tmp_path / f"doc{n}.md", [f"http://a.test/{n}/{i}" for i in range(2_000)])
    stop = asyncio.Event()
    stop.set()  # as if the signal came in while the first document was read
    factory = RecordingSocketFactory()
    report = await check_document(tmp_path, config(), factory, NAMES, stop=stop)
    assert (report.complete, report.results) == (False, ())
    assert report.documents < 3
    assert factory.loopback == factory.refused == []


# --- a killed run never leaves a half-written report, nor a damaged history ---

# In the child: SIGKILL itself once the new report is written to its temporary
# file and flushed, just before the rename: the worst moment for a crash.
KILL_BEFORE_RENAME = (
    "import os, signal\nos.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)\n"
)


async def cli(
    args: list[str], cwd: Path, *, prelude: str = "", kill_when: Callable[[], bool] | None = None
) -> int:
    """Run the CLI (after `prelude`) in a subprocess; SIGKILL it once `kill_when` holds."""
    code = prelude + "from linkcheck.cli import main\nmain()\n"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, *args, cwd=cwd, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    if kill_when is not None:
        for _ in range(400):
            if kill_when() or process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        process.kill()
    return await asyncio.wait_for(process.wait(), timeout=40)


async def first_run(catalogue: Catalogue, folder: Path, report: Path) -> None:
    """A whole run that leaves a report at `report` and a history in `folder`."""
    doc = cite(folder / "first.md", [catalogue.url("/ok"), catalogue.url("/page")])
    assert await cli(cli_args(catalogue, doc, report), folder) == 0
    assert history(folder).exists()


def cli_args(catalogue: Catalogue, doc: Path, report: Path) -> list[str]:
    return ["check", str(doc), "--json", str(report), "--html", "", "--no-archive",
            *server_flags(catalogue)]  # fmt: skip


def history(cwd: Path) -> Path:
    return cwd / ".linkcheck" / "history.db"


def history_problems(path: Path) -> list[str]:
    """What SQLite finds wrong with a history (a missing one counts)."""
    if not path.exists():
        return ["no history"]
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = db.execute("PRAGMA integrity_check").fetchall()
        runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    return [row[0] for row in rows if row[0] != "ok"] + ([] if runs else ["no run recorded"])


def temporary_files(folder: Path) -> list[str]:
    """Leftovers of `report.write_atomic`: `.<name>.<random>.tmp`."""
    return sorted(p.name for p in folder.iterdir() if re.fullmatch(r"\..+\.tmp", p.name))


async def test_sigkill_mid_run_leaves_the_old_report_byte_for_byte(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    await first_run(catalogue, tmp_path, report)
    old = report.read_bytes()
    doc = cite(tmp_path / "a.md", [catalogue.url("/ok")]
               + [catalogue.url(f"/hold?n={n}") for n in range(3)])  # fmt: skip
    code = await cli(cli_args(catalogue, doc, report), tmp_path,
                     kill_when=lambda: catalogue.log.count("/hold") == 3)  # fmt: skip
    assert catalogue.log.count("/hold") == 3  # killed with requests in flight
    assert code == -signal.SIGKILL
    assert report.read_bytes() == old
    assert temporary_files(tmp_path) == []
    assert history_problems(history(tmp_path)) == []


async def test_sigkill_while_writing_leaves_the_old_report_and_one_named_leftover(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    """A kill between writing the temporary file and renaming it: the report is
    still the old one; the temporary file stays (hidden, named after the report)."""
    report = tmp_path / "out" / "report.json"
    await first_run(catalogue, tmp_path, report)
    old = report.read_bytes()
    doc = cite(tmp_path / "a.md", [catalogue.url("/ok")])
    code = await cli(cli_args(catalogue, doc, report), tmp_path, prelude=KILL_BEFORE_RENAME)
    assert code == -signal.SIGKILL
    assert report.read_bytes() == old
    [leftover] = temporary_files(report.parent)
    assert leftover.startswith(".report.json.")
    assert json.loads((report.parent / leftover).read_text(encoding="utf-8"))["complete"] is True
    assert sorted(os.listdir(report.parent)) == sorted([leftover, "report.json"])
    assert history_problems(history(tmp_path)) == []
