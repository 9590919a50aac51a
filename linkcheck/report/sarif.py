"""The SARIF 2.1.0 report: code-scanning annotations on the citing line.

One result per citation of a URL that fails the run (level `error`), and
per citation of a moved URL (`warning`, with a fix that replaces the URL as
written by the new one) or a blocked one (`note`). The region spans the URL
as written; columns count code points, as the citations do, which the run
declares with `columnKind`. Relative document paths are given against
`%SRCROOT%`, so annotations land on the repository's files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from linkcheck import __version__
from linkcheck.models import Citation, Report, Result, Verdict
from linkcheck.report import view

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"
# RFC 3986 reserved characters and '%': kept, so a valid URL stays unchanged.
URI_SAFE = ":/?#[]@!$&'()*+,;=%~"


# The rule of a result listed only because its content drifted (`--drift`).
DRIFT_RULE: dict[str, Any] = {
    "id": "drifted",
    "name": "Drifted",
    "shortDescription": {"text": "Cited URL: drifted"},
    "fullDescription": {"text": view.DRIFT_MEANING},
    "defaultConfiguration": {"level": "note"},
}


def level(verdict: Verdict, fail_on: frozenset[Verdict]) -> str:
    if verdict in fail_on:
        return "error"
    return "warning" if verdict is Verdict.MOVED else "note"


def _utc(moment: dt.datetime) -> str:
    """SARIF times are UTC with a Z; a naive time is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def artifact_location(source: str) -> dict[str, str]:
    """A page URL as it is; a relative path against the checkout; an
    absolute path as a file: URI."""
    if view.is_web_url(source):
        return {"uri": quote(source, safe=URI_SAFE)}
    path = source.replace("\\", "/")
    if PurePosixPath(path).is_absolute():
        return {"uri": "file://" + quote(path, safe="/")}
    return {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}


def _region(citation: Citation) -> dict[str, int]:
    return {
        "startLine": citation.line,
        "startColumn": citation.column,
        "endLine": citation.line,
        "endColumn": citation.column + max(len(citation.url), 1),
    }


def _rule_name(verdict: Verdict) -> str:
    return "".join(part.capitalize() for part in verdict.value.split("_"))


def _message(result: Result, citation: Citation, fail_on: frozenset[Verdict]) -> str:
    fetch = result.fetch
    text = f"{result.verdict.value}: {result.url}"
    if fetch.reason:
        text += f" ({fetch.reason})"
    if citation.text:
        text += f', cited as "{citation.text}"'
    text += "."
    fix = view.fix_for(result, fail_on)
    if fix:
        text += f" Cite the {fix.kind} instead: {fix.url}"
    elif result.archive_reason:
        text += f" No archived copy: {result.archive_reason}."
    if view.is_drifted(result) and result.drift is not None:
        text += f" Content {view.drift_label(result.drift)}."
    return text


def _properties(result: Result, citation: Citation) -> dict[str, Any]:
    fetch = result.fetch
    properties: dict[str, Any] = {
        "url": result.url,
        "written": citation.url,
        "anchorText": citation.text,
        "status": fetch.status,
        "finalUrl": fetch.final_url,
        "redirects": [{"url": hop.url, "status": hop.status} for hop in fetch.redirects],
    }
    if result.archive:
        properties["archive"] = {
            "url": result.archive.url,
            "timestamp": _utc(result.archive.timestamp),
            "distanceDays": result.archive.distance_days,
        }
    if result.drift:
        drift = result.drift
        properties["drift"] = {
            "score": drift.score, "drifted": drift.drifted, "snapshot": drift.snapshot
        }
    return properties


def _fixes(result: Result, citation: Citation, fail_on: frozenset[Verdict]) -> list[dict[str, Any]]:
    """Replace the URL as written by the new URL or the snapshot, in a file."""
    fix = view.fix_for(result, fail_on)
    if fix is None or view.is_web_url(citation.source):
        return []
    return [
        {
            "description": {"text": f"Cite the {fix.kind}"},
            "artifactChanges": [
                {
                    "artifactLocation": artifact_location(citation.source),
                    "replacements": [
                        {"deletedRegion": _region(citation), "insertedContent": {"text": fix.url}}
                    ],
                }
            ],
        }
    ]


def to_dict(report: Report, fail_on: frozenset[Verdict]) -> dict[str, Any]:
    problems = view.problems(report, fail_on)
    verdicts = [v for v in view.severity_order(fail_on) if view.is_problem(v, fail_on)]
    rules = [
        {
            "id": verdict.value,
            "name": _rule_name(verdict),
            "shortDescription": {"text": f"Cited URL: {verdict.value}"},
            "fullDescription": {"text": view.MEANING[verdict]},
            "defaultConfiguration": {"level": level(verdict, fail_on)},
        }
        for verdict in verdicts
    ]
    if any(not view.is_problem(r.verdict, fail_on) for r in problems):  # listed for drift only
        rules.append(DRIFT_RULE)
    rule_index = {rule["id"]: index for index, rule in enumerate(rules)}
    seen: Counter[tuple[str, str]] = Counter()
    results = []
    for citation, result in view.citation_rows(problems):
        # The same URL written twice in a document is two alerts, not one.
        seen[(citation.source, citation.url)] += 1
        key = f"{citation.source}\0{citation.url}\0{seen[(citation.source, citation.url)]}"
        rule = result.verdict.value if result.verdict.value in rule_index else DRIFT_RULE["id"]
        entry: dict[str, Any] = {
            "ruleId": rule,
            "ruleIndex": rule_index[rule],
            "level": level(result.verdict, fail_on),
            "message": {"text": _message(result, citation, fail_on)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": artifact_location(citation.source),
                        "region": _region(citation),
                    }
                }
            ],
            "partialFingerprints": {
                "linkcheckCitation/v1": hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
            },
            "properties": _properties(result, citation),
        }
        fixes = _fixes(result, citation, fail_on)
        if fixes:
            entry["fixes"] = fixes
        results.append(entry)

    invocation: dict[str, Any] = {
        "executionSuccessful": report.complete,
        "startTimeUtc": _utc(report.started),
        "endTimeUtc": _utc(report.finished),
    }
    if report.warnings:
        invocation["toolExecutionNotifications"] = [
            {"level": "warning", "message": {"text": warning}} for warning in report.warnings
        ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "linkcheck",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render(report: Report, *, fail_on: frozenset[Verdict]) -> str:
    return json.dumps(to_dict(report, fail_on), ensure_ascii=False, indent=1) + "\n"
