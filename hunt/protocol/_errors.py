"""Every error code of the wire, the error as a client sees it, and the requests refused at the edge.

    RequestError        Raised when a request is refused at the edge; carries an ErrorCode.
    ├── BadRequest      Raised when JSON is malformed or a field is missing or of the wrong type.
    ├── UnknownOp       Raised when a frame names an op the server does not know.
    ├── NotJoined       Raised when a player command arrives before ``join`` or ``hello``.
    ├── Unauthorized    Raised when a token is missing, malformed, forged or for another hunt.
    ├── TooLarge        Raised when a frame, a batch or a body is over its limit.
    ├── BodyTimeout     Raised when an HTTP request body arrives too slowly.
    └── NotFound        Raised when a route, a player or a page does not exist.

:class:`ErrorCode` is the one list of codes, shared by the websocket (``"code"``) and HTTP
(``"error"``, with ``ErrorCode.status``); docs/protocol.md documents each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "BadRequest",
    "BodyTimeout",
    "ErrorCode",
    "NotFound",
    "NotJoined",
    "RequestError",
    "TooLarge",
    "Unauthorized",
    "UnknownOp",
    "WireError",
]


class ErrorCode(StrEnum):
    """An error code; ``status`` is its HTTP status and ``meaning`` when it happens."""

    BAD_REQUEST = "bad_request", 400, "malformed JSON, a missing field or a field of the wrong type"
    UNKNOWN_OP = "unknown_op", 400, "the frame's op is not one the server knows"
    UNAUTHORIZED = "unauthorized", 401, ("missing, malformed, forged or foreign token; or joining a team "
                                         "that exists without its team code")
    NOT_JOINED = "not_joined", 409, "a player command before join or hello on this connection"
    UNKNOWN_HUNT = "unknown_hunt", 404, "no hunt with this id (or an id that is not a valid hunt id)"
    UNKNOWN_PLAYER = "unknown_player", 404, "no player with this id in the hunt"
    UNKNOWN_CLUE = "unknown_clue", 404, "no clue with this id in the hunt"
    UNKNOWN_TEAM = "unknown_team", 404, "no team with this name in the hunt (an announcement to a team)"
    UNKNOWN_ENTRY = "unknown_entry", 404, "no mission entry with this number in the hunt"
    ENTRY_PENDING = "entry_pending", 409, "the side's entry for this mission is still waiting for a judge"
    NOT_FOUND = "not_found", 404, "no such route or page"
    METHOD_NOT_ALLOWED = "method_not_allowed", 405, "the route exists but not with this HTTP method"
    LOCKED = "locked", 409, "the clue opens after others are found"
    WRONG_KIND = "wrong_kind", 409, "the clue is of another kind (answer, geo or code)"
    ALREADY_FOUND = "already_found", 409, "a hint for a clue that is already found"
    NO_MORE_HINTS = "no_more_hints", 409, "every hint of the clue is already taken"
    HUNT_NOT_ACTIVE = "hunt_not_active", 409, "the hunt is pending, paused or ended"
    OUTSIDE_WINDOW = "outside_window", 409, ("timed play: before the side's own start or after its window, or a "
                                             "clue not released yet or closed (the message says when)")
    BANNED = "banned", 403, "the player is banned from the hunt"
    TEAM_FULL = "team_full", 409, "the team already has as many players as its size cap (or the hunt's team_size)"
    ROSTER_LOCKED = "roster_locked", 409, ("the organiser locked the team's roster (or every roster): nobody new may "
                                           "join it, and no new team may be made while every roster is locked")
    UNKNOWN_DIVISION = "unknown_division", 404, "no division with this id in the hunt"
    REMOVED = "removed", 403, "the organiser took the player off their team's roster: join again to play"
    INVALID_STATE = "invalid_state", 409, "an admin command that does not fit the hunt's status"
    HUNT_EXISTS = "hunt_exists", 409, "a hunt with this id already exists"
    RATE_LIMITED = "rate_limited", 429, ("too many wrong attempts on a clue, too many commands, pings or joins, or "
                                         "too many wrong admin tokens; retry after retry_after_ms")
    TOO_LARGE = "too_large", 413, "a frame, batch or body over its limit"
    TIMEOUT = "timeout", 408, ("a request body that took longer than limits.body_timeout_s (an import: "
                               "limits.import_body_timeout_s) or stalled for limits.body_idle_timeout_s")
    FORBIDDEN = "forbidden", 403, ("a websocket from a page of another origin (server.allowed_origins), or "
                                   "/metrics from another machine without the metrics token")
    OVERLOADED = "overloaded", 503, ("the hunt's mailbox is full, or this client sent a command before the wait "
                                     "it was told was over; retry after retry_after_ms")
    UNAVAILABLE = "unavailable", 503, ("the hunt is restarting, its disk failed, its file is unreadable, or the "
                                       "server is stopping; retry after retry_after_ms")
    INTERNAL = "internal", 500, "an unexpected server error (logged; details are not sent)"

    status: int
    meaning: str

    def __new__(cls, value: str, status: int, meaning: str) -> ErrorCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.status = status
        member.meaning = meaning
        return member


@dataclass(frozen=True, slots=True)
class WireError:
    """An error as the client sees it (rendered by ``hunt.protocol.frames`` or as an HTTP body)."""

    code: ErrorCode
    message: str
    retry_after_ms: int | None = None

    @property
    def status(self) -> int:
        return self.code.status

    def to_dict(self) -> dict[str, Any]:
        """The HTTP form: ``{"error": code, "message": ..., "retry_after_ms"?: ...}``."""
        body: dict[str, Any] = {"error": self.code.value, "message": self.message}
        if self.retry_after_ms is not None:
            body["retry_after_ms"] = self.retry_after_ms
        return body


class RequestError(Exception):
    """Raised when a request is refused at the edge; carries an ErrorCode.

    ``request_id`` is the client id of the frame it refuses, when it had a usable one.
    """

    code = ErrorCode.BAD_REQUEST

    def __init__(self, message: str, *, code: ErrorCode | None = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.request_id = request_id


class BadRequest(RequestError):
    """Raised when JSON is malformed or a field is missing or of the wrong type."""

    code = ErrorCode.BAD_REQUEST


class UnknownOp(RequestError):
    """Raised when a frame names an op the server does not know."""

    code = ErrorCode.UNKNOWN_OP


class NotJoined(RequestError):
    """Raised when a player command arrives before ``join`` or ``hello``."""

    code = ErrorCode.NOT_JOINED


class Unauthorized(RequestError):
    """Raised when a token is missing, malformed, forged or for another hunt."""

    code = ErrorCode.UNAUTHORIZED


class TooLarge(RequestError):
    """Raised when a frame, a batch or a body is over its limit."""

    code = ErrorCode.TOO_LARGE


class BodyTimeout(RequestError):
    """Raised when an HTTP request body arrives too slowly."""

    code = ErrorCode.TIMEOUT


class NotFound(RequestError):
    """Raised when a route, a player or a page does not exist."""

    code = ErrorCode.NOT_FOUND
