"""DOIs: is a doi.org link's DOI registered at all?

A doi.org URL (`https://doi.org/10.1000/182`, `http://dx.doi.org/...`; the
collect stage turns `doi:10.1000/182` and BibTeX `doi` fields into one) is
first looked up in the DOI proxy's handle API, `doi_api` + the DOI: its
JSON `responseCode` 1 means the DOI exists, 100 that it does not (with HTTP
404). An unknown DOI is `broken`, "DOI not found: 10.1000/182", without a
request to doi.org; a known one is then checked like any URL, following
the doi.org redirect to its landing page (publishers often refuse robots
there: that DOI is still registered, the landing page is what is judged).
Any other answer of the handle API (down, rate limited, not JSON) decides
nothing: the URL is checked like any other, where doi.org answers 404 for
an unknown DOI.

The lookup goes through the run's session, host slots and retries; it is
not counted in the URL's attempts unless it decides the verdict.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from yarl import URL

from linkcheck.check.classify import Outcome
from linkcheck.check.target import request_url
from linkcheck.models import Fetch, Verdict

RESOLVERS = frozenset({"doi.org", "dx.doi.org", "www.doi.org"})
FOUND, NOT_FOUND = 1, 100  # the handle API's responseCode values

Run = Callable[[URL], Awaitable[tuple[Outcome, int, int]]]  # (outcome, attempts, elapsed ms)


def name(url: URL) -> str | None:
    """The DOI a doi.org URL stands for (`10.1000/182`), or None."""
    if (url.host or "").lower().rstrip(".") not in RESOLVERS:
        return None
    path = url.path.lstrip("/")
    return path if path.startswith("10.") and "/" in path else None


def api_url(api: str, doi: str) -> URL:
    """The handle API's URL for a DOI (every reserved character escaped)."""
    return request_url(api.rstrip("/") + "/" + quote(doi, safe="/"))


async def unregistered(url: URL, api: str | None, run: Run) -> Fetch | None:
    """A `broken` Fetch when `url` is a doi.org link whose DOI the handle API
    does not know; None when the URL is to be checked as any other."""
    doi = name(url) if api else None
    if doi is None or api is None:
        return None
    outcome, attempts, elapsed_ms = await run(api_url(api, doi))
    if _response_code(outcome) != NOT_FOUND:
        return None
    return Fetch(
        Verdict.BROKEN, f"DOI not found: {doi}", attempts=attempts, elapsed_ms=elapsed_ms
    )


def _response_code(outcome: Outcome) -> int | None:
    """The handle API's `responseCode`, when the answer is its JSON."""
    answer = outcome.answer
    if answer is None or answer.status not in (200, 404) or outcome.hops:
        return None
    try:
        code = json.loads(answer.body).get("responseCode")
    except (ValueError, AttributeError):  # not JSON, or JSON that is not an object
        return None
    return code if isinstance(code, int) else None
