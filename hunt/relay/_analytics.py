"""The organiser's analytics projection, kept by ``hunt consume`` in ``<data_dir>/analytics.sqlite3``.

Two views per hunt, folded from its events in seq order:

- activity per minute: events by type in each minute of wall-clock time (``ts // 60000``);
- the funnel of each clue: attempts, solves, wrong attempts, hints taken, and the median time
  to solve (from when the player could start: the later of joining and the hunt's start), by
  the same rules as the live ``ClueStats`` of the hunt.

Idempotence: ``positions(hunt, last_seq)`` is updated in the same transaction as the
projection. The relay publishes a hunt's events in order and exactly once, so "seq =
last_seq + 1" is the only event to apply; anything at or below ``last_seq`` (a redelivery, or
a message id seen before) is acknowledged and skipped, and anything beyond is a gap (an
earlier message awaits redelivery) and is handed back to the broker for later.

Every function here blocks (SQLite): call them from a worker thread.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ..domain import DefinitionError, RuleDefaults, parse_definition, parse_time, valid_id
from ..store import InvalidHuntId, create_private, make_private_dir

__all__ = ["ANALYTICS_FILE", "APPLIED", "DUPLICATE", "FOREIGN", "GAP", "Projection", "median_s", "read_analytics"]

ANALYTICS_FILE = "analytics.sqlite3"
APPLIED, DUPLICATE, GAP, FOREIGN = "applied", "duplicate", "gap", "foreign"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS positions (hunt TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, last_ts INTEGER);
CREATE TABLE IF NOT EXISTS hunts (hunt TEXT PRIMARY KEY, starts_at INTEGER, started_ts INTEGER);
CREATE TABLE IF NOT EXISTS players (hunt TEXT, player TEXT, joined_ts INTEGER NOT NULL, PRIMARY KEY (hunt, player));
CREATE TABLE IF NOT EXISTS activity (hunt TEXT, minute INTEGER, type TEXT, n INTEGER NOT NULL,
                                     PRIMARY KEY (hunt, minute, type));
CREATE TABLE IF NOT EXISTS clues (hunt TEXT, clue TEXT, position INTEGER NOT NULL,
                                  attempts INTEGER NOT NULL DEFAULT 0, solves INTEGER NOT NULL DEFAULT 0,
                                  wrong INTEGER NOT NULL DEFAULT 0, hints INTEGER NOT NULL DEFAULT 0,
                                  PRIMARY KEY (hunt, clue));
CREATE TABLE IF NOT EXISTS solve_times (hunt TEXT, clue TEXT, ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS solve_times_clue ON solve_times (hunt, clue, ms);
"""


class Projection:
    """The writer of the analytics file (one per data dir: ``hunt consume`` holds it)."""

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        path = Path(data_dir, ANALYTICS_FILE)
        make_private_dir(path.parent)
        create_private(path)  # its -wal and -shm get the same mode: the data dir is owner-only
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def is_empty(self) -> bool:
        return self._conn.execute("SELECT count(*) FROM positions").fetchone()[0] == 0

    def positions(self) -> dict[str, int]:
        return dict(self._conn.execute("SELECT hunt, last_seq FROM positions"))

    def apply(self, messages: Sequence[tuple[str | None, int, bytes]]) -> list[str]:
        """Fold ``(hunt, seq, body)`` messages in one transaction; one verdict per message.

        Verdicts: APPLIED, DUPLICATE (seen before: skip), GAP (an earlier event is missing:
        redeliver later), FOREIGN (not a hunt event: skip). Nothing is applied if this raises.
        """
        conn = self._conn
        verdicts: list[str] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            last: dict[str, int] = {}
            for hunt, seq, body in messages:
                if hunt is None:
                    verdicts.append(FOREIGN)
                    continue
                if hunt not in last:
                    row = conn.execute("SELECT last_seq FROM positions WHERE hunt = ?", (hunt,)).fetchone()
                    last[hunt] = row[0] if row else 0
                if seq <= last[hunt]:
                    verdicts.append(DUPLICATE)
                    continue
                if seq != last[hunt] + 1:
                    verdicts.append(GAP)
                    continue
                event = orjson.loads(body)
                self._fold(hunt, event)
                last[hunt] = seq
                conn.execute("INSERT OR REPLACE INTO positions (hunt, last_seq, last_ts) VALUES (?, ?, ?)",
                             (hunt, seq, event["ts"]))
                verdicts.append(APPLIED)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return verdicts

    def _fold(self, hunt: str, event: dict[str, Any]) -> None:
        conn = self._conn
        type_, ts, player, clue = event["type"], event["ts"], event.get("player"), event.get("clue")
        conn.execute("INSERT INTO activity (hunt, minute, type, n) VALUES (?, ?, ?, 1) "
                     "ON CONFLICT (hunt, minute, type) DO UPDATE SET n = n + 1", (hunt, ts // 60_000, type_))
        match type_:
            case "hunt_created":
                self._created(hunt, event["data"].get("definition"))
            case "player_joined":
                conn.execute("INSERT OR REPLACE INTO players (hunt, player, joined_ts) VALUES (?, ?, ?)",
                             (hunt, player, ts))
            case "hunt_started":
                conn.execute("UPDATE hunts SET started_ts = coalesce(started_ts, ?) WHERE hunt = ?", (ts, hunt))
            case "attempt_failed":
                self._count(hunt, clue, "attempts = attempts + 1, wrong = wrong + 1")
            case "hint_taken":
                self._count(hunt, clue, "hints = hints + 1")
            case "clue_found":
                self._count(hunt, clue, "attempts = attempts + 1, solves = solves + 1")
                conn.execute("INSERT INTO solve_times (hunt, clue, ms) VALUES (?, ?, ?)",
                             (hunt, clue, max(0, ts - self._began(hunt, player))))

    def _created(self, hunt: str, document: Any) -> None:
        # The broker's hunt_created carries the definition without its secrets (hunt.relay._wire),
        # which the parser refuses: the start and the clue ids are read from the document then.
        try:
            definition = parse_definition(document, RuleDefaults())
        except DefinitionError:
            definition = None
        raw = document if isinstance(document, dict) else {}
        if definition is not None:
            starts_at, ids = definition.starts_at, [clue.id for clue in definition.clues]
        else:
            starts_at = _time_or_none(raw.get("starts_at"))
            clues = raw.get("clues") if isinstance(raw.get("clues"), list) else []
            ids = [c["id"] for c in clues if isinstance(c, dict) and isinstance(c.get("id"), str)]
        self._conn.execute("INSERT OR REPLACE INTO hunts (hunt, starts_at, started_ts) VALUES (?, ?, NULL)",
                           (hunt, starts_at))
        for position, clue_id in enumerate(ids):
            self._conn.execute("INSERT OR IGNORE INTO clues (hunt, clue, position) VALUES (?, ?, ?)",
                               (hunt, clue_id, position))

    def _count(self, hunt: str, clue: str | None, change: str) -> None:
        if clue is None:
            return
        self._conn.execute("INSERT OR IGNORE INTO clues (hunt, clue, position) VALUES (?, ?, "
                           "(SELECT coalesce(max(position), -1) + 1 FROM clues WHERE hunt = ?))", (hunt, clue, hunt))
        self._conn.execute(f"UPDATE clues SET {change} WHERE hunt = ? AND clue = ?", (hunt, clue))

    def _began(self, hunt: str, player: str | None) -> int:
        """When the player could start: the later of joining and the hunt's start (as ClueStats)."""
        row = self._conn.execute("SELECT coalesce(started_ts, starts_at, 0) FROM hunts WHERE hunt = ?",
                                 (hunt,)).fetchone()
        started = row[0] if row else 0
        joined = self._conn.execute("SELECT joined_ts FROM players WHERE hunt = ? AND player = ?",
                                    (hunt, player)).fetchone()
        return max(joined[0] if joined else 0, started)


def median_s(times_ms: Sequence[int]) -> float | None:
    """The median of sorted times in seconds, rounded to ms (as ``ClueStats.median_solve_s``)."""
    if not times_ms:
        return None
    mid = len(times_ms) // 2
    middle = times_ms[mid] if len(times_ms) % 2 else (times_ms[mid - 1] + times_ms[mid]) / 2
    return round(middle / 1000, 3)


def read_analytics(data_dir: str | os.PathLike[str], hunt_id: str) -> dict[str, Any]:
    """The projection of one hunt, for ``GET /admin/hunts/<id>/analytics`` (blocking).

    Raises InvalidHuntId for a malformed id. A hunt the consumer has not seen (or no
    consumer ever ran) gives ``last_seq`` 0 and empty lists. Shape::

        {"hunt": "harbor", "last_seq": 1234, "last_ts": 1764154380123,
         "activity": [{"minute": "2026-11-26T10:53:00Z", "minute_ts": 1764154380000,
                       "events": 42, "by_type": {"pinged": 30, "attempt_failed": 12}}, ...],
         "clues": [{"clue": "c1", "attempts": 10, "solves": 3, "wrong": 7, "hints": 2,
                    "median_solve_s": 12.5}, ...]}

    ``activity`` is in time order, ``clues`` in the definition's order.
    """
    if not valid_id(hunt_id):
        raise InvalidHuntId(f"invalid hunt id {hunt_id!r}")
    result: dict[str, Any] = {"hunt": hunt_id, "last_seq": 0, "last_ts": None, "activity": [], "clues": []}
    path = Path(data_dir, ANALYTICS_FILE)
    if not path.exists():
        return result
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        conn.execute("BEGIN")  # one snapshot for the whole read
        row = conn.execute("SELECT last_seq, last_ts FROM positions WHERE hunt = ?", (hunt_id,)).fetchone()
        if row is None:
            return result
        result["last_seq"], result["last_ts"] = row
        result["activity"] = _activity(conn.execute(
            "SELECT minute, type, n FROM activity WHERE hunt = ? ORDER BY minute, type", (hunt_id,)))
        times: dict[str, list[int]] = {}
        for clue, ms in conn.execute("SELECT clue, ms FROM solve_times WHERE hunt = ? ORDER BY clue, ms", (hunt_id,)):
            times.setdefault(clue, []).append(ms)
        result["clues"] = [
            {"clue": clue, "attempts": attempts, "solves": solves, "wrong": wrong, "hints": hints,
             "median_solve_s": median_s(times.get(clue, []))}
            for clue, attempts, solves, wrong, hints in conn.execute(
                "SELECT clue, attempts, solves, wrong, hints FROM clues WHERE hunt = ? ORDER BY position",
                (hunt_id,))
        ]
        conn.execute("COMMIT")
    finally:
        conn.close()
    return result


def _activity(rows: Iterable[tuple[int, str, int]]) -> list[dict[str, Any]]:
    minutes: dict[int, dict[str, Any]] = {}
    for minute, type_, n in rows:
        entry = minutes.get(minute)
        if entry is None:
            start = minute * 60_000
            stamp = datetime.fromtimestamp(start / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            entry = minutes[minute] = {"minute": stamp, "minute_ts": start, "events": 0, "by_type": {}}
        entry["by_type"][type_] = n
        entry["events"] += n
    return list(minutes.values())


def _time_or_none(value: Any) -> int | None:
    try:
        return parse_time(value, "starts_at")
    except DefinitionError:
        return None
