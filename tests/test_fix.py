"""`linkcheck fix`: golden files per format, idempotence, bytes kept outside
the rewritten spans, the sample article, and a whole run against the fake archive.

Reports come from the real collect stage over the fixture files, with a
verdict given to each URL by `outcome` (a small fake world: the host says
what happened to the page), or from a whole run against `ArchiveServer` on
127.0.0.1. Nothing here touches the internet.

LINKCHECK_UPDATE_GOLDEN=1 rewrites the golden files (review the diff!).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import shutil
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from archive_server import ArchiveServer, serving
from typer.testing import CliRunner

from linkcheck import fix as fixing
from linkcheck.cli import app
from linkcheck.config import Config, ConfigError, FixConfig, load
from linkcheck.models import Citation, Fetch, History, Hop, Report, Result, Snapshot, Verdict
from linkcheck.report import json as json_report
from linkcheck.runner import iter_citations
from linkcheck.urls import normalise

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fix"
INPUTS = ("article.md", "page.html", "notes.txt", "refs.bib")
SEED = REPO / "examples" / "seed-article.md"
UPDATE = os.environ.get("LINKCHECK_UPDATE_GOLDEN") == "1"
WAYBACK = "https://web.archive.org/web/"
CAPTURED = dt.datetime(2021, 12, 13, 9, 45, 12, tzinfo=dt.UTC)
BASE = "https://site.example/docs/"

# --- the fake world: what happened to each page -----------------------------

# By host (the fixtures) or by a part of the URL (the sample article); the
# first that the URL holds decides. A page under /new/ is where a move led.
FATES = {
    "moved.example": "moved", "site.example": "moved", "temp.example": "temporary",
    "home.example": "home", "gone.example": "gone", "never.example": "gone", "doi.org": "gone",
    "soft.example": "soft", "lost.example": "lost",
    "russias-endgame": "moved", "/experts/": "moved", "why-hezbollah": "temporary",
    "haaretz.com": "gone", "tass.com": "gone", "/policy-analysis/targeting": "gone",
    "i24news.tv": "lost", "rferl.org": "soft",
}


def snapshot_of(url: str) -> Snapshot:
    return Snapshot(f"{WAYBACK}20211213094512/{url}", CAPTURED, 200, "wayback-cdx", -3)


def outcome(url: str) -> tuple[Fetch, Snapshot | None, str | None]:
    """The fetch of `url` in the fake world, its snapshot and why none."""
    parts = urlsplit(url)
    key = urlunsplit(parts._replace(fragment=""))
    fate = next((fate for part, fate in FATES.items() if part in url), "ok")
    if parts.path.startswith("/new/") or (fate == "home" and parts.path == "/"):
        fate = "ok"
    if fate in ("moved", "temporary", "home"):
        target = urlunsplit(parts._replace(path="/new" + parts.path, fragment=""))
        hops = (Hop(key, 301),)
        if fate == "temporary":
            hops = (Hop(key, 302), Hop(key + "/next", 301))
        elif fate == "home":
            target = urlunsplit(parts._replace(path="/", query="", fragment=""))
        return Fetch(Verdict.MOVED, status=200, final_url=target, redirects=hops,
                     suggestion=target), None, None
    if fate == "gone":
        return Fetch(Verdict.BROKEN, status=404), snapshot_of(url), None
    if fate == "soft":
        return Fetch(Verdict.SOFT_404, status=200), snapshot_of(url), None
    if fate == "lost":
        return Fetch(Verdict.BROKEN, status=410), None, "not archived"
    return Fetch(Verdict.OK, status=200), None, None


def world_report(citations: Sequence[Citation]) -> Report:
    """The report a check in the fake world would make of these citations."""
    by_url: dict[str, list[Citation]] = {}
    for citation in citations:
        by_url.setdefault(normalise(citation.resolved), []).append(citation)
    results = []
    for url, cited in by_url.items():
        fetch, snapshot, reason = outcome(url)
        results.append(Result(url, fetch, tuple(cited), archive=snapshot, archive_reason=reason))
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return Report(now, now, tuple(results), documents=len({c.source for c in citations}))


def collected(paths: Sequence[Path], config: Config) -> list[Citation]:
    return list(iter_citations([str(path) for path in paths], config, warn=pytest.fail))


def world_config(**fix: object) -> Config:
    rules = FixConfig(**{"never_hosts": ("never.example",), **fix})  # type: ignore[arg-type]
    return replace(Config(), base_url=BASE, fix=rules)


def fix_world(paths: Sequence[Path], config: Config) -> fixing.Outcome:
    report = world_report(collected(paths, config))
    return fixing.prepare(fixing.plan(report, config), config.fix.style)


def copy_inputs(tmp_path: Path) -> list[Path]:
    return [Path(shutil.copy(FIXTURES / "input" / name, tmp_path / name)) for name in INPUTS]


def assert_golden(actual: Path, golden: Path) -> None:
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(actual.read_bytes())
    assert actual.read_bytes() == golden.read_bytes(), f"{actual.name} differs from {golden}"


def assert_only_spans_changed(
    before: bytes, after: bytes, spans: Sequence[tuple[int, int]]
) -> None:
    """Every byte of `before` outside `spans` (byte offsets) is in `after`, in
    order, with only the spans' replacements between."""
    pieces, at = [], 0
    for start, end in sorted(spans):
        pieces.append(before[at:start])
        at = end
    pieces.append(before[at:])
    pattern = b"(.*?)".join(re.escape(piece) for piece in pieces)
    assert re.fullmatch(pattern, after, re.DOTALL), "a byte outside the rewritten spans changed"


def byte_spans(
    text: str, fixes: Iterable[fixing.Fix], encoding: str, bom: int = 0
) -> list[tuple[int, int]]:
    """Where the URLs these fixes rewrite are in the bytes of `text`."""
    starts = [0, *(m.end() for m in re.finditer(r"\r\n?|\n", text))]
    spans = set()
    for made in fixes:
        offset = starts[made.citation.line - 1] + made.citation.column - 1
        start = bom + len(text[:offset].encode(encoding))
        spans.add((start, start + len(made.citation.url.encode(encoding))))
    return sorted(spans)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def reasons(outcome_: fixing.Outcome) -> dict[tuple[str, str], str]:
    return {(Path(s.citation.source).name, s.citation.url): s.reason for s in outcome_.skipped}


# --- golden files, per format and style --------------------------------------


@pytest.mark.parametrize("style", ["replace", "append"])
def test_each_format_is_fixed_as_its_golden_file(tmp_path: Path, style: str) -> None:
    docs = copy_inputs(tmp_path)
    done = fix_world(docs, world_config(style=style))
    for change in done.changes:
        fixing.write(change)
    for name in INPUTS:
        assert_golden(tmp_path / name, FIXTURES / style / name)
    assert not done.problems
    why = reasons(done)
    assert why["article.md", "https://temp.example/t"].startswith("a temporary redirect")
    assert why["article.md", "https://home.example/deep/page"].startswith("redirected to the site")
    assert why["article.md", "https://never.example/k"] == "never.example is in never_hosts"
    assert why["article.md", "https://lost.example/x"] == "no archived copy (not archived)"
    copy = "https://web.archive.org/web/2019/https://gone.example/old"
    assert why["article.md", copy] == "already an archived copy"
    assert why["refs.bib", "https://gone.example/done"] == "its entry already has an archiveurl"
    assert why["refs.bib", "10.1000/gone"].startswith("written as an identifier")
    assert ("article.md", "https://soft.example/s") not in why  # not a verdict asked for


def test_plain_text_and_bibtex_are_the_same_in_either_style() -> None:
    for name in ("notes.txt", "refs.bib"):
        assert (FIXTURES / "replace" / name).read_bytes() == (
            FIXTURES / "append" / name
        ).read_bytes()


def test_only_the_recorded_url_spans_change(tmp_path: Path) -> None:
    docs = copy_inputs(tmp_path)
    changes = {Path(c.path).name: c for c in fix_world(docs, world_config()).changes}
    article, notes, page = changes["article.md"], changes["notes.txt"], changes["page.html"]
    for change, encoding, bom in ((article, "utf-8", 0), (notes, "utf-8", 3), (page, "latin-1", 0)):
        spans = byte_spans(change.old_text, change.fixes, encoding, bom)
        assert_only_spans_changed(change.before, change.after, spans)
    assert notes.after.startswith(b"\xef\xbb\xbf")
    assert notes.after.count(b"\r\n") == notes.before.count(b"\r\n") == 4
    assert "Résumé".encode("latin-1") in page.after  # still Latin-1, as it declares


@pytest.mark.parametrize("style", ["replace", "append"])
def test_fixing_again_changes_nothing(tmp_path: Path, style: str) -> None:
    docs = copy_inputs(tmp_path)
    config = world_config(style=style)
    for change in fix_world(docs, config).changes:
        fixing.write(change)
    fixed = {path: path.read_bytes() for path in docs}
    again = fix_world(docs, config)
    assert again.changes == ()
    assert not again.problems
    assert {path: path.read_bytes() for path in docs} == fixed


def test_the_diff_is_a_unified_diff_of_the_text(tmp_path: Path) -> None:
    docs = copy_inputs(tmp_path)
    change = next(c for c in fix_world(docs, world_config()).changes if c.path.endswith(".txt"))
    diff = change.diff()
    assert diff.startswith(f"--- {change.path}\n+++ {change.path}\n@@ -1,5 +1,5 @@\n")
    assert "-Moved: https://moved.example/c, gone: https://gone.example/text.\r\n" in diff
    assert diff.endswith(
        "+Last line, no line end: https://moved.example/new/d\n\\ No newline at end of file\n"
    )


# --- rules -------------------------------------------------------------------


def cited(url: str, source: str = "doc.md", written: str | None = None) -> Citation:
    return Citation(source, 1, 1, "", written or url, url)


def report_of(*results: Result) -> Report:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return Report(now, now, results, documents=1)


def gone(url: str, history: History | None = None) -> Result:
    return Result(url, Fetch(Verdict.BROKEN, status=404), (cited(url),),
                  archive=snapshot_of(url), history=history)


def test_min_confirmations_needs_that_many_failing_checks_in_the_history() -> None:
    config = replace(Config(), fix=FixConfig(min_confirmations=2))
    young = gone("https://a.example/1", History(consecutive_failures=1))
    old = gone("https://a.example/2", History(consecutive_failures=2))
    unknown = gone("https://a.example/3")
    moved_fetch, _, _ = outcome("https://moved.example/x")
    moved = Result("https://moved.example/x", moved_fetch, (cited("https://moved.example/x"),))
    planned = fixing.plan(report_of(young, old, unknown, moved), config)
    assert [fix.citation.url for fix in planned.fixes] == [
        "https://a.example/2", "https://moved.example/x"
    ]
    why = {skip.citation.url: skip.reason for skip in planned.skipped}
    assert why["https://a.example/1"] == (
        "failed 1 of the 2 checks in a row min_confirmations asks for"
    )
    assert "needs the history" in why["https://a.example/3"]


def test_only_asked_verdicts_are_fixed_and_subdomains_of_never_hosts_are_kept() -> None:
    soft = Result("https://soft.example/s", Fetch(Verdict.SOFT_404, status=200),
                  (cited("https://soft.example/s"),), archive=snapshot_of("https://soft.example/s"))
    blocked = Result("https://b.example/", Fetch(Verdict.BLOCKED, status=403),
                     (cited("https://b.example/"),), archive=snapshot_of("https://b.example/"))
    sub = gone("https://www.never.example/k")
    config = replace(Config(), fix=FixConfig(
        verdicts=frozenset({Verdict.BROKEN, Verdict.SOFT_404}), never_hosts=("never.example",)
    ))
    planned = fixing.plan(report_of(soft, blocked, sub), config)
    assert [fix.citation.url for fix in planned.fixes] == ["https://soft.example/s"]
    assert [skip.reason for skip in planned.skipped] == ["www.never.example is in never_hosts"]


def test_a_move_counts_only_when_every_hop_up_to_it_was_permanent() -> None:
    def location(*statuses: int, suggestion: str) -> str | None:
        hops = tuple(Hop(f"u{number}", status) for number, status in enumerate(statuses))
        fetch = Fetch(Verdict.MOVED, final_url="end", redirects=hops, suggestion=suggestion)
        return fixing.permanent_location(fetch)

    assert location(301, 308, suggestion="end") == "end"
    assert location(301, 302, suggestion="u1") == "u1"  # moved to u1, which redirects for now
    assert location(302, 301, suggestion="end") is None  # a temporary hop first
    assert location(301, 302, 301, suggestion="end") is None
    assert location(301, suggestion="elsewhere") is None  # not where the chain led
    assert fixing.permanent_location(Fetch(Verdict.MOVED, suggestion="end")) is None


def test_a_file_changed_since_the_check_is_left_alone(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("See <https://gone.example/a>.\n", encoding="utf-8")
    config = world_config()
    report = world_report(collected([doc], config))
    doc.write_text("See also <https://gone.example/a>.\n", encoding="utf-8")
    done = fixing.prepare(fixing.plan(report, config), "replace")
    assert done.changes == ()
    assert [skip.problem for skip in done.skipped] == [True]
    assert "the file changed since it was checked" in done.skipped[0].reason


def test_a_change_is_not_written_over_a_file_edited_meanwhile(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("See <https://gone.example/a>.\n", encoding="utf-8")
    doc.chmod(0o640)
    config = world_config()
    (change,) = fix_world([doc], config).changes
    doc.write_text("Edited.\n", encoding="utf-8")
    with pytest.raises(fixing.FixError, match="changed while being fixed"):
        fixing.write(change)
    assert doc.read_text(encoding="utf-8") == "Edited.\n"
    doc.write_bytes(change.before)
    fixing.write(change)
    assert doc.read_bytes() == change.after
    assert doc.stat().st_mode & 0o777 == 0o640  # the document keeps its permissions


def test_utf16_with_its_byte_order_mark_is_written_back_in_utf16(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_bytes("\ufeffÜber [x](https://gone.example/u).\r\n".encode("utf-16-be"))
    (change,) = fix_world([doc], world_config()).changes
    expected = f"\ufeffÜber [x]({WAYBACK}20211213094512/https://gone.example/u).\r\n"
    assert change.after == expected.encode("utf-16-be")


def test_json_lines_get_a_json_string(tmp_path: Path) -> None:
    doc = tmp_path / "links.jsonl"
    doc.write_text('{"title": "A", "url": "https://moved.example/j"}\n', encoding="utf-8")
    (change,) = fix_world([doc], world_config()).changes
    assert change.new_text == '{"title": "A", "url": "https://moved.example/new/j"}\n'


# --- config ------------------------------------------------------------------


def test_the_fix_table_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "linkcheck.toml"
    path.write_text(
        '[fix]\nverdicts = ["moved", "soft_404"]\nnever_hosts = ["Example.ORG"]\n'
        'style = "append"\nmin_confirmations = 3\n',
        encoding="utf-8",
    )
    assert load(path).fix == FixConfig(
        frozenset({Verdict.MOVED, Verdict.SOFT_404}), ("example.org",), "append", 3
    )
    assert load(REPO / "config.toml").fix == FixConfig()
    for bad, message in (
        ('verdicts = ["blocked"]', "fix: verdicts: expected verdicts among moved, broken"),
        ('style = "inline"', "fix: style: expected one of replace, append"),
        ('never_hosts = ["https://x.org/"]', "fix: never_hosts: expected a host name"),
        ("min_confirmations = -1", "fix: min_confirmations: expected a number >= 0"),
        ("overwrite = true", "fix: unknown key 'overwrite'"),
    ):
        path.write_text(f"[fix]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=re.escape(message)):
            load(path)


# --- the command line and the sample article ---------------------------------

SEED_CONFIG = (
    'base_url = "https://www.washingtoninstitute.org/"\n[fix]\nnever_hosts = ["haaretz.com"]\n'
)


def test_the_sample_article_is_fixed_from_a_saved_report(tmp_path: Path) -> None:
    article = Path(shutil.copy(SEED, tmp_path / "seed-article.md"))
    config_file = tmp_path / "linkcheck.toml"
    config_file.write_text(SEED_CONFIG, encoding="utf-8")
    config = load(config_file)
    saved = tmp_path / "report.json"
    saved.write_text(json_report.render(world_report(collected([article], config))),
                     encoding="utf-8")
    before = article.read_bytes()

    code, stdout, stderr = invoke("fix", "--from", str(saved), "--config", str(config_file))
    assert code == 1, stderr  # a dry run with fixes pending
    assert article.read_bytes() == before
    assert stdout.startswith(f"--- {article}\n+++ {article}\n")
    assert "6 citations to fix in 1 file; --write applies the diff" in stderr
    assert "blinken-in-washington: not fixed: no archived copy (not archived)" in stderr
    assert "1.10450342: not fixed: www.haaretz.com is in never_hosts" in stderr
    assert "israel-violence/: not fixed: a temporary redirect on the way" in stderr

    code, _, stderr = invoke("fix", "--from", str(saved), "--config", str(config_file), "--write")
    assert code == 0, stderr
    assert "fixed 6 citations in 1 file" in stderr
    assert_golden(article, FIXTURES / "seed-article.fixed.md")
    planned = fixing.plan(json_report.from_dict(json.loads(saved.read_text("utf-8"))), config)
    spans = byte_spans(before.decode("utf-8"), planned.fixes, "utf-8")
    assert_only_spans_changed(before, article.read_bytes(), spans)

    # Checked again (the new locations are ok): nothing left to fix.
    saved.write_text(json_report.render(world_report(collected([article], config))),
                     encoding="utf-8")
    code, stdout, stderr = invoke("fix", "--from", str(saved), "--config", str(config_file))
    assert (code, stdout) == (0, ""), stderr
    assert "nothing to fix" in stderr


def test_with_from_the_inputs_limit_which_files_are_fixed(tmp_path: Path) -> None:
    docs = copy_inputs(tmp_path)
    saved = tmp_path / "report.json"
    saved.write_text(json_report.render(world_report(collected(docs, world_config()))),
                     encoding="utf-8")
    code, stdout, _ = invoke("fix", "--from", str(saved), str(tmp_path / "notes.txt"))
    assert code == 1
    assert re.findall(r"^\+\+\+ (.*)$", stdout, re.MULTILINE) == [str(tmp_path / "notes.txt")]


def test_a_write_from_a_stale_report_fixes_the_rest_and_exits_1(tmp_path: Path) -> None:
    docs = copy_inputs(tmp_path)
    saved = tmp_path / "report.json"
    saved.write_text(json_report.render(world_report(collected(docs, world_config()))),
                     encoding="utf-8")
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"Rewritten meanwhile: https://gone.example/text\n")
    code, _, stderr = invoke("fix", "--from", str(saved), "--write")
    assert code == 1
    assert "citations could not be fixed (see above)" in stderr
    assert notes.read_bytes() == b"Rewritten meanwhile: https://gone.example/text\n"
    assert (tmp_path / "refs.bib").read_bytes() != (FIXTURES / "input" / "refs.bib").read_bytes()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    code, _, stderr = invoke("fix")
    assert code == 2
    assert "give the INPUTS to check and fix, or --from a saved JSON report" in stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('[fix]\nstyle = "inline"\n', encoding="utf-8")
    code, _, stderr = invoke("fix", "--from", str(bad), "--config", str(bad))
    assert code == 2
    assert "fix: style" in stderr


# --- a whole run against the fake archive, twice -----------------------------


@pytest.fixture
async def archive() -> AsyncIterator[ArchiveServer]:
    async with serving() as server:
        yield server


def archive_config_file(tmp_path: Path, server: ArchiveServer) -> Path:
    resolve = ", ".join(f'"{entry}"' for entry in server.resolve())
    path = tmp_path / "linkcheck.toml"
    path.write_text(
        f"allow_private = true\nresolve = [{resolve}]\nretries = 0\ntimeout = 5.0\n"
        'history = ""\nprogress = false\n'
        f'[archive]\ncdx_url = "{server.archive_url("/cdx")}"\n'
        f'availability_url = "{server.archive_url("/available")}"\n'
        f'snapshot_url = "{server.archive_url("/memento/")}"\nmin_interval = 0.0\n',
        encoding="utf-8",
    )
    return path


async def test_a_whole_run_fixes_the_files_and_a_second_run_changes_nothing(
    archive: ArchiveServer, tmp_path: Path
) -> None:
    url = archive.url
    gone, lost = url("/status/404"), url("/status/410")
    archive.captures[gone] = [("20211213094512", 200), ("20211217000000", 404)]
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(
        "---\ndate: 2021-12-16\n---\n"
        f"- [moved]({url('/redirect/301?to=/page')}) and <{url('/redirect/308?to=/ok')}#part>\n"
        f"- [gone]({gone}), [lost]({lost}), [temporary first]({url('/chain/302,301')})\n"
        f"- code: `{gone}`\n",
        encoding="utf-8",
    )
    (docs / "refs.bib").write_text(f"@misc{{k,\n  url = {{{gone}}}\n}}\n", encoding="utf-8")
    config = archive_config_file(tmp_path, archive)
    fix = ("fix", str(docs), "--config", str(config))

    code, _, stderr = await asyncio.to_thread(invoke, *fix, "--write")
    assert code == 0, stderr
    snapshot = archive.archive_url(f"/memento/20211213094512/{gone}")
    assert (docs / "index.md").read_text(encoding="utf-8") == (
        "---\ndate: 2021-12-16\n---\n"
        f"- [moved]({url('/page')}) and <{url('/ok')}#part>\n"
        f"- [gone]({snapshot}), [lost]({lost}), [temporary first]({url('/chain/302,301')})\n"
        f"- code: `{gone}`\n"
    )
    assert (docs / "refs.bib").read_text(encoding="utf-8") == (
        f"@misc{{k,\n  url = {{{gone}}},\n  archiveurl = {{{snapshot}}},\n"
        "  archivedate = {2021-12-13}\n}\n"
    )
    fixed = {path: path.read_bytes() for path in docs.iterdir()}

    code, stdout, stderr = await asyncio.to_thread(invoke, *fix)
    assert (code, stdout) == (0, ""), stderr
    assert "nothing to fix" in stderr
    assert {path: path.read_bytes() for path in docs.iterdir()} == fixed
