"""Profile linkcheck on one scenario: where its CPU time goes, by function.

    python -m bench.profile --scenario S3 [--small] [--top 25]

Starts the scenario's farm, runs linkcheck's command from `bench.tools`
under py-spy (every thread and subprocess, on-CPU samples only, so the
figures approximate CPU time rather than waiting) and prints the functions
with the largest share of samples (linkcheck's own by total, then any by
self): `total` counts a function wherever it is
on the stack, `self` only where it is the innermost frame. The raw samples
stay in `bench/.work/profile/<scenario>.txt` for a flame graph
(`py-spy record --format raw` is the collapsed-stack format).

py-spy is not a dependency: `.venv/bin/pip install py-spy`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.corpus import ensure
from bench.farm import DEFAULT_PORT
from bench.measure import FarmProcess
from bench.run import SCENARIOS
from bench.tools import WORK, Linkcheck

RATE = 200  # samples per second


def top_functions(raw: str, top: int) -> list[str]:
    """The `top` functions by total and self share of the collapsed stacks in `raw`."""
    total: Counter[str] = Counter()
    own: Counter[str] = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [frame for frame in stack.split(";") if "(" in frame]  # not process/thread ids
        if not frames:
            continue
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    if not samples:
        return ["no samples"]
    lines = [f"{samples} samples of busy threads at {RATE}/s",
             "  total    self  linkcheck's functions (file:line)"]  # fmt: skip
    ours = [(frame, n) for frame, n in total.most_common() if "(linkcheck/" in frame]
    for frame, n in ours[:top]:
        lines.append(f"{100 * n / samples:6.1f}% {100 * own[frame] / samples:6.1f}%  {frame}")
    lines.append("  total    self  any function, by self")
    for frame, n in own.most_common(top):
        lines.append(f"{100 * total[frame] / samples:6.1f}% {100 * n / samples:6.1f}%  {frame}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--scenario", choices=[s for s in SCENARIOS if s != "S4"], default="S1")
    parser.add_argument("--small", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        parser.error("py-spy is not installed: .venv/bin/pip install py-spy")
    scenario = SCENARIOS[args.scenario].sized(args.small, args.port)
    corpus, _ = ensure(scenario.spec, WORK / "corpus")
    out = WORK / "profile"
    out.mkdir(parents=True, exist_ok=True)
    tool = Linkcheck()
    reason = tool.prepare()
    if reason:
        parser.error(reason)
    cmd = tool.command(corpus / "docs", out / f"{args.scenario}.json", warm=False)
    assert cmd is not None
    raw = out / f"{args.scenario}.txt"
    shutil.rmtree(out / ".linkcheck", ignore_errors=True)  # a fresh history, as each bench run
    record = [py_spy, "record", "--subprocesses", "--nonblocking", "--function", f"--rate={RATE}",
              "--format=raw", f"--output={raw}", "--", *cmd]  # fmt: skip
    farm = FarmProcess(scenario.spec.hosts, scenario.spec.port, scenario.latency_ms,
                       out / f"{args.scenario}.farm.json")  # fmt: skip
    with farm, (out / f"{args.scenario}.log").open("wb") as log:
        subprocess.run(record, cwd=out, stdout=log, stderr=subprocess.STDOUT, check=False)
    print("\n".join(top_functions(raw.read_text(), args.top)))
    print(f"\nraw samples: {raw}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
