"""A hunt's event log seen as an outbox, and where its relay cursor is kept.

Every method blocks (SQLite): the relay calls them from its one worker thread, never from
its event loop. Reads go through a read-only connection (:meth:`SqliteHuntStore.open_reader`),
safe beside the hunt's writer: it sees committed transactions only, so the relay never
publishes an event a player was not (or will not be) acknowledged for.

The cursor (meta key ``relay_cursor``, the last seq the broker acknowledged) lives in the
hunt's own file, and only the file's single writer may write it:

- inside the server, the hunt actor writes it (``Engine.save_relay_cursor``; see
  :mod:`hunt.relay._embedded`), and only while the hunt is active;
- the standalone ``hunt relay`` writes it with :func:`save_cursor_if_unlocked`: it takes the
  hunt's writer lock for a moment, and if a server holds the hunt it keeps the cursor in
  memory instead.

The cursor is an optimisation and a floor, not what exactly-once rests on: on start the relay
resumes after ``max(cursor, last seq the stream holds for the hunt)``.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..config import StoreConfig
from ..store import RELAY_CURSOR, SqliteHuntStore, StoreLocked
from ._wire import body_from_row

__all__ = ["CURSOR_KEY", "HuntOutbox", "save_cursor_if_unlocked"]

CURSOR_KEY = RELAY_CURSOR


class HuntOutbox:
    """One hunt's committed events, read through a read-only connection (blocking)."""

    def __init__(self, data_dir: str | os.PathLike[str], hunt_id: str) -> None:
        self.hunt_id = hunt_id
        self._reader = SqliteHuntStore.open_reader(data_dir, hunt_id)

    def committed(self) -> int:
        """The last committed seq."""
        return self._reader.last_seq()

    def cursor(self) -> int:
        value = self._reader.get_meta(CURSOR_KEY)
        return int(value) if value and value.isdigit() else 0

    def ts_of(self, seq: int) -> int | None:
        return self._reader.ts_of(seq)

    def read(self, after: int, limit: int) -> list[tuple[int, int, bytes]]:
        """Up to ``limit`` events after ``after`` as ``(seq, ts, message body)``, in seq order."""
        rows = self._reader.read_rows(after, limit)
        return [(row["seq"], row["ts"], body_from_row(self.hunt_id, row)) for row in rows]

    def close(self) -> None:
        self._reader.close()


def save_cursor_if_unlocked(data_dir: Path, hunt_id: str, seq: int, store: StoreConfig) -> bool:
    """Write the cursor if no other process holds the hunt's writer lock; return whether it did.

    Holds the lock for about a millisecond. A server activating the hunt in exactly that
    moment would see StoreLocked and fail that activation (its callers get a retryable
    error), which is why the standalone relay writes a cursor at most once per
    ``broker.cursor_interval_s`` and only when it changed.
    """
    try:
        writer = SqliteHuntStore.open(data_dir, hunt_id, synchronous=store.synchronous,
                                      busy_timeout_ms=store.busy_timeout_ms)
    except StoreLocked:
        return False
    try:
        writer.set_meta(CURSOR_KEY, str(seq))
    finally:
        writer.close()
    return True
