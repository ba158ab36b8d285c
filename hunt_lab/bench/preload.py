"""A long hunt to start from: ``hunt bench engine --preload N``.

The engine's cost per command must not grow with the log (deduplication never scans, memory
per hunt is bounded). To show it, the benchmark runs the same workload on hunts that already
hold N events. Writing them through the engine would take as long as the benchmark itself, so
they go straight into the hunt file: the workload's setup (joins, start) through the engine,
then N pings appended in large transactions, each with its idempotency key, ending with a
snapshot, as a long-running hunt that was passivated would have.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from hunt.config import Config
from hunt.domain import Pinged, Recorded
from hunt.store import SqliteHuntStore, encode_snapshot

__all__ = ["copy_preloaded", "pings", "preload_hunt"]

CHUNK = 20_000  # events per transaction while preloading


def preload_hunt(data_dir: Path, hunt_id: str, events: int, players: int) -> None:
    """Append ``events`` pings by players p1..p<players> to a hunt that was set up; blocks."""
    store = SqliteHuntStore.open(data_dir, hunt_id, synchronous="OFF")
    try:
        state, _ = store.load()
        assert state is not None, f"hunt {hunt_id} has no events to build on"
        seq, ts = state.seq, state.last_ts
        chunk: list[Recorded] = []
        for n in range(events):
            player = f"p{n % players + 1}"
            seq += 1
            record = Recorded(seq, ts, Pinged(player, 53.5 + n % 37 * 0.001, 9.9 + n % 41 * 0.001),
                              f"pre-{n}", player)
            state.apply(record)
            chunk.append(record)
            if len(chunk) == CHUNK:
                store.append(chunk)
                chunk = []
        store.append(chunk, (seq, ts, encode_snapshot(state)))
    finally:
        store.close()


def pings(first_seq: int, count: int, ts: int, players: int, tag: str) -> list[Recorded]:
    """``count`` ping records from seq ``first_seq`` on, spread over players p1..p<players>."""
    return [Recorded(seq, ts, Pinged(player := f"p{seq * 7 % players + 1}", 53.5, 9.9), f"{tag}-{seq}", player)
            for seq in range(first_seq, first_seq + count)]


def copy_preloaded(template: Path, config: Config) -> None:
    """Copy the preloaded hunt files of ``template`` into ``config``'s data dir."""
    target = config.data_path
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(template / "hunts", target / "hunts")
