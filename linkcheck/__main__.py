"""The entry point, `linkcheck` and `python -m linkcheck`.

Ctrl-C and SIGTERM are taken before the heavy imports: while starting, a
signal ends the process at once with the shell's code (128 + the signal:
130, 143) and no traceback; nothing has been written yet. Once a run is
under way, the CLI's own handlers stop it gracefully and keep what was
checked.
"""

import signal


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _exit_on_signal)
    from linkcheck.cli import main as run_cli

    run_cli()


if __name__ == "__main__":
    main()
