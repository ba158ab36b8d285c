"""Client frames in: :func:`parse` turns one websocket message into one :class:`Request`.

A request is one of a closed set of small frozen values, one per op. Player commands
(answer, checkin, code, hint, ping) become domain commands with :func:`to_command` once the
connection knows its player. Pure, no I/O: every malformed frame raises a
:class:`~._errors.RequestError` carrying the frame's id when it had a usable one. Unknown
fields are ignored, so clients may send more than this version reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import orjson

from ..domain import AnswerClue, CheckIn, Command, JoinHunt, PingLocation, SubmitCode, TakeHint
from ._errors import BadRequest, NotJoined, RequestError, TooLarge, UnknownOp
from ._join_ids import check_join_id

__all__ = [
    "MAX_ID_CHARS",
    "OPS",
    "AnswerOp",
    "BatchOp",
    "CheckinOp",
    "CodeOp",
    "FrameLimits",
    "HelloOp",
    "HintOp",
    "JoinOp",
    "PingOp",
    "PlayerOp",
    "Request",
    "join_command",
    "loads_object",
    "parse",
    "request_id",
    "to_command",
]

MAX_ID_CHARS = 128
MAX_FIELD_CHARS = 2000  # clue ids, answers, codes, names: the rules check tighter limits
PLAYER_OPS = ("answer", "checkin", "code", "hint", "ping")
OPS = ("join", "hello", *PLAYER_OPS, "batch")


@dataclass(frozen=True, slots=True)
class FrameLimits:
    max_frame_bytes: int
    max_batch_items: int


@dataclass(frozen=True, slots=True)
class JoinOp:
    id: str  # a random secret (see _join_ids): the caller hashes it before it is stored
    name: str
    team: str | None
    team_code: str | None = None  # to join a team that exists
    device: str | None = None  # the client's own device id: limits and bans hold per device too
    division: str | None = None  # the division a new side plays in (hunts with divisions)


@dataclass(frozen=True, slots=True)
class HelloOp:
    id: str
    token: str
    since: int | None
    device: str | None = None  # the client's own device id: limits and bans hold per device too


@dataclass(frozen=True, slots=True)
class AnswerOp:
    id: str
    clue: str
    answer: str


@dataclass(frozen=True, slots=True)
class CheckinOp:
    id: str
    clue: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class CodeOp:
    id: str
    clue: str
    code: str


@dataclass(frozen=True, slots=True)
class HintOp:
    id: str
    clue: str


@dataclass(frozen=True, slots=True)
class PingOp:
    id: str
    lat: float
    lon: float


PlayerOp = AnswerOp | CheckinOp | CodeOp | HintOp | PingOp


@dataclass(frozen=True, slots=True)
class BatchOp:
    """Many player commands in one frame; an item that does not parse is its error, in place."""

    id: str | None
    items: tuple[PlayerOp | RequestError, ...]


Request = JoinOp | HelloOp | PlayerOp | BatchOp


def parse(data: str | bytes, limits: FrameLimits) -> Request:
    """One frame as a request. Raises BadRequest, UnknownOp or TooLarge (with the frame's id)."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    too_large = f"a frame may have at most {limits.max_frame_bytes} bytes, this one has {size}"
    try:
        frame = loads_object(data, "a frame")
    except BadRequest:
        if size > limits.max_frame_bytes:
            raise TooLarge(too_large) from None
        raise
    rid = request_id(frame)
    try:
        if size > limits.max_frame_bytes:
            raise TooLarge(too_large)
        op = _op(frame)
        if op == "batch":
            return _batch(frame, rid, limits.max_batch_items)
        if op == "join":
            return _join(frame)
        if op == "hello":
            return _hello(frame)
        return _player_op(op, frame)
    except RequestError as err:
        err.request_id = err.request_id or rid
        raise


def to_command(request: PlayerOp, player: str | None) -> Command:
    """The domain command of a player request, acting as ``player``; NotJoined without one."""
    if player is None:
        raise NotJoined("join or say hello first", request_id=request.id)
    match request:
        case AnswerOp(id=cmd, clue=clue, answer=answer):
            return AnswerClue(player, cmd, clue, answer)
        case CheckinOp(id=cmd, clue=clue, lat=lat, lon=lon):
            return CheckIn(player, cmd, clue, lat, lon)
        case CodeOp(id=cmd, clue=clue, code=code):
            return SubmitCode(player, cmd, clue, code)
        case HintOp(id=cmd, clue=clue):
            return TakeHint(player, cmd, clue)
        case PingOp(id=cmd, lat=lat, lon=lon):
            return PingLocation(player, cmd, lat, lon)


def join_command(request: JoinOp) -> JoinHunt:
    return JoinHunt(cmd=request.id, name=request.name, team=request.team, division=request.division)


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


def _op(frame: dict[str, Any]) -> str:
    op = frame.get("op")
    if not isinstance(op, str):
        raise BadRequest('a frame needs "op", a string')
    if op not in OPS:
        raise UnknownOp(f"unknown op {op[:40]!r}; expected one of {', '.join(OPS)}")
    return op


def _join(frame: dict[str, Any]) -> JoinOp:
    team, code, division = frame.get("team"), frame.get("team_code"), frame.get("division")
    return JoinOp(check_join_id(_id(frame)), _text(frame, "name"), None if team is None else _text(frame, "team"),
                  None if code is None else _text(frame, "team_code"), _device(frame),
                  None if division is None else _text(frame, "division"))


def _hello(frame: dict[str, Any]) -> HelloOp:
    since = frame.get("since")
    if since is not None and (not isinstance(since, int) or isinstance(since, bool) or since < 0):
        raise BadRequest('"since" must be a sequence number (an integer >= 0)')
    return HelloOp(_id(frame), _text(frame, "token"), since, _device(frame))


def _device(frame: dict[str, Any]) -> str | None:
    value = frame.get("device")
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_ID_CHARS:
        raise BadRequest(f'"device" must be a non-empty string of at most {MAX_ID_CHARS} characters')
    return value


def _player_op(op: str, frame: dict[str, Any]) -> PlayerOp:
    cmd = _id(frame)
    match op:
        case "answer":
            return AnswerOp(cmd, _text(frame, "clue"), _text(frame, "answer"))
        case "checkin":
            return CheckinOp(cmd, _text(frame, "clue"), _number(frame, "lat"), _number(frame, "lon"))
        case "code":
            return CodeOp(cmd, _text(frame, "clue"), _text(frame, "code"))
        case "hint":
            return HintOp(cmd, _text(frame, "clue"))
        case "ping":
            return PingOp(cmd, _number(frame, "lat"), _number(frame, "lon"))
    raise BadRequest(f'"{op}" cannot be used here')


def _batch(frame: dict[str, Any], rid: str | None, max_items: int) -> BatchOp:
    items = frame.get("items")
    if not isinstance(items, list):
        raise BadRequest('a batch needs "items", a list of commands')
    if len(items) > max_items:
        raise TooLarge(f"a batch may hold at most {max_items} items, this one has {len(items)}")
    return BatchOp(rid, tuple(_batch_item(item) for item in items))


def _batch_item(item: Any) -> PlayerOp | RequestError:
    try:
        if not isinstance(item, dict):
            raise BadRequest("a batch item must be a JSON object")
        return _player_op(_op(item), item)
    except RequestError as err:
        err.request_id = request_id(item)
        return err


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
