"""The Markdown summary: for `$GITHUB_STEP_SUMMARY`, a pull-request comment
or an issue body.

Counts first, then the failing citations as a table with their archived
copies, then what is worth a look in a folded section. Anchor text and
reasons come from untrusted documents, so every cell is escaped and only
http(s) URLs become links. The table stops at `limit` rows: a step summary
is capped at 1 MiB, and past a few hundred rows the HTML report is the
better reader.
"""

from __future__ import annotations

import re

from linkcheck.models import Citation, Report, Result, Verdict
from linkcheck.report import view

LIMIT = 500

# Characters that mean something inline to CommonMark or GFM, with '&'
# (entities) and '$' (math); a line-leading list marker is handled apart.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&$])")
_ORDERED_MARKER = re.compile(r"^(\d+)\.")
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape(text: str) -> str:
    """Literal text on one line, safe in a table cell or a list item."""
    text = _CONTROL.sub("\ufffd", _SPACE.sub(" ", text).strip())
    text = _SPECIAL.sub(r"\\\1", text)
    if text.startswith("-"):
        return "\\" + text
    return _ORDERED_MARKER.sub(r"\1\\.", text, count=1)


def link(url: str | None, text: str | None = None) -> str:
    """A link only for an http(s) URL; anything else stays escaped text."""
    if not url:
        return ""
    label = escape(text if text is not None else url)
    if not view.is_web_url(url):
        return label
    target = url.replace("<", "%3C").replace(">", "%3E")
    return f"[{label}](<{target}>)"


def _fix(result: Result, fail_on: frozenset[Verdict]) -> str:
    fix = view.fix_for(result, fail_on)
    archive = result.archive
    if archive is not None and (fix is None or fix.url == archive.url):
        when = archive.timestamp.date().isoformat()
        distance = view.distance_label(archive)
        return link(archive.url, f"snapshot {when}") + (f" ({distance})" if distance else "")
    if fix is not None:
        return f"{fix.kind}: {link(fix.url)}"
    if result.archive_reason:
        return f"no snapshot: {escape(result.archive_reason)}"
    return ""


def _drift(result: Result) -> str:
    """The drift flag after the verdict, its snapshot a link; empty when not drifted."""
    drift = result.drift
    if drift is None or not drift.drifted:
        return ""
    # Our own words and a number: nothing to escape, and Markdown shows them as written.
    return f"<br>{view.drift_flag(drift)}, {link(drift.snapshot, 'snapshot')})"


def _table(
    rows: list[tuple[Citation, Result]], fail_on: frozenset[Verdict], limit: int
) -> list[str]:
    lines = [
        "| document | line | anchor text | URL | verdict | status | reason | fix or snapshot |",
        "|:--|--:|:--|:--|:--|--:|:--|:--|",
    ]
    for citation, result in rows[:limit]:
        status = result.fetch.status
        lines.append(
            "| "
            + " | ".join(
                (
                    escape(citation.source),
                    str(citation.line),
                    escape(citation.text),
                    link(result.url),
                    f"`{result.verdict.value}`" + _drift(result),
                    "" if status is None else str(status),
                    escape(result.fetch.reason),
                    _fix(result, fail_on),
                )
            )
            + " |"
        )
    if len(rows) > limit:
        lines += ["", f"… and {len(rows) - limit:,} more: see the HTML or JSON report."]
    return lines


def _url_list(urls: tuple[str, ...], limit: int) -> list[str]:
    lines = [f"- {link(url)}" for url in urls[:limit]]
    if len(urls) > limit:
        lines.append(f"- … and {len(urls) - limit:,} more")
    return lines


def _comparison(comparison: view.Comparison, limit: int) -> list[str]:
    """What changed since the previous run, newly failing URLs first: what a
    reader of a nightly summary looks for."""
    when = comparison.previous_finished
    lines = [
        "### Since the previous run" + (f" ({view.timestamp(when)})" if when else ""),
        "",
        f"**{len(comparison.newly_failing):,} newly failing** · "
        f"{len(comparison.recovered):,} recovered · "
        f"{len(comparison.still_failing):,} still failing",
        "",
    ]
    if comparison.newly_failing:
        lines += [*_url_list(comparison.newly_failing, limit), ""]
    if comparison.recovered:
        lines += [
            "<details>",
            f"<summary>Recovered: {view.plural(len(comparison.recovered), 'URL')}</summary>",
            "",
            *_url_list(comparison.recovered, limit),
            "",
            "</details>",
            "",
        ]
    return lines


def _unconfirmed(results: list[Result], limit: int) -> list[str]:
    """Failing, but not fatal until the history confirms them (docs/ci.md)."""
    lines = [
        "### Failing, not confirmed yet",
        "",
        "These do not fail the run until they have failed in `confirm.runs` checks in a row "
        "spanning `confirm.days` days.",
        "",
        "| URL | verdict | reason | failing since | checks in a row |",
        "|:--|:--|:--|:--|--:|",
    ]
    for result in results[:limit]:
        history = result.history
        since = history.first_failed if history else None
        lines.append(
            f"| {link(result.url)} | `{result.verdict.value}` | {escape(result.fetch.reason)} | "
            f"{view.timestamp(since) if since else ''} | "
            f"{history.consecutive_failures if history else ''} |"
        )
    if len(results) > limit:
        lines += ["", f"… and {len(results) - limit:,} more: see the HTML or JSON report."]
    return [*lines, ""]


def render(
    report: Report,
    *,
    fail_on: frozenset[Verdict],
    limit: int = LIMIT,
    comparison: view.Comparison | None = None,
) -> str:
    """The summary; `comparison` defaults to the report's own (from the history)
    and leads, and only confirmed failures count as failing the run."""
    comparison = comparison or report.comparison
    failing = view.ordered(report.fatal(fail_on), fail_on)
    unconfirmed = view.ordered(report.unconfirmed(fail_on), fail_on)
    counts = report.counts()
    if failing:
        title = f"## ❌ linkcheck: {view.plural(len(failing), 'URL')} "
        title += "fails the run" if len(failing) == 1 else "fail the run"
    else:
        title = "## ✅ linkcheck: no URL fails the run"
    lines = [
        title,
        "",
        f"Checked {view.checked_line(report)} · {view.timestamp(report.started)} · "
        f"took {view.duration(report)}",
        "",
    ]
    if not report.complete:
        lines += [
            "> [!WARNING]",
            "> Interrupted: this report holds only the URLs checked before the run stopped.",
            "",
        ]
    if comparison is not None:
        lines += _comparison(comparison, limit)
    lines += ["| verdict | URLs |", "|:--|--:|"]
    for verdict in view.severity_order(fail_on):
        if counts.get(verdict):
            name = f"**{verdict.value}**" if verdict in fail_on else verdict.value
            lines.append(f"| {name} | {counts[verdict]:,} |")
    if not report.results:
        lines.append("| (no URL found) | 0 |")
    lines.append("")
    if fail_on:
        names = ", ".join(v.value for v in view.severity_order(fail_on) if v in fail_on)
        lines += [f"Verdicts in bold fail the run ({names}).", ""]

    if failing:
        lines += ["### Failing citations", ""]
        lines += _table(view.citation_rows(failing), fail_on, limit)
        lines.append("")
    if unconfirmed:
        lines += _unconfirmed(unconfirmed, limit)

    attention = [r for r in view.problems(report, fail_on) if r.verdict not in fail_on]
    if attention:
        rows = view.citation_rows(attention)
        shown = {r.verdict for r in attention}
        names = ", ".join(
            [v.value for v in view.severity_order(fail_on) if v in shown]
            + (["drifted"] if any(view.is_drifted(r) for r in attention) else [])
        )
        lines += [
            "<details>",
            f"<summary>Worth a look: {view.plural(len(rows), 'citation')} ({names})</summary>",
            "",
        ]
        lines += _table(rows, fail_on, limit)
        lines += ["", "</details>", ""]

    if report.warnings:
        lines += [
            "<details>",
            f"<summary>{view.plural(len(report.warnings), 'warning')} about the inputs</summary>",
            "",
        ]
        lines += [f"- {escape(warning)}" for warning in report.warnings]
        lines += ["", "</details>", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
