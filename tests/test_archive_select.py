"""The selection rule and the archive formats, as pure functions (no server)."""

from __future__ import annotations

import datetime as dt

import pytest

from linkcheck.archive import Capture, choose, parse_timestamp, preference, snapshot
from linkcheck.archive.memento import mementos, parse_links

CITED = dt.date(2021, 12, 16)


def capture(timestamp: str, status: int | None = 200) -> Capture:
    return Capture(parse_timestamp(timestamp), f"https://web.archive.org/web/{timestamp}/x", status)


def chosen(captures: list[Capture], cited_on: dt.date | None) -> str | None:
    found = choose(captures, cited_on)
    return None if found is None else found.timestamp.strftime("%Y%m%d%H%M%S")


@pytest.mark.parametrize(
    ("captures", "cited_on", "expected"),
    [
        # The latest 200 on or before the date, not simply the newest.
        (
            [capture("20211201000000"), capture("20211213094512"), capture("20220501000000")],
            CITED,
            "20211213094512",
        ),
        # Before wins over a nearer capture after.
        ([capture("20211101000000"), capture("20211217000000")], CITED, "20211101000000"),
        # A capture on the citation day itself is "before" (the author's day).
        ([capture("20211216235959"), capture("20211210000000")], CITED, "20211216235959"),
        # Never a 404 capture, even the closest.
        ([capture("20211215000000", 404), capture("20211210000000")], CITED, "20211210000000"),
        # Nothing before: the earliest 200 after.
        (
            [capture("20211218000000", 404), capture("20211220000000"), capture("20220101000000")],
            CITED,
            "20211220000000",
        ),
        # No citation date: the latest 200.
        ([capture("20211220000000"), capture("20230101000000", 404)], None, "20211220000000"),
        # Only error captures, or none: nothing.
        ([capture("20211215000000", 404), capture("20211217000000", 503)], CITED, None),
        ([], CITED, None),
        # A status not known yet (a TimeMap entry) is not a 200.
        ([capture("20211215000000", None)], CITED, None),
    ],
)
def test_the_citation_bot_rule(
    captures: list[Capture], cited_on: dt.date | None, expected: str | None
) -> None:
    assert chosen(captures, cited_on) == expected


def test_preference_orders_before_latest_first_then_after_earliest_first() -> None:
    order = preference(
        [
            capture(ts)
            for ts in ("20220101000000", "20211201000000", "20211215000000", "20211217000000")
        ],
        CITED,
    )
    assert [c.timestamp.day for c in order] == [15, 1, 17, 1]


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("20211213094512", dt.datetime(2021, 12, 13, 9, 45, 12, tzinfo=dt.UTC)),
        ("20211213", dt.datetime(2021, 12, 13, tzinfo=dt.UTC)),
        ("2021", dt.datetime(2021, 1, 1, tzinfo=dt.UTC)),
    ],
)
def test_wayback_timestamps(timestamp: str, expected: dt.datetime) -> None:
    assert parse_timestamp(timestamp) == expected


@pytest.mark.parametrize("bad", ["", "abc", "20211332000000", "202"])
def test_bad_wayback_timestamps_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"timestamp|does not match|unconverted|out of range"):
        parse_timestamp(bad)


def test_distance_is_negative_before_the_citation_and_null_without_a_date() -> None:
    before = snapshot(capture("20211213094512"), CITED, "wayback")
    assert (before.distance_days, before.status, before.source) == (-3, 200, "wayback")
    assert snapshot(capture("20211220000000"), CITED, "wayback").distance_days == 4
    assert snapshot(capture("20211220000000"), None, "wayback").distance_days is None


def test_link_format_keeps_commas_inside_dates_and_uris() -> None:
    timemap = (
        '<http://a.org/x,y>; rel="original",\n'
        '<http://arch.org/timemap/link/http://a.org/x,y>; rel="self"; '
        'type="application/link-format"; from="Tue, 20 Jun 2000 18:02:59 GMT",\n'
        '<http://arch.org/20000620180259/http://a.org/x,y>; rel="first memento"; '
        'datetime="Tue, 20 Jun 2000 18:02:59 GMT",\n'
        "<http://arch.org/20211213094512/http://a.org/x,y>; rel=memento; "
        'datetime="Mon, 13 Dec 2021 09:45:12 GMT"'
    )
    links = parse_links(timemap)
    assert [sorted(link.rel) for link in links] == [
        ["original"],
        ["self"],
        ["first", "memento"],
        ["memento"],
    ]
    assert links[1].params["from"] == "Tue, 20 Jun 2000 18:02:59 GMT"
    found = list(mementos(links))
    assert [(m.url.split("/")[3], m.timestamp.year, m.status) for m in found] == [
        ("20000620180259", 2000, None),
        ("20211213094512", 2021, None),
    ]


def test_relative_links_resolve_against_the_answering_url() -> None:
    (link,) = parse_links('</memento/1/x>; rel="memento"', "http://arch.org/timegate/x")
    assert link.uri == "http://arch.org/memento/1/x"
