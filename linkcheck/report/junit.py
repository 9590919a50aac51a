"""The JUnit XML report: CI systems show each URL as a test.

One test case per URL (name = the URL, classname = the first document that
cites it), a failure for each verdict in `fail_on` with every citation and
the reason in its message and body, `skipped` for URLs not checked. Other
verdicts pass; moved and blocked ones say why in `system-out`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from linkcheck.models import Report, Result, Verdict
from linkcheck.report import view

# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """Untrusted text made valid for XML; control characters become U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _details(result: Result, fail_on: frozenset[Verdict]) -> str:
    """Everything a person needs to act, as plain lines."""
    fetch = result.fetch
    lines = [f"{result.verdict.value}: {fetch.reason}" if fetch.reason else result.verdict.value]
    lines += [f"URL: {result.url}"]
    if fetch.status is not None:
        lines.append(f"HTTP status: {fetch.status}")
    for hop in fetch.redirects:
        lines.append(f"redirect: {hop.status} {hop.url}")
    if fetch.final_url and fetch.final_url != result.url:
        lines.append(f"final URL: {fetch.final_url}")
    fix = view.fix_for(result, fail_on)
    if fix:
        lines.append(f"fix: cite the {fix.kind} {fix.url}")
    if result.archive:
        snapshot = result.archive
        distance = view.distance_label(snapshot)
        lines.append(
            f"archived copy: {snapshot.url} ({view.timestamp(snapshot.timestamp)}"
            + (f", {distance})" if distance else ")")
        )
    elif result.archive_reason:
        lines.append(f"archived copy: none, {result.archive_reason}")
    if result.drift is not None:
        lines.append(f"drift: {view.drift_label(result.drift)}")
    lines.append("cited in:")
    for citation in sorted(result.citations, key=lambda c: (c.source, c.line, c.column)):
        anchor = f' "{citation.text}"' if citation.text else ""
        lines.append(f"  {citation.source}:{citation.line}:{citation.column}{anchor}")
    return "\n".join(lines)


def _message(result: Result) -> str:
    where = ", ".join(
        f"{c.source}:{c.line}" for c in sorted(result.citations, key=lambda c: (c.source, c.line))
    )
    reason = f": {result.fetch.reason}" if result.fetch.reason else ""
    return f"{result.verdict.value}{reason} (cited in {where})"


def _classname(result: Result) -> str:
    return min((c.source for c in result.citations), default="")


def render(report: Report, *, fail_on: frozenset[Verdict]) -> str:
    results = view.ordered(report.results, fail_on)
    failures = sum(1 for r in results if r.verdict in fail_on)
    skipped = sum(1 for r in results if r.verdict is Verdict.SKIPPED and r.verdict not in fail_on)
    seconds = f"{max((report.finished - report.started).total_seconds(), 0.0):.3f}"
    counts = {
        "tests": str(len(results)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
        "time": seconds,
    }
    root = ET.Element("testsuites", {"name": "linkcheck", **counts})
    suite = ET.SubElement(
        root,
        "testsuite",
        {"name": "linkcheck", **counts, "timestamp": report.started.isoformat(timespec="seconds")},
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("fail_on", ",".join(v.value for v in view.severity_order(fail_on) if v in fail_on)),
        ("complete", str(report.complete).lower()),
        ("documents", str(report.documents)),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": value})

    for result in results:
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "name": xml_text(result.url),
                "classname": xml_text(_classname(result)),
                "time": f"{result.fetch.elapsed_ms / 1000:.3f}",
            },
        )
        if result.verdict in fail_on:
            failure = ET.SubElement(
                case,
                "failure",
                {"type": result.verdict.value, "message": xml_text(_message(result))},
            )
            failure.text = xml_text(_details(result, fail_on))
        elif result.verdict is Verdict.SKIPPED:
            ET.SubElement(case, "skipped", {"message": xml_text(result.fetch.reason)})
        elif result.verdict is not Verdict.OK or view.is_drifted(result):
            ET.SubElement(case, "system-out").text = xml_text(_details(result, fail_on))
    if report.warnings:
        ET.SubElement(suite, "system-err").text = xml_text("\n".join(report.warnings))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
