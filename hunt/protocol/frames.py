"""Server frames out: every frame the server sends a player is built here, then :func:`text`.

A frame is a plain dict until :func:`text` encodes it (one websocket text message). Replies
inside a ``batch`` frame are the same dicts as the frames they stand for. The forms are
docs/protocol.md's; fields may be added, never removed or renamed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from ._errors import WireError

__all__ = ["Frame", "ack", "batch", "error", "feed", "hunt_status", "leaderboard", "text", "welcome"]

Frame = dict[str, Any]


def text(frame: Frame) -> str:
    """A frame as the text of one websocket message."""
    return orjson.dumps(frame).decode()


def ack(request_id: str, seq: int, fields: Mapping[str, Any], *, duplicate: bool = False, **extra: Any) -> Frame:
    """``{"op":"ack","id":..,"seq":N, <outcome fields>, <extra>, "duplicate"?: true}``."""
    frame: Frame = {"op": "ack", "id": request_id, "seq": seq, **fields, **extra}
    if duplicate:
        frame["duplicate"] = True
    return frame


def error(err: WireError, request_id: str | None = None) -> Frame:
    """``{"op":"error","id"?:..,"code":..,"message":..,"retry_after_ms"?:..}``."""
    frame: Frame = {"op": "error"}
    if request_id is not None:
        frame["id"] = request_id
    frame["code"] = err.code.value
    frame["message"] = err.message
    if err.retry_after_ms is not None:
        frame["retry_after_ms"] = err.retry_after_ms
    return frame


def batch(request_id: str | None, items: Sequence[Frame]) -> Frame:
    """``{"op":"batch","id"?:..,"items":[ack or error, ...]}``, in the order of the request."""
    frame: Frame = {"op": "batch"}
    if request_id is not None:
        frame["id"] = request_id
    frame["items"] = list(items)
    return frame


def welcome(request_id: str, view: Mapping[str, Any], *, window: int) -> Frame:
    """The reply to ``hello``: ``{"op":"welcome","id":.., <the player's view>, "window":N}``."""
    return {"op": "welcome", "id": request_id, **view, "window": window}


def feed(item: Mapping[str, Any]) -> Frame:
    """A news push: ``{"op":"feed","seq":N,"ts":..,"kind":.., ...}``."""
    return {"op": "feed", **item}


def hunt_status(status: str, seq: int) -> Frame:
    """The hunt's status push: ``{"op":"hunt","status":..,"seq":N}``."""
    return {"op": "hunt", "status": status, "seq": seq}


def leaderboard(seq: int, top: bytes, you: Mapping[str, Any] | None, values: bytes | None = None,
                frozen: bool = False, division: tuple[str, bytes] | None = None) -> Frame:
    """``{"op":"leaderboard","seq":N,"top":[...],"you":{..},"values"?:{clue: points},
    "division"?:{"id","top":[...]}}``; ``top`` (and ``values``: what clues whose value falls as
    they are found would score now; and ``division``: the top of the player's division) come
    encoded (once per hunt version, shared by every connection) and are embedded as they are."""
    frame: Frame = {"op": "leaderboard", "seq": seq, "top": orjson.Fragment(top), "you": you}
    if values is not None:
        frame["values"] = orjson.Fragment(values)
    if division is not None:
        frame["division"] = {"id": division[0], "top": orjson.Fragment(division[1])}
    if frozen:  # the standings as of the scoreboard's freeze (organisers see them live)
        frame["frozen"] = True
    return frame
