"""The FIFO gates behind fair shares (hunt/api/_shares.py), without a server."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from hunt.api._shares import Gate, Shares
from hunt.config import LimitsConfig


async def test_waiters_go_in_the_order_they_came_even_when_a_later_one_would_fit() -> None:
    gate = Gate(4)
    await gate.acquire(3)
    order = []
    async with trio.open_nursery() as nursery:
        async def take(name: str, units: int) -> None:
            await gate.acquire(units)
            order.append(name)

        nursery.start_soon(take, "big", 3)
        await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(take, "small", 1)  # fits now, but "big" came first
        await trio.testing.wait_all_tasks_blocked()
        assert order == [] and gate.waiting == 2
        gate.release(3)
    assert sorted(order) == ["big", "small"] and gate.used == 4


async def test_a_cancelled_waiter_takes_nothing_and_holds_no_one_back() -> None:
    gate = Gate(2)
    await gate.acquire(2)
    async with trio.open_nursery() as nursery:
        with trio.CancelScope() as scope:
            nursery.start_soon(gate.acquire, 2)  # not cancelled: waits behind the one below
            await trio.testing.wait_all_tasks_blocked()
        inner = trio.CancelScope()

        async def give_up() -> None:
            with inner:
                await gate.acquire(1)

        nursery.start_soon(give_up)
        await trio.testing.wait_all_tasks_blocked()
        inner.cancel()
        await trio.testing.wait_all_tasks_blocked()
        assert gate.waiting == 1
        gate.release(2)
    assert gate.used == 2 and gate.waiting == 0 and not scope.cancel_called


def test_more_units_than_the_capacity_are_refused_not_waited_for() -> None:
    with pytest.raises(ValueError, match="never fit"):
        trio.run(Gate(2).acquire, 3)


async def test_gates_are_forgotten_once_nothing_is_in_flight_through_them() -> None:
    shares = Shares(LimitsConfig(window=4, address_window=8, hunt_window=8), mailbox_capacity=64)
    held = [await shares.acquire("h", f"p{i}", "10.0.0.1", 1) for i in range(3)]
    assert shares.sizes() == (1, 3, 1) and shares.in_flight("h") == 3
    for one in held:
        one.release()
        one.release()  # twice is once
    assert shares.sizes() == (0, 0, 0) and shares.in_flight("h") == 0


async def test_a_hunts_share_is_never_more_than_its_mailbox_holds() -> None:
    assert Shares(LimitsConfig(window=4, address_window=8, hunt_window=8), mailbox_capacity=64).hunt_capacity == 8
    shares = Shares(LimitsConfig(window=4, address_window=8, hunt_window=8), mailbox_capacity=5)
    assert shares.hunt_capacity == 5
    held = [await shares.acquire("h", f"p{i}", None, 1) for i in range(5)]
    with trio.move_on_after(0.1) as waited:
        await shares.acquire("h", "p9", None, 1)
    assert waited.cancelled_caught and shares.in_flight("h") == 5
    for one in held:
        one.release()
