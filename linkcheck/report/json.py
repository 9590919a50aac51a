"""The JSON report: the machine-readable contract for CI (docs/json-report.md).

`schema_version` changes only when a field changes meaning or disappears;
new fields may be added within a version. docs/report.schema.json is the
schema, and the tests validate every report they write against it.

A report may hold a million citations, so `chunks` writes it result by
result, each filled into a template by `_encode_result` (one f-string per
citation, each document and URL in it encoded once: `_Encodings`), which
gives exactly what `json.dumps(..., ensure_ascii=False, indent=1)` gives
(the tests compare the two) in a fraction of the time and without the
whole report in memory.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

from linkcheck import __version__
from linkcheck.models import (
    Citation,
    Citations,
    Comparison,
    Drift,
    Fetch,
    History,
    Hop,
    Report,
    Result,
    Snapshot,
    Verdict,
)

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
        "drift": _drift(result.drift) if result.drift else None,
        "citations": [_citation(citation) for citation in result.citations],
    }


def _drift(drift: Drift) -> dict[str, Any]:
    return {"score": drift.score, "snapshot": drift.snapshot, "drifted": drift.drifted}


def _history(history: History | None, started: dt.datetime) -> dict[str, Any]:
    """The history's fields of a result; all null when the run kept no history."""
    if history is None:
        return dict.fromkeys(("first_failed", "consecutive_failures", "confirmed", "cached"))
    cached = None
    if history.cached_at is not None:
        age = max(int((started - history.cached_at).total_seconds()), 0)
        cached = {"checked": history.cached_at.isoformat(), "age_seconds": age}
    return {
        "first_failed": history.first_failed.isoformat() if history.first_failed else None,
        "consecutive_failures": history.consecutive_failures,
        "confirmed": history.confirmed,
        "cached": cached,
    }


def _comparison(comparison: Comparison | None) -> dict[str, Any] | None:
    if comparison is None:
        return None
    previous = comparison.previous_finished
    return {
        "previous_finished": previous.isoformat() if previous else None,
        "newly_failing": list(comparison.newly_failing),
        "recovered": list(comparison.recovered),
        "still_failing": list(comparison.still_failing),
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
    return _document(report, [_item(result, report.started) for result in report.results])


def _document(report: Report, results: object) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "linkcheck", "version": __version__},
        "started": report.started.isoformat(),
        "finished": report.finished.isoformat(),
        "complete": report.complete,
        "summary": summary(report),
        "warnings": list(report.warnings),
        "results": results,
        "comparison": _comparison(report.comparison),
    }


def _item(result: Result, started: dt.datetime) -> dict[str, Any]:
    return {**_result(result), **_history(result.history, started)}


def render(report: Report) -> str:
    return "".join(chunks(report))


_RESULTS = "\x00results\x00"  # where the results go in the rest of the document


def chunks(report: Report) -> Iterator[str]:
    """The report's text (`render`) in pieces of about one result each."""
    shell = json.dumps(_document(report, _RESULTS), ensure_ascii=False, indent=1) + "\n"
    before, after = shell.split(_encode_string(_RESULTS))
    yield before
    if not report.results:
        yield "[]"
    encodings = _Encodings()
    for n, result in enumerate(report.results):
        yield _encode_result(result, report.started, "[\n  " if n == 0 else ",\n  ", encodings)
    if report.results:
        yield "\n ]"
    yield after


_encode_string = json.encoder.encode_basestring  # json.dumps's own, with ensure_ascii=False


class _Memo(dict[Any, str]):
    """`encode(key)` for each key, encoded at its first use only."""

    __slots__ = ("_encode",)

    def __init__(self, encode: Callable[[Any], str]) -> None:
        super().__init__()
        self._encode = encode

    def __missing__(self, key: Any) -> str:
        encoded = self[key] = self._encode(key)
        return encoded


class _Encodings:
    """The values one render encodes once and then looks up: a large report
    cites each document and URL hundreds of times, and collect/pool.py makes
    each of them one shared string, cheaper to look up than to encode again.

    `heads` (`_citation_head` of each document) and `ends` (`_citation_end`
    of each date) serve the whole report; `written`, each URL as written, one result at a time
    (`_encode_citations` empties it): other results cite other URLs, and it
    would grow with every URL of the report. Texts repeat less: each is
    encoded where it is cited."""

    __slots__ = ("ends", "heads", "written")

    def __init__(self) -> None:
        self.heads = _Memo(_citation_head)
        self.ends = _Memo(_citation_end)
        self.written = _Memo(_encode_string)


def _citation_head(source: str) -> str:
    """A citation's text up to its line number: all that depends on its document."""
    return f'{{\n     "source": {_encode_string(source)},\n     "line": '


def _citation_end(cited_on: dt.date | None) -> str:
    """A citation's text after its URL as written: all that depends on its date."""
    date = f'"{cited_on.isoformat()}"' if cited_on else "null"  # an ISO date needs no escaping
    return f',\n     "cited_on": {date}\n    }}'


def _encode_result(
    result: Result, started: dt.datetime, opening: str, encodings: _Encodings
) -> str:
    """`opening`, then `_item(result, started)` as json.dumps(ensure_ascii=False,
    indent=1) writes it two deep. Its fields are fixed, so they are a template
    and only the values are encoded (the tests compare the two)."""
    fetch, archive, drift, history = result.fetch, result.archive, result.drift, result.history
    redirects = "[]"
    if fetch.redirects:
        hops = [
            _encode_object({"url": hop.url, "status": hop.status}, "    ")
            for hop in fetch.redirects
        ]
        redirects = "[\n    " + ",\n    ".join(hops) + "\n   ]"
    head = (
        f'{opening}{{\n   "url": {_scalar(result.url)},'
        f'\n   "verdict": {_scalar(fetch.verdict.value)},'
        f'\n   "status": {_scalar(fetch.status)},\n   "reason": {_scalar(fetch.reason)},'
        f'\n   "final_url": {_scalar(fetch.final_url)},'
        f'\n   "suggestion": {_scalar(fetch.suggestion)},'
        f'\n   "redirects": {redirects},'
        f'\n   "attempts": {_scalar(fetch.attempts)},'
        f'\n   "elapsed_ms": {_scalar(fetch.elapsed_ms)},'
        f'\n   "archive": {_encode_object(_snapshot(archive), "   ") if archive else "null"},'
        f'\n   "archive_reason": {_scalar(result.archive_reason)},'
        f'\n   "drift": {_encode_object(_drift(drift), "   ") if drift else "null"},'
        f'\n   "citations": '
    )
    tail = f"{_NO_HISTORY if history is None else _encode_history(history, started)}\n  }}"
    citations = _encode_citations(result.citations, encodings)
    if not citations:
        return f"{head}[]{tail}"
    # Joined once with the result around them: a result's citations may be
    # megabytes, and each further concatenation would copy them again.
    citations[0] = f"{head}[\n    {citations[0]}"
    citations[-1] = f"{citations[-1]}\n   ]{tail}"
    return ",\n    ".join(citations)


def _encode_citations(citations: Citations, encodings: _Encodings) -> list[str]:
    """A result's `citations` (`_citation` each) as json.dumps writes them three
    deep, unjoined: the bulk of a large report, so one f-string per citation,
    read from the columns."""
    heads, ends, written = encodings.heads, encodings.ends, encodings.written
    written.clear()
    return [
        f'{heads[source]}{line},\n     "column": {column},'
        f'\n     "text": {_encode_string(text)},'
        f'\n     "written": {written[url]}{ends[cited_on]}'
        for source, line, column, text, url, _, cited_on in citations.rows()
    ]


def _encode_history(history: History, started: dt.datetime) -> str:
    """The history's fields (`_history`) that close a result."""
    fields = _history(history, started)
    cached = fields["cached"]
    return (
        f',\n   "first_failed": {_scalar(fields["first_failed"])},'
        f'\n   "consecutive_failures": {_scalar(fields["consecutive_failures"])},'
        f'\n   "confirmed": {_scalar(fields["confirmed"])},'
        f'\n   "cached": {_encode_object(cached, "   ") if cached else "null"}'
    )


_NO_HISTORY = "".join(f',\n   "{name}": null' for name in _history(None, dt.datetime.min))


def _encode_object(fields: dict[str, Any], indent: str) -> str:
    """A small object of scalars as json.dumps writes it `len(indent)` deep."""
    inner = indent + " "
    encoded = ",".join(
        [f"\n{inner}{_encode_string(name)}: {_scalar(value)}" for name, value in fields.items()]
    )
    return f"{{{encoded}\n{indent}}}"


def _scalar(value: object) -> str:
    """A scalar as json.dumps writes it: strings, null, integers and booleans
    at once, anything else (a float) by json.dumps itself."""
    kind = type(value)
    if kind is str:
        return _encode_string(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)  # type: ignore[arg-type]
    if value is True:
        return "true"
    if value is False:
        return "false"
    return json.dumps(value, ensure_ascii=False)


def from_dict(data: dict[str, Any]) -> Report:
    """The inverse of `to_dict`, so a saved report renders in any format
    without checking again.

    What the JSON does not hold comes back as its default: a citation's
    `resolved` URL is its result's URL. `archive_reason` may be missing from
    reports written before the archive lookup existed; it is then None.
    So may the history's fields and `comparison` (then None: no history).
    `drift` is missing from reports written before `--drift` existed: None.
    """
    return Report(
        started=dt.datetime.fromisoformat(data["started"]),
        finished=dt.datetime.fromisoformat(data["finished"]),
        results=tuple(_result_from(item) for item in data["results"]),
        documents=data["summary"]["documents"],
        complete=data["complete"],
        warnings=tuple(data["warnings"]),
        comparison=_comparison_from(data.get("comparison")),
    )


def _history_from(item: dict[str, Any]) -> History | None:
    if item.get("consecutive_failures") is None:
        return None
    first_failed, cached = item["first_failed"], item["cached"]
    return History(
        first_failed=dt.datetime.fromisoformat(first_failed) if first_failed else None,
        consecutive_failures=item["consecutive_failures"],
        confirmed=item["confirmed"],
        cached_at=dt.datetime.fromisoformat(cached["checked"]) if cached else None,
    )


def _comparison_from(data: dict[str, Any] | None) -> Comparison | None:
    if data is None:
        return None
    previous = data["previous_finished"]
    return Comparison(
        previous_finished=dt.datetime.fromisoformat(previous) if previous else None,
        newly_failing=tuple(data["newly_failing"]),
        recovered=tuple(data["recovered"]),
        still_failing=tuple(data["still_failing"]),
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
    citations = Citations(
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
        history=_history_from(item),
        drift=_drift_from(item.get("drift")),
    )


def _drift_from(data: dict[str, Any] | None) -> Drift | None:
    if data is None:
        return None
    return Drift(score=data["score"], drifted=data["drifted"], snapshot=data["snapshot"])


def _snapshot_from(data: dict[str, Any]) -> Snapshot:
    return Snapshot(
        url=data["url"],
        timestamp=dt.datetime.fromisoformat(data["timestamp"]),
        status=data["status"],
        source=data["source"],
        distance_days=data.get("distance_days"),
    )
