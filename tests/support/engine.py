"""Small helpers of the engine tests: the engine fixture's type, a replay from disk, a wait.

Storage faults come through the engine's store seam (hunt_lab.faults.store, the ``faults``
fixture in tests/engine/conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import trio

from hunt.domain import HuntState, replay
from hunt.engine import Engine
from hunt.store import SqliteHuntStore

from .hunts import HUNT_ID

# ``async with open_hunt(players=3, **config_sections) as engine`` (the fixture in conftest)
OpenHunt = Callable[..., AbstractAsyncContextManager[Engine]]



def disk_replay(engine: Engine, hunt_id: str = HUNT_ID) -> HuntState:
    """A full replay of the hunt's log as it is on disk (through a fresh read-only connection)."""
    reader = SqliteHuntStore.open_reader(engine.data_dir, hunt_id)
    try:
        return replay(list(reader.read()))
    finally:
        reader.close()


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``predicate`` until it holds; fail the test after ``timeout`` seconds."""
    with trio.fail_after(timeout):
        while not predicate():
            await trio.sleep(0.005)
