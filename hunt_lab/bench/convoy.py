"""The commit convoy: a batch appended while another thread keeps the GIL busy.

sqlite3's ``executemany`` releases the GIL around each row's step and must get it back for
the next row; while the event loop's thread is busy, each hand-back waits up to the
interpreter's switch interval (5 ms). The store therefore appends a batch as one statement
over ``json_each`` (hunt/store/_sqlite.py). This measures both ways, with the GIL idle and
with a thread spinning in Python beside the writer, on a real hunt file:

    python -m hunt_lab.bench.convoy [--batch 32] [--batches 300]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hunt.domain import HuntCreated, Pinged, Recorded
from hunt.store import SqliteHuntStore
from hunt.store import _sqlite as sqlite_store

from ..measure import percentile
from ..workload import hunt_definition

__all__ = ["main", "measure"]


@contextmanager
def busy_gil(on: bool) -> Iterator[None]:
    """A thread that holds the GIL whenever the interpreter lets it (like a busy event loop)."""
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            sum(range(200))

    thread = threading.Thread(target=spin, daemon=True)
    if on:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if on:
            thread.join()


def measure(*, json_insert: bool, busy: bool, batch: int, batches: int) -> list[float]:
    """Seconds per ``append`` of ``batch`` pings, ``batches`` times, in a fresh hunt file."""
    saved = sqlite_store._JSON_INSERT
    sqlite_store._JSON_INSERT = json_insert and saved
    try:
        with tempfile.TemporaryDirectory() as data:
            store = SqliteHuntStore.create(Path(data), "convoy", synchronous="OFF")
            try:
                store.append([Recorded(1, 0, HuntCreated(hunt_definition("convoy", 1)))])  # seq 1
                seq, took = 1, []
                with busy_gil(busy):
                    for _ in range(batches):
                        records = []
                        for _ in range(batch):
                            seq += 1
                            player = f"p{seq % 100}"
                            records.append(Recorded(seq, seq, Pinged(player, 53.5, 9.9), f"c{seq}", player))
                        began = time.perf_counter()
                        store.append(records)
                        took.append(time.perf_counter() - began)
                return took
            finally:
                store.close()
    finally:
        sqlite_store._JSON_INSERT = saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hunt_lab.bench.convoy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=32, help="events per append (default %(default)s)")
    parser.add_argument("--batches", type=int, default=300, help="appends per run (default %(default)s)")
    args = parser.parse_args(argv)
    if args.batch < 1 or args.batches < 1:
        parser.error("--batch and --batches must be positive")
    print(f"append of {args.batch} events, {args.batches} times, synchronous OFF")
    for busy in (False, True):
        for json_insert in (False, True):
            took = sorted(t * 1000 for t in measure(json_insert=json_insert, busy=busy, batch=args.batch,
                                                    batches=args.batches))
            how = "one json_each INSERT" if json_insert else "executemany         "
            print(f"  {how}  GIL {'busy' if busy else 'idle'}:  p50 {percentile(took, 50):7.2f} ms  "
                  f"p99 {percentile(took, 99):7.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
