"""The one retry rule: which outcomes are worth another attempt, and how long to wait.

An attempt is a whole request chain (HEAD/GET and every redirect hop), so a
redirect to an overloaded server is retried like a direct link to it, and
`Fetch.attempts` counts chains. Only transient trouble is retried: timeouts,
connection errors and resets, broken transfers, and the statuses in
`TRANSIENT_STATUSES` unless the user accepted them. The wait is exponential
with jitter, or what the server asked for in `Retry-After`; both are capped
at `retry_wait_max`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Awaitable, Callable

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_result,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.wait import wait_base

from linkcheck.check.classify import Outcome

TRANSIENT_STATUSES = frozenset({408, 429, 502, 503, 504})
_FIRST_WAIT = 0.5  # seconds; doubles with each retry, plus up to as much jitter


def is_transient(outcome: Outcome) -> bool:
    if outcome.failure is not None:
        return outcome.failure.transient
    answer = outcome.answer
    return answer is not None and answer.status in TRANSIENT_STATUSES and not answer.accepted


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


class _Wait(wait_base):
    """The server's Retry-After when it gave one, else backoff; never above the cap."""

    def __init__(self, cap: float) -> None:
        self._cap = cap
        self._backoff = wait_exponential_jitter(multiplier=_FIRST_WAIT, max=cap, jitter=_FIRST_WAIT)

    def __call__(self, retry_state: RetryCallState) -> float:
        assert retry_state.outcome is not None
        outcome: Outcome = retry_state.outcome.result()
        answer = outcome.answer
        if answer is not None and answer.retry_after is not None:
            return min(answer.retry_after, self._cap)
        backoff: float = self._backoff(retry_state)
        return backoff


def _last(retry_state: RetryCallState) -> Outcome:
    assert retry_state.outcome is not None
    outcome: Outcome = retry_state.outcome.result()
    return outcome


async def with_retries(
    attempt: Callable[[], Awaitable[Outcome]], *, retries: int, wait_max: float
) -> Outcome:
    """Run `attempt` until it is not transient or `retries` extra attempts are spent.

    `attempt` never raises (failures are `Outcome`s); cancellation passes through.
    """
    return await retried(await attempt(), attempt, retries=retries, wait_max=wait_max)


async def retried(
    first: Outcome, attempt: Callable[[], Awaitable[Outcome]], *, retries: int, wait_max: float
) -> Outcome:
    """`with_retries` once its first attempt, made by the caller, came out as `first`.

    Most URLs need one attempt, so tenacity is only set up once the first is
    transient; and a caller that awaits its first attempt itself spares that
    attempt's every resumption two coroutine frames.
    """
    if retries <= 0 or not is_transient(first):
        return first
    pending: list[Outcome] = [first]

    async def again() -> Outcome:  # the first attempt's outcome, then new attempts
        return pending.pop() if pending else await attempt()

    retrying = AsyncRetrying(
        stop=stop_after_attempt(retries + 1),
        wait=_Wait(wait_max),
        retry=retry_if_result(is_transient),
        retry_error_callback=_last,
    )
    outcome: Outcome = await retrying(again)
    return outcome
