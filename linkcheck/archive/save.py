"""Save Page Now 2: ask the Wayback Machine to capture a live cited URL that has no capture.

A citation that works today is tomorrow's broken link; a capture made now
is what its readers will need then. With `save_missing`, every live URL the
lookup found never archived is submitted, one request at a time through the
Wayback Machine's slot (`concurrency`, `min_interval`), and its job is polled
until it ends or `save_timeout` passes:

    POST save_url            Accept: application/json
                             Authorization: LOW <access key>:<secret>
                             url=<url>
      -> {"url": ..., "job_id": "..."}      (or {"status": "error", "message": ...})
    GET save_status_url + job_id
      -> {"status": "pending"} | {"status": "success", "timestamp": ..., "original_url": ...}
         | {"status": "error", "status_ext": "error:...", "message": ...}

The keys are read from the environment only (`IAS3_ACCESS_KEY`,
`IAS3_SECRET_KEY`), never from a config file that may be committed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

from linkcheck.archive import (
    TIMESTAMP_FORMAT,
    Capture,
    NoSnapshot,
    parse_timestamp,
    snapshot,
)
from linkcheck.archive.client import ArchiveClient
from linkcheck.archive.wayback import NAME
from linkcheck.config import ArchiveConfig
from linkcheck.models import Snapshot

ACCESS_KEY = "IAS3_ACCESS_KEY"
SECRET_KEY = "IAS3_SECRET_KEY"
SAVE_FAILED = "save failed"


def credentials(environ: Mapping[str, str] = os.environ) -> tuple[str, str] | None:
    """The Internet Archive keys from the environment, or None when either is missing."""
    access, secret = environ.get(ACCESS_KEY, "").strip(), environ.get(SECRET_KEY, "").strip()
    return (access, secret) if access and secret else None


class SavePageNow:
    """Submits captures and waits for them; see the module docstring."""

    def __init__(
        self, client: ArchiveClient, settings: ArchiveConfig, keys: tuple[str, str]
    ) -> None:
        self._client = client
        self._settings = settings
        self._headers = {"Accept": "application/json", "Authorization": f"LOW {keys[0]}:{keys[1]}"}

    async def save(self, url: str, cited_on: dt.date | None) -> Snapshot:
        """The new capture of `url`; raises NoSnapshot("save failed", why) otherwise."""
        settings = self._settings
        submitted = await self._json("POST", settings.save_url, data={"url": url})
        job = submitted.get("job_id")
        if not isinstance(job, str) or not job:
            raise NoSnapshot(SAVE_FAILED, _message(submitted), source=NAME)
        try:
            async with asyncio.timeout(settings.save_timeout):
                while True:
                    status = await self._json("GET", settings.save_status_url + job)
                    if status.get("status") != "pending":
                        break
                    await asyncio.sleep(settings.save_poll_interval)
        except TimeoutError:
            wait = f"job {job} still pending after {settings.save_timeout:g}s"
            raise NoSnapshot(SAVE_FAILED, wait, source=NAME) from None
        if status.get("status") != "success":
            raise NoSnapshot(SAVE_FAILED, _message(status), source=NAME)
        try:
            moment = parse_timestamp(str(status.get("timestamp", "")))
        except ValueError:
            raise NoSnapshot(SAVE_FAILED, "no timestamp in the answer", source=NAME) from None
        original = str(status.get("original_url") or url)
        link = f"{settings.snapshot_url}{moment.strftime(TIMESTAMP_FORMAT)}/{original}"
        return snapshot(Capture(moment, link, 200), cited_on, NAME)

    async def _json(
        self, method: str, url: str, data: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        reply = await self._client.request(
            NAME, url, method=method, headers=self._headers, data=data
        )
        try:
            answer = reply.json()
        except NoSnapshot:
            answer = None
        if reply.status != 200 or not isinstance(answer, dict):
            detail = _message(answer) if isinstance(answer, dict) else f"answered {reply.status}"
            raise NoSnapshot(SAVE_FAILED, detail, source=NAME)
        return answer


def _message(answer: Mapping[str, Any]) -> str:
    parts = [str(answer[key]) for key in ("status_ext", "message") if answer.get(key)]
    return ": ".join(parts) or "unexpected answer"
