"""The player protocol at the wire (docs/protocol.md): client frames in, commands and reply frames out.

Pure functions, no I/O: a decoded frame becomes a :class:`Hello`, a domain command or a
:class:`Batch`, or raises an :class:`ApiError` subclass naming what is wrong. Unknown fields
are ignored, so clients may send more than this version reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import orjson

from ..domain import AnswerClue, CheckIn, Command, JoinHunt, PingLocation, SubmitCode, TakeHint
from ..engine import Ack
from ._errors import BadRequest, NotJoined, TooLarge, UnknownOp

__all__ = [
    "MAX_ID_CHARS",
    "OPS",
    "PLAYER_OPS",
    "Batch",
    "Hello",
    "ack_frame",
    "decode_frame",
    "encode",
    "loads_object",
    "op_of",
    "parse_batch",
    "parse_command",
    "parse_hello",
    "parse_join",
    "request_id",
]

MAX_ID_CHARS = 128
MAX_FIELD_CHARS = 2000  # clue ids, answers, codes, names: the rules check tighter limits
PLAYER_OPS = ("answer", "checkin", "code", "hint", "ping")
OPS = ("join", "hello", *PLAYER_OPS, "batch")


@dataclass(frozen=True, slots=True)
class Hello:
    id: str
    token: str
    since: int | None


@dataclass(frozen=True, slots=True)
class Batch:
    id: str | None
    items: list[Any]


def encode(frame: dict[str, Any]) -> str:
    """A frame as the text of one websocket message."""
    return orjson.dumps(frame).decode()


def decode_frame(data: str | bytes, max_bytes: int) -> dict[str, Any]:
    """Decode one frame. Raises BadRequest if it is not a JSON object, TooLarge over ``max_bytes``
    (UTF-8; the TooLarge carries the frame's id when it has one, so the client knows which)."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    try:
        frame = loads_object(data, "a frame")
    except BadRequest:
        if size > max_bytes:
            raise TooLarge(f"a frame may have at most {max_bytes} bytes, this one has {size}") from None
        raise
    if size > max_bytes:
        raise TooLarge(f"a frame may have at most {max_bytes} bytes, this one has {size}",
                       request_id=request_id(frame))
    return frame


def loads_object(data: str | bytes, what: str) -> dict[str, Any]:
    """Parse JSON that must be an object; raises BadRequest naming ``what`` otherwise."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as err:
        raise BadRequest(f"malformed JSON: {err}") from None
    if not isinstance(value, dict):
        raise BadRequest(f"{what} must be a JSON object")
    return value


def request_id(frame: Any) -> str | None:
    """The client id of a frame, if it has a usable one (echoed in error frames)."""
    value = frame.get("id") if isinstance(frame, dict) else None
    return value if isinstance(value, str) and len(value) <= MAX_ID_CHARS else None


def op_of(frame: dict[str, Any]) -> str:
    op = frame.get("op")
    if not isinstance(op, str):
        raise BadRequest('a frame needs "op", a string')
    if op not in OPS:
        raise UnknownOp(f"unknown op {op[:40]!r}; expected one of {', '.join(OPS)}")
    return op


def parse_hello(frame: dict[str, Any]) -> Hello:
    since = frame.get("since")
    if since is not None and (not isinstance(since, int) or isinstance(since, bool) or since < 0):
        raise BadRequest('"since" must be a sequence number (an integer >= 0)')
    return Hello(_id(frame), _text(frame, "token"), since)


def parse_join(frame: dict[str, Any]) -> JoinHunt:
    team = frame.get("team")
    if team is not None:
        team = _text(frame, "team")
    return JoinHunt(cmd=_id(frame), name=_text(frame, "name"), team=team)


def parse_command(frame: dict[str, Any], player: str | None) -> Command:
    """A player command (answer, checkin, code, hint, ping) acting as ``player``.

    Raises UnknownOp, BadRequest (also for join/hello/batch, which are handled elsewhere)
    and NotJoined when no player is bound to the connection yet.
    """
    op = op_of(frame)
    if op not in PLAYER_OPS:
        raise BadRequest(f'"{op}" cannot be used here')
    cmd = _id(frame)
    if player is None:
        raise NotJoined("join or say hello first")
    match op:
        case "answer":
            return AnswerClue(player, cmd, _text(frame, "clue"), _text(frame, "answer"))
        case "checkin":
            return CheckIn(player, cmd, _text(frame, "clue"), _number(frame, "lat"), _number(frame, "lon"))
        case "code":
            return SubmitCode(player, cmd, _text(frame, "clue"), _text(frame, "code"))
        case "hint":
            return TakeHint(player, cmd, _text(frame, "clue"))
        case _:
            return PingLocation(player, cmd, _number(frame, "lat"), _number(frame, "lon"))


def parse_batch(frame: dict[str, Any], max_items: int) -> Batch:
    items = frame.get("items")
    if not isinstance(items, list):
        raise BadRequest('a batch needs "items", a list of commands')
    if len(items) > max_items:
        raise TooLarge(f"a batch may hold at most {max_items} items, this one has {len(items)}")
    return Batch(request_id(frame), items)


def ack_frame(request_id: str, ack: Ack, **extra: Any) -> dict[str, Any]:
    """``{"op":"ack","id":..,"seq":N, <outcome fields>, <extra>, "duplicate"?: true}``."""
    frame: dict[str, Any] = {"op": "ack", "id": request_id, "seq": ack.seq, **ack.fields, **extra}
    if ack.duplicate:
        frame["duplicate"] = True
    return frame


def _id(frame: dict[str, Any]) -> str:
    value = frame.get("id")
    if not isinstance(value, str) or not value or len(value) > MAX_ID_CHARS:
        raise BadRequest(f'"id" must be a non-empty string of at most {MAX_ID_CHARS} characters')
    return value


def _text(frame: dict[str, Any], key: str) -> str:
    value = frame.get(key)
    if not isinstance(value, str) or len(value) > MAX_FIELD_CHARS:
        raise BadRequest(f'"{key}" must be a string of at most {MAX_FIELD_CHARS} characters')
    return value


def _number(frame: dict[str, Any], key: str) -> float:
    value = frame.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise BadRequest(f'"{key}" must be a number')
    return float(value)
