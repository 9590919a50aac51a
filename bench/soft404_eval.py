"""Precision and recall of soft_404, blocked and drifted on the labelled corpus.

    .venv/bin/python -m bench.soft404_eval

The corpus is `tests/site_farm.py` (real-world-shaped sites served on
127.0.0.1; no network): the same one `tests/test_check_corpus.py` asserts the
targets on. Prints the table and every page the checker got wrong.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from site_farm import evaluate  # after the path: tests/ is not a package


def main() -> None:
    print(asyncio.run(evaluate()).table())


if __name__ == "__main__":
    main()
