"""Fixtures of the engine tests: an engine over a temp dir with a started hunt, and storage faults."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from hunt.config import Config
from hunt.domain import JoinHunt, StartHunt
from hunt.engine import Engine, open_engine
from hunt.store import HuntStores
from hunt_lab.faults.store import FaultPlan
from tests.support.engine import OpenHunt
from tests.support.hunts import HUNT_ID


@pytest.fixture
def faults() -> Iterator[FaultPlan]:
    """The storage faults of the engines this test opens (through the store seam, see ``stores``)."""
    plan = FaultPlan()
    yield plan
    plan.release_all()


@pytest.fixture
def stores(faults: FaultPlan) -> Callable[[Config], HuntStores]:
    """``stores(config)``: the engine's SQLite stores, wrapped so that ``faults`` apply to them."""
    return faults.stores


@pytest.fixture
def open_hunt(hunt_document: dict[str, Any], make_config: Callable[..., Config],
              stores: Callable[[Config], HuntStores]) -> OpenHunt:
    """``async with open_hunt(players=3, **config_sections) as engine``: an engine with a started hunt.

    The hunt (``HUNT_ID``) is created on first use of the data dir, with ``players`` joined
    (p1, p2, ...) and started; later calls reopen the same data dir as a restarted server.
    """

    @asynccontextmanager
    async def run(players: int = 3, **sections: Any) -> AsyncIterator[Engine]:
        sections.setdefault("engine", {}).setdefault("restart_backoff_min_s", 0.01)
        sections.setdefault("server", {}).setdefault("shutdown_timeout_s", 5.0)
        # NORMAL unless a test asks for FULL: in WAL mode a commit is still visible to readers and
        # survives a process crash; only the power-loss fsync goes, which no test here can see.
        sections.setdefault("store", {}).setdefault("synchronous", "NORMAL")
        config = make_config(**sections)
        async with open_engine(config, stores=stores(config)) as engine:
            if not engine.exists(HUNT_ID):
                await engine.create_hunt(hunt_document)
                joins = [JoinHunt(f"join-{n}", f"Player {n}") for n in range(1, players + 1)]
                await engine.submit(HUNT_ID, [*joins, StartHunt("start")])
            yield engine

    return run


