"""Rows <-> domain values, and the JSON forms of events and snapshots (orjson at the edge)."""

from __future__ import annotations

from typing import Any

import orjson

from ..domain import HuntState, Recorded, event_from_fields, event_to_fields

__all__ = [
    "decode_snapshot",
    "dict_to_record",
    "encode_snapshot",
    "encode_snapshot_document",
    "record_to_dict",
    "record_to_row",
    "row_to_record",
]

Row = tuple[int, int, str, str | None, str | None, str | None, str | None, bytes]


def record_to_row(recorded: Recorded) -> Row:
    type_, player, clue, data = event_to_fields(recorded.event)
    return (recorded.seq, recorded.ts, type_, player, clue, recorded.cmd, recorded.principal,
            orjson.dumps(data))


def row_to_record(row: tuple[Any, ...]) -> Recorded:
    seq, ts, type_, player, clue, cmd, principal, data = row
    event = event_from_fields(type_, player, clue, orjson.loads(data))
    return Recorded(seq=seq, ts=ts, event=event, cmd=cmd, principal=principal)


def record_to_dict(recorded: Recorded) -> dict[str, Any]:
    """The public form of an event (export, events query, broker): seq, ts, type, player, clue, cmd, data."""
    type_, player, clue, data = event_to_fields(recorded.event)
    return {"seq": recorded.seq, "ts": recorded.ts, "type": type_, "player": player, "clue": clue,
            "cmd": recorded.cmd, "principal": recorded.principal, "data": data}


def dict_to_record(item: Any) -> Recorded:
    """The inverse of :func:`record_to_dict`; raises ValueError on a malformed item."""
    if not isinstance(item, dict):
        raise ValueError("an event must be a JSON object")
    try:
        seq, ts = item["seq"], item["ts"]
        if not isinstance(seq, int) or not isinstance(ts, int) or isinstance(seq, bool):
            raise ValueError("seq and ts must be integers")
        event = event_from_fields(item["type"], item.get("player"), item.get("clue"), item.get("data") or {})
        return Recorded(seq=seq, ts=ts, event=event, cmd=item.get("cmd"), principal=item.get("principal"))
    except (KeyError, TypeError) as err:
        raise ValueError(f"malformed event: {err!r}") from err


def encode_snapshot(state: HuntState) -> bytes:
    return encode_snapshot_document(state.to_dict())


def encode_snapshot_document(document: dict[str, Any]) -> bytes:
    """Encode a ``HuntState.to_dict()`` taken earlier (it is a value: any thread may encode it)."""
    return orjson.dumps(document)


def decode_snapshot(blob: bytes) -> HuntState:
    """Raises ValueError when the snapshot cannot be decoded (the caller falls back to replay)."""
    try:
        data = orjson.loads(blob)
        if not isinstance(data, dict):  # valid JSON, but not a state: from_dict would raise AttributeError
            raise ValueError(f"a snapshot must be a JSON object, not {type(data).__name__}")
        return HuntState.from_dict(data)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise ValueError(f"undecodable snapshot: {err!r}") from err
