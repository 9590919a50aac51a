"""The entry point, `linkcheck` and `python -m linkcheck`.

Ctrl-C and SIGTERM are taken before the heavy imports: while starting, a
signal ends the process at once with the shell's code (128 + the signal:
130, 143) and no traceback; nothing has been written yet. Once a run is
under way, the CLI's own handlers stop it gracefully and keep what was
checked.

The collector is tuned for a run's shape once the imports are done: what
they made lives until the end, so it is frozen (never scanned again, and
not written to in forked check processes and workers), and a run then
builds hundreds of thousands of citations, which hold no cycles, so the
youngest generation is collected every 10,000 allocations instead of 700:
S3's 400,000 citations caused four full collections, 0.2-0.4 s of CPU.

`check` forks its check processes first of all (linkcheck/check/processes.py,
`prestart`): they import aiohttp while this process imports the CLI and
parses the options, instead of after (S1's first request 0.15 s sooner).

The process ends without tearing the interpreter down (`_leave`): a run may
end holding a million citations, and freeing them one by one took a third
of a second at exit for nothing. By then every report has been renamed into
place and the history committed; the standard streams are flushed here.
"""

import contextlib
import gc
import os
import signal
import sys
from typing import NoReturn

YOUNG_COLLECTION = 10_000  # allocations between collections of the youngest generation


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _exit_on_signal)
    if sys.argv[1:2] == ["check"]:
        _prestart_check_processes()
    from linkcheck.cli import main as run_cli

    _tune_collector()
    try:
        run_cli()
    except SystemExit as done:
        _leave(done.code)
    _leave(0)


def _prestart_check_processes() -> None:
    from linkcheck.check.processes import how_many, prestart
    from linkcheck.config import Config

    count = how_many(Config())  # as many as a run takes by default
    if count > 1:
        with contextlib.suppress(OSError):  # no fork now: the run forks, or says why it cannot
            prestart(count, _tune_collector)


def _tune_collector() -> None:
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION, *gc.get_threshold()[1:])


def _leave(code: object) -> NoReturn:
    """`sys.exit(code)` without the interpreter's teardown (see the module docstring)."""
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # what sys.exit does with a message
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe, a closed stream
            stream.flush()
    os._exit(code or 0)


if __name__ == "__main__":
    main()
