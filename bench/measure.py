"""Run a process and measure it; start and stop the farm around it.

`measure` takes the child's own resource usage from `os.wait4`, so CPU time
(user + system, every thread and waited-for child process) and peak RSS belong
to the checker alone, not to the farm or the runner. Every run is killed (its
whole process group) after a timeout, and every farm is stopped on exit, even
on errors.

The checker is started by this file run as a script (`_launch`), a small
process of its own: Linux counts in a process's peak RSS the memory of the
process it was forked from, up to its exec, so a checker forked straight from
the runner (which has read a large JSON report or two by then) would show
the runner's peak instead of its own.

Peak RSS from `wait4` is that of the checker's largest process only. The launcher
also samples, every `SAMPLE_S` while it waits (see `_TreeSampler`), the sum of PSS (proportional set
size: each shared page split between the processes that map it) over the
checker and all its descendants (`/proc/PID/smaps_rollup`), and keeps the peak:
the memory of the whole process tree, counted once.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

SAMPLE_S = 0.05  # the tree's PSS is sampled this often, at most
# The sampler's CPU time, at most, as a share of one core. A sample costs about 1 ms per
# 100 MB of the tree's RSS (the kernel walks each process's page tables): a tree of 1 GB
# is sampled every 0.2 s instead.
SAMPLER_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class Measurement:
    """One finished (or killed) child process."""

    wall_s: float
    cpu_s: float
    max_rss_mb: float
    returncode: int
    timed_out: bool
    tree_pss_mb: float | None = None  # None: not sampled (killed, or smaps_rollup unreadable)
    sampler_cpu_s: float | None = None  # the launcher's sampling thread's own CPU time


def measure(cmd: list[str], cwd: Path, log: Path, timeout: float) -> Measurement:
    """Run `cmd` in `cwd` with its output in `log`; kill it after `timeout` seconds."""
    timed_out = threading.Event()
    usage_file = log.with_suffix(".usage.json")
    usage_file.unlink(missing_ok=True)
    launch = [sys.executable, "-I", str(Path(__file__).resolve()), str(usage_file), *cmd]
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            launch, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip

        def kill() -> None:
            timed_out.set()
            _kill_group(proc.pid)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: leave nothing running
            _kill_group(proc.pid)
            proc.wait()
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    _kill_group(proc.pid)  # anything the tool left behind
    # The checker's own figures; the launcher's (its and the checker's together) if killed.
    own = json.loads(usage_file.read_text()) if usage_file.exists() else _usage(usage)
    return Measurement(
        wall_s=wall,
        cpu_s=own["cpu_s"],
        max_rss_mb=own["max_rss_kib"] / 1024,
        returncode=proc.returncode,
        timed_out=timed_out.is_set(),
        tree_pss_mb=None if own.get("tree_pss_kib") is None else own["tree_pss_kib"] / 1024,
        sampler_cpu_s=own.get("sampler_cpu_s"),
    )


def _usage(usage: Any) -> dict[str, float]:
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "max_rss_kib": usage.ru_maxrss}


def _launch(usage_file: str, cmd: list[str]) -> int:
    """Start `cmd` (vfork and exec: nothing of this process is copied), wait for it,
    write its resource usage to `usage_file` and return its exit code."""
    pid = os.posix_spawnp(cmd[0], cmd, os.environ)
    sampler = _TreeSampler(pid)
    sampler.start()
    _, status, usage = os.wait4(pid, 0)  # the GIL is released while waiting
    sampler.stop()
    own = _usage(usage) | {"tree_pss_kib": sampler.peak_kib, "sampler_cpu_s": sampler.cpu_s}
    Path(usage_file).write_text(json.dumps(own))
    return os.waitstatus_to_exitcode(status)


class _TreeSampler(threading.Thread):
    """Samples the summed PSS of `root` and its descendants every `SAMPLE_S` (less often if
    a sample costs more than `SAMPLER_SHARE` of that); keeps the peak.

    Processes come and go between reading a `children` list and a `smaps_rollup`:
    those that vanish are skipped. `peak_kib` stays None if no `smaps_rollup` could be
    read (an old kernel, or no permission).
    """

    def __init__(self, root: int) -> None:
        super().__init__(name="tree-pss", daemon=True)
        self.root = root
        self.peak_kib: int | None = None
        self.cpu_s = 0.0
        self._done = threading.Event()

    def run(self) -> None:
        while True:
            before = time.thread_time()
            total = _tree_pss_kib(self.root)
            if total is not None and (self.peak_kib is None or total > self.peak_kib):
                self.peak_kib = total
            cost = time.thread_time() - before  # mostly the kernel's walk of the page tables
            if self._done.wait(max(SAMPLE_S, cost / SAMPLER_SHARE)):
                break
        self.cpu_s = time.thread_time()

    def stop(self) -> None:
        """Called once the root is reaped: no more samples (its pid may be reused)."""
        self._done.set()
        self.join()


def _tree_pss_kib(root: int) -> int | None:
    """PSS summed over `root` and its descendants, in KiB; None if none could be read."""
    total: int | None = None
    for pid in _descendants(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
                text = rollup.read()
        except OSError:  # gone, or not readable
            continue
        start = text.find(b"\nPss:")
        if start < 0:  # an unknown format
            continue
        with suppress(ValueError):  # not "<number> kB"
            total = (total or 0) + int(text[start + 5 : text.index(b"kB", start)])
    return total


def _descendants(root: int) -> list[int]:
    """`root` and every process below it, from each thread's `children` list."""
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:  # gone
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/children", "rb") as children:
                    pending += map(int, children.read().split())
            except OSError:
                continue
    return found


def _kill_group(pid: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


_LIVE_FARMS: set[subprocess.Popen[bytes]] = set()


@atexit.register
def _stop_all() -> None:
    for proc in list(_LIVE_FARMS):
        with suppress(ProcessLookupError):
            proc.kill()
        proc.wait()


class FarmProcess:
    """`python -m bench.farm` in its own process, as a context manager.

    On exit it is sent SIGTERM, writes its stats and exits; `stats` then
    holds them (see `bench.farm.Stats.to_json`).
    """

    def __init__(self, hosts: int, port: int, latency_ms: float, stats: Path) -> None:
        self.hosts = hosts
        self.port = port
        self.latency_ms = latency_ms
        self.stats_path = stats
        self.stats: dict[str, Any] = {}
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        self.stats_path.unlink(missing_ok=True)
        cmd = [
            sys.executable, "-m", "bench.farm", f"--hosts={self.hosts}", f"--port={self.port}",
            f"--latency-ms={self.latency_ms}", f"--stats={self.stats_path}",
        ]  # fmt: skip
        root = Path(__file__).resolve().parent.parent
        self._proc = proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE)
        _LIVE_FARMS.add(proc)
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        line = proc.stdout.readline().decode().strip() if ready else "no answer in 30 s"
        if not line.startswith("READY"):
            self._stop()
            raise RuntimeError(f"the farm did not start on port {self.port}: {line}")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()
        if self.stats_path.exists():
            self.stats = json.loads(self.stats_path.read_text())

    def _stop(self) -> None:
        proc = self._proc
        if proc is None:
            return
        with suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        _LIVE_FARMS.discard(proc)
        self._proc = None


if __name__ == "__main__":
    sys.exit(_launch(sys.argv[1], sys.argv[2:]))
