"""The JSON report read back: `from_dict` inverts `to_dict`, so a saved
report renders in any format without checking again."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from fixtures.report.sample import hostile_report, large_report, sample_report

from linkcheck.models import Citation, Comparison, Drift, History, Snapshot
from linkcheck.report import json as json_report

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "docs" / "report.schema.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("build", [sample_report, hostile_report, lambda: large_report(50)])
def test_a_saved_report_reads_back_as_the_same_report(build) -> None:  # type: ignore[no-untyped-def]
    report = build()
    text = json_report.render(report)
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(text))
    again = json_report.from_dict(json.loads(text))
    assert again == report
    assert json_report.to_dict(again) == json_report.to_dict(report)


@pytest.mark.parametrize(
    "report",
    [sample_report(), hostile_report(), large_report(200), replace(sample_report(), results=())],
    ids=["sample", "hostile", "large", "empty"],
)
def test_the_streamed_report_is_what_json_dumps_writes(report) -> None:  # type: ignore[no-untyped-def]
    expected = json.dumps(json_report.to_dict(report), ensure_ascii=False, indent=1) + "\n"
    assert "".join(json_report.chunks(report)) == json_report.render(report) == expected


def test_interrupted_runs_and_warnings_survive_the_round_trip() -> None:
    report = replace(sample_report(), complete=False, warnings=("skipped a.bin: binary",))
    again = json_report.from_dict(json.loads(json_report.render(report)))
    assert again.complete is False
    assert again.warnings == ("skipped a.bin: binary",)
    assert again.documents == report.documents
    assert again.started.tzinfo is not None


def test_an_archive_object_is_read_when_a_later_version_writes_one() -> None:
    data = json_report.to_dict(sample_report())
    data["results"][0]["archive"] = {
        "url": "https://web.archive.org/web/20211213000000/https://example.org/",
        "timestamp": "2021-12-13T00:00:00+00:00",
        "status": 200,
        "source": "wayback",
        "distance_days": 3,
    }
    data["results"][0]["archive_reason"] = None
    result = json_report.from_dict(data).results[0]
    assert result.archive is not None
    assert result.archive.timestamp == dt.datetime(2021, 12, 13, tzinfo=dt.UTC)
    assert result.archive.distance_days == 3


def test_every_field_is_streamed_as_json_dumps_writes_it() -> None:
    """History, drift (a float), hops, snapshots without a distance, a result
    without citations, odd text: the templates must match json.dumps byte for byte."""
    base = sample_report()
    started = base.started
    drift = Drift(score=0.1 + 0.2, drifted=True, snapshot="https://web.archive.org/web/2020/x")
    cached = History(cached_at=started - dt.timedelta(hours=5, microseconds=7))
    failing = History(started - dt.timedelta(days=2), 3, True)
    snapshot = Snapshot("https://web.archive.org/web/2021/\u00e9", started, 200, "wayback", None)
    results = list(base.results)
    results[0] = replace(results[0], drift=drift, history=cached)
    results[3] = replace(results[3], history=failing, archive=snapshot)
    results[5] = replace(results[5], history=History(), citations=())
    results[6] = replace(results[6], history=History(cached_at=started + dt.timedelta(hours=1)))
    odd = Citation(
        'src/"\u2028\x00 \u00fc.md', 1, 2, "tab\there \ud83d\ude00", "/x?q=\\", "u", None
    )
    results[7] = replace(results[7], citations=(odd, *results[7].citations))
    comparison = Comparison(started, ("a", "b\u00e9"), (), ("c",))
    report = replace(base, results=tuple(results), comparison=comparison, warnings=("w\u00e9",))
    expected = json.dumps(json_report.to_dict(report), ensure_ascii=False, indent=1) + "\n"
    assert "".join(json_report.chunks(report)) == expected


def test_strings_encoded_once_per_render_come_back_where_each_is_cited() -> None:
    """Documents and dates are encoded once per report and URLs as written once per
    result (`_Encodings`): shared strings and equal copies alike must come out right."""
    base = sample_report()
    shared = 'docs/"shared".md'
    copy = "".join(['docs/"shared"', ".md"])  # equal, another object
    day, other = dt.date(2020, 1, 2), dt.date(2021, 3, 4)

    def cited(url: str, n: int) -> tuple[Citation, ...]:
        written = (url, f"./rel\u00e9/{n}", url, "../x\\y")
        return tuple(
            Citation(
                (shared, copy, f"doc{n}.md")[index % 3],
                index + 1,
                index + 2,
                f"text {index % 2}",
                form,
                url,
                (day, None, other)[(n + index) % 3],
            )
            for index, form in enumerate(written)
        )

    results = tuple(
        replace(result, citations=cited(result.url, n)) for n, result in enumerate(base.results)
    )
    report = replace(base, results=results)
    expected = json.dumps(json_report.to_dict(report), ensure_ascii=False, indent=1) + "\n"
    assert "".join(json_report.chunks(report)) == expected
