"""The seed's baseline, rebuilt for comparison: what the denormalized store replaced.

One normalized event table shared by all hunts, one transaction (and one fsync) per event,
and every score or leaderboard computed by querying that table when it is read. Commands go
through a bounded queue to a single worker, the shape of the seed's sharded queues.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trio

from ..workload import Op

__all__ = ["Baseline"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS players (hunt TEXT, id TEXT, name TEXT, PRIMARY KEY (hunt, id));
CREATE TABLE IF NOT EXISTS clues (hunt TEXT, id TEXT, answer TEXT, points INTEGER, hint_cost INTEGER,
                                  PRIMARY KEY (hunt, id));
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, hunt TEXT NOT NULL, player TEXT NOT NULL, cmd TEXT NOT NULL,
    type TEXT NOT NULL, clue TEXT, points INTEGER NOT NULL DEFAULT 0, lat REAL, lon REAL, ts REAL NOT NULL,
    UNIQUE (hunt, player, cmd));
CREATE INDEX IF NOT EXISTS events_player ON events(hunt, player);
CREATE INDEX IF NOT EXISTS events_clue ON events(hunt, clue, type);
"""

Callback = Callable[[str, dict[str, Any] | None], None]


class Baseline:
    """Per-event commit into a normalized table; aggregates computed on read."""

    def __init__(self, path: Path, queue_capacity: int, synchronous: str = "FULL") -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={synchronous}")
        self._conn.executescript(_SCHEMA)
        self._send, self._receive = trio.open_memory_channel[tuple[Op, Callback]](queue_capacity)

    def close(self) -> None:
        self._conn.close()

    def add_hunt(self, hunt: str, definition: dict[str, Any]) -> None:
        with self._conn:
            self._conn.execute("BEGIN")
            for clue in definition["clues"]:
                self._conn.execute("INSERT OR REPLACE INTO clues VALUES (?, ?, ?, ?, ?)",
                                   (hunt, clue["id"], clue["answers"][0], clue["points"], clue["hints"][0]["cost"]))

    def send_nowait(self, op: Op, callback: Callback) -> None:
        """Queue a command; raises trio.WouldBlock when the queue is full (-> overloaded)."""
        self._send.send_nowait((op, callback))

    async def run(self) -> None:
        """The worker: one command at a time, each its own transaction in a thread."""
        async for op, callback in self._receive:
            try:
                result = await trio.to_thread.run_sync(self._apply, op)
            except sqlite3.IntegrityError:
                callback("duplicate", None)
            else:
                callback("ack" if result is not None else "rejected", result)

    async def leaderboard(self, hunt: str, limit: int = 10) -> list[tuple[str, int]]:
        return await trio.to_thread.run_sync(self._leaderboard, hunt, limit)

    def _leaderboard(self, hunt: str, limit: int) -> list[tuple[str, int]]:
        return self._conn.execute(
            "SELECT player, SUM(points) AS score, MAX(CASE WHEN points != 0 THEN id END) AS last "
            "FROM events WHERE hunt = ? GROUP BY player ORDER BY score DESC, last ASC LIMIT ?",
            (hunt, limit)).fetchall()

    def _apply(self, op: Op) -> dict[str, Any] | None:
        conn = self._conn
        player = f"p{op.player + 1}"
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = self._decide(conn, op, player)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return result

    def _decide(self, conn: sqlite3.Connection, op: Op, player: str) -> dict[str, Any] | None:
        now = time.time()
        if op.kind == "join":
            conn.execute("INSERT INTO players VALUES (?, ?, ?)", (op.hunt, player, f"Player {player}"))
            conn.execute("INSERT INTO events (hunt, player, cmd, type, ts) VALUES (?, ?, ?, 'join', ?)",
                         (op.hunt, player, op.cmd, now))
            return {"result": "joined"}
        if conn.execute("SELECT 1 FROM players WHERE hunt = ? AND id = ?", (op.hunt, player)).fetchone() is None:
            return None
        if op.kind == "ping":
            conn.execute("INSERT INTO events (hunt, player, cmd, type, lat, lon, ts) VALUES (?, ?, ?, 'ping', ?, ?, ?)",
                         (op.hunt, player, op.cmd, op.lat, op.lon, now))
            return {"result": "ok"}
        clue = conn.execute("SELECT answer, points, hint_cost FROM clues WHERE hunt = ? AND id = ?",
                            (op.hunt, op.clue)).fetchone()
        found = conn.execute("SELECT 1 FROM events WHERE hunt = ? AND player = ? AND clue = ? AND type = 'found'",
                             (op.hunt, player, op.clue)).fetchone()
        if op.kind == "hint":
            if found:
                return None
            points, kind = -clue[2], "hint"
        elif found:
            points, kind = 0, "repeat"
        elif op.answer == clue[0]:
            finders = conn.execute("SELECT COUNT(*) FROM events WHERE hunt = ? AND clue = ? AND type = 'found'",
                                   (op.hunt, op.clue)).fetchone()[0]
            points, kind = max(50, clue[1] - finders) + (10 if finders == 0 else 0), "found"
        else:
            points, kind = 0, "wrong"
        conn.execute("INSERT INTO events (hunt, player, cmd, type, clue, points, ts) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (op.hunt, player, op.cmd, kind, op.clue, points, now))
        score = conn.execute("SELECT COALESCE(SUM(points), 0) FROM events WHERE hunt = ? AND player = ?",
                             (op.hunt, player)).fetchone()[0]
        return {"result": kind, "points": points, "score": score}
