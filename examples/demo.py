"""Check the sample article against a local imitation of the sites it cites.

The article (examples/seed-article.md, published Dec 16, 2021 on
www.washingtoninstitute.org) cites seven hosts over HTTPS. This script serves
all of them from 127.0.0.1 with a throw-away TLS certificate, each page with a
realistic behaviour (a live page, a permanent move, a vanished page, a bot
wall, …), then runs the real command line on the article with `--connect-to`
pointing every host at that server. Nothing leaves the machine.

    python examples/demo.py [extra linkcheck flags]
"""

from __future__ import annotations

import asyncio
import os
import ssl
import sys
import tempfile
from pathlib import Path

import trustme
from aiohttp import web

REPO = Path(__file__).resolve().parent.parent
ARTICLE = "examples/seed-article.md"
BASE = "https://www.washingtoninstitute.org/"

# (host, path) → (status, extra headers). Anything not listed answers 200
# with a page of its own.
BEHAVIOUR: dict[tuple[str, str], tuple[int, dict[str, str]]] = {
    # A permanent move: the outlet changed its URL scheme.
    ("www.19fortyfive.com", "/2021/05/why-hezbollah-remains-on-sidelines-of-israel-violence/"): (
        301, {"Location": "/2021/05/hezbollah-sidelines-israel/"}),
    # A vanished page.
    ("www.i24news.tv", "/en/news/international/1639109419-benny-gantz-meets-antony-blinken-in-washington"): (
        404, {}),
    # A paywall behind a bot challenge: cannot be verified, never "broken".
    ("www.haaretz.com", "/israel-news/.premium-on-iran-russia-is-closer-to-israel-than-what-s-exposed-former-top-official-says-1.10450342"): (
        403, {"cf-mitigated": "challenge"}),
    # A temporary redirect to the book's current page.
    ("www.washingtoninstitute.org", "/policy-analysis/putins-war-syria-russian-foreign-policy-and-price-americas-absence"): (
        302, {"Location": "/books/putins-war-syria"}),
    # A site-relative link to an event page that was removed.
    ("www.washingtoninstitute.org", "/policy-analysis/targeting-islamic-state-jihadist-military-threats-and-us-response"): (
        410, {}),
    # Servers that mishandle HEAD: the GET that follows is fine.
    ("tass.com", "/world/1307463"): (200, {}),
}
HEAD_REFUSED = {"tass.com"}
# What the imitation Wayback Machine holds: url → [(timestamp, status)].
CAPTURES: dict[str, list[tuple[str, str]]] = {
    "https://www.i24news.tv/en/news/international/1639109419-benny-gantz-meets-antony-blinken-in-washington": [
        ("20211210093000", "200"), ("20211220120000", "200"), ("20230105080000", "404")],
    "https://www.washingtoninstitute.org/policy-analysis/targeting-islamic-state-jihadist-military-threats-and-us-response": [
        ("20220216101500", "200")],
}
ARCHIVE = "web.archive.org"
HOSTS = sorted({"www.19fortyfive.com", "www.haaretz.com", "www.i24news.tv", "www.rferl.org",
                "tass.com", "www.washingtoninstitute.org", ARCHIVE, "archive.org"})


def cdx(request: web.Request) -> web.Response:
    """The CDX server's JSON rows for the documented parameters the checker sends."""
    query = request.query
    low, high = query.get("from", "0"), query.get("to", "99999999999999")
    rows = [
        [stamp, query["url"], status]
        for stamp, status in CAPTURES.get(query["url"], [])
        if low <= stamp[: len(low)] and stamp[: len(high)] <= high
        and ("filter" not in query or status == "200")
    ]
    limit = int(query.get("limit", "0"))
    rows = rows[limit:] if limit < 0 else rows[:limit] if limit else rows
    header = [["timestamp", "original", "statuscode"]]
    return web.json_response(header + rows if rows else [])


async def handle(request: web.Request) -> web.Response:
    host = (request.host or "").split(":")[0]
    if host == ARCHIVE and request.path == "/cdx/search/cdx":
        return cdx(request)
    if request.method == "HEAD" and host in HEAD_REFUSED:
        return web.Response(status=405)
    status, headers = BEHAVIOUR.get((host, request.path), (200, {}))
    words = " ".join(part for part in request.path.split("/") if part)
    body = f"<!doctype html><title>{words}</title><h1>{words}</h1><p>{words} {status}</p>"
    return web.Response(status=status, headers=headers, text=body, content_type="text/html")


async def main(extra: list[str]) -> int:
    authority = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(*HOSTS).configure_cert(server_tls)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_tls)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    with tempfile.TemporaryDirectory() as scratch:
        ca_file = Path(scratch) / "demo-ca.pem"
        authority.cert_pem.write_to_path(str(ca_file))
        command = [
            sys.executable, "-m", "linkcheck", "check", ARTICLE,
            "--base-url", BASE, "--allow-private", "--retries", "0",
            "--json", "reports/demo.json", "--html", "reports/demo.html",
            *(arg for host in HOSTS for arg in ("--connect-to", f"{host}:443:127.0.0.1:{port}")),
            *extra,
        ]
        print(f"$ linkcheck check {ARTICLE} --base-url {BASE} ...", flush=True)
        process = await asyncio.create_subprocess_exec(
            *command, cwd=REPO, env={**os.environ, "SSL_CERT_FILE": str(ca_file)}
        )
        try:
            code = await asyncio.wait_for(process.wait(), timeout=120)
        finally:
            if process.returncode is None:
                process.kill()
            await runner.cleanup()
    print(f"\nlinkcheck exited with {code} (1: some citations fail, as planted).")
    print("Open reports/demo.html in a browser to review them.")
    return code


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
