"""How the synchronous, CPU-bound model calls are run from the asyncio server.

The endpoints are `async def`, and every model call goes through `ModelRunner.call`, which runs it
in a worker thread of one of two lanes, each with `threads` threads (one by default; an anyio
CapacityLimiter of its own, apart from the pool Starlette uses for other blocking work) and a
bounded queue:

- the prediction lane: next-token predictions, whose work the limits bound to milliseconds;
- the long lane: everything that generates, searches or scores, whose work grows with the
  request (up to `limits.request_timeout`).

Why this shape:
- The event loop never runs model code, so /health, static files, new connections and the
  bookkeeping of streams stay responsive while the model is busy.
- Two lanes, so that long requests, however many, never stand in the queue of a prediction: the
  autocomplete page's requests wait only for each other (and for the GIL, which the lanes share;
  bench/bench_abuse.py measures what that costs).
- Long work runs in slices (`run_in_slices`): a generation or an echoed prompt's scoring gives
  its thread back every SLICE_SECONDS and queues again, and the queue serves first the request
  that has had the model least (turns.py): a short request does not wait for the long ones
  ahead of it, which share what is left.
- One thread per lane. The model's work is Python, so the GIL lets one thread compute at a time
  whatever their number, and each more thread computing is one more that the event loop and the
  prediction lane wait for to get the GIL back. With the lanes and the slices, two threads per
  lane measured no better than one (bench/ABUSE_RESULTS.md): one it is. More cores are used by
  more processes: `serve(workers=N)`.
- The bound is the model's, not the server's: beyond `threads` concurrent calls, requests wait
  in a queue instead of piling up threads that fight over the GIL. The queue is bounded too: a
  request that finds every thread of its lane busy and `max_queue` others waiting is answered
  503 with Retry-After at once, rather than waiting for a turn that would come after its deadline.
  The long lane's queue holds requests in progress between their slices (64 by default: each may
  hold a large answer in memory); the prediction lane's holds predictions of a millisecond or two
  each (256: a quarter of a second of work), so a burst of typists is queued, not refused. A request passes the
  check once (its later calls, the pieces of a stream, are not refused midway).
- Every call obeys the request's budget (budget.py): none starts after the deadline or once the
  client left, and a wait in the queue ends at the deadline. A call already running in a thread is
  never abandoned (Python cannot stop a thread); the routes' model loops call
  `budget.checkpoint()` per token (`run_in_slices` does), so such a call ends within a token of
  the deadline or the client leaving.
- A stream (`iterate`) takes a thread only while computing the next piece, so one slow reader
  cannot hold it, and many streams interleave fairly with short requests.

`threads=0` runs the model calls on the event loop itself: no thread hop (tens of microseconds
saved per call), but while the model works nothing else moves, not even /health. It exists to
measure that trade-off (bench/bench_server.py --setups 0x1,1x1), not as the default.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any, AsyncIterator, Callable, Iterator, TypeVar

import anyio
import anyio.to_thread

from .budget import ServerBusy, checkpoint, current_budget
from .turns import Turns

T = TypeVar("T")
_DONE = object()
PREDICT, LONG = "predict", "long"
SLICE_SECONDS = 0.02  # how long long work keeps a thread before the next request's turn


def default_threads() -> int:
    """One per lane (see the module doc: more threads only add waiting for the GIL; the lanes and
    the slices keep short requests from waiting behind long ones)."""
    return 1


class Lane:
    """Model threads for one kind of work, and the queue in front of them (turns.py: the request
    that has had the model least goes first)."""

    def __init__(self, name: str, threads: int, max_queue: int):
        self.name, self.threads, self.max_queue = name, threads, max_queue
        self.turns = Turns(max(threads, 1))
        self._limiter: anyio.CapacityLimiter | None = None

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        """The lane's own threads (never the bottleneck: `turns` admits `threads` calls at a time)."""
        # created lazily: a CapacityLimiter belongs to the event loop that first uses it
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(max(self.threads, 1))
        return self._limiter

    @property
    def waiting(self) -> int:
        return self.turns.waiting

    @property
    def running(self) -> int:
        return self.turns.busy


class ModelRunner:
    def __init__(self, threads: int | None = None, max_queue: int = 64, max_predict_queue: int = 256,
                 retry_after: int = 1):
        if threads is not None and threads < 0:
            raise ValueError(f"threads must be >= 0, got {threads}")
        if max_queue < 0 or max_predict_queue < 0:
            raise ValueError(f"queue lengths must be >= 0, got {max_queue} and {max_predict_queue}")
        self.threads = default_threads() if threads is None else threads
        self.retry_after = retry_after
        self.lanes = {PREDICT: Lane(PREDICT, self.threads, max_predict_queue), LONG: Lane(LONG, self.threads, max_queue)}
        self.active_streams = 0

    def queued(self) -> dict[str, int]:
        return {name: lane.waiting for name, lane in self.lanes.items()}

    async def call(self, fn: Callable[..., T], /, *args: Any, lane: str = LONG, **kwargs: Any) -> T:
        """Run fn(*args, **kwargs) in a worker thread of `lane` and return its result.

        Raises ServerBusy (503) when the lane's queue is full or stays full until the deadline,
        ClientLeft or DeadlineExceeded when the request's budget says so (budget.py).
        """
        budget = current_budget()
        if budget is not None:
            budget.check()
            if lane == LONG:
                budget.watch()  # from now on, a client that leaves stops the work
        if self.threads == 0:
            if budget is not None:
                budget.started = True
            return fn(*args, **kwargs)
        line = self.lanes[lane]
        if budget is None or lane not in budget.admitted:
            if line.running >= line.threads and line.waiting >= line.max_queue:
                raise ServerBusy(f"{line.waiting} requests are waiting for the model's {lane} lane "
                                 f"(limits.{'max_predict_queue' if lane == PREDICT else 'max_queue'} = "
                                 f"{line.max_queue})", self.retry_after)
            if budget is not None:
                budget.admitted.add(lane)
        if budget is None:
            async with line.turns.turn():
                return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs), limiter=line.limiter)

        def run() -> T:
            budget.started = True
            budget.check()  # the deadline may have passed while the thread was being handed the call
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                budget.attained += time.perf_counter() - started

        with anyio.move_on_after(budget.remaining()):
            async with line.turns.turn(budget.attained):
                return await anyio.to_thread.run_sync(run, limiter=line.limiter)
        raise budget.expired()  # the deadline came while waiting for a thread

    async def run_in_slices(self, make: Callable[[], Iterator[T]], feed: Callable[[T], Any] | None = None,
                            lane: str = LONG) -> None:
        """Run the iterator `make()` to its end, passing each item to `feed` (in the thread), in
        slices of at most SLICE_SECONDS of a thread of `lane`; between slices the thread serves
        the next request in the lane's queue. The request's budget is checked at every item."""
        iterator = await self.call(make, lane=lane)
        try:
            while not await self.call(_advance, iterator, feed, lane=lane):
                pass
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    async def iterate(self, make: Callable[[], Iterator[T]]) -> AsyncIterator[T]:
        """Yield the items of the iterator `make()` returns, each computed in a worker thread of
        the long lane.

        The iterator is closed however the loop ends (exhausted, error, the deadline, or the
        consumer being cancelled or closed because the client went away); `active_streams`
        counts the iterators currently open, which /health reports.
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


def _advance(iterator: Iterator[T], feed: Callable[[T], Any] | None) -> bool:
    """One slice of `run_in_slices`: True when the iterator is exhausted."""
    until = time.perf_counter() + SLICE_SECONDS
    for item in iterator:
        checkpoint()
        if feed is not None:
            feed(item)
        if time.perf_counter() > until:
            return False
    return True
