"""The per-hunt SQLite event store: one file, one writer, WAL, group commit.

Every method blocks (disk I/O): the async layers call them through ``trio.to_thread``. A store
object is used by one thread at a time; the hunt actor guarantees that for the writer, and
readers open their own connection (:meth:`SqliteHuntStore.open_reader`).

Layout of ``<data_dir>/hunts/<id>.sqlite3``:

- ``events(seq, ts, type, player, clue, cmd, principal, data)`` — the log; ``seq`` never
  resets; ``(principal, cmd)`` is unique, written in the same transaction as the event, so
  deduplication survives restarts; indexes on player, type, clue and time.
- ``snapshots(seq, version, ts, state)`` — the whole state every N events.
- ``meta(key, value)`` — hunt id, relay cursor.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from ..domain import SNAPSHOT_VERSION, HuntState, Recorded, replay, valid_id
from ._codec import decode_snapshot, record_to_row, row_to_record
from ._errors import CorruptStore, HuntExists, HuntNotFound, InvalidHuntId, StoreLocked, WriteFailed
from ._files import create_private, make_private_dir

__all__ = ["DRAFT_SUFFIX", "FIND_COMMAND", "RELAY_CURSOR", "SqliteHuntStore", "draft_path", "hunt_ids", "hunt_path",
           "remove_drafts"]

_COLUMNS = "seq, ts, type, player, clue, cmd, principal, data"
_INSERT = f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
# The whole batch in one statement: its rows as one JSON array of arrays (data as a string).
# executemany binds and steps row by row, and sqlite3 hands the GIL back and forth around each
# step: while the event loop keeps the GIL busy, each hand-back waits for the interpreter's
# switch interval (5 ms). `python -m hunt_lab.bench.convoy` (32 events per append, a thread
# spinning beside): executemany p50 203 ms, one statement 27 ms; with the GIL idle 0.39 and
# 0.52 ms. JSON functions are built in from SQLite 3.38.
_INSERT_JSON = (f"INSERT INTO events ({_COLUMNS}) SELECT "
                + ", ".join(f"json_extract(value, '$[{i}]')" for i in range(7))
                + ", CAST(json_extract(value, '$[7]') AS BLOB) FROM json_each(?)")
_JSON_INSERT = sqlite3.sqlite_version_info >= (3, 38)
# A point lookup of one idempotency key through the unique index (`cmd = ?` implies the
# index's `cmd IS NOT NULL`); tests check that its query plan is a SEARCH, never a SCAN.
FIND_COMMAND = f"SELECT {_COLUMNS} FROM events WHERE principal = ? AND cmd = ?"
_RAW_AFTER = f"SELECT {_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?"
RELAY_CURSOR = "relay_cursor"  # meta key: the last seq the broker acknowledged for this hunt
_COMMAND_KEYS = "SELECT coalesce(principal, ''), cmd FROM events WHERE cmd IS NOT NULL"
DRAFT_SUFFIX = "-new"

migrations = Migrations("hunt-store")


@migrations()
def m001_event_log(db: Database) -> None:
    db.execute("""
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            ts INTEGER NOT NULL,
            type TEXT NOT NULL,
            player TEXT,
            clue TEXT,
            cmd TEXT,
            principal TEXT,
            data BLOB NOT NULL
        )""")
    db.execute("CREATE UNIQUE INDEX events_command ON events(principal, cmd) WHERE cmd IS NOT NULL")
    db.execute("CREATE INDEX events_player ON events(player, seq)")
    db.execute("CREATE INDEX events_type ON events(type, seq)")
    db.execute("CREATE INDEX events_clue ON events(clue, seq) WHERE clue IS NOT NULL")
    db.execute("CREATE INDEX events_ts ON events(ts)")
    db.table("snapshots").create({"seq": int, "version": int, "ts": int, "state": bytes}, pk="seq")
    db.table("meta").create({"key": str, "value": str}, pk="key")


def hunt_path(data_dir: str | os.PathLike[str], hunt_id: str) -> Path:
    """The file of a hunt, refusing ids that are not plain names (no path can escape)."""
    if not valid_id(hunt_id):
        raise InvalidHuntId(f"invalid hunt id {hunt_id!r}")
    folder = Path(data_dir, "hunts").resolve()
    path = (folder / f"{hunt_id}.sqlite3").resolve()
    if path.parent != folder:
        raise InvalidHuntId(f"invalid hunt id {hunt_id!r}")
    return path


def hunt_ids(data_dir: str | os.PathLike[str]) -> list[str]:
    folder = Path(data_dir, "hunts")
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.sqlite3") if valid_id(p.stem))


class SqliteHuntStore:
    """The writer of one hunt file. Open with :meth:`open` or :meth:`create`; close it."""

    def __init__(self, path: Path, conn: sqlite3.Connection, lock_fd: int | None) -> None:
        self.path = path
        self._conn = conn
        self._db = Database(conn)
        self._lock_fd = lock_fd
        self.last_snapshot_seq = 0

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def create(cls, data_dir: str | os.PathLike[str], hunt_id: str, *, synchronous: str = "FULL",
               busy_timeout_ms: int = 5000, first: Sequence[Recorded] = ()) -> SqliteHuntStore:
        """Create a new hunt file; raise HuntExists if there is one.

        With ``first`` (the opening events, hunt_created at least), the file is built under a
        draft name and renamed into place once they are committed: a failed write or a crash
        never leaves a hunt file without its first event, which would block the id for good
        (HuntExists to create it, an empty log to load it). Raises WriteFailed if they fail.
        """
        path = hunt_path(data_dir, hunt_id)
        lock_fd = _lock_new(path)
        try:
            if first:
                cls._build(path, hunt_id, lambda store: store.append(first), synchronous, busy_timeout_ms)
            else:
                create_private(path)
            store = cls._connect(path, lock_fd, synchronous, busy_timeout_ms)
        except BaseException:
            os.close(lock_fd)
            raise
        if not first:
            store._db.table("meta").insert({"key": "hunt_id", "value": hunt_id}, replace=True)
        return store

    @classmethod
    def build(cls, data_dir: str | os.PathLike[str], hunt_id: str, fill: Callable[[SqliteHuntStore], None], *,
              synchronous: str = "FULL", busy_timeout_ms: int = 5000) -> None:
        """Write a whole new hunt file with ``fill(store)`` under a draft name, then rename it into place.

        Until the rename nothing is listed or loadable: a crash or an error part way (an import
        that stops at line 2,001 of 5,002) leaves only a draft, which ``remove_drafts`` deletes
        at start-up. The hunt's lock is held throughout. Raises HuntExists, or what ``fill``
        raises (the draft is removed then).
        """
        path = hunt_path(data_dir, hunt_id)
        lock_fd = _lock_new(path)
        try:
            cls._build(path, hunt_id, fill, synchronous, busy_timeout_ms)
        except BaseException:
            if not path.exists():
                _remove_lock_file(path)  # while we hold it: nothing of the hunt is left
            raise
        finally:
            os.close(lock_fd)

    @classmethod
    def _build(cls, path: Path, hunt_id: str, fill: Callable[[SqliteHuntStore], None], synchronous: str,
               busy_timeout_ms: int) -> None:
        """Write a complete hunt file under ``<path>-new``, then rename it to ``path`` (we hold its lock)."""
        draft = draft_path(path)
        _remove_with_journal(draft)  # left by a create that died
        create_private(draft)
        store = cls._connect(draft, None, synchronous, busy_timeout_ms)
        try:
            store._db.table("meta").insert({"key": "hunt_id", "value": hunt_id}, replace=True)
            fill(store)
        except BaseException:
            store.close()
            _remove_with_journal(draft)
            raise
        store.close()  # the last connection checkpoints the WAL into the file and removes it
        os.rename(draft, path)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself must survive a power cut, like the commit did
        finally:
            os.close(folder)

    @classmethod
    def open(cls, data_dir: str | os.PathLike[str], hunt_id: str, *, synchronous: str = "FULL",
             busy_timeout_ms: int = 5000) -> SqliteHuntStore:
        """Open an existing hunt file for writing, fenced by an exclusive OS file lock.

        Raises HuntNotFound, StoreLocked (another writer has it) or CorruptStore.
        """
        path = hunt_path(data_dir, hunt_id)
        if not path.exists():
            raise HuntNotFound(f"no hunt {hunt_id!r}")
        lock_fd = _lock(path)
        try:
            store = cls._connect(path, lock_fd, synchronous, busy_timeout_ms)
        except BaseException:
            os.close(lock_fd)
            raise
        try:
            row = store._conn.execute("SELECT max(seq) FROM snapshots").fetchone()
        except sqlite3.DatabaseError as err:
            store.close()  # else the lock stays taken and the file cannot be opened once restored
            raise CorruptStore(f"{path.name}: {err}") from err
        store.last_snapshot_seq = row[0] or 0
        return store

    @classmethod
    def _connect(cls, path: Path, lock_fd: int | None, synchronous: str,
                 busy_timeout_ms: int) -> SqliteHuntStore:
        conn = None
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
            conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            store = cls(path, conn, lock_fd)
            migrations.apply(store._db)
        except BaseException as err:
            if conn is not None:
                conn.close()  # else every failed open of a corrupt file leaks a descriptor
            if isinstance(err, sqlite3.DatabaseError):
                raise CorruptStore(f"{path.name}: {err}") from err
            raise
        return store

    @classmethod
    def open_reader(cls, data_dir: str | os.PathLike[str], hunt_id: str) -> SqliteHuntStore:
        """A read-only connection (no lock): safe beside a running writer, in WAL mode."""
        path = hunt_path(data_dir, hunt_id)
        if not path.exists():
            raise HuntNotFound(f"no hunt {hunt_id!r}")
        conn = None
        try:
            conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute("SELECT 1 FROM events LIMIT 1")
        except sqlite3.DatabaseError as err:
            if conn is not None:
                conn.close()
            raise CorruptStore(f"{path.name}: {err}") from err
        return cls(path, conn, None)

    def close(self) -> None:
        """Close the connection and release the writer lock (released even if the close fails)."""
        try:
            self._conn.close()
        finally:
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    # -- writing ---------------------------------------------------------------------------

    def append(self, records: Sequence[Recorded], snapshot: tuple[int, int, bytes] | None = None) -> None:
        """Append records (and optionally a snapshot ``(seq, ts, blob)``) in one transaction.

        Either all of it is durable when this returns, or WriteFailed is raised and none is.
        The records must continue the log without a gap (the primary key alone would accept
        one, and a gap makes the log unreplayable: better to fail the write than the reload).
        """
        rows = [record_to_row(r) for r in records]
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if rows:
                    last, = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
                    if [row[0] for row in rows] != list(range(last + 1, last + 1 + len(rows))):
                        raise WriteFailed(f"{self.path.name}: seqs {rows[0][0]}..{rows[-1][0]} do not follow {last}")
                batch = orjson.dumps([[*row[:7], row[7].decode()] for row in rows]) if _JSON_INSERT else b""
                # json_extract cuts a string at a NUL: such a batch (a client's command id, say)
                # goes row by row. (The test also matches an escaped backslash before u0000.)
                if _JSON_INSERT and b"\\u0000" not in batch:
                    # Bound as text: SQLite 3.45.0 read a BLOB argument as its binary JSONB.
                    conn.execute(_INSERT_JSON, (batch.decode(),))
                else:
                    conn.executemany(_INSERT, rows)
                if snapshot is not None:
                    conn.execute("INSERT OR REPLACE INTO snapshots (seq, version, ts, state) VALUES (?, ?, ?, ?)",
                                 (snapshot[0], SNAPSHOT_VERSION, snapshot[1], snapshot[2]))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as err:
            raise WriteFailed(f"{self.path.name}: commit failed: {err}") from err
        if snapshot is not None:
            self.last_snapshot_seq = snapshot[0]

    def write_snapshot(self, seq: int, ts: int, blob: bytes) -> None:
        self.append((), (seq, ts, blob))

    def set_meta(self, key: str, value: str) -> None:
        try:
            self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
        except sqlite3.Error as err:
            raise WriteFailed(f"{self.path.name}: {err}") from err

    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    # -- reading ---------------------------------------------------------------------------

    def last_seq(self) -> int:
        last: int = self._conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
        return last

    def load(self) -> tuple[HuntState | None, int]:
        """Recover the state: the latest decodable snapshot plus a replay of the tail.

        Returns (state or None for an empty log, number of events replayed). A snapshot that
        cannot be decoded (e.g. an older schema version) is skipped for a full replay.
        """
        state = None
        try:
            snapshots = self._conn.execute("SELECT seq, state FROM snapshots ORDER BY seq DESC").fetchall()
        except sqlite3.DatabaseError as err:
            raise CorruptStore(f"{self.path.name}: {err}") from err
        for seq, blob in snapshots:
            try:
                state = decode_snapshot(blob)
            except ValueError:
                continue
            if state.seq != seq:
                state = None
                continue
            break
        after = 0 if state is None else state.seq
        tail = list(self.read(after=after))
        if state is None and not tail:
            return None, 0
        try:
            return replay(tail, state), len(tail)
        except (ValueError, KeyError) as err:
            raise CorruptStore(f"{self.path.name}: replay failed: {err}") from err

    def state_at(self, seq: int) -> HuntState | None:
        """The state as of ``seq`` (time travel): nearest snapshot at or before it, then replay."""
        state = None
        for snap_seq, blob in self._conn.execute(
                "SELECT seq, state FROM snapshots WHERE seq <= ? ORDER BY seq DESC", (seq,)):
            try:
                state = decode_snapshot(blob)
            except ValueError:
                continue
            if state.seq == snap_seq:
                break
            state = None
        after = 0 if state is None else state.seq
        tail = list(self.read(after=after, until=seq))
        if state is None and not tail:
            return None
        return replay(tail, state)

    def read(self, *, after: int = 0, until: int | None = None, limit: int | None = None,
             player: str | None = None, type_: str | None = None, clue: str | None = None,
             from_ts: int | None = None, to_ts: int | None = None,
             newest_first: bool = False) -> Iterator[Recorded]:
        """Events with seq > after (and <= until), filtered by the indexed columns and by time
        (``from_ts <= ts <= to_ts``), in seq order (``newest_first``: the reverse)."""
        clauses: list[str] = ["seq > ?"]
        params: list[Any] = [after]
        for clause, value in (("seq <= ?", until), ("player = ?", player), ("type = ?", type_),
                              ("clue = ?", clue), ("ts >= ?", from_ts), ("ts <= ?", to_ts)):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        sql = f"SELECT {_COLUMNS} FROM events WHERE {' AND '.join(clauses)} ORDER BY seq"
        if newest_first:
            sql += " DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        try:
            for row in self._conn.execute(sql, params):
                yield row_to_record(row)
        except sqlite3.DatabaseError as err:
            raise CorruptStore(f"{self.path.name}: {err}") from err

    def seq_at_time(self, ts: int) -> int:
        """The seq of the last event at or before ``ts`` (epoch ms), 0 if none: the log's clock
        never runs backwards, so the events up to it are the hunt as it was at ``ts``."""
        try:
            row = self._conn.execute("SELECT seq FROM events WHERE ts <= ? ORDER BY ts DESC, seq DESC LIMIT 1",
                                     (ts,)).fetchone()
        except sqlite3.DatabaseError as err:
            raise CorruptStore(f"{self.path.name}: {err}") from err
        return 0 if row is None else int(row[0])

    def read_back(self, types: Sequence[str], *, until: int, limit: int,
                  first_finds_only: bool = False) -> list[Recorded]:
        """The last ``limit`` events of ``types`` with seq <= ``until``, oldest first (through the
        type index, newest first, so the cost is bounded by ``limit`` per type). With
        ``first_finds_only``, clue_found events count only when they were a clue's first find."""
        rows: list[Any] = []
        try:
            for type_ in types:
                sql = f"SELECT {_COLUMNS} FROM events WHERE type = ? AND seq <= ?"
                if first_finds_only and type_ == "clue_found":
                    sql += " AND coalesce(json_extract(CAST(data AS TEXT), '$.nth'), 1) = 1"
                rows += self._conn.execute(sql + " ORDER BY seq DESC LIMIT ?", (type_, until, limit)).fetchall()
        except sqlite3.DatabaseError as err:
            raise CorruptStore(f"{self.path.name}: {err}") from err
        rows.sort(key=lambda row: row[0])
        return [row_to_record(row) for row in rows[-limit:]] if limit else []

    def read_rows(self, after: int, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` events after ``after`` as stored (``data`` is the event's JSON, not
        decoded), in seq order: for the relay, which passes the JSON on as it is."""
        try:
            cursor = self._conn.execute(_RAW_AFTER, (after, limit))
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor]
        except sqlite3.DatabaseError as err:
            raise CorruptStore(f"{self.path.name}: {err}") from err

    def ts_of(self, seq: int) -> int | None:
        """The timestamp of the event at ``seq``, None if there is none."""
        row = self._conn.execute("SELECT ts FROM events WHERE seq = ?", (seq,)).fetchone()
        return None if row is None else row[0]

    def recent_keys(self, limit: int) -> tuple[list[Recorded], bool]:
        """The last ``limit`` events that carry a command id, oldest first, and whether that is all."""
        try:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM events WHERE cmd IS NOT NULL ORDER BY seq DESC LIMIT ?",
                (limit + 1,)).fetchall()
        except sqlite3.DatabaseError as err:
            raise CorruptStore(f"{self.path.name}: {err}") from err
        complete = len(rows) <= limit
        return [row_to_record(row) for row in reversed(rows[:limit])], complete

    def find_commands(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Recorded]:
        """Look up events by idempotency key (principal, cmd): one point lookup per key.

        Each lookup is a SEARCH of the unique index (``FIND_COMMAND``), whatever the log's length;
        a query over a list of keys (``IN (VALUES ...)``) made SQLite scan the whole index.
        """
        found: dict[tuple[str, str], Recorded] = {}
        execute = self._conn.execute
        try:
            for key in dict.fromkeys(keys):
                row = execute(FIND_COMMAND, key).fetchone()
                if row is not None:
                    found[key] = row_to_record(row)
        except sqlite3.DatabaseError as err:
            raise CorruptStore(f"{self.path.name}: {err}") from err
        return found

    def command_keys(self) -> Iterator[tuple[str, str]]:
        """Every idempotency key of the log (principal, cmd), in index order: for the dedup filter."""
        try:
            yield from self._conn.execute(_COMMAND_KEYS)
        except sqlite3.DatabaseError as err:
            raise CorruptStore(f"{self.path.name}: {err}") from err

    def counts(self) -> dict[str, Any]:
        events, = self._conn.execute("SELECT count(*) FROM events").fetchone()
        snapshots, last_snapshot = self._conn.execute("SELECT count(*), max(seq) FROM snapshots").fetchone()
        return {"events": events, "snapshots": snapshots, "last_snapshot_seq": last_snapshot or 0,
                "file_bytes": self.path.stat().st_size}

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """An ad-hoc read query through sqlite-utils (for tools, never for the hot path)."""
        return list(self._db.query(sql, params))


def draft_path(path: Path) -> Path:
    """Where a new hunt file is written before it is renamed to ``path``."""
    return Path(f"{path}{DRAFT_SUFFIX}")


def remove_drafts(data_dir: str | os.PathLike[str]) -> list[Path]:
    """Delete the drafts that creates and imports left when they died; return what was removed.

    A draft whose hunt lock is held belongs to a create or import still running (``hunt
    import`` beside a server, say) and is left alone.
    """
    folder = Path(data_dir, "hunts")
    removed = []
    for draft in sorted(folder.glob(f"*.sqlite3{DRAFT_SUFFIX}")):
        final = Path(str(draft)[: -len(DRAFT_SUFFIX)])
        try:
            lock_fd = _lock(final)
        except StoreLocked:
            continue
        try:
            _remove_with_journal(draft)
            removed.append(draft)
        finally:
            os.close(lock_fd)
    return removed


def _remove_with_journal(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(f"{path}{suffix}")
        except FileNotFoundError:
            pass


def _lock_new(path: Path) -> int:
    """Lock the file of a hunt that is to be created; raise HuntExists if it is there."""
    make_private_dir(path.parent)
    if path.exists():  # before the lock too: a running server holds the lock of a hunt it has loaded
        raise HuntExists(f"hunt {path.stem!r} already exists")
    lock_fd = _lock(path)
    if path.exists():
        os.close(lock_fd)
        raise HuntExists(f"hunt {path.stem!r} already exists")
    return lock_fd


def _remove_lock_file(path: Path) -> None:
    try:
        os.remove(path.with_suffix(".lock"))
    except FileNotFoundError:
        pass


def _lock(path: Path) -> int:
    lock_path = path.with_suffix(".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreLocked(f"{path.name} is open for writing elsewhere (lock {lock_path.name})") from None
    return fd
