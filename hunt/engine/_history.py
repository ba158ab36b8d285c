"""Work on a hunt's whole history: verify (replay == snapshots == live) and import.

Both block (disk I/O and a full replay): call them from a worker thread. Both only read
the hunt file through a read-only connection, except import, which writes a new file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from ..config import StoreConfig
from ..domain import DefinitionError, HuntCreated, HuntState, NotProduced, Recorded, check, parse_definition
from ..store import (
    InvalidHuntId,
    InvalidImport,
    SqliteHuntStore,
    WriteFailed,
    decode_snapshot,
    dict_to_record,
    encode_snapshot,
    hunt_path,
)

__all__ = ["import_hunt", "verify_hunt"]

IMPORT_CHUNK = 2000


def verify_hunt(data_dir: Path, hunt_id: str, live: dict[str, Any] | None = None, *,
                future_tolerance_s: float = StoreConfig().future_tolerance_s) -> dict[str, Any]:
    """Replay the log from zero; compare with every snapshot and with ``live`` (a to_dict()).

    Each event is also checked against the rules (``hunt.domain.check``) and against the clock
    (at most ``future_tolerance_s`` ahead): a doctored file that replays fine is still caught.
    Returns a report: ``ok``, ``events``, ``snapshots_checked``, ``live_checked`` and a list of
    ``problems`` (each a sentence).
    """
    reader = SqliteHuntStore.open_reader(data_dir, hunt_id)
    latest = _now_ms() + int(future_tolerance_s * 1000)
    problems: list[str] = []
    snapshots_checked = 0
    live_checked = False
    events = 0
    try:
        snapshots = {row["seq"]: row["state"] for row in reader.query("SELECT seq, state FROM snapshots")}
        state: HuntState | None = None
        for record in reader.read():
            events += 1
            try:
                if state is None:
                    if not isinstance(record.event, HuntCreated):
                        problems.append(f"seq {record.seq}: the log does not begin with hunt_created")
                        break
                    state = HuntState(parse_definition(record.event.definition))
                else:
                    _check(state, record, latest)
                state.apply(record)
            except NotProduced as err:
                problems.append(f"seq {record.seq}: {err}")
                break
            except (ValueError, KeyError, DefinitionError) as err:
                problems.append(f"seq {record.seq}: replay failed: {err!r}")
                break
            blob = snapshots.get(state.seq)
            if blob is not None:
                snapshots_checked += 1
                try:
                    if decode_snapshot(blob).to_dict() != state.to_dict():
                        problems.append(f"snapshot at seq {state.seq} differs from the replay")
                except ValueError as err:
                    problems.append(f"snapshot at seq {state.seq} cannot be decoded: {err}")
            if live is not None and state.seq == live.get("seq"):
                live_checked = True
                if live != state.to_dict():
                    problems.append(f"the live state at seq {state.seq} differs from the replay")
        beyond = [seq for seq in snapshots if state is None or seq > state.seq]
        if beyond:
            problems.append(f"snapshots beyond the end of the log: {sorted(beyond)}")
        if live is not None and not live_checked and not problems:
            problems.append(f"the live state's seq {live.get('seq')} was not found in the log")
    finally:
        reader.close()
    return {"hunt": hunt_id, "ok": not problems, "events": events, "snapshots_checked": snapshots_checked,
            "live_checked": live_checked, "problems": problems}


def import_hunt(data_dir: Path, lines: Iterable[bytes], store_config: StoreConfig,
                progress: Callable[[int], None] | None = None) -> str:
    """Create a hunt from NDJSON lines (one event each, as exported). Returns the hunt id.

    Every event after the first is checked against the rules before it is applied (see
    ``hunt.domain.check``): an import holds only what live play could have recorded, and
    InvalidImport names the first line that is not. The file is written under a draft name
    and renamed into place at the end, so an error or a crash part way leaves no hunt behind.
    Raises HuntExists if the hunt is already there.
    """
    iterator = iter(lines)
    latest = _now_ms() + int(store_config.future_tolerance_s * 1000)
    line_no, first = _next_record(iterator, 0)
    if first is None:
        raise InvalidImport("the import is empty")
    if first.seq != 1 or not isinstance(first.event, HuntCreated):
        raise InvalidImport(f"line {line_no}: an export must begin with the hunt_created event at seq 1")
    if first.ts > latest:
        raise InvalidImport(f"line {line_no}: ts {first.ts} is in the future")
    try:
        definition = parse_definition(first.event.definition)
        hunt_path(data_dir, definition.id)
        _storable(first)
    except (DefinitionError, InvalidHuntId) as err:
        raise InvalidImport(f"line {line_no}: invalid definition: {err}") from err

    def fill(store: SqliteHuntStore) -> None:
        state = HuntState(definition)
        state.apply(first)
        pending: list[Any] = [first]
        at = line_no
        while True:
            at, record = _next_record(iterator, at)
            if record is None:
                break
            try:
                _check(state, record, latest)
                state.apply(record)
            except NotProduced as err:
                raise InvalidImport(f"line {at}: {err}") from None
            except (KeyError, ValueError, TypeError) as err:
                raise InvalidImport(f"line {at}: event does not apply: {err!r}") from err
            pending.append(record)
            if len(pending) >= IMPORT_CHUNK:
                _flush(store, pending, state, store_config.snapshot_every)
                pending = []
                if progress is not None:
                    progress(state.seq)
        _flush(store, pending, state, store_config.snapshot_every, final=True)
        if progress is not None:
            progress(state.seq)

    SqliteHuntStore.build(data_dir, definition.id, fill, synchronous=store_config.synchronous,
                          busy_timeout_ms=store_config.busy_timeout_ms)
    return definition.id


def _check(state: HuntState, record: Recorded, latest_ts: int) -> None:
    """Raise NotProduced unless live play could have recorded ``record`` next."""
    if record.ts > latest_ts:
        raise NotProduced(f"ts {record.ts} is in the future")
    _storable(record)
    check(state, record)


def _storable(record: Recorded) -> None:
    # SQLite integers are 64-bit: a larger seq or ts would fail the insert (a 500, not a 400).
    if not (0 < record.seq < 2**63 and 0 <= record.ts < 2**63):
        raise NotProduced(f"seq {record.seq} or ts {record.ts} is out of range")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _flush(store: SqliteHuntStore, pending: list[Any], state: HuntState, every: int, *, final: bool = False) -> None:
    snapshot = None
    if final or state.seq // every > store.last_snapshot_seq // every:
        snapshot = (state.seq, state.last_ts, encode_snapshot(state))
    try:
        store.append(pending, snapshot)
    except WriteFailed as err:
        raise InvalidImport(f"cannot store the events (duplicate command ids?): {err}") from err


def _next_record(iterator: Any, line_no: int) -> tuple[int, Any]:
    for raw in iterator:
        line_no += 1
        if not raw.strip():
            continue
        try:
            return line_no, dict_to_record(orjson.loads(raw))
        except (orjson.JSONDecodeError, ValueError) as err:
            raise InvalidImport(f"line {line_no}: {err}") from err
    return line_no, None
