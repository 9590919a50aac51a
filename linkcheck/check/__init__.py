"""The check stage: one distinct URL in, one `Fetch` out.

Modules, in the order a URL meets them:

- `target`: what kind of check a URL needs (http(s), file, skipped, malformed);
- `schedule`: per-host queues for `check_many`, per-host request slots and pacing;
- `fetch`: HEAD, GET when HEAD is refused, redirects by hand, capped bodies;
- `guard`: the private-address guard and the resolver that applies --resolve;
- `retry`: the single retry rule (tenacity), Retry-After;
- `classify`: exceptions and statuses to verdicts (the mapping is documented there);
- `walls`: bot walls, paywalls and login walls, named by vendor or kind;
- `soft404`: 2xx answers that are gone (redirect targets, not-found titles, the
  random-path probe); `pagetext`: the title, headings and main text they read;
- `drift`: how much of an archived copy's text a live page still has (pure);
- `anchors`: the ids, `<a name>`s and heading slugs a `#fragment` may name;
- `doi`: doi.org links, asked of the DOI handle API before the landing page;
- `session`: the one aiohttp session; `files`: file:// URLs; `checker`: `Checker`,
  which also asks blocked URLs again with browser headers and runs the probe;
- `processes`: `Checker`s in forked processes, each host always in the same one.

Every aiohttp and OS exception is converted into a `Fetch` inside this
package (`classify.failure`); only cancellation leaves `Checker.check`.

`Checker`, `FetchError` and `Page` are imported from `checker` when first
asked for here: importing a module of this package (`schedule`, `anchors`)
must not import aiohttp, which a run's main process does not need when its
check processes connect (docs/performance.md).
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkcheck.check.checker import Checker, FetchError, Page

__all__ = ["Checker", "FetchError", "Page"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from linkcheck.check import checker

        return getattr(checker, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
