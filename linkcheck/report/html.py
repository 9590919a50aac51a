"""The HTML report: one self-contained file a person opens from disk.

Everything is inline (CSS, JS, data) and nothing is fetched, so it works
from `file://`, offline and as a CI artifact. The results travel as JSON in
a `<script type="application/json">` element and the page's script renders
only the visible page of rows, which keeps 50,000 URLs responsive. The
documents are untrusted: Jinja2 escapes the header, the script builds rows
with `textContent`, links are made only of http(s) URLs, and a
Content-Security-Policy allows nothing but the page's own script and style,
pinned by hash.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from typing import Any
from urllib.parse import urldefrag

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from linkcheck import __version__
from linkcheck.models import Drift, Report, Result, Snapshot, Verdict
from linkcheck.report import view

# Characters that could end the data <script> element or confuse a parser,
# written as JSON escapes: the JSON stays equal, the HTML cannot be broken.
_SCRIPT_SAFE = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


@functools.cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("linkcheck.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@functools.cache
def _asset(name: str) -> str:
    """A stylesheet or script, verbatim: its hash goes in the CSP."""
    source, _, _ = _environment().loader.get_source(_environment(), name)  # type: ignore[union-attr]
    return source


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(script: str, style: str) -> str:
    """Nothing may load or run but this page's own script and style."""
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src {_csp_hash(script)}",
            f"style-src {_csp_hash(style)}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )


def script_json(data: Any) -> Markup:
    """JSON that is safe inside a <script> element, whatever the strings hold."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.translate(_SCRIPT_SAFE))


def _snapshot(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "u": snapshot.url,
        "t": view.timestamp(snapshot.timestamp),
        "st": snapshot.status,
        "src": snapshot.source,
        "d": view.distance_label(snapshot),
    }


def _drift(drift: Drift) -> dict[str, Any]:
    return {"f": view.drift_flag(drift) + ")", "u": drift.snapshot, "x": 1 if drift.drifted else 0}


def _compact(record: dict[str, Any]) -> dict[str, Any]:
    """Drop empty fields: at 50,000 URLs every byte is multiplied."""
    return {key: value for key, value in record.items() if value not in (None, "", [])}


def payload(
    report: Report, fail_on: frozenset[Verdict], comparison: view.Comparison | None = None
) -> dict[str, Any]:
    """The data the page's script renders; keys are short on purpose and
    documented in templates/report.js.j2."""
    order = view.severity_order(fail_on)
    verdict_index = {verdict: index for index, verdict in enumerate(order)}
    results = view.ordered(report.results, fail_on)
    document_index = {name: index for index, name in enumerate(view.by_document(results))}
    host_index = {name: index for index, name in enumerate(view.by_host(results))}
    newly_failing = set(comparison.newly_failing) if comparison else set()

    def record(result: Result) -> dict[str, Any]:
        fetch = result.fetch
        fix = view.fix_for(result, fail_on)
        return _compact(
            {
                "u": result.url,
                "v": verdict_index[result.verdict],
                "s": fetch.status,
                "r": fetch.reason,
                "fu": fetch.final_url if fetch.final_url != urldefrag(result.url).url else None,
                "fx": [fix.kind, fix.url] if fix else None,
                "h": [[hop.url, hop.status] for hop in fetch.redirects],
                "a": fetch.attempts,
                "ms": fetch.elapsed_ms,
                "ar": _snapshot(result.archive) if result.archive else None,
                "arr": result.archive_reason,
                "dr": _drift(result.drift) if result.drift else None,
                "ho": host_index[view.host_of(result.url)],
                "n": 1 if result.url in newly_failing else None,
                "c": [
                    [
                        document_index[c.source],
                        c.line,
                        c.column,
                        c.text,
                        c.url,
                        c.cited_on.isoformat() if c.cited_on else "",
                    ]
                    for c in result.citations
                ],
            }
        )

    return {
        "verdicts": [
            {
                "name": verdict.value,
                "failing": verdict in fail_on,
                "problem": view.is_problem(verdict, fail_on),
                "meaning": view.MEANING[verdict],
            }
            for verdict in order
        ],
        "docs": list(document_index),
        "hosts": list(host_index),
        "results": [record(result) for result in results],
    }


def _bar(report: Report, fail_on: frozenset[Verdict]) -> list[dict[str, Any]]:
    """Segments of the counts bar, in percent, most severe first."""
    counts = report.counts()
    total = len(report.results) or 1
    segments, start = [], 0.0
    for verdict in view.severity_order(fail_on):
        count = counts.get(verdict, 0)
        if count:
            width = 100.0 * count / total
            segments.append(
                {
                    "verdict": verdict.value,
                    "count": count,
                    "x": f"{start:.3f}",
                    "width": f"{width:.3f}",
                    "failing": verdict in fail_on,
                    "problem": view.is_problem(verdict, fail_on),
                    "meaning": view.MEANING[verdict],
                }
            )
            start += width
    return segments


def render(
    report: Report,
    *,
    fail_on: frozenset[Verdict],
    comparison: view.Comparison | None = None,
) -> str:
    """The whole page. `comparison` (new vs previous run) defaults to the
    report's own, from the history; the headline counts only the failures
    that fail the run (confirmed ones, with a history)."""
    comparison = comparison or report.comparison
    script, style = _asset("report.js.j2"), _asset("report.css.j2")
    failing = report.fatal(fail_on)
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            csp=content_security_policy(script, style),
            script=Markup(script),
            style=Markup(style),
            data=script_json(payload(report, fail_on, comparison)),
            report=report,
            version=__version__,
            failing=len(failing),
            fail_on=[
                verdict.value for verdict in view.severity_order(fail_on) if verdict in fail_on
            ],
            checked=view.checked_line(report),
            started=view.timestamp(report.started),
            finished=view.timestamp(report.finished),
            duration=view.duration(report),
            segments=_bar(report, fail_on),
            comparison=comparison,
            comparison_when=(
                view.timestamp(comparison.previous_finished)
                if comparison and comparison.previous_finished
                else None
            ),
            is_web_url=view.is_web_url,
            plural=view.plural,
        )
    )
