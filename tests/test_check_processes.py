"""Checks spread over forked processes: the same verdicts, the same caps, no orphan, no hang."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import MappingProxyType

import pytest
from servers import HOSTS, Catalogue

from linkcheck.check import Checker
from linkcheck.check.processes import (
    CheckProcesses,
    how_many,
    plain_checker,
    prestart,
    retire_spares,
)
from linkcheck.config import ArchiveConfig, Config, ConfigError, HostConfig
from linkcheck.models import Fetch, Verdict
from linkcheck.runner import run


@pytest.fixture(autouse=True)
def no_spares_left() -> Iterator[None]:
    """A test that fails before its run takes its prestarted processes leaves none behind."""
    yield
    retire_spares()


def children() -> set[int]:
    """This process's child processes (Linux: what forking needs anyway)."""
    found: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        found.update(int(pid) for pid in (task / "children").read_text().split())
    return found


def requests(catalogue: Catalogue) -> Counter[tuple[str, str, str]]:
    return Counter((seen.host, seen.method, seen.path_qs) for seen in catalogue.log.requests)


async def check_in_processes(config: Config, urls: Iterable[str]) -> dict[str, Fetch]:
    async with CheckProcesses(config, Checker, 2) as processes:
        return {key: fetch async for key, fetch, _ in processes.check_many_pages(urls, ())}


async def test_processes_give_the_verdicts_one_process_gives(catalogue: Catalogue) -> None:
    paths = ["/ok", "/status/404", "/status/500", "/redirect/301", "/redirect/302", "/page"]
    urls = [
        catalogue.url(f"{path}?n={n}", host) for path in paths for host in HOSTS for n in (1, 2)
    ]
    config = catalogue.config(retries=0, soft_404=False)
    async with Checker(config) as checker:
        alone = {key: fetch async for key, fetch in checker.check_many(urls)}
    asked_alone = requests(catalogue)
    spread = await check_in_processes(config, urls)
    assert spread.keys() == alone.keys()
    for key, fetch in alone.items():
        assert (spread[key].verdict, spread[key].reason) == (fetch.verdict, fetch.reason), key
    assert {fetch.verdict for fetch in spread.values()} >= {
        Verdict.OK, Verdict.BROKEN, Verdict.ERROR, Verdict.MOVED, Verdict.REDIRECTED
    }
    assert requests(catalogue) - asked_alone == asked_alone  # the same requests again


async def test_each_host_stays_in_one_process_and_the_caps_hold(catalogue: Catalogue) -> None:
    config = catalogue.config(max_concurrency=4, host_concurrency=2)
    hosts = ("a.test", "b.test")  # one per process, each with 2 of the 4 slots: split, a
    # host would reach 4 (2 in each process)
    urls = [catalogue.url(f"/delay?seconds=0.15&n={n}", host) for n in range(6) for host in hosts]
    fetches = await check_in_processes(config, urls)
    assert {fetch.verdict for fetch in fetches.values()} == {Verdict.OK}
    assert catalogue.log.peak == {"a.test": 2, "b.test": 2}
    assert catalogue.log.peak_total == 4


PARENT = os.getpid()


class Dying(Checker):
    """Dies when opened in a check process; the parent's own, for the orphans, opens fine."""

    async def __aenter__(self) -> Checker:
        if os.getpid() != PARENT:
            os._exit(3)
        return await super().__aenter__()


async def test_the_urls_of_a_process_that_dies_are_checked_here(catalogue: Catalogue) -> None:
    urls = [catalogue.url(f"/ok?n={n}", host) for n in range(3) for host in HOSTS]
    async with CheckProcesses(catalogue.config(), Dying, 2) as processes:
        fetches = {key: fetch async for key, fetch, _ in processes.check_many_pages(urls, ())}
        lost = processes.lost
    assert fetches.keys() == set(urls)
    assert {fetch.verdict for fetch in fetches.values()} == {Verdict.OK}
    assert requests(catalogue) == Counter(
        (host, "GET", f"/ok?n={n}") for n in range(3) for host in HOSTS
    )  # each once, by this process
    assert len(lost) == 2
    assert all("checked in the main process" in message for message in lost)
    assert not children()


def unmakeable(config: Config) -> Checker:
    """A factory that fails after the settings were checked: in the children, then here."""
    raise ConfigError("no Checker can be made")


async def test_no_checker_anywhere_is_the_runs_error_not_a_hang(catalogue: Catalogue) -> None:
    urls = [catalogue.url("/ok", host) for host in HOSTS]
    async with CheckProcesses(catalogue.config(), unmakeable, 2) as processes:
        with pytest.raises(ConfigError, match="no Checker can be made"):
            async for _ in processes.check_many_pages(urls, ()):
                pass
        assert processes.lost  # raised as the first dead process's URLs came back
    assert not children()
    assert catalogue.log.count() == 0


async def test_a_run_takes_the_prestarted_processes(catalogue: Catalogue) -> None:
    prestart(2, lambda: None)
    spares = children()
    assert len(spares) == 2
    urls = [catalogue.url(f"/ok?n={n}", host) for n in range(3) for host in HOSTS]
    # The Config reaches them whole, read-only mappings too: headers, per-host headers.
    config = catalogue.config(
        headers=MappingProxyType({"X-Run": "all"}),
        hosts=MappingProxyType({HOSTS[0]: HostConfig(headers=MappingProxyType({"X-Host": "a"}))}),
    )
    async with CheckProcesses(config, plain_checker, 2) as processes:
        assert children() == spares  # taken, not forked anew
        fetches = {key: fetch async for key, fetch, _ in processes.check_many_pages(urls, ())}
    assert {fetch.verdict for fetch in fetches.values()} == {Verdict.OK}
    assert requests(catalogue) == Counter(
        (host, "GET", f"/ok?n={n}") for n in range(3) for host in HOSTS
    )
    assert {(seen.host, seen.headers.get("X-Run"), seen.headers.get("X-Host"))
            for seen in catalogue.log.requests} == {
        (host, "all", "a" if host == HOSTS[0] else None) for host in HOSTS
    }  # fmt: skip
    assert not children()


async def test_a_run_in_one_process_ends_the_prestarted_ones(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    prestart(2, lambda: None)
    doc = tmp_path / "doc.md"
    doc.write_text(catalogue.url("/ok") + "\n")
    config = catalogue.config(processes=1, archive=ArchiveConfig(lookup="never"))
    report = await run([str(doc)], config)
    assert [result.verdict for result in report.results] == [Verdict.OK]
    assert not children()


def test_prestarted_processes_no_run_takes_end() -> None:
    prestart(2, lambda: None)
    assert len(children()) == 2
    retire_spares()
    assert not children()


_REPORT_IMPORTS = """
import sys
from linkcheck import __main__ as entry

leave = entry._leave

def report(code):
    print("exit", code, "aiohttp", "aiohttp" in sys.modules, flush=True)
    leave(code)

entry._leave = report
entry.main()
"""


async def test_the_main_process_of_a_run_never_imports_aiohttp(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    # The check processes connect (prestarted, as `linkcheck check` does); the main
    # process only reads, sends keys and reports, without aiohttp's 14 MB.
    doc = tmp_path / "doc.md"
    doc.write_text(f"{catalogue.url('/ok')}\n{catalogue.url('/missing')}\n")
    resolve = [f"--resolve={entry}" for entry in catalogue.config().resolve]
    cli = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _REPORT_IMPORTS, "check", str(doc), "--processes=2",
        "--allow-private", "--no-archive", "--no-history", "--no-progress", "--html=",
        f"--json={tmp_path / 'report.json'}", *resolve,
        stdout=asyncio.subprocess.PIPE, cwd=tmp_path,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(cli.communicate(), 60)
    assert out.decode().splitlines()[-1] == "exit 1 aiohttp False"  # 1: a broken link
    report = json.loads((tmp_path / "report.json").read_text())
    verdicts = {result["url"]: result["verdict"] for result in report["results"]}
    assert verdicts == {catalogue.url("/ok"): "ok", catalogue.url("/missing"): "broken"}
    assert catalogue.log.count() == 2


async def test_a_stopped_run_ends_its_processes(catalogue: Catalogue, tmp_path: Path) -> None:
    held = [catalogue.url(f"/hold?n={n}", host) for n in range(3) for host in HOSTS]
    doc = tmp_path / "doc.md"
    doc.write_text("\n".join([catalogue.url("/ok"), *held]) + "\n")
    config = catalogue.config(processes=2, archive=ArchiveConfig(lookup="never"), soft_404=False)

    stop = asyncio.Event()
    answered: list[Fetch] = []

    class Answers:  # the run's progress: the fetches that reached this process
        def start(self, total: int) -> None:
            pass

        def advance(self, fetch: Fetch) -> None:
            answered.append(fetch)

    async def stop_once_all_are_held() -> None:
        # and /ok's answer is in: what was checked by then is what the report keeps
        while catalogue.log.count("/hold") < len(held) or not answered:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        stop.set()

    watching = asyncio.ensure_future(stop_once_all_are_held())
    report = await run([str(doc)], config, stop=stop, progress=Answers())
    await watching
    assert report.complete is False
    assert [result.url for result in report.results] == [catalogue.url("/ok")]
    assert not children()


def test_how_many_follows_the_config_and_never_exceeds_the_cap() -> None:
    cores = len(os.sched_getaffinity(0))
    assert how_many(Config(processes=1)) == 1
    assert how_many(Config(processes=3, max_concurrency=2)) == 2
    assert how_many(Config(processes=0)) == min(cores, 8)


async def test_a_bad_setting_is_the_runs_error_not_a_dead_child(
    catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    doc = tmp_path / "doc.md"
    doc.write_text(catalogue.url("/ok") + "\n")
    config = catalogue.config(processes=2, archive=ArchiveConfig(lookup="never"))
    with pytest.raises(ConfigError, match="SSL_CERT_FILE: cannot load"):
        await run([str(doc)], config)
    assert not children()
    assert catalogue.log.count() == 0


def test_a_prestart_that_cannot_fork_leaves_the_run_to_fork(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from linkcheck import __main__ as entry
    from linkcheck.check import processes

    forks = 0
    real_fork = os.fork

    def fork_once() -> int:  # the second fork fails, as at a process limit
        nonlocal forks
        forks += 1
        if forks > 1:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return real_fork()

    monkeypatch.setattr(os, "fork", fork_once)
    monkeypatch.setattr(processes, "how_many", lambda config: 2)  # whatever the cores
    entry._prestart_check_processes()  # no traceback: one spare, the run forks the other
    assert len(children()) == 1


async def test_a_run_that_cannot_fork_checks_in_its_own_process(
    catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    doc = tmp_path / "doc.md"
    doc.write_text(f"{catalogue.url('/ok')}\n{catalogue.url('/missing')}\n")
    config = catalogue.config(processes=2, archive=ArchiveConfig(lookup="never"))
    report = await run([str(doc)], config)
    assert {result.url: result.verdict for result in report.results} == {
        catalogue.url("/ok"): Verdict.OK,
        catalogue.url("/missing"): Verdict.BROKEN,
    }
    assert report.complete
    assert report.warnings == (
        "check processes: cannot fork ([Errno 11] Resource temporarily unavailable); "
        "checked in one",
    )
    assert not children()
