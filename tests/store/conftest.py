"""The two stores behind one fixture, so every contract test runs against both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hunt.store import MemoryHuntStore, SqliteHuntStore
from tests.support.hunts import HUNT_ID


class MemoryBackend:
    """The in-memory store: the object itself is the durable medium, so reopening returns it."""

    name = "memory"

    def create(self) -> MemoryHuntStore:
        return MemoryHuntStore()

    def reopen(self, store: Any) -> Any:
        return store

    def close_all(self) -> None:
        pass


class SqliteBackend:
    """Hunt files under a temp dir; reopening closes the writer and opens the file again.

    synchronous=NORMAL: in WAL mode a commit is still visible and survives a process crash;
    only the power-loss fsync is skipped, which these tests cannot observe and which makes
    them slow on a busy disk.
    """

    name = "sqlite"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.opened: list[SqliteHuntStore] = []

    def create(self) -> SqliteHuntStore:
        return self._track(SqliteHuntStore.create(self.data_dir, HUNT_ID, synchronous="NORMAL"))

    def reopen(self, store: Any) -> Any:
        store.close()
        return self._track(SqliteHuntStore.open(self.data_dir, HUNT_ID, synchronous="NORMAL"))

    def _track(self, store: SqliteHuntStore) -> SqliteHuntStore:
        self.opened.append(store)
        return store

    def close_all(self) -> None:
        for store in self.opened:
            store.close()


@pytest.fixture(params=["memory", "sqlite"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryBackend | SqliteBackend]:
    chosen = MemoryBackend() if request.param == "memory" else SqliteBackend(tmp_path)
    yield chosen
    chosen.close_all()


@pytest.fixture
def store(backend: MemoryBackend | SqliteBackend) -> Any:
    """An empty hunt store of each kind."""
    return backend.create()
