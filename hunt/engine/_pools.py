"""Worker threads by kind of work, so that one kind can never starve another.

Every blocking call of the engine runs on a worker thread (``trio.to_thread``), and trio's
default limiter lets 40 of them run at once, shared by everything. Forty ``hello since=0``
reading a long feed, or forty imports waiting for their request bodies, took every thread,
and the commits of every other hunt waited behind them (acks stopped for a minute). Each
kind now has a limiter of its own, sized in config:

- ``commit``: a hunt's writer work (commits, dedup lookups, snapshots, loading, closing);
- ``read``: history from the log (events pages, feed catch-up, time travel, verify, listing);
- ``import``: imports, which also wait on their request bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import trio

from ..config import EngineConfig

__all__ = ["WorkerPools"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WorkerPools:
    commit: trio.CapacityLimiter
    read: trio.CapacityLimiter
    imports: trio.CapacityLimiter

    @classmethod
    def from_config(cls, config: EngineConfig) -> WorkerPools:
        return cls(trio.CapacityLimiter(config.commit_threads), trio.CapacityLimiter(config.read_threads),
                   trio.CapacityLimiter(config.import_threads))

    async def run_commit(self, work: Callable[[], T]) -> T:
        return await trio.to_thread.run_sync(work, limiter=self.commit)

    async def run_read(self, work: Callable[[], T]) -> T:
        return await trio.to_thread.run_sync(work, limiter=self.read)

    async def run_import(self, work: Callable[[], T]) -> T:
        return await trio.to_thread.run_sync(work, limiter=self.imports)
