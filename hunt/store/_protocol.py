"""The seam between the engine and storage: what a hunt's store does, and where hunts live.

:class:`HuntStore` is one hunt's event log (the SQLite file, or the in-memory twin);
:class:`HuntStores` creates, opens and lists them. The engine takes a ``HuntStores`` (default:
:class:`SqliteHuntStores` over the data dir), so a test or the lab can hand it the in-memory
stores or a wrapper that injects faults (``hunt_lab.faults.FaultyStores``) without patching
a class. Both stores pass one contract suite (tests/store/test_store_contract.py).

Every method blocks (the engine calls them on worker threads), and every one may raise
:class:`~hunt.store.StoreError`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from ..domain import HuntState, Recorded
from ._errors import HuntExists, HuntNotFound
from ._memory import MemoryHuntStore
from ._sqlite import SqliteHuntStore, hunt_ids, hunt_path

__all__ = ["HuntStore", "HuntStores", "MemoryHuntStores", "SqliteHuntStores"]


class HuntStore(Protocol):
    """One hunt's event log: append-only, contiguous seqs, one record per (principal, cmd)."""

    last_snapshot_seq: int

    def close(self) -> None: ...

    def append(self, records: Sequence[Recorded], snapshot: tuple[int, int, bytes] | None = None) -> None:
        """Append ``records`` (and a snapshot ``(seq, ts, blob)``) in one atomic commit.

        Raises WriteFailed when nothing was written or the outcome is unknown.
        """

    def write_snapshot(self, seq: int, ts: int, blob: bytes) -> None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def get_meta(self, key: str) -> str | None: ...

    def last_seq(self) -> int: ...

    def load(self) -> tuple[HuntState | None, int]:
        """The latest state (a snapshot plus the tail) and how many events were replayed."""

    def state_at(self, seq: int) -> HuntState | None: ...

    def read(self, *, after: int = 0, until: int | None = None, limit: int | None = None,
             player: str | None = None, type_: str | None = None, clue: str | None = None,
             from_ts: int | None = None, to_ts: int | None = None,
             newest_first: bool = False) -> Iterable[Recorded]:
        """Events with seq in (after, until], of ``player``/``type_``/``clue`` when given, with
        ``from_ts <= ts <= to_ts``; in seq order, or newest first; at most ``limit``."""

    def seq_at_time(self, ts: int) -> int:
        """The seq of the last event at or before ``ts`` (epoch ms); 0 if there is none."""

    def read_back(self, types: Sequence[str], *, until: int, limit: int,
                  first_finds_only: bool = False) -> list[Recorded]:
        """The last ``limit`` events of ``types`` with seq <= ``until``, oldest first; with
        ``first_finds_only``, clue_found events only when they were a clue's first find."""

    def recent_keys(self, limit: int) -> tuple[list[Recorded], bool]:
        """The last ``limit`` keyed records, and whether they are all the keyed records there are."""

    def find_commands(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Recorded]: ...

    def command_keys(self) -> Iterable[tuple[str, str]]:
        """Every idempotency key of the log, (principal, cmd)."""

    def counts(self) -> dict[str, Any]: ...


class HuntStores(Protocol):
    """Where hunts live: list them, create one with its first events, open its writer or a reader."""

    def ids(self) -> list[str]: ...

    def exists(self, hunt_id: str) -> bool:
        """Whether a hunt of that (valid) id is here: one look, not a listing."""

    def create(self, hunt_id: str, first: Sequence[Recorded]) -> None:
        """Create a hunt whose log starts with ``first``, atomically. Raises HuntExists, WriteFailed."""

    def open(self, hunt_id: str) -> HuntStore:
        """The hunt's single writer. Raises HuntNotFound, StoreLocked, CorruptStore."""

    def open_reader(self, hunt_id: str) -> HuntStore:
        """A reader that is safe beside the writer. Raises HuntNotFound, CorruptStore."""


class SqliteHuntStores:
    """One SQLite file per hunt under ``data_dir`` (see :class:`SqliteHuntStore`)."""

    def __init__(self, data_dir: str | os.PathLike[str], *, synchronous: str = "FULL",
                 busy_timeout_ms: int = 5000) -> None:
        self.data_dir = Path(data_dir)
        self.synchronous = synchronous
        self.busy_timeout_ms = busy_timeout_ms

    def ids(self) -> list[str]:
        return hunt_ids(self.data_dir)

    def exists(self, hunt_id: str) -> bool:
        return hunt_path(self.data_dir, hunt_id).is_file()

    def create(self, hunt_id: str, first: Sequence[Recorded]) -> None:
        SqliteHuntStore.create(self.data_dir, hunt_id, synchronous=self.synchronous,
                               busy_timeout_ms=self.busy_timeout_ms, first=first).close()

    def open(self, hunt_id: str) -> SqliteHuntStore:
        return SqliteHuntStore.open(self.data_dir, hunt_id, synchronous=self.synchronous,
                                    busy_timeout_ms=self.busy_timeout_ms)

    def open_reader(self, hunt_id: str) -> SqliteHuntStore:
        return SqliteHuntStore.open_reader(self.data_dir, hunt_id)


class MemoryHuntStores:
    """Hunts in memory, for tests: a hunt's store lives as long as this object.

    Opening returns the same :class:`MemoryHuntStore` each time (its ``close`` only marks it),
    so a hunt survives its actor's passivation and restart, as a file would.
    """

    def __init__(self) -> None:
        self._stores: dict[str, MemoryHuntStore] = {}
        self._lock = threading.Lock()

    def ids(self) -> list[str]:
        with self._lock:
            return sorted(self._stores)

    def exists(self, hunt_id: str) -> bool:
        with self._lock:
            return hunt_id in self._stores

    def create(self, hunt_id: str, first: Sequence[Recorded]) -> None:
        hunt_path(".", hunt_id)  # raises InvalidHuntId, as the file store does
        store = MemoryHuntStore()
        store.append(first)
        with self._lock:
            if hunt_id in self._stores:
                raise HuntExists(f"hunt {hunt_id!r} already exists")
            self._stores[hunt_id] = store

    def open(self, hunt_id: str) -> MemoryHuntStore:
        with self._lock:
            store = self._stores.get(hunt_id)
        if store is None:
            raise HuntNotFound(f"no hunt {hunt_id!r}")
        store.closed = False
        return store

    def open_reader(self, hunt_id: str) -> MemoryHuntStore:
        return self.open(hunt_id)
