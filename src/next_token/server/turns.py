"""Who gets a model thread next: the request that has had the model least.

A lane's threads are handed out by `Turns`, a limiter whose queue is ordered by how much model
time each waiting request has already had (its `attained` seconds), oldest first among equals:
"least attained service", the classic policy when most jobs are short and a few are very long.

Why not first come, first served: long work runs in slices (runner.run_in_slices) and queues again
after each one. In arrival order, every slice of every long request in the queue would come
before a new request's first one, so a short request would wait a slice for each long request
ahead of it (eight abusive requests: 160 ms per slice it needs). Ordered by attained time, a new
request, which has had nothing yet, goes first: short requests finish in about their own time
however many long ones are running, and the long ones share what is left, the least served first.
Under overload, that is what fails: long requests reach their deadlines (504), not short ones.
"""

from __future__ import annotations

import heapq
import itertools
from contextlib import asynccontextmanager
from typing import AsyncIterator

import anyio


class _Waiter:
    __slots__ = ("priority", "order", "event", "gone")

    def __init__(self, priority: float, order: int):
        self.priority, self.order = priority, order
        self.event = anyio.Event()
        self.gone = False  # cancelled while waiting: skipped when its turn comes

    def __lt__(self, other: "_Waiter") -> bool:
        return (self.priority, self.order) < (other.priority, other.order)


class Turns:
    """At most `slots` holders at a time; waiters served lowest `priority` first, then in order."""

    def __init__(self, slots: int):
        self.slots = slots
        self.busy = 0
        self._queue: list[_Waiter] = []
        self._order = itertools.count()
        self.waiting = 0

    @asynccontextmanager
    async def turn(self, priority: float = 0.0) -> AsyncIterator[None]:
        if self.busy < self.slots and not self.waiting:
            self.busy += 1
        else:
            waiter = _Waiter(priority, next(self._order))
            heapq.heappush(self._queue, waiter)
            self.waiting += 1
            try:
                await waiter.event.wait()
            except BaseException:
                if waiter.event.is_set():  # the turn was handed over as we were cancelled: pass it on
                    self._release()
                else:
                    waiter.gone = True
                    self.waiting -= 1
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._queue:
            waiter = heapq.heappop(self._queue)
            if not waiter.gone:
                self.waiting -= 1
                waiter.event.set()  # the slot goes to it: `busy` stays the same
                return
        self.busy -= 1
