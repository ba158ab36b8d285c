"""Storage faults, injected through the engine's store seam instead of by patching a class.

``FaultyStores(inner, plan)`` is a :class:`hunt.store.HuntStores` whose writers are the inner
ones wrapped in :class:`FaultyStore`; hand it to ``open_engine(config, stores=...)``. The
:class:`FaultPlan` says what the next commits (``append``, the one call through which every
batch becomes durable) of a hunt do: fail before writing, fail after the commit (the outcome
unknown to the caller), or wait on a gate. A stalled append blocks a worker thread; every gate
opens by itself after ``STALL_LIMIT_S``, so a failing test cannot hang the run.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from hunt.config import Config
from hunt.domain import HuntState, Recorded
from hunt.store import HuntStore, HuntStores, SqliteHuntStores, WriteFailed

__all__ = ["STALL_LIMIT_S", "FaultPlan", "FaultyStore", "FaultyStores", "Stall"]

STALL_LIMIT_S = 10.0


class Stall:
    """A gate in front of a hunt's commits: ``entered`` once a commit waits at it."""

    def __init__(self, limit_s: float = STALL_LIMIT_S) -> None:
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.limit_s = limit_s

    def release(self) -> None:
        self.gate.set()

    def wait(self) -> None:
        self.entered.set()
        self.gate.wait(self.limit_s)


class FaultPlan:
    """What the next commits of each hunt do; changed by the test while the engine runs."""

    def __init__(self) -> None:
        self.failures: Counter[str] = Counter()
        self.lost_acks: Counter[str] = Counter()
        self.stalls: dict[str, Stall] = {}
        self.delay_s = 0.0
        self._lock = threading.Lock()

    def stores(self, config: Config) -> FaultyStores:
        """The configured SQLite stores (data dir, synchronous, busy timeout), following this plan."""
        return FaultyStores(SqliteHuntStores(config.data_path, synchronous=config.store.synchronous,
                                             busy_timeout_ms=config.store.busy_timeout_ms), self)

    def slow(self, delay_s: float) -> None:
        """Make every commit of every hunt take ``delay_s`` longer, like a slow disk's fsync (0: off).

        The delay is a sleep in the commit's worker thread: it costs no CPU, so an in-process
        load generator still has the processor, and capacity is set by the "disk", not by how
        busy the machine is.
        """
        self.delay_s = delay_s

    def fail(self, hunt_id: str, times: int = 1) -> None:
        """Make the next ``times`` commits of ``hunt_id`` raise WriteFailed (nothing written)."""
        with self._lock:
            self.failures[hunt_id] += times

    def fail_after_commit(self, hunt_id: str) -> None:
        """Make the next commit of ``hunt_id`` raise WriteFailed *after* it is durable (outcome unknown)."""
        with self._lock:
            self.lost_acks[hunt_id] += 1

    def stall(self, hunt_id: str, limit_s: float = STALL_LIMIT_S) -> Stall:
        """Hold every commit of ``hunt_id`` until the returned stall is released (or ``limit_s`` passed)."""
        stall = self.stalls[hunt_id] = Stall(limit_s)
        return stall

    def unstall(self, hunt_id: str) -> None:
        """Release the stall of ``hunt_id`` and let later commits through at once."""
        stall = self.stalls.pop(hunt_id, None)
        if stall is not None:
            stall.release()

    def release_all(self) -> None:
        for stall in self.stalls.values():
            stall.release()

    def _take(self, counter: Counter[str], hunt_id: str) -> bool:
        with self._lock:
            if counter[hunt_id] > 0:
                counter[hunt_id] -= 1
                return True
            return False

    def before_commit(self, hunt_id: str) -> None:
        if self.delay_s > 0:
            time.sleep(self.delay_s)
        stall = self.stalls.get(hunt_id)
        if stall is not None:
            stall.wait()
        if self._take(self.failures, hunt_id):
            raise WriteFailed("injected commit failure")

    def after_commit(self, hunt_id: str) -> None:
        if self._take(self.lost_acks, hunt_id):
            raise WriteFailed("injected failure after the commit")


class FaultyStore:
    """A :class:`hunt.store.HuntStore` whose appends follow a :class:`FaultPlan`; the rest passes through."""

    def __init__(self, inner: HuntStore, hunt_id: str, plan: FaultPlan) -> None:
        self.inner = inner
        self.hunt_id = hunt_id
        self.plan = plan

    @property
    def last_snapshot_seq(self) -> int:
        return self.inner.last_snapshot_seq

    @last_snapshot_seq.setter
    def last_snapshot_seq(self, value: int) -> None:
        self.inner.last_snapshot_seq = value

    def append(self, records: Sequence[Recorded], snapshot: tuple[int, int, bytes] | None = None) -> None:
        self.plan.before_commit(self.hunt_id)
        self.inner.append(records, snapshot)
        self.plan.after_commit(self.hunt_id)

    def write_snapshot(self, seq: int, ts: int, blob: bytes) -> None:
        """A snapshot alone is a commit too (the final one of a closing hunt): the plan applies."""
        self.plan.before_commit(self.hunt_id)
        self.inner.write_snapshot(seq, ts, blob)
        self.plan.after_commit(self.hunt_id)

    def close(self) -> None:
        self.inner.close()

    def set_meta(self, key: str, value: str) -> None:
        self.inner.set_meta(key, value)

    def get_meta(self, key: str) -> str | None:
        return self.inner.get_meta(key)

    def last_seq(self) -> int:
        return self.inner.last_seq()

    def load(self) -> tuple[HuntState | None, int]:
        return self.inner.load()

    def state_at(self, seq: int) -> HuntState | None:
        return self.inner.state_at(seq)

    def read(self, *, after: int = 0, until: int | None = None, limit: int | None = None,
             player: str | None = None, type_: str | None = None, clue: str | None = None,
             from_ts: int | None = None, to_ts: int | None = None,
             newest_first: bool = False) -> Iterable[Recorded]:
        return self.inner.read(after=after, until=until, limit=limit, player=player, type_=type_, clue=clue,
                               from_ts=from_ts, to_ts=to_ts, newest_first=newest_first)

    def seq_at_time(self, ts: int) -> int:
        return self.inner.seq_at_time(ts)

    def recent_keys(self, limit: int) -> tuple[list[Recorded], bool]:
        return self.inner.recent_keys(limit)

    def find_commands(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Recorded]:
        return self.inner.find_commands(keys)

    def command_keys(self) -> Iterable[tuple[str, str]]:
        return self.inner.command_keys()

    def counts(self) -> dict[str, Any]:
        return self.inner.counts()


class FaultyStores:
    """A :class:`hunt.store.HuntStores` whose creations and writers follow the plan (readers are not wrapped)."""

    def __init__(self, inner: HuntStores, plan: FaultPlan) -> None:
        self.inner = inner
        self.plan = plan

    def ids(self) -> list[str]:
        return self.inner.ids()

    def exists(self, hunt_id: str) -> bool:
        return self.inner.exists(hunt_id)

    def create(self, hunt_id: str, first: Sequence[Recorded]) -> None:
        """Creating a hunt is its first commit: the plan's faults apply to it too."""
        self.plan.before_commit(hunt_id)
        self.inner.create(hunt_id, first)
        self.plan.after_commit(hunt_id)

    def open(self, hunt_id: str) -> FaultyStore:
        return FaultyStore(self.inner.open(hunt_id), hunt_id, self.plan)

    def open_reader(self, hunt_id: str) -> HuntStore:
        return self.inner.open_reader(hunt_id)
