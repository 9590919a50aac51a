"""Run the benchmark scenarios against linkcheck and lychee and print a table.

    python -m bench.run [--scenario S1 ...] [--runs 3] [--tool linkcheck|lychee|both|all] [--small]

Each run of a tool starts a fresh farm (so its request counts are that run's
alone), checks the scenario's corpus at the same caps for every tool, then
stops the farm; the tools take turns, run by run. Figures are medians over
the runs; the farm's counts give the requests per distinct URL, the request
keys asked more than once, and the peak requests in flight on one host.
Results are merged into bench/.work/results.json (results-small.json with
--small) and the table is also written as Markdown to results.md beside it,
for docs/performance.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.corpus import CITED_PATH, CorpusSpec, ensure
from bench.farm import DEFAULT_PORT
from bench.measure import FarmProcess, measure
from bench.tools import GLOBAL_CAP, HOST_CAP, WORK, Tool, tools

SMALL_FACTOR = 20
BUSY_LOAD = 1.0  # 1-minute load average above which the runner warns


@dataclass(frozen=True, slots=True)
class Scenario:
    """A corpus, the farm's latency, and whether the tool's cache is warmed first."""

    name: str
    title: str
    spec: CorpusSpec
    latency_ms: float
    warm: bool = False
    timeout_s: float = 300.0

    def ideal_s(self) -> float | None:
        """Distinct URLs x latency / effective concurrency; None when there is nothing to wait."""
        if self.warm or self.latency_ms == 0:
            return None
        lanes = min(GLOBAL_CAP, self.spec.hosts * HOST_CAP)
        return self.spec.urls * self.latency_ms / 1000 / lanes

    def sized(self, small: bool, port: int) -> Scenario:
        spec = dataclasses.replace(self.spec, port=port)
        return dataclasses.replace(self, spec=spec.scaled(SMALL_FACTOR) if small else spec)


_S1 = CorpusSpec(docs=500, urls=5_000, hosts=100, citations=15_000)
SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("S1", "IO-bound: 5,000 URLs, 100 hosts, 50 ms latency, 15,000 citations, "
                 "500 Markdown files", _S1, latency_ms=50),
        Scenario("S2", "CPU-bound: 20,000 URLs, 20 hosts, no latency, 40,000 citations, "
                 "1,000 Markdown files",
                 CorpusSpec(docs=1_000, urls=20_000, hosts=20, citations=40_000), latency_ms=0),
        Scenario("S3", "extraction: 2,000 HTML files of ~100 KB, 200 links each, 1,000 URLs, "
                 "20 hosts", CorpusSpec(docs=2_000, urls=1_000, hosts=20, citations=400_000,
                                        fmt="html", doc_bytes=100_000), latency_ms=0),
        Scenario("S4", "S1 again with a warm cache", _S1, latency_ms=50, warm=True),
        Scenario("MEM", "memory: 1,000,000 citations of 200,000 URLs, 100 hosts, no latency, "
                 "2,000 Markdown files",
                 CorpusSpec(docs=2_000, urls=200_000, hosts=100, citations=1_000_000),
                 latency_ms=0, timeout_s=900),
    )
}  # fmt: skip


def request_counts(stats: dict[str, Any], truth: dict[str, Any]) -> dict[str, Any]:
    """What the farm saw, against the corpus: one request chain per distinct URL is ideal."""
    cited: Counter[tuple[str, str]] = Counter()  # requests per cited URL, any method
    repeated = 0  # (host, method, path) asked more than once
    for host, _method, path, count in stats["requests"]:
        repeated += count > 1
        if CITED_PATH.fullmatch(path):
            cited[host, path] += count
    return {
        "requests": stats["total"],
        "other_requests": stats["total"] - sum(cited.values()),  # redirect targets, probes
        "req_per_url": sum(cited.values()) / truth["urls"],
        "repeated": repeated,
        "missed": truth["urls"] - len(cited),
        "peak_host_in_flight": max(stats["peak_in_flight"].values(), default=0),
        "farm_cpu_s": stats["cpu_s"],
    }


def one_run(tool: Tool, scenario: Scenario, corpus: Path, truth: dict[str, Any],
            workdir: Path, label: str) -> dict[str, Any]:  # fmt: skip
    """Start a farm, run the tool once, stop the farm; return the run's record."""
    report = workdir / f"{label}.json"
    report.unlink(missing_ok=True)
    cmd = tool.command(corpus / "docs", report, scenario.warm)
    assert cmd is not None
    farm = FarmProcess(scenario.spec.hosts, scenario.spec.port, scenario.latency_ms,
                       workdir / f"{label}.farm.json")  # fmt: skip
    load = os.getloadavg()[0]  # other work on the machine makes wall times noisy
    with farm:
        run = measure(cmd, workdir, workdir / f"{label}.log", scenario.timeout_s)
    record: dict[str, Any] = {**dataclasses.asdict(run), **request_counts(farm.stats, truth)}
    record["load_before"] = load
    if run.timed_out:
        record["error"] = f"timed out after {scenario.timeout_s:.0f} s"
    elif run.returncode not in tool.ok_codes or not report.exists():
        record["error"] = f"exit code {run.returncode} (see {workdir / label}.log)"
    else:
        try:
            found = tool.parse(report)
        except (ValueError, KeyError, TypeError) as error:  # a report format we do not know
            record["error"] = f"unreadable report {report}: {error!r}"
        else:
            record["found"] = dataclasses.asdict(found)
            record["match"] = found.matches(truth)
    return record


def run_scenario(
    tools: list[Tool], scenario: Scenario, runs: int, small: bool
) -> dict[str, dict[str, Any]]:
    """Every run of each tool on one scenario, and their medians, by tool.

    The tools take turns (run 1 of each, then run 2 of each, ...): this
    machine's speed drifts by 5-15% within an hour, and a tool's runs in a
    block would give the drift to one tool only.
    """
    corpus, truth = ensure(scenario.spec, WORK / "corpus")
    summaries: dict[str, dict[str, Any]] = {}
    ready: list[tuple[Tool, Path]] = []
    for tool in tools:
        workdir = WORK / ("runs-small" if small else "runs") / scenario.name / tool.name
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        if tool.command(corpus / "docs", workdir / "probe.json", scenario.warm) is None:
            summaries[tool.name] = {"status": "n/a (no cache yet)", "runs": []}
            continue
        if scenario.warm:  # fill the cache; not timed
            warmup = one_run(tool, scenario, corpus, truth, workdir, "warmup")
            if "error" in warmup:
                status = f"n/a (warm-up failed: {warmup['error']})"
                summaries[tool.name] = {"status": status, "runs": [warmup]}
                continue
        ready.append((tool, workdir))
    records: dict[str, list[dict[str, Any]]] = {tool.name: [] for tool, _ in ready}
    for n in range(1, runs + 1):
        for tool, workdir in ready:
            record = one_run(tool, scenario, corpus, truth, workdir, f"run{n}")
            records[tool.name].append(record)
            timed = f"{record.get('wall_s', 0):.2f} s, {record.get('cpu_s', 0):.2f} s CPU"
            outcome = record.get("error") or timed
            print(f"  {scenario.name} {tool.name} run {n}/{runs}: {outcome}", file=sys.stderr)
    for tool, _ in ready:
        summaries[tool.name] = summarise(records[tool.name], truth, scenario.warm)
    return summaries


def summarise(records: list[dict[str, Any]], truth: dict[str, Any], warm: bool) -> dict[str, Any]:
    """Medians of the finished runs; the worst case for caps, repeats and counts."""
    done = [r for r in records if "error" not in r]
    if not done:
        status = f"{'n/a (warm runs' if warm else '(runs'} failed: {records[0]['error']})"
        return {"status": status, "runs": records}

    def median(key: str) -> float | None:
        """Over the runs that have the figure (the tree's PSS may be missing); None if none."""
        values = [r[key] for r in done if r.get(key) is not None]
        return float(statistics.median(values)) if values else None

    return {
        "status": "ok" if len(done) == len(records) else f"{len(records) - len(done)} runs failed",
        **{key: median(key) for key in ("wall_s", "cpu_s", "max_rss_mb", "tree_pss_mb",
                                        "farm_cpu_s", "req_per_url", "missed")},
        "repeated": max(r["repeated"] for r in done),
        "load_before": max(r["load_before"] for r in done),
        "peak_host_in_flight": max(r["peak_host_in_flight"] for r in done),
        "found": done[0]["found"],
        "match": all(r["match"] for r in done),
        "truth": {k: truth[k] for k in ("urls", "citations", "broken", "moved")},
        "runs": records,
    }  # fmt: skip


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    fields = dict(line.split(":", 1) for line in lscpu.splitlines() if ":" in line)
    return {
        "cpus": os.cpu_count(),
        "cpu_model": fields.get("Model name", "?").strip(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def revision() -> str:
    """The commit the figures were measured at, with "+dirty" if linkcheck/ has changes."""

    def git(*args: str) -> str:
        cmd = ["git", "-C", str(WORK.parent.parent), *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain", "--", "linkcheck") else "")


# ---- the table ----

_HEAD = ("scenario", "tool", "wall s", "CPU s", "RSS MB", "tree MB", "farm CPU s", "req/URL",
         "repeated", "peak/host", "ideal s", "wall/ideal", "broken", "moved", "counts")  # fmt: skip


def _mb(value: float | None) -> str:
    """Megabytes, whole; "-" when not measured (results from before the figure existed)."""
    return "-" if value is None else f"{value:.0f}"


def _row(name: str, tool: str, entry: dict[str, Any], ideal: float | None) -> list[str]:
    if "wall_s" not in entry:
        return [name, tool, entry["status"], *[""] * (len(_HEAD) - 3)]
    found, truth = entry["found"], entry["truth"]
    moved = "-" if found["moved"] is None else found["moved"]  # "-": not reported
    return [
        name,
        tool,
        f"{entry['wall_s']:.2f}",
        f"{entry['cpu_s']:.2f}",
        _mb(entry["max_rss_mb"]),
        _mb(entry.get("tree_pss_mb")),
        f"{entry['farm_cpu_s']:.2f}",
        f"{entry['req_per_url']:.2f}",
        str(entry["repeated"]),
        str(entry["peak_host_in_flight"]),
        f"{ideal:.2f}" if ideal else "-",
        f"{entry['wall_s'] / ideal:.2f}" if ideal else "-",
        f"{found['broken']}/{truth['broken']}",
        f"{moved}/{truth['moved']}",
        ("match" if entry["match"] else "MISMATCH") + ("" if entry["status"] == "ok" else "*"),
    ]


def table_rows(results: dict[str, Any]) -> list[list[str]]:
    return [
        _row(name, tool, entry, scenario["ideal_s"])
        for name, scenario in results["scenarios"].items()
        for tool, entry in scenario["tools"].items()
    ]


def render_text(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [list(_HEAD), *rows]) for i in range(len(_HEAD))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
             for r in [list(_HEAD), *rows]]  # fmt: skip
    return "\n".join(lines)


def render_markdown(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(_HEAD) + " |", "|" + "---|" * len(_HEAD)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


_TARGETS = (  # scenario, what, limit on linkcheck's wall over lychee's
    ("S1", "wall vs lychee", 1.0),
    ("S2", "wall vs lychee", 1.5),
    ("S3", "wall vs lychee", 1.5),
    ("S4", "wall vs lychee's warm run", 0.5),
)
RSS_VS_LYCHEE = ("S1", "S2", "S3")  # peak RSS at most lychee's; MEM's at most MEM_LIMIT_MB
MEM_LIMIT_MB = 1024


def targets(results: dict[str, Any]) -> list[str]:
    """The issue's targets for linkcheck, where its figures and lychee's both exist."""
    lines = []
    scenarios = results["scenarios"]

    def entry(name: str, tool: str) -> dict[str, Any]:
        found: dict[str, Any] = scenarios.get(name, {}).get("tools", {}).get(tool, {})
        return found

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    for name, what, limit in _TARGETS:
        ours, theirs = entry(name, "linkcheck"), entry(name, "lychee")
        if "wall_s" in ours and "wall_s" in theirs:
            ratio = ours["wall_s"] / theirs["wall_s"]
            lines.append(f"{name} {what}: {ratio:.2f}x (<= {limit}x) {verdict(ratio <= limit)}")
    ours, ideal = entry("S1", "linkcheck"), scenarios.get("S1", {}).get("ideal_s")
    if "wall_s" in ours and ideal:
        ratio = ours["wall_s"] / ideal
        lines.append(f"S1 wall vs ideal: {ratio:.2f}x (<= 1.3x) {verdict(ratio <= 1.3)}")
    for name, scenario in scenarios.items():
        ours, theirs = scenario["tools"].get("linkcheck", {}), scenario["tools"].get("lychee", {})
        if "wall_s" not in ours:
            continue
        checks = [
            ("counts match the truth", ours["match"]),
            ("one request chain per URL", ours["repeated"] == 0),
            (f"per-host peak {ours['peak_host_in_flight']} <= {HOST_CAP}",
             ours["peak_host_in_flight"] <= HOST_CAP),
        ]  # fmt: skip
        if name in RSS_VS_LYCHEE and "max_rss_mb" in theirs:
            checks.append((f"RSS {ours['max_rss_mb']:.0f} <= lychee {theirs['max_rss_mb']:.0f} MB",
                           ours["max_rss_mb"] <= theirs["max_rss_mb"]))  # fmt: skip
        if name == "MEM":
            checks.append((f"RSS {ours['max_rss_mb']:.0f} <= {MEM_LIMIT_MB} MB",
                           ours["max_rss_mb"] <= MEM_LIMIT_MB))  # fmt: skip
        lines += [f"{name} {what}: {verdict(ok)}" for what, ok in checks]
    return lines


# ---- the command line ----


def _tool_names(chosen: list[str]) -> list[str]:
    groups = {"both": ["linkcheck", "lychee"], "all": list(tools())}
    names = [name for choice in chosen for name in groups.get(choice, [choice])]
    return list(dict.fromkeys(names))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--scenario", action="append", choices=list(SCENARIOS),
                        help="repeatable; default: all")  # fmt: skip
    parser.add_argument("--tool", action="append", help="linkcheck, lychee, lychee-default, "
                        "both (linkcheck and lychee; the default) or all")  # fmt: skip
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--small", action="store_true", help=f"every corpus {SMALL_FACTOR}x smaller"
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="the farm's port")
    args = parser.parse_args(argv)
    # SIGTERM ends the runner like Ctrl-C: the current tool and farm are stopped on the way out
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    available = tools()
    names = _tool_names(args.tool or ["both"])
    unknown = [name for name in names if name not in available]
    if unknown:
        parser.error(f"unknown tool {', '.join(unknown)}")

    chosen: dict[str, Tool] = {}
    for name in names:
        reason = available[name].prepare()
        if reason:
            print(f"skipping {name}: {reason}", file=sys.stderr)
        else:
            chosen[name] = available[name]
    if not chosen:
        return 2
    load = os.getloadavg()[0]
    if load > BUSY_LOAD:
        print(f"warning: the machine is busy (load {load:.1f}): wall times will be noisy; "
              "each run's load is kept in the results", file=sys.stderr)  # fmt: skip

    results_path = WORK / ("results-small.json" if args.small else "results.json")
    results: dict[str, Any] = {"scenarios": {}}
    if results_path.exists():  # merge: keep the other scenarios' and tools' figures
        results = json.loads(results_path.read_text())
        for entry in results["scenarios"].values():
            entry["tools"] = {k: v for k, v in entry["tools"].items() if k in available}
    results["machine"] = machine()
    results["caps"] = {"global": GLOBAL_CAP, "host": HOST_CAP, "retries": 0}
    for name in args.scenario or list(SCENARIOS):
        scenario = SCENARIOS[name].sized(args.small, args.port)
        print(f"{name}: {scenario.title}{' (small)' if args.small else ''}", file=sys.stderr)
        entry = results["scenarios"].setdefault(name, {"tools": {}})
        entry.update(
            title=scenario.title, ideal_s=scenario.ideal_s(), latency_ms=scenario.latency_ms
        )
        summaries = run_scenario(list(chosen.values()), scenario, args.runs, args.small)
        for name, summary in summaries.items():
            summary["measured"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            summary["revision"] = revision()
            entry["tools"][name] = summary
        results_path.write_text(json.dumps(results, indent=1) + "\n")  # after every scenario

    rows = table_rows(results)
    report = [render_text(rows), "", *targets(results)]
    print("\n".join(report))
    markdown = [render_markdown(rows), "", *(f"- {line}" for line in targets(results))]
    results_path.with_suffix(".md").write_text("\n".join(markdown) + "\n")
    print(f"\nresults: {results_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
