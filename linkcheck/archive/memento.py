"""Memento (RFC 7089): any archive behind a TimeGate, with its link-format TimeMap.

A TimeGate is asked for the original URL with `Accept-Datetime` set to the
end of the citation day (none without a date: the latest memento). It
answers `302` with `Location: <memento>` and a `Link` header naming the
`original`, the `timemap` (`type="application/link-format"`) and often
mementos with their `datetime`; `404` means not archived. A TimeGate picks
the memento closest in either direction, so when a TimeMap is named it is
read and the citation bot's rule (`linkcheck.archive.preference`) picks among
all its mementos instead.

Neither a Link header nor a TimeMap says which mementos captured an error
page, so the preferred mementos are requested, at most `VERIFY` of them, and
the first that answers 200 is the snapshot, dated by its `Memento-Datetime`.

Both the `Link` header and a TimeMap are link-format (RFC 6690 / RFC 8288):
`<uri>; rel="memento"; datetime="Tue, 20 Jun 2000 18:02:59 GMT", <uri>; ...`,
parsed by `parse_links` (commas inside <...> and quoted values are kept).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin

from aiohttp import hdrs

from linkcheck.archive import (
    ONLY_NON_200,
    UNREACHABLE,
    Capture,
    NoSnapshot,
    day_end,
    preference,
    snapshot,
)
from linkcheck.archive.client import ArchiveClient, Reply
from linkcheck.check.classify import REDIRECT_STATUSES
from linkcheck.config import TimeGate
from linkcheck.models import Snapshot

VERIFY = 3  # mementos requested at most per lookup
VERIFY_BODY = 1024  # bytes of a memento read: only its status matters

_LINK = re.compile(
    r"""<(?P<uri>[^>]*)>(?P<params>(?:\s*;\s*[^\s;,=]+(?:\s*=\s*(?:"[^"]*"|[^\s;,]*))?)*)"""
)
_PARAM = re.compile(
    r""";\s*(?P<name>[^\s;,=]+)(?:\s*=\s*(?:"(?P<quoted>[^"]*)"|(?P<token>[^\s;,]*)))?"""
)


@dataclass(frozen=True, slots=True)
class Link:
    """One link-format entry: its target, relation types and other parameters."""

    uri: str
    rel: frozenset[str]
    params: dict[str, str] = field(default_factory=dict)


def parse_links(text: str, base: str = "") -> list[Link]:
    """The entries of a Link header or a link-format TimeMap, URIs resolved against `base`."""
    links = []
    for match in _LINK.finditer(text):
        params = {
            found["name"].lower(): found["quoted"] or found["token"] or ""
            for found in _PARAM.finditer(match["params"])
        }
        rel = frozenset((params.pop("rel", None) or "").lower().split())
        links.append(Link(urljoin(base, match["uri"].strip()), rel, params))
    return links


def http_date(value: str | None) -> dt.datetime | None:
    """An RFC 1123 date (`datetime=`, `Memento-Datetime`) in UTC, or None."""
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def mementos(links: list[Link]) -> Iterator[Capture]:
    """The mementos among links, with their datetimes; status not known yet."""
    for link in links:
        moment = http_date(link.params.get("datetime"))
        if "memento" in link.rel and moment is not None:
            yield Capture(moment, link.uri, None)


class Memento:
    """One configured TimeGate as an `Archive` named after it."""

    def __init__(self, client: ArchiveClient, gate: TimeGate) -> None:
        self._client = client
        self._gate = gate
        self.name = gate.name

    async def snapshot(self, url: str, cited_on: dt.date | None) -> Snapshot | None:
        headers = {}
        if cited_on is not None:
            headers["Accept-Datetime"] = email.utils.format_datetime(day_end(cited_on), usegmt=True)
        gate = await self._client.request(
            self.name, self._gate.url + url, headers=headers, redirects=0
        )
        if gate.status in (404, 410):
            return None
        location = gate.headers.get(hdrs.LOCATION)
        if gate.status not in REDIRECT_STATUSES or not location:
            if gate.status == 200 and gate.headers.get("Memento-Datetime"):
                return self._snapshot(gate, cited_on, None)  # RFC 7089 pattern 2
            raise NoSnapshot(
                UNREACHABLE, f"{self.name}: TimeGate answered {gate.status}", source=self.name
            )
        links = parse_links(",".join(gate.headers.getall(hdrs.LINK, [])), gate.url)
        listed = {capture.url: capture for capture in mementos(links)}
        timemap = next((link.uri for link in links if "timemap" in link.rel), None)
        if timemap is not None:
            listed.update({capture.url: capture for capture in await self._timemap(timemap)})
        ordered: list[tuple[str, Capture | None]] = [
            (capture.url, capture) for capture in preference(listed.values(), cited_on)[:VERIFY]
        ]
        chosen = urljoin(gate.url, location)
        if chosen not in listed:  # the TimeGate's own choice, dated by its answer
            ordered.append((chosen, None))
        return await self._verified(ordered, cited_on)

    async def _timemap(self, url: str) -> list[Capture]:
        """The mementos of a TimeMap; none when it cannot be read (the TimeGate's choice stands)."""
        try:
            reply = await self._client.request(self.name, url)
        except NoSnapshot:
            return []
        if reply.status != 200:
            return []
        return list(mementos(parse_links(reply.body.decode("utf-8", "replace"), reply.url)))

    async def _verified(
        self, ordered: list[tuple[str, Capture | None]], cited_on: dt.date | None
    ) -> Snapshot:
        """The first memento in `ordered` that answers 200."""
        for url, listed in ordered:
            reply = await self._client.request(self.name, url, max_body=VERIFY_BODY)
            if reply.status == 200:
                return self._snapshot(reply, cited_on, listed)
        raise NoSnapshot(ONLY_NON_200, source=self.name)

    def _snapshot(self, reply: Reply, cited_on: dt.date | None, listed: Capture | None) -> Snapshot:
        """Dated by the memento's own Memento-Datetime, else by its TimeMap entry."""
        moment = http_date(reply.headers.get("Memento-Datetime"))
        moment = moment or (listed.timestamp if listed is not None else None)
        if moment is None:
            raise NoSnapshot(UNREACHABLE, f"{self.name}: undated memento", source=self.name)
        return snapshot(Capture(moment, reply.url, 200), cited_on, self.name)
