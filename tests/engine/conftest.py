"""Fixtures of the engine tests: an engine over a temp dir with a started hunt, and storage faults."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import HUNT, HUNT_ID, Faults, OpenHunt

from hunt.config import Config, load_config
from hunt.domain import JoinHunt, StartHunt
from hunt.engine import Engine, open_engine
from hunt.store import SqliteHuntStore


@pytest.fixture
def hunt_document() -> dict[str, Any]:
    """A fresh copy of the test hunt's definition."""
    return copy.deepcopy(HUNT)


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., Config]:
    """``make_config(engine={...}, store={...})``: a config whose data dir is ``tmp_path/data``."""

    def make(**sections: dict[str, Any]) -> Config:
        server = {"data_dir": str(tmp_path / "data"), **sections.pop("server", {})}
        return load_config(None, env={}, overrides={"server": server, **sections})

    return make


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Iterator[Faults]:
    injected = Faults()
    monkeypatch.setattr(SqliteHuntStore, "append", injected.wrap(SqliteHuntStore.append))
    yield injected
    injected.release_all()


@pytest.fixture
def open_hunt(hunt_document: dict[str, Any], make_config: Callable[..., Config]) -> OpenHunt:
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
        async with open_engine(make_config(**sections)) as engine:
            if not engine.exists(HUNT_ID):
                await engine.create_hunt(hunt_document)
                joins = [JoinHunt(f"join-{n}", f"Player {n}") for n in range(1, players + 1)]
                await engine.submit(HUNT_ID, [*joins, StartHunt("start")])
            yield engine

    return run


