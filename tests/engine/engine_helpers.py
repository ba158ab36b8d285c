"""Storage faults to inject into hunt actors, and small waits, for the engine tests.

``Faults`` wraps ``SqliteHuntStore.append`` (the one call through which every batch becomes
durable) so a test can make the next commits of a hunt fail, or stall them on a gate. A
stalled append blocks a worker thread; every gate opens by itself after ``STALL_LIMIT_S``, so
a failing test cannot hang the run.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import trio

from hunt.domain import HuntState, replay
from hunt.engine import Engine
from hunt.store import SqliteHuntStore, WriteFailed

HUNT_ID = "harbor"
# ``async with open_hunt(players=3, **config_sections) as engine`` (the fixture in conftest)
OpenHunt = Callable[..., AbstractAsyncContextManager[Engine]]
STALL_LIMIT_S = 10.0
CRANE = (53.5441, 9.9667)

# The test hunt: an answer clue with decay, first-finder bonus and two hints; a geo clue; a
# code clue that opens after the first.
HUNT: dict[str, Any] = {
    "id": HUNT_ID, "title": "Harbor Hunt", "mode": "solo", "order": "free",
    "clues": [
        {"id": "c1", "title": "Old light", "kind": "answer", "answers": ["lighthouse"], "points": 100,
         "decay": {"per_finder": 10, "min": 50}, "first_bonus": 20,
         "hints": [{"text": "It blinks.", "cost": 10}, {"text": "It is tall.", "cost": 5}]},
        {"id": "c2", "title": "Crane", "kind": "geo", "lat": CRANE[0], "lon": CRANE[1], "radius_m": 30, "points": 50},
        {"id": "c3", "title": "Sign", "kind": "code", "codes": ["X7K2"], "points": 30, "after": ["c1"]},
    ],
}


class Stall:
    """A gate in front of a hunt's commits: ``entered`` once a commit waits at it."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.gate = threading.Event()

    def release(self) -> None:
        self.gate.set()


class Faults:
    def __init__(self) -> None:
        self.failures: Counter[str] = Counter()
        self.lost_acks: Counter[str] = Counter()
        self.stalls: dict[str, Stall] = {}

    def fail(self, hunt_id: str, times: int = 1) -> None:
        """Make the next ``times`` commits of ``hunt_id`` raise WriteFailed (nothing written)."""
        self.failures[hunt_id] += times

    def fail_after_commit(self, hunt_id: str) -> None:
        """Make the next commit of ``hunt_id`` raise WriteFailed *after* it is durable (outcome unknown)."""
        self.lost_acks[hunt_id] += 1

    def stall(self, hunt_id: str) -> Stall:
        """Hold every commit of ``hunt_id`` until the returned stall is released."""
        stall = self.stalls[hunt_id] = Stall()
        return stall

    def release_all(self) -> None:
        for stall in self.stalls.values():
            stall.release()

    def wrap(self, append: Callable[..., None]) -> Callable[..., None]:
        def faulty_append(store: SqliteHuntStore, records: Any, snapshot: Any = None) -> None:
            hunt_id = store.path.stem
            stall = self.stalls.get(hunt_id)
            if stall is not None:
                stall.entered.set()
                stall.gate.wait(STALL_LIMIT_S)
            if self.failures[hunt_id] > 0:
                self.failures[hunt_id] -= 1
                raise WriteFailed("injected commit failure")
            append(store, records, snapshot)
            if self.lost_acks[hunt_id] > 0:
                self.lost_acks[hunt_id] -= 1
                raise WriteFailed("injected failure after the commit")

        return faulty_append


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
