"""file:// URLs: checked on the local filesystem, off the event loop."""

from __future__ import annotations

import asyncio
from pathlib import Path

from linkcheck.models import Fetch, Verdict


async def check_file(path: Path) -> Fetch:
    try:
        await asyncio.to_thread(path.stat)
    except (FileNotFoundError, NotADirectoryError):
        return Fetch(Verdict.BROKEN, f"no such file: {path}")
    except ValueError as error:  # a NUL byte in the path
        return Fetch(Verdict.ERROR, f"malformed URL: {error}")
    except OSError as error:
        return Fetch(Verdict.ERROR, f"cannot check file {path}: {error.strerror or error}")
    return Fetch(Verdict.OK, "file exists")
