"""The SARIF 2.1.0 report, validated against the official OASIS schema
(tests/fixtures/report/sarif-schema-2.1.0.json, see its README)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fixtures.report.sample import (
    ARTICLE,
    HAARETZ,
    NOTES,
    RFERL,
    RFERL_NEW,
    hostile_report,
    large_report,
    sample_report,
)

from linkcheck.models import DEFAULT_FAIL_ON, Report, Verdict
from linkcheck.report import sarif

SCHEMA = json.loads(
    (Path(__file__).parent / "fixtures" / "report" / "sarif-schema-2.1.0.json").read_text("utf-8")
)
# RFC 3986 characters: what the schema's "uri" formats allow.
URI = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")


def validated(report: Report, fail_on: frozenset[Verdict] = DEFAULT_FAIL_ON) -> dict[str, Any]:
    document = json.loads(sarif.render(report, fail_on=fail_on))
    jsonschema.Draft4Validator(SCHEMA).validate(document)
    run = document["runs"][0]
    for result in run["results"]:
        for location in result["locations"]:
            assert URI.match(location["physicalLocation"]["artifactLocation"]["uri"])
    return document


def test_the_vendored_schema_is_the_official_one() -> None:
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    assert SCHEMA["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    assert SCHEMA["properties"]["version"]["enum"] == ["2.1.0"]


@pytest.mark.parametrize(
    "report",
    [sample_report(), hostile_report(), large_report(100)],
    ids=["sample", "hostile", "large"],
)
def test_every_report_is_valid_sarif(report: Report) -> None:
    document = validated(report)
    assert document["version"] == "2.1.0"
    assert document["$schema"] == sarif.SCHEMA


def test_one_result_per_problem_citation_on_its_line() -> None:
    report = sample_report()
    run = validated(report)["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["tool"]["driver"]["name"] == "linkcheck"
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules[:5] == ["broken", "error", "timeout", "soft_404", "fragment_missing"]
    results = run["results"]
    assert len(results) == 11  # 7 failing citations, 3 moved, 1 blocked
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in results)
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels["broken"] == "error"
    assert levels["moved"] == "warning"
    assert levels["blocked"] == "note"
    haaretz = next(r for r in results if r["properties"]["url"] == HAARETZ)
    location = haaretz["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": ARTICLE, "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {
        "startLine": 31,
        "startColumn": 44,
        "endLine": 31,
        "endColumn": 44 + len(HAARETZ),
    }
    assert "Cite the archived copy instead" in haaretz["message"]["text"]
    assert haaretz["properties"]["archive"]["distanceDays"] == -3
    spaced = next(r for r in results if "reading%20list" in json.dumps(r["locations"]))
    assert spaced["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        NOTES.replace(" ", "%20")
    )
    fingerprints = [r["partialFingerprints"]["linkcheckCitation/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)


def test_a_moved_url_comes_with_a_fix_that_replaces_it() -> None:
    results = validated(sample_report())["runs"][0]["results"]
    moved = next(r for r in results if r["properties"]["url"] == RFERL)
    (change,) = moved["fixes"][0]["artifactChanges"]
    (replacement,) = change["replacements"]
    assert replacement["insertedContent"]["text"] == RFERL_NEW
    assert replacement["deletedRegion"] == moved["locations"][0]["physicalLocation"]["region"]


def test_without_fail_on_only_moved_and_blocked_remain_and_warnings_are_notified() -> None:
    document = validated(sample_report(), fail_on=frozenset())
    levels = [r["level"] for r in document["runs"][0]["results"]]
    assert sorted(levels) == ["note", "warning", "warning", "warning"]  # 3 moved citations
    empty = validated(dataclasses.replace(sample_report(), results=()))
    assert empty["runs"][0]["results"] == []
    invocation = validated(hostile_report())["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["startTimeUtc"] == "2026-11-25T15:30:00.120Z"
    assert invocation["toolExecutionNotifications"][0]["level"] == "warning"


def test_sources_become_uris() -> None:
    assert sarif.artifact_location("docs/a b.md") == {
        "uri": "docs/a%20b.md",
        "uriBaseId": "%SRCROOT%",
    }
    assert sarif.artifact_location("/srv/site/index.html") == {"uri": "file:///srv/site/index.html"}
    assert sarif.artifact_location("https://example.org/page?a=1") == {
        "uri": "https://example.org/page?a=1"
    }
    assert sarif.artifact_location('https://example.org/"<x>') == {
        "uri": "https://example.org/%22%3Cx%3E"
    }
