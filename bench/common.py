"""What the bench scripts share: where the data is, timers, and markdown tables.

    from common import SHARED, BOOKS, LARGE, timed, stats, table, books_split

Scripts run as `python bench/x.py`, so this folder is on sys.path and `import common` works.
"""

from __future__ import annotations

import os
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
BOOKS = SHARED / "corpus" / "books"
KENLM = SHARED / "kenlm"
LARGE = Path(os.environ.get("NTP_LARGE_DIR", "/work/large"))


def timed(fn, *args, **kw):
    """(seconds, result) of one call."""
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def stats(values) -> tuple[float, float]:
    """Median and 99th percentile."""
    a = np.asarray(values, dtype=np.float64)
    return float(np.median(a)), float(np.percentile(a, 99))


def table(header: list[str], rows: list[list]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def books_split(fraction: float = 0.9) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The raw books as (name, text) pairs, cut like ../shared/kenlm: the first 90% of each
    book's lines for training, the rest held out."""
    train, test = [], []
    for path in sorted(BOOKS.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        cut = int(len(lines) * fraction)
        train.append((path.name, "\n".join(lines[:cut]) + "\n"))
        test.append((path.name, "\n".join(lines[cut:]) + "\n"))
    return train, test


def shown_command(script: str) -> str:
    """This run's command line for `script` without --markdown (where the results go does not
    change them)."""
    shown, skip = [], False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
        elif arg == "--markdown":
            skip = True
        elif not arg.startswith("--markdown="):
            shown.append(arg)
    return shlex.join(["python", script, *shown])
