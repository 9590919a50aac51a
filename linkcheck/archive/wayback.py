"""The Wayback Machine: its CDX API first, its availability API when the CDX API cannot answer.

The CDX server (`cdx_url`), with only its documented parameters
(`sort=closest` is pywb's, not the Internet Archive's, so it is not used):

    ?url=U&output=json&fl=timestamp,original,statuscode&filter=statuscode:200
        &to=YYYYMMDD235959&limit=-1      the last 200 capture on or before the day
        &from=YYYYMMDD000000&limit=1     (the next day) the first 200 capture after it
        &limit=-1                        no citation date: the last 200 capture

The answer is a JSON array whose first row names the fields (`[]` when
nothing matched). When no 200 capture exists, one more query without the
filter (`fl=statuscode&limit=1`) tells "only non-200 captures" from "not
archived".

The availability API (`availability_url`) is the fallback, since it is known
to answer empty spuriously and picks the closest capture in either direction
unless told: `?url=U&timestamp=YYYYMMDD&closest=before`, then `closest=after`
(the citation bot's own sequence), each with `status_code=200` (in the API's
specification; the status answered is checked all the same); no timestamp
for the latest capture. Its
answer is `{"archived_snapshots": {"closest": {"url", "timestamp", "status",
"available"}}}` or `{"archived_snapshots": {}}`.

Either way the selection rule of `linkcheck.archive.choose` decides among
the captures returned, and the snapshot is linked as
`snapshot_url + "<timestamp>/" + url`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from linkcheck.archive import (
    ONLY_NON_200,
    TIMESTAMP_FORMAT,
    UNREACHABLE,
    Capture,
    NoSnapshot,
    choose,
    day_end,
    day_start,
    parse_timestamp,
    snapshot,
)
from linkcheck.archive.client import ArchiveClient, Reply
from linkcheck.config import ArchiveConfig
from linkcheck.models import Snapshot

NAME = "wayback"
CDX_FIELDS = "timestamp,original,statuscode"


class Wayback:
    """The Wayback Machine as one `Archive`: CDX, else availability."""

    name = NAME

    def __init__(self, client: ArchiveClient, settings: ArchiveConfig) -> None:
        self._client = client
        self._settings = settings

    async def snapshot(self, url: str, cited_on: dt.date | None) -> Snapshot | None:
        problem: NoSnapshot | None = None
        for endpoint, ask in (
            (self._settings.cdx_url, self._cdx),
            (self._settings.availability_url, self._availability),
        ):
            if not endpoint:
                continue
            try:
                capture = await ask(endpoint, url, cited_on)
            except NoSnapshot as error:
                if error.definitive:
                    raise
                problem = problem or error
                continue
            return None if capture is None else snapshot(capture, cited_on, NAME)
        raise problem or NoSnapshot(UNREACHABLE, "no Wayback endpoint configured", source=NAME)

    def link(self, timestamp: str, url: str) -> str:
        return f"{self._settings.snapshot_url}{timestamp}/{url}"

    # --- CDX ---

    async def _cdx(self, endpoint: str, url: str, cited_on: dt.date | None) -> Capture | None:
        ok = {"filter": "statuscode:200", "fl": CDX_FIELDS}
        if cited_on is None:
            queries = [{**ok, "limit": "-1"}]
        else:
            after = day_start(cited_on + dt.timedelta(days=1))
            queries = [
                {**ok, "to": day_end(cited_on).strftime(TIMESTAMP_FORMAT), "limit": "-1"},
                {**ok, "from": after.strftime(TIMESTAMP_FORMAT), "limit": "1"},
            ]
        for query in queries:
            chosen = choose(await self._cdx_rows(endpoint, url, query), cited_on)
            if chosen is not None:
                return chosen
        if await self._cdx_rows(endpoint, url, {"fl": "timestamp,statuscode", "limit": "1"}):
            raise NoSnapshot(ONLY_NON_200, source=NAME)
        return None

    async def _cdx_rows(self, endpoint: str, url: str, query: dict[str, str]) -> list[Capture]:
        reply = await self._ask(endpoint, {"url": url, "output": "json", **query})
        table = reply.json()
        if not isinstance(table, list) or not all(isinstance(row, list) for row in table):
            raise NoSnapshot(UNREACHABLE, f"{NAME}: CDX answer is not a table", source=NAME)
        if not table:
            return []
        header, *rows = table
        captures = []
        for row in rows:
            fields = dict(zip(header, row, strict=False))
            try:
                moment = parse_timestamp(str(fields.get("timestamp", "")))
            except ValueError:
                continue
            status = str(fields.get("statuscode", ""))
            captures.append(
                Capture(
                    moment,
                    self.link(moment.strftime(TIMESTAMP_FORMAT), url),
                    int(status) if status.isdigit() else None,
                )
            )
        return captures

    # --- availability ---

    async def _availability(
        self, endpoint: str, url: str, cited_on: dt.date | None
    ) -> Capture | None:
        if cited_on is None:
            queries = [{}]
        else:
            day = cited_on.strftime("%Y%m%d")
            queries = [{"timestamp": day, "closest": side} for side in ("before", "after")]
        seen: list[Capture] = []
        for query in queries:
            reply = await self._ask(endpoint, {"url": url, "status_code": "200", **query})
            seen += self._closest(reply.json(), url)
            chosen = choose(seen, cited_on)
            # A capture after the date may still be beaten by one before it.
            if chosen is not None and (cited_on is None or chosen.timestamp <= day_end(cited_on)):
                return chosen
        chosen = choose(seen, cited_on)
        if chosen is None and seen:
            raise NoSnapshot(ONLY_NON_200, source=NAME)
        return chosen

    def _closest(self, answer: Any, url: str) -> list[Capture]:
        snapshots = answer.get("archived_snapshots") if isinstance(answer, dict) else None
        if not isinstance(snapshots, dict):
            raise NoSnapshot(UNREACHABLE, f"{NAME}: unexpected availability answer", source=NAME)
        closest = snapshots.get("closest")
        if not isinstance(closest, dict) or closest.get("available") is False:
            return []
        try:
            moment = parse_timestamp(str(closest.get("timestamp", "")))
        except ValueError:
            return []
        status = str(closest.get("status", ""))
        link = self.link(moment.strftime(TIMESTAMP_FORMAT), url)
        return [Capture(moment, link, int(status) if status.isdigit() else None)]

    async def _ask(self, endpoint: str, params: dict[str, str]) -> Reply:
        reply = await self._client.request(NAME, endpoint, params=params)
        if reply.status != 200:
            problem = f"{NAME}: {endpoint} answered {reply.status}"
            raise NoSnapshot(UNREACHABLE, problem, source=NAME)
        return reply
