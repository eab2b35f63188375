"""What a server process tunes about itself: open files and the garbage collector.

`serve` calls `tune_server_process` in every process that serves (`ntp serve`, each worker).
`running_server` and `create_app` do not: they share a process with their caller, whose settings
are not theirs to change. Measured under abuse in bench/ABUSE_RESULTS.md.

- Open files: the soft limit is raised to the hard one (commonly from 1,024 to hundreds of
  thousands), so held connections do not exhaust the process's descriptors (connection_guard.py).
- The garbage collector: everything alive once the app is built (FastAPI, pydantic, the model's
  vocabulary: about 64,000 objects) is frozen out of collection (`gc.freeze`); a full
  collection took 70-90 ms here before and 0 ms after, and it runs every few seconds while large
  answers are being built, stopping every thread: under the abusive load of bench/bench_abuse.py
  they were the longest pauses (100-170 ms). Full collections are also made 10x rarer (they still
  run: cycles are freed, a little later).

Left alone: the GIL's switch interval. At 1 ms instead of Python's 5 ms the event loop got the GIL
back sooner while long requests computed, but ten clients of /api/predict alone got half the
throughput (1,194 against 1,991 requests/s, p50 9.2 against 4.8 ms), so it stays at 5 ms.
"""

from __future__ import annotations

import gc


def raise_open_file_limit(at_most: int = 1 << 20) -> int:
    """Raise this process's soft limit of open files to its hard limit; return the soft limit."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = at_most if hard == resource.RLIM_INFINITY else min(hard, at_most)
    if soft == resource.RLIM_INFINITY or soft >= target:
        return at_most if soft == resource.RLIM_INFINITY else soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    except (ValueError, OSError):
        return soft


def tune_server_process() -> None:
    """Call once the app is built, before serving (see the module doc)."""
    raise_open_file_limit()
    gc.collect()
    gc.freeze()
    first, second, third = gc.get_threshold()
    gc.set_threshold(first, second, max(third, 100))
