"""The JSON report: the machine-readable contract for CI (docs/json-report.md).

`schema_version` changes only when a field changes meaning or disappears;
new fields may be added within a version. docs/report.schema.json is the
schema, and the tests validate every report they write against it.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from linkcheck import __version__
from linkcheck.models import Citation, Fetch, Hop, Report, Result, Snapshot, Verdict

SCHEMA_VERSION = 1


def _citation(citation: Citation) -> dict[str, Any]:
    return {
        "source": citation.source,
        "line": citation.line,
        "column": citation.column,
        "text": citation.text,
        "written": citation.url,
        "cited_on": citation.cited_on.isoformat() if citation.cited_on else None,
    }


def _result(result: Result) -> dict[str, Any]:
    fetch = result.fetch
    return {
        "url": result.url,
        "verdict": fetch.verdict.value,
        "status": fetch.status,
        "reason": fetch.reason,
        "final_url": fetch.final_url,
        "suggestion": fetch.suggestion,
        "redirects": [{"url": hop.url, "status": hop.status} for hop in fetch.redirects],
        "attempts": fetch.attempts,
        "elapsed_ms": fetch.elapsed_ms,
        "archive": _snapshot(result.archive) if result.archive else None,
        "archive_reason": result.archive_reason,
        "citations": [_citation(citation) for citation in result.citations],
    }


def _snapshot(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "url": snapshot.url,
        "timestamp": snapshot.timestamp.isoformat(),
        "status": snapshot.status,
        "source": snapshot.source,
        "distance_days": snapshot.distance_days,
    }


def summary(report: Report) -> dict[str, int]:
    counts = report.counts()
    return {
        **{verdict.value: counts.get(verdict, 0) for verdict in Verdict},
        "urls": len(report.results),
        "citations": sum(len(result.citations) for result in report.results),
        "documents": report.documents,
    }


def to_dict(report: Report) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "linkcheck", "version": __version__},
        "started": report.started.isoformat(),
        "finished": report.finished.isoformat(),
        "complete": report.complete,
        "summary": summary(report),
        "warnings": list(report.warnings),
        "results": [_result(result) for result in report.results],
    }


def render(report: Report) -> str:
    return json.dumps(to_dict(report), ensure_ascii=False, indent=1) + "\n"


def from_dict(data: dict[str, Any]) -> Report:
    """The inverse of `to_dict`, so a saved report renders in any format
    without checking again.

    What the JSON does not hold comes back as its default: a citation's
    `resolved` URL is its result's URL. `archive_reason` may be missing from
    reports written before the archive lookup existed; it is then None.
    """
    return Report(
        started=dt.datetime.fromisoformat(data["started"]),
        finished=dt.datetime.fromisoformat(data["finished"]),
        results=tuple(_result_from(item) for item in data["results"]),
        documents=data["summary"]["documents"],
        complete=data["complete"],
        warnings=tuple(data["warnings"]),
    )


def _result_from(item: dict[str, Any]) -> Result:
    fetch = Fetch(
        verdict=Verdict(item["verdict"]),
        reason=item["reason"],
        status=item["status"],
        final_url=item["final_url"],
        redirects=tuple(Hop(hop["url"], hop["status"]) for hop in item["redirects"]),
        attempts=item["attempts"],
        elapsed_ms=item["elapsed_ms"],
        suggestion=item["suggestion"],
    )
    citations = tuple(
        Citation(
            source=citation["source"],
            line=citation["line"],
            column=citation["column"],
            text=citation["text"],
            url=citation["written"],
            resolved=item["url"],
            cited_on=dt.date.fromisoformat(citation["cited_on"]) if citation["cited_on"] else None,
        )
        for citation in item["citations"]
    )
    archive = item.get("archive")
    return Result(
        url=item["url"],
        fetch=fetch,
        citations=citations,
        archive=_snapshot_from(archive) if archive else None,
        archive_reason=item.get("archive_reason"),
    )


def _snapshot_from(data: dict[str, Any]) -> Snapshot:
    return Snapshot(
        url=data["url"],
        timestamp=dt.datetime.fromisoformat(data["timestamp"]),
        status=data["status"],
        source=data["source"],
        distance_days=data.get("distance_days"),
    )
