"""What a commit costs on a long log: ``python -m hunt_lab.bench.append_cost --preload 500000``.

Appends batches of pings (1,000 players, synchronous=FULL) to a copy of a freshly set-up hunt
and to a copy of the same hunt preloaded with N events, with SQLite's default page cache and
with a larger one, and prints the wall and CPU time per batch. The indexes on (player, seq)
and (principal, cmd) take each batch's rows to about one page per player, and on a long log
those pages are many: this is where a long hunt loses speed.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import trio

from hunt.config import load_config
from hunt.engine import open_engine
from hunt.store import SqliteHuntStore

from ..workload import Workload
from .engine import EngineTarget
from .preload import pings, preload_hunt

PLAYERS = 1000


def append_batches(data_dir: Path, batches: int, size: int, cache_kib: int | None) -> tuple[float, float]:
    """Wall and CPU milliseconds per appended batch."""
    store = SqliteHuntStore.open(data_dir, "h", synchronous="FULL")
    try:
        if cache_kib is not None:
            store._conn.execute(f"PRAGMA cache_size=-{cache_kib}")
        state, _ = store.load()
        assert state is not None
        seq, ts = state.seq, state.last_ts
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(batches):
            store.append(pings(seq + 1, size, ts, PLAYERS, "cost"))
            seq += size
        return (time.perf_counter() - wall) / batches * 1000, (time.process_time() - cpu) / batches * 1000
    finally:
        store.close()


def measure(preload: int, batches: int = 150, size: int = 200, cache_kib: int = 32_000) -> list[dict[str, object]]:
    folder = Path(tempfile.mkdtemp(prefix="hunt-append-cost-"))
    try:
        trio.run(_set_up, folder)
        shutil.copytree(folder / "hunts", folder / "fresh")
        preload_hunt(folder, "h", preload, PLAYERS)
        rows: list[dict[str, object]] = []
        for name, source in (("fresh", folder / "fresh"), (f"{preload:,} events", folder / "hunts")):
            for cache in (None, cache_kib):
                work = folder / "work"
                (work / "hunts").mkdir(parents=True)
                shutil.copy(source / "h.sqlite3", work / "hunts" / "h.sqlite3")
                wall, cpu = append_batches(work, batches, size, cache)
                shutil.rmtree(work)
                rows.append({"log": name, "cache": "default" if cache is None else f"{cache // 1000} MB",
                             "wall_ms": round(wall, 1), "cpu_ms": round(cpu, 1)})
        return rows
    finally:
        shutil.rmtree(folder)


async def _set_up(folder: Path) -> None:
    config = load_config(None, env={}, overrides={"server": {"data_dir": str(folder)}})
    async with open_engine(config) as engine:
        await EngineTarget(engine).setup(Workload(["h"], players=PLAYERS))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m hunt_lab.bench.append_cost", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preload", type=int, default=500_000, help="events in the long log (default 500,000)")
    parser.add_argument("--batches", type=int, default=150)
    parser.add_argument("--size", type=int, default=200, help="events per batch")
    args = parser.parse_args()
    for row in measure(args.preload, args.batches, args.size):
        print(f"{row['log']:>16}  cache {row['cache']:>7}: per batch of {args.size}: "
              f"wall {row['wall_ms']} ms, cpu {row['cpu_ms']} ms")


if __name__ == "__main__":
    main()
