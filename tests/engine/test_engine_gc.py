"""The engine's garbage-collector policy: freeze the live heap, reclaim cycles now and then."""

from __future__ import annotations

import gc
import weakref

import trio
import trio.testing

from hunt.engine._gc import run_gc_policy


class Cycle:
    def __init__(self) -> None:
        self.me = self


async def test_the_heap_is_frozen_periodically_and_thawed_on_exit(autojump_clock: trio.testing.MockClock) -> None:
    async with trio.open_nursery() as nursery:
        nursery.start_soon(run_gc_policy, 1.0, 0.0)
        await trio.sleep(1.5)
        assert gc.get_freeze_count() > 0
        nursery.cancel_scope.cancel()
    assert gc.get_freeze_count() == 0


async def test_frozen_cyclic_garbage_is_reclaimed_by_the_full_collection(
        autojump_clock: trio.testing.MockClock) -> None:
    async with trio.open_nursery() as nursery:
        nursery.start_soon(run_gc_policy, 1.0, 3.0)
        cycle = Cycle()
        alive = weakref.ref(cycle)
        await trio.sleep(1.5)  # frozen with the rest of the heap
        del cycle
        gc.collect()
        assert alive() is not None  # garbage, but frozen: ordinary collections skip it
        await trio.sleep(2.0)  # past full_every_s: unfreeze, then a full collection
        assert alive() is None
        nursery.cancel_scope.cancel()


async def test_a_zero_interval_disables_the_policy() -> None:
    with trio.fail_after(1):
        await run_gc_policy(0, 600)
    assert gc.get_freeze_count() == 0
