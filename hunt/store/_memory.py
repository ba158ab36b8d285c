"""An in-memory hunt store with the same contract as the SQLite one (tests, fault injection)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..domain import HuntState, Recorded, event_to_fields, replay
from ._codec import decode_snapshot
from ._errors import WriteFailed

__all__ = ["MemoryHuntStore"]


class MemoryHuntStore:
    """Keeps the log in a list. ``fail_appends`` makes the next N appends raise WriteFailed."""

    def __init__(self) -> None:
        self.events: list[Recorded] = []
        self.snapshots: dict[int, bytes] = {}
        self.meta: dict[str, str] = {}
        self.keys: set[tuple[str | None, str]] = set()
        self.last_snapshot_seq = 0
        self.fail_appends = 0
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def append(self, records: Sequence[Recorded], snapshot: tuple[int, int, bytes] | None = None) -> None:
        if self.fail_appends:
            self.fail_appends -= 1
            raise WriteFailed("injected failure")
        expected = (self.events[-1].seq if self.events else 0) + 1
        new_keys = set()
        for offset, record in enumerate(records):
            if record.seq != expected + offset:
                raise WriteFailed(f"seq {record.seq} does not follow {expected + offset - 1}")
            if record.cmd is not None:
                key = (record.principal, record.cmd)
                if key in self.keys or key in new_keys:
                    raise WriteFailed(f"duplicate command {key}")
                new_keys.add(key)
        self.events.extend(records)
        self.keys |= new_keys
        if snapshot is not None:
            self.snapshots[snapshot[0]] = snapshot[2]
            self.last_snapshot_seq = snapshot[0]

    def write_snapshot(self, seq: int, ts: int, blob: bytes) -> None:
        self.append((), (seq, ts, blob))

    def set_meta(self, key: str, value: str) -> None:
        self.meta[key] = value

    def get_meta(self, key: str) -> str | None:
        return self.meta.get(key)

    def last_seq(self) -> int:
        return self.events[-1].seq if self.events else 0

    def load(self) -> tuple[HuntState | None, int]:
        state = self._snapshot_at(self.last_seq())
        tail = [r for r in self.events if r.seq > (state.seq if state else 0)]
        if state is None and not tail:
            return None, 0
        return replay(tail, state), len(tail)

    def state_at(self, seq: int) -> HuntState | None:
        state = self._snapshot_at(seq)
        tail = [r for r in self.events if (state.seq if state else 0) < r.seq <= seq]
        if state is None and not tail:
            return None
        return replay(tail, state)

    def _snapshot_at(self, seq: int) -> HuntState | None:
        """The latest decodable snapshot at or before ``seq`` (None: replay from zero)."""
        for snap_seq in sorted((s for s in self.snapshots if s <= seq), reverse=True):
            try:
                state = decode_snapshot(self.snapshots[snap_seq])
            except ValueError:
                continue
            if state.seq == snap_seq:
                return state
        return None

    def read_back(self, types: Sequence[str], *, until: int, limit: int,
                  first_finds_only: bool = False) -> list[Recorded]:
        """The last ``limit`` events of ``types`` with seq <= ``until``, oldest first (see the SQLite store)."""
        found: list[Recorded] = []
        for record in reversed(self.events):
            if len(found) >= limit:
                break
            event = record.event
            if record.seq > until or event.TYPE not in types:
                continue
            if first_finds_only and event.TYPE == "clue_found" and getattr(event, "nth", 1) != 1:
                continue
            found.append(record)
        return found[::-1]

    def read(self, *, after: int = 0, until: int | None = None, limit: int | None = None,
             player: str | None = None, type_: str | None = None, clue: str | None = None,
             from_ts: int | None = None, to_ts: int | None = None,
             newest_first: bool = False) -> Iterator[Recorded]:
        count = 0
        for record in reversed(self.events) if newest_first else self.events:
            if record.seq <= after or (until is not None and record.seq > until):
                continue
            if (from_ts is not None and record.ts < from_ts) or (to_ts is not None and record.ts > to_ts):
                continue
            kind, who, which, _ = event_to_fields(record.event)
            if (player is not None and who != player) or (type_ is not None and kind != type_) or (
                    clue is not None and which != clue):
                continue
            if limit is not None and count >= limit:
                return
            count += 1
            yield record

    def seq_at_time(self, ts: int) -> int:
        return max((r.seq for r in self.events if r.ts <= ts), default=0)

    def recent_keys(self, limit: int) -> tuple[list[Recorded], bool]:
        keyed = [r for r in self.events if r.cmd is not None]
        return keyed[-limit:] if limit else [], len(keyed) <= limit

    def find_commands(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Recorded]:
        wanted = set(keys)
        return {(r.principal or "", r.cmd): r for r in self.events
                if r.cmd is not None and (r.principal or "", r.cmd) in wanted}

    def command_keys(self) -> Iterator[tuple[str, str]]:
        for record in self.events:
            if record.cmd is not None:
                yield record.principal or "", record.cmd

    def counts(self) -> dict[str, Any]:
        return {"events": len(self.events), "snapshots": len(self.snapshots),
                "last_snapshot_seq": self.last_snapshot_seq, "file_bytes": 0}
