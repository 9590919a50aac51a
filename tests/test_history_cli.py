"""The history from the command line: exit codes that count only confirmed
failures, the reports leading with what is new, `linkcheck history`, the
flags and keys, and `--changed-since`.

`check` runs in a subprocess, as CI runs it (with the history in the
default place under its working folder); `history` and `report` only read
files, so they run in-process.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
from servers import Catalogue
from test_cli import SCHEMA, linkcheck, results_by_url, server_flags
from typer.testing import CliRunner

from linkcheck.cli import app
from linkcheck.collect import InputError
from linkcheck.config import CacheConfig, ConfigError, ConfirmConfig, load
from linkcheck.runner import changed_files

HISTORY = Path(".linkcheck") / "history.db"


def invoke(*args: str) -> tuple[int, str, str]:
    outcome = CliRunner().invoke(app, list(args))
    return outcome.exit_code, outcome.stdout, outcome.stderr


def cite(path: Path, *urls: str) -> str:
    path.write_text("".join(f"- <{url}>\n" for url in urls), encoding="utf-8")
    return str(path)


async def test_failures_count_once_confirmed_and_reports_lead_with_what_is_new(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    live, dead, new = (catalogue.url(p) for p in ("/ok", "/status/404", "/status/410"))
    doc = tmp_path / "a.md"
    check = ("check", str(doc), "--confirm-runs", "2", *server_flags(catalogue))

    cite(doc, live, dead)
    code, stdout, stderr = await linkcheck(*check, "--json", "r1.json", cwd=tmp_path)
    assert code == 0, stderr  # failing, not confirmed yet: visible, not fatal
    assert "1 failing URL not confirmed yet" in stdout
    first = json.loads((tmp_path / "r1.json").read_text(encoding="utf-8"))
    jsonschema.validate(first, SCHEMA)
    assert first["comparison"] is None
    assert results_by_url(first)[dead]["consecutive_failures"] == 1
    assert results_by_url(first)[dead]["confirmed"] is False

    cite(doc, live, dead, new)
    code, stdout, stderr = await linkcheck(
        *check, "--json", "r2.json", "--markdown", "summary.md", "--html", "r2.html",
        cwd=tmp_path,
    )
    assert code == 1, stderr  # the second failing run confirms the dead URL
    assert catalogue.log.count("/ok") == 1  # reused from the cache
    second = json.loads((tmp_path / "r2.json").read_text(encoding="utf-8"))
    jsonschema.validate(second, SCHEMA)
    results = results_by_url(second)
    assert (results[dead]["consecutive_failures"], results[dead]["confirmed"]) == (2, True)
    assert results[dead]["first_failed"] == results_by_url(first)[dead]["first_failed"]
    assert results[new]["confirmed"] is False
    assert results[live]["cached"]["checked"] == first["started"]
    assert second["comparison"] == {
        "previous_finished": first["finished"],
        "newly_failing": [new],
        "recovered": [],
        "still_failing": [dead],
    }
    assert "Since the previous run: 1 newly failing, 0 recovered, 1 still failing" in stdout
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("## ❌ linkcheck: 1 URL fails the run")
    assert summary.index("Since the previous run") < summary.index("| verdict | URLs |")
    assert summary.index(new) < summary.index("| verdict | URLs |")  # newly failing, first
    assert "### Failing, not confirmed yet" in summary
    page = (tmp_path / "r2.html").read_text(encoding="utf-8")
    assert 'id="comparison"' in page
    assert "1 URL fails the run" in page  # the unconfirmed one does not

    # `report` decides the exit code from the saved confirmation, as `check` did.
    assert invoke("report", str(tmp_path / "r1.json"), "--html", "")[0] == 0
    assert invoke("report", str(tmp_path / "r2.json"), "--html", "")[0] == 1

    # `history`: one URL's timeline, and the URLs failing now.
    database = str(tmp_path / HISTORY)
    code, stdout, _ = invoke("history", dead, "--history", database)
    assert code == 0
    lines = stdout.splitlines()
    assert len(lines) == 2
    assert all("broken" in line and "404" in line for line in lines)
    assert "(confirmed)" in lines[1]
    assert "(confirmed)" not in lines[0]
    code, stdout, _ = invoke("history", live, "--history", database)
    assert "(cached, fetched " in stdout.splitlines()[1]
    code, stdout, _ = invoke("history", "--failing", "--history", database)
    assert code == 0
    failing = stdout.splitlines()
    assert failing[0].startswith(f"{dead}  broken  since ")
    assert "2 checks in a row, confirmed" in failing[0]
    assert failing[1].startswith(f"{new}  broken  since ")
    assert "1 check in a row, not confirmed yet" in failing[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["history"], "give a URL or --failing, not both"),
        (["history", "https://example.org/", "--failing"], "give a URL or --failing, not both"),
        (["history", "--failing", "--history", "nowhere.db"], "nowhere.db: no history here yet"),
        (["history", "--failing", "--history", ""], "the history is off"),
    ],
)
def test_history_usage_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    code, _, stderr = invoke(*args)
    assert code == 2
    assert message in stderr
    assert len(stderr.strip().splitlines()) == 1


async def test_no_history_keeps_nothing_and_every_failure_counts(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    doc = cite(tmp_path / "a.md", catalogue.url("/status/404"))
    code, _, stderr = await linkcheck(
        "check", doc, "--no-history", "--confirm-runs", "3", "--json", "r.json",
        *server_flags(catalogue), cwd=tmp_path,
    )  # fmt: skip
    assert code == 1, stderr
    assert not (tmp_path / ".linkcheck").exists()
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, SCHEMA)
    assert "confirm: without a history every failure counts at once" in report["warnings"]
    assert report["results"][0]["confirmed"] is None


async def test_an_unusable_history_is_exit_2_naming_it(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    (tmp_path / "junk.db").write_bytes(b"this is not SQLite " * 200)
    doc = cite(tmp_path / "a.md", catalogue.url("/ok"))
    code, _, stderr = await linkcheck(
        "check", doc, "--history", "junk.db", *server_flags(catalogue), cwd=tmp_path
    )
    assert code == 2
    assert "junk.db" in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert catalogue.log.count() == 0  # refused before anything was fetched


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd, check=True, capture_output=True, timeout=30,
    )  # fmt: skip


async def test_changed_since_checks_only_the_changed_and_new_files(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    url = catalogue.url
    cite(docs / "same.md", url("/ok?same"))
    cite(docs / "edited.md", url("/ok?before"))
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "docs")
    cite(docs / "edited.md", url("/ok?after"))
    cite(docs / "new.md", url("/ok?new"))
    code, _, stderr = await linkcheck(
        "check", "docs", "--changed-since", "HEAD", "--json", "r.json", "--no-history",
        *server_flags(catalogue), cwd=tmp_path,
    )  # fmt: skip
    assert code == 0, stderr
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert sorted(results_by_url(report)) == [url("/ok?after"), url("/ok?new")]
    assert report["summary"]["documents"] == 2
    assert sorted(seen.path_qs for seen in catalogue.log.requests) == ["/ok?after", "/ok?new"]

    code, _, stderr = await linkcheck(
        "check", "docs", "--changed-since", "no-such-rev", "--no-history", cwd=tmp_path
    )
    assert code == 2
    assert stderr.startswith("error: changed_since: 'no-such-rev' is not a revision")
    assert len(stderr.strip().splitlines()) == 1


def test_changed_since_refuses_options_and_folders_outside_a_repository(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="'--output=x' is not a revision"):
        changed_files("--output=x", tmp_path)
    with pytest.raises(InputError, match=r"^changed_since: no git repository"):
        changed_files("HEAD", tmp_path)


def test_the_history_keys_and_flags(tmp_path: Path) -> None:
    path = tmp_path / "linkcheck.toml"
    path.write_text(
        'history = "h.db"\n[cache]\nmax_age = "12h"\narchive_max_age = 604800\n'
        "[confirm]\nruns = 3\ndays = 2\n",
        encoding="utf-8",
    )
    config = load(path)
    assert (config.history, config.cache, config.confirm) == (
        "h.db",
        CacheConfig(max_age=43200.0, archive_max_age=604800.0),
        ConfirmConfig(runs=3, days=2),
    )
    flags = load(path, {"cache_max_age": "90m", "confirm_days": 0, "no_history": True})
    assert (flags.history, flags.cache.max_age, flags.confirm) == (None, 5400.0, ConfirmConfig(3))
    off = load(path, {"cache": False, "confirm": False})
    assert (off.cache.max_age, off.cache.archive_max_age, off.confirm) == (0, 0, ConfirmConfig())
    path.write_text('[cache]\nmax_age = "1 fortnight"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cache: max_age: expected a duration"):
        load(path)
    path.write_text("[confirm]\nruns = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"confirm: runs: expected a number >= 1"):
        load(path)
