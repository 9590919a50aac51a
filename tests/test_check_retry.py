"""The retry rule: what is retried, how often, how long it waits, and the per-URL bound.

Waits are checked on the server's clock (the gap between two requests it
received): that is the behaviour asked for, not a performance figure.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import pytest
from servers import Catalogue, SilentServer, check_one, fast_config

from linkcheck.check import Checker
from linkcheck.check.retry import parse_retry_after
from linkcheck.models import Verdict


def gaps(catalogue: Catalogue, path: str) -> list[float]:
    times = [seen.at for seen in catalogue.log.matching(path)]
    return [later - earlier for earlier, later in pairwise(times)]


async def test_flaky_url_succeeds_on_a_later_attempt(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, "/flaky/a?fail=2", retries=2)
    assert (fetch.verdict, fetch.status, fetch.attempts) == (Verdict.OK, 200, 3)
    assert catalogue.log.count("/flaky/a") == 3


async def test_retries_zero_is_one_attempt(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, "/flaky/a?fail=1", retries=0)
    assert (fetch.verdict, fetch.status, fetch.attempts) == (Verdict.ERROR, 503, 1)


async def test_too_few_retries_report_the_last_answer(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, "/flaky/a?fail=3&status=502", retries=1)
    assert (fetch.verdict, fetch.reason, fetch.attempts) == (Verdict.ERROR, "502 Bad Gateway", 2)


@pytest.mark.parametrize("status", [503, 429])
async def test_retry_after_seconds_is_honoured(catalogue: Catalogue, status: int) -> None:
    path = f"/flaky/s?fail=1&status={status}&retry_after=1"
    fetch = await check_one(catalogue, path, retries=1, retry_wait_max=5.0)
    assert (fetch.verdict, fetch.attempts) == (Verdict.OK, 2)
    assert gaps(catalogue, "/flaky/s")[0] >= 0.9


async def test_retry_after_http_date_is_honoured(catalogue: Catalogue) -> None:
    # An HTTP date has whole seconds: "2 s from now" means a wait of 1 to 2 s.
    fetch = await check_one(catalogue, "/flaky/d?retry_after=date:2", retries=1, retry_wait_max=5.0)
    assert (fetch.verdict, fetch.attempts) == (Verdict.OK, 2)
    assert gaps(catalogue, "/flaky/d")[0] >= 0.9


async def test_retry_after_is_capped_by_retry_wait_max(catalogue: Catalogue) -> None:
    fetch = await check_one(catalogue, "/flaky/c?retry_after=3600", retries=1, retry_wait_max=0.1)
    assert (fetch.verdict, fetch.attempts) == (Verdict.OK, 2)
    assert gaps(catalogue, "/flaky/c")[0] < 5


async def test_backoff_waits_between_attempts(catalogue: Catalogue) -> None:
    await check_one(catalogue, "/flaky/b?fail=2", retries=2, retry_wait_max=0.2)
    assert all(gap >= 0.19 for gap in gaps(catalogue, "/flaky/b"))


async def test_url_timeout_bounds_all_attempts(silent_server: SilentServer) -> None:
    config = fast_config(read_timeout=0.3, retries=50, retry_wait_max=0.01, url_timeout=1.0)
    async with Checker(config) as checker:
        fetch = await checker.check(silent_server.url())
    assert (fetch.verdict, fetch.reason) == (Verdict.TIMEOUT, "no result within url_timeout (1s)")
    assert 2 <= fetch.attempts <= 5
    assert fetch.final_url == silent_server.url()


NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Fri, 02 Jan 2026 03:04:35 GMT", 30.0),
        ("Fri, 02 Jan 2026 03:00:00 GMT", 0.0),
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds
