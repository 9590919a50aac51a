"""End to end: the real command line, in a subprocess, against the local catalogue.

A subprocess is what a user or a CI job runs: its exit code, its output, the
reports it leaves behind, and how it takes a signal.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from servers import Catalogue
from typer.testing import CliRunner

from linkcheck import __version__
from linkcheck.cli import app

REPO = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((REPO / "docs" / "report.schema.json").read_text(encoding="utf-8"))
SEED = REPO / "examples" / "seed-article.md"


async def linkcheck(
    *args: str, cwd: Path, signal_when: tuple[Callable[[], bool], int] | None = None
) -> tuple[int, str, str]:
    """Run `python -m linkcheck` without a terminal; optionally signal it once a condition holds."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "linkcheck",
        *args,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    if signal_when:
        condition, signum = signal_when
        for _ in range(200):
            if condition():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # let the answers already sent be read
        process.send_signal(signum)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=40)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def server_flags(catalogue: Catalogue) -> list[str]:
    flags = ["--allow-private", "--retries", "0", "--timeout", "5", "--no-archive"]
    for entry in catalogue.resolve():
        flags += ["--resolve", entry]
    return flags


def results_by_url(report: dict) -> dict[str, dict]:
    return {result["url"]: result for result in report["results"]}


def test_version() -> None:
    outcome = CliRunner().invoke(app, ["--version"])
    assert outcome.exit_code == 0
    assert outcome.output.strip() == f"linkcheck {__version__}"


async def test_a_docs_folder_gets_true_verdicts_and_a_valid_report(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    a, b = catalogue.url, lambda path: catalogue.url(path, host="b.test")
    docs = tmp_path / "docs"
    (docs / "guide").mkdir(parents=True)
    (docs / "index.md").write_text(
        f"# Index\n\nSee [the guide]({a('/ok')}) and [old]({a('/redirect/301?to=/page')}).\n"
        f"Gone: <{a('/status/404')}>, mail [me](mailto:me@example.org).\n"
        f"Twice: {a('/ok')} again.\n",
        encoding="utf-8",
    )
    (docs / "guide" / "page.html").write_text(
        f'<p><a href="{b("/cloudflare")}">wall</a> <a href="{a("/redirect/302?to=/ok")}">tmp</a>'
        f' <a href="../index.md">home</a> <a href="missing.html">lost</a></p>\n',
        encoding="utf-8",
    )
    report_path = tmp_path / "out" / "report.json"
    code, stdout, stderr = await linkcheck(
        "check", "docs", "--json", str(report_path), *server_flags(catalogue), cwd=tmp_path
    )

    assert code == 1, stderr
    report = json.loads(report_path.read_text(encoding="utf-8"))
    jsonschema.validate(report, SCHEMA)
    verdicts = {url: result["verdict"] for url, result in results_by_url(report).items()}
    assert verdicts[a("/ok")] == "ok"
    assert verdicts[a("/redirect/301?to=/page")] == "moved"
    assert results_by_url(report)[a("/redirect/301?to=/page")]["suggestion"] == a("/page")
    assert verdicts[a("/status/404")] == "broken"
    assert verdicts["mailto:me@example.org"] == "skipped"
    assert verdicts[b("/cloudflare")] == "blocked"
    assert verdicts[a("/redirect/302?to=/ok")] == "redirected"
    assert verdicts[(docs / "index.md").as_uri()] == "ok"
    assert verdicts[(docs / "guide" / "missing.html").as_uri()] == "broken"
    assert len(results_by_url(report)[a("/ok")]["citations"]) == 2
    assert report["summary"]["documents"] == 2
    assert report["complete"] is True
    # Problems are listed by document and line, so an editor can go to each.
    assert "docs/index.md:4" in stdout.replace("\\", "/")
    assert "broken" in stdout
    # One request chain per distinct URL: /ok is cited twice, fetched once.
    assert catalogue.log.count("/ok", host="a.test") == 2  # once cited, once as a 302 target


async def test_nothing_failing_exits_zero_and_fail_on_is_honoured(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    doc = tmp_path / "a.md"
    doc.write_text(f"[x]({catalogue.url('/ok')}) [y]({catalogue.url('/cloudflare')})\n")
    code, _, stderr = await linkcheck("check", str(doc), *server_flags(catalogue), cwd=tmp_path)
    assert code == 0, stderr
    code, _, _ = await linkcheck(
        "check", str(doc), "--fail-on", "blocked", *server_flags(catalogue), cwd=tmp_path
    )
    assert code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "nope.md"], "nope.md"),
        (["check", "a.md", "--config", "bad.toml"], "bad.toml: unknown key 'colour'"),
        (["check", "a.md", "--max-concurrency", "0"], "max_concurrency: expected a number >= 1"),
        (["check", "a.md", "--fail-on", "brokn"], "fail_on: expected verdicts among"),
        (["check", "a.md", "--resolve", "x"], "resolve: expected HOST:PORT:ADDRESS"),
    ],
)
async def test_usage_and_input_errors_exit_2_with_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "a.md").write_text("nothing here\n")
    (tmp_path / "bad.toml").write_text('colour = "red"\n')
    code, stdout, stderr = await linkcheck(*args, cwd=tmp_path)
    assert code == 2
    assert message in stderr
    assert "Traceback" not in stderr + stdout
    assert len(stderr.strip().splitlines()) == 1


async def test_dump_lists_the_citations_without_network(tmp_path: Path) -> None:
    code, stdout, stderr = await linkcheck(
        "check",
        "--dump",
        str(SEED),
        "--base-url",
        "https://www.washingtoninstitute.org/",
        cwd=tmp_path,
    )
    assert code == 0, stderr
    records = [json.loads(line) for line in stdout.splitlines()]
    resolved = {record["resolved"] for record in records}
    assert len(resolved) == 21
    assert "https://www.washingtoninstitute.org/policy-analysis/iran" in resolved
    assert all(not record["resolved"].endswith("\\") for record in records)
    first = next(
        r
        for r in records
        if r["resolved"].startswith("https://www.19fortyfive.com/2021/12/russias")
    )
    assert (first["line"], first["text"]) == (29, "Russia")


async def test_a_check_imports_only_what_it_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start-up time: a check of Markdown that writes JSON imports no other
    format's parser or renderer, nor `fix` (pypdf alone costs ~0.1 s)."""
    (tmp_path / "doc.md").write_text("# Doc\n\n[Other](other.md), [here](#doc).\n")
    (tmp_path / "other.md").write_text("# Other\n")
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")  # every import, listed on stderr
    code, _, stderr = await linkcheck(
        "check", "doc.md", "--no-archive", "--no-progress", "--json", "report.json",
        "--html", "", cwd=tmp_path,
    )
    assert code == 0, stderr
    imported = {
        line.rpartition("|")[2].strip()
        for line in stderr.splitlines()
        if line.startswith("import time:")
    }
    assert {"linkcheck.collect.markdown", "linkcheck.report.json"} <= imported
    unused = {
        "pypdf",
        "docutils",
        "bibtexparser",
        "pylatexenc",
        "jinja2",
        "linkcheck.fix",
        "linkcheck.collect.pdf",
        "linkcheck.collect.rst",
        "linkcheck.collect.bibtex",
        "linkcheck.report.html",
        "linkcheck.report.markdown",
        "linkcheck.report.junit",
        "linkcheck.report.sarif",
        "linkcheck.report.csv",
    }
    assert not unused & imported


@pytest.mark.parametrize(("signum", "expected"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
async def test_a_signal_stops_the_run_and_keeps_what_was_checked(
    catalogue: Catalogue, tmp_path: Path, signum: int, expected: int
) -> None:
    doc = tmp_path / "a.md"
    held = [catalogue.url(f"/hold?n={n}") for n in range(3)]
    doc.write_text(f"{catalogue.url('/ok')}\n" + "\n".join(held) + "\n")
    report_path = tmp_path / "report.json"
    code, stdout, stderr = await linkcheck(
        "check",
        str(doc),
        "--json",
        str(report_path),
        *server_flags(catalogue),
        cwd=tmp_path,
        signal_when=(lambda: catalogue.log.count("/hold") == 3, signum),
    )
    assert code == expected, stderr
    assert "Traceback" not in stderr
    report = json.loads(report_path.read_text(encoding="utf-8"))
    jsonschema.validate(report, SCHEMA)
    assert report["complete"] is False
    assert [result["url"] for result in report["results"]] == [catalogue.url("/ok")]
    assert "Interrupted" in stdout


@pytest.mark.parametrize(("signum", "expected"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
async def test_a_signal_while_starting_exits_quietly(
    tmp_path: Path, signum: int, expected: int
) -> None:
    code, stdout, stderr = await linkcheck(
        "check", "--no-archive", str(SEED), cwd=tmp_path, signal_when=(lambda: True, signum)
    )
    assert code == expected
    assert "Traceback" not in stderr + stdout
