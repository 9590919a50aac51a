"""Crawl a generated site of many pages: peak RSS and pages per second.

    .venv/bin/python -m bench.crawl [--pages 100000] [--fanout 6] [--host-concurrency 16]

A site server (`serve`, in its own process so that its CPU and memory are
not the crawler's) makes the pages of `tests/site_server.generated_page` on
the fly: page `/gen/i` links to home, its parent, its children, its own
`#part-i` and one of 50 pages of another host (127.0.0.2). The crawler is
the real command line, `linkcheck crawl http://127.0.0.1:PORT/`, measured by
`bench.measure.measure` (its own peak RSS and CPU from wait4). The server
counts the requests, so the bench can tell that every page was read once.
With `--json` the crawler also writes its JSON report, whose cost shows
apart: the report holds every citation.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import select
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from aiohttp import web

from bench.measure import measure

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from site_server import generated_page  # after the path: tests/ is not a package

ROOT = Path(__file__).resolve().parent.parent
SITE, OTHER = "127.0.0.1", "127.0.0.2"


async def _serve(pages: int, fanout: int, port: int) -> None:
    """Serve the generated site on SITE and the other host's pages on OTHER; on
    SIGTERM print the request counts as JSON and stop."""
    requests: Counter[tuple[str, str]] = Counter()

    async def answer(request: web.Request) -> web.Response:
        path = request.path
        requests[request.method, path] += 1
        if path == "/":
            return web.Response(text='<a href="/gen/0">start</a>', content_type="text/html")
        name = path.removeprefix("/gen/")
        if request.host.startswith(SITE) and name.isdigit() and int(name) < pages:
            body = generated_page(int(name), pages, fanout, f"http://{OTHER}:{port}")
            return web.Response(text=body, content_type="text/html")
        if path.startswith("/ext/"):
            return web.Response(text="other site", content_type="text/plain")
        return web.Response(status=404, text="not found")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    for host in (SITE, OTHER):
        await web.TCPSite(runner, host, port, backlog=1024).start()
    print("READY", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    gets = Counter(count for (method, _), count in requests.items() if method == "GET")
    stats = {
        "pages_read": sum(1 for method, path in requests if method == "GET" and path != "/ext/"),
        "read_twice": sum(n for count, n in gets.items() if count > 1),
        "heads": sum(count for (method, _), count in requests.items() if method == "HEAD"),
        "requests": sum(requests.values()),
    }
    print(json.dumps(stats), flush=True)
    await runner.cleanup()


def crawl(
    pages: int, fanout: int, port: int, host_concurrency: int, with_json: bool
) -> dict[str, object]:
    """One measured crawl against a fresh server; the figures as a dict."""
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.crawl", "serve", f"--pages={pages}",
         f"--fanout={fanout}", f"--port={port}"],
        cwd=ROOT, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        ready, _, _ = select.select([server.stdout], [], [], 30)
        if not ready or not server.stdout.readline().startswith(b"READY"):
            raise RuntimeError("the site server did not start")
        with tempfile.TemporaryDirectory(prefix="linkcheck-bench-crawl-") as work:
            cmd = [
                str(ROOT / ".venv" / "bin" / "linkcheck"), "crawl", f"http://{SITE}:{port}/",
                "--allow-private", "--no-archive", "--no-history", "--no-progress", "--retries=0",
                f"--host-concurrency={host_concurrency}", "--max-concurrency=64",
                f"--max-pages={pages + 10}", "--html=",
                *([f"--json={Path(work) / 'report.json'}"] if with_json else []),
            ]  # fmt: skip
            run = measure(cmd, ROOT, Path(work) / "log.txt", timeout=3600)
            log = (Path(work) / "log.txt").read_text(errors="replace")
    finally:
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=30)
    stats = json.loads(out.decode().strip().splitlines()[-1])
    summary = re.findall(r"^.*checked.*$", log, re.MULTILINE)
    return {
        "pages": pages,
        "json_report": with_json,
        **stats,
        "summary": summary[-1] if summary else log[-500:],
        "wall_s": round(run.wall_s, 1),
        "cpu_s": round(run.cpu_s, 1),
        "peak_rss_mb": round(run.max_rss_mb),
        "pages_per_s": round(stats["pages_read"] / run.wall_s),
        "exit": run.returncode,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="measure", choices=("measure", "serve"))
    parser.add_argument("--pages", type=int, nargs="+", default=[100_000])
    parser.add_argument("--fanout", type=int, default=6)
    parser.add_argument("--port", type=int, default=8961)
    parser.add_argument("--host-concurrency", type=int, default=16)
    parser.add_argument("--json", action="store_true", help="also write the JSON report")
    args = parser.parse_args()
    if args.mode == "serve":
        asyncio.run(_serve(args.pages[0], args.fanout, args.port))
        return
    for pages in args.pages:
        figures = crawl(pages, args.fanout, args.port, args.host_concurrency, args.json)
        print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
