"""How the synchronous, CPU-bound model calls are run from the asyncio server.

The endpoints are `async def`, and every model call goes through `ModelRunner.call`, which runs it
in a worker thread, at most `threads` at a time (an anyio CapacityLimiter of its own, apart from
the pool Starlette uses for other blocking work). Why this shape:

- The event loop never runs model code, so /health, static files, new connections and the
  bookkeeping of streams stay responsive while the model is busy.
- The bound is the model's, not the server's: beyond `threads` concurrent calls, requests wait
  in a queue instead of piling up threads that fight over the GIL. The default is 2 (see
  `default_threads`); more cores are used by more processes (`serve(workers=N)`).
- A stream (`iterate`) takes a worker only while computing the next piece, so one slow reader
  cannot hold a worker, and many streams interleave fairly with short requests.

`threads=0` runs the model calls on the event loop itself: no thread hop (tens of microseconds
saved per call), but while the model works nothing else moves, not even /health. It exists to
measure that trade-off (bench/bench_server.py --threads 0,1,4), not as the default.

A call already running in a thread is never abandoned: when the client disconnects, the
cancellation waits for the current step to finish (a few milliseconds at most) and then
closes the model's iterator, so a disconnect leaves no thread or generator behind.
"""

from __future__ import annotations

from functools import partial
from typing import Any, AsyncIterator, Callable, Iterator, TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")
_DONE = object()


def default_threads() -> int:
    """Two. The model's work is mostly Python, so the GIL caps what more threads add (measured in
    bench/SERVER_RESULTS.md); two still let a short call run beside a long one instead of
    queueing behind it. More cores are used by more processes: `serve(workers=N)`."""
    return 2


class ModelRunner:
    def __init__(self, threads: int | None = None):
        if threads is not None and threads < 0:
            raise ValueError(f"threads must be >= 0, got {threads}")
        self.threads = default_threads() if threads is None else threads
        self._limiter: anyio.CapacityLimiter | None = None
        self.active_streams = 0

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        # created lazily: a CapacityLimiter belongs to the event loop that first uses it
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.threads)
        return self._limiter

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run fn(*args, **kwargs) in a worker thread and return its result."""
        if self.threads == 0:
            return fn(*args, **kwargs)
        return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs), limiter=self.limiter)

    async def iterate(self, make: Callable[[], Iterator[T]]) -> AsyncIterator[T]:
        """Yield the items of the iterator `make()` returns, each computed in a worker thread.

        The iterator is closed however the loop ends (exhausted, error, or the consumer being
        cancelled or closed because the client went away); `active_streams` counts the
        iterators currently open, which /health reports.
        """
        self.active_streams += 1
        iterator: Iterator[T] | None = None
        try:
            iterator = await self.call(make)
            while True:
                item = await self.call(next, iterator, _DONE)
                if item is _DONE:
                    return
                yield item  # type: ignore[misc]
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
            self.active_streams -= 1
