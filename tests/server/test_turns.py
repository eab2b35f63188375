"""Who gets a model thread next (next_token.server.turns): the request that has had the model
least, then the oldest; a waiter that gives up never holds a turn."""

from __future__ import annotations

import anyio
import pytest

from next_token.server.turns import Turns


def run(main):
    anyio.run(main)


def test_waiters_go_least_served_first_then_in_order():
    order = []

    async def main():
        turns = Turns(1)

        async def holder(name, priority, hold):
            async with turns.turn(priority):
                order.append(name)
                await anyio.sleep(hold)

        async with anyio.create_task_group() as tg:
            tg.start_soon(holder, "first", 0.0, 0.05)
            await anyio.sleep(0.01)
            for name, priority in [("long", 5.0), ("longer", 9.0), ("new", 0.0), ("short", 0.1), ("new2", 0.0)]:
                tg.start_soon(holder, name, priority, 0.0)
                await anyio.sleep(0.001)
            assert turns.waiting == 5 and turns.busy == 1

    run(main)
    assert order == ["first", "new", "new2", "short", "long", "longer"]


def test_at_most_slots_at_once_and_all_released():
    async def main():
        turns, inside, most = Turns(2), 0, 0

        async def worker():
            nonlocal inside, most
            async with turns.turn():
                inside += 1
                most = max(most, inside)
                await anyio.sleep(0.005)
                inside -= 1

        async with anyio.create_task_group() as tg:
            for _ in range(10):
                tg.start_soon(worker)
        assert most == 2 and turns.busy == 0 and turns.waiting == 0

    run(main)


@pytest.mark.parametrize("when", ["while waiting", "as its turn comes"])
def test_a_cancelled_waiter_never_keeps_a_turn(when):
    async def main():
        turns = Turns(1)
        got = []
        scope = anyio.CancelScope()

        async def holder():
            async with turns.turn():
                await anyio.sleep(0.02)
            if when == "as its turn comes":
                scope.cancel()  # the turn was just handed to the waiter, which has not run yet

        async def waiter():
            with scope:
                async with turns.turn():
                    await anyio.sleep(0)  # where a cancellation reaches a task that got its turn
                    got.append("cancelled one")

        async def later():
            async with turns.turn():
                got.append("later")

        async with anyio.create_task_group() as tg:
            tg.start_soon(holder)
            await anyio.sleep(0.005)
            tg.start_soon(waiter)
            await anyio.sleep(0.005)
            tg.start_soon(later)
            await anyio.sleep(0.001)
            assert turns.waiting == 2
            if when == "while waiting":
                scope.cancel()
        assert got == ["later"]
        assert turns.busy == 0 and turns.waiting == 0

    run(main)
