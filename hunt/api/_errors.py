"""Every failure the API reports, and the one mapping from exceptions to wire errors.

    ApiError            Raised when a request is refused at the API edge; carries a wire code.
    ├── BadRequest      Raised when JSON is malformed or a field is missing or of the wrong type.
    ├── UnknownOp       Raised when a frame names an op the server does not know.
    ├── NotJoined       Raised when a player command arrives before ``join`` or ``hello``.
    ├── Unauthorized    Raised when a token is missing, malformed, forged or for another hunt.
    ├── TooLarge        Raised when a frame, a batch or a body is over its limit.
    ├── NotFound        Raised when a route, a player or a page does not exist.

:func:`wire_error` turns *any* exception (these, the domain's ``Rejected``, the runtime's
``Overloaded``/``ActorCrashed``/..., the store's ``HuntNotFound``/...) into a
:class:`WireError`: the code, message and HTTP status the client sees. Nothing else in the
API decides error codes, and unexpected exceptions become ``internal`` (logged, never leaked).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from actors import ActivationFailed, ActorCrashed, ActorStopped, Overloaded, RequestTimeout

from ..domain import DefinitionError, Rejected
from ..engine import CorruptStore, HuntExists, HuntNotFound, InvalidHuntId, InvalidImport, StoreLocked, WriteFailed

__all__ = [
    "ERROR_CODES",
    "UNAVAILABLE_RETRY_MS",
    "ApiError",
    "BadRequest",
    "NotFound",
    "NotJoined",
    "RetryLater",
    "TooLarge",
    "Unauthorized",
    "UnknownOp",
    "WireError",
    "wire_error",
]

log = logging.getLogger("hunt.api")

# How long a client should wait after `unavailable` (the hunt's actor crashed and is restarting
# from disk, timed out, or the server is stopping): a restart takes at most a few backoff steps.
UNAVAILABLE_RETRY_MS = 1000

# Every code the API can emit -> (HTTP status, when it happens). docs/protocol.md lists them all.
ERROR_CODES: dict[str, tuple[int, str]] = {
    "bad_request": (400, "malformed JSON, a missing field or a field of the wrong type"),
    "unknown_op": (400, "the frame's op is not one the server knows"),
    "unauthorized": (401, "missing, malformed, forged or foreign token; or joining a team that exists "
                          "without its team code"),
    "not_joined": (409, "a player command before join or hello on this connection"),
    "unknown_hunt": (404, "no hunt with this id (or an id that is not a valid hunt id)"),
    "unknown_player": (404, "no player with this id in the hunt"),
    "unknown_clue": (404, "no clue with this id in the hunt"),
    "not_found": (404, "no such route or page"),
    "method_not_allowed": (405, "the route exists but not with this HTTP method"),
    "locked": (409, "the clue opens after others are found"),
    "wrong_kind": (409, "the clue is of another kind (answer, geo or code)"),
    "already_found": (409, "a hint for a clue that is already found"),
    "no_more_hints": (409, "every hint of the clue is already taken"),
    "hunt_not_active": (409, "the hunt is pending, paused or ended"),
    "banned": (403, "the player is banned from the hunt"),
    "team_full": (409, "the team already has the hunt's team_size players"),
    "invalid_state": (409, "an admin command that does not fit the hunt's status"),
    "hunt_exists": (409, "a hunt with this id already exists"),
    "rate_limited": (429, "too many wrong attempts on a clue; retry after retry_after_ms"),
    "too_large": (413, "a frame, batch or body over its limit"),
    "overloaded": (503, "the hunt's mailbox is full, or this client sent a command before the wait it was "
                        "told was over; retry after retry_after_ms"),
    "unavailable": (503, "the hunt is restarting, its disk failed, its file is unreadable, or the server is "
                         "stopping; retry after retry_after_ms"),
    "internal": (500, "an unexpected server error (logged; details are not sent)"),
}


class ApiError(Exception):
    """Raised when a request is refused at the API edge; carries a wire code."""

    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.request_id = request_id


class BadRequest(ApiError):
    """Raised when JSON is malformed or a field is missing or of the wrong type."""

    code = "bad_request"


class UnknownOp(ApiError):
    """Raised when a frame names an op the server does not know."""

    code = "unknown_op"


class NotJoined(ApiError):
    """Raised when a player command arrives before ``join`` or ``hello``."""

    code = "not_joined"


class Unauthorized(ApiError):
    """Raised when a token is missing, malformed, forged or for another hunt."""

    code = "unauthorized"


class TooLarge(ApiError):
    """Raised when a frame, a batch or a body is over its limit."""

    code = "too_large"


class NotFound(ApiError):
    """Raised when a route, a player or a page does not exist."""

    code = "not_found"


class RetryLater(ApiError):
    """Raised when a client sends a command before the wait it was told (retry_after_ms) is over."""

    code = "overloaded"

    def __init__(self, retry_after_ms: int) -> None:
        super().__init__("still overloaded: wait retry_after_ms before the next command")
        self.retry_after_ms = retry_after_ms


@dataclass(frozen=True, slots=True)
class WireError:
    """An error as the client sees it."""

    code: str
    message: str
    retry_after_ms: int | None = None

    @property
    def status(self) -> int:
        return ERROR_CODES.get(self.code, (409, ""))[0]

    def to_dict(self) -> dict[str, Any]:
        """The HTTP form: ``{"error": code, "message": ..., "retry_after_ms"?: ...}``."""
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.retry_after_ms is not None:
            body["retry_after_ms"] = self.retry_after_ms
        return body

    def frame(self, request_id: Any = None) -> dict[str, Any]:
        """The websocket form: ``{"op": "error", "id"?: .., "code": .., "message": .., ...}``."""
        frame: dict[str, Any] = {"op": "error"}
        if request_id is not None:
            frame["id"] = request_id
        frame["code"] = self.code
        frame["message"] = self.message
        if self.retry_after_ms is not None:
            frame["retry_after_ms"] = self.retry_after_ms
        return frame


def wire_error(error: BaseException) -> WireError:
    """The wire error for any exception. Unexpected ones are logged and become ``internal``."""
    match error:
        case RetryLater(message=message, retry_after_ms=retry):
            return WireError("overloaded", message, retry)
        case ApiError(code=code, message=message):
            return WireError(code, message)
        case Rejected(code=code, message=message, retry_after_ms=retry):
            if code == "internal":
                return WireError("internal", "internal error")
            return WireError(code, message, retry)
        case Overloaded(retry_after_ms=retry):
            return WireError("overloaded", "the hunt is busy; retry later", retry)
        case CorruptStore() | ActivationFailed(__cause__=CorruptStore()):
            log.error("hunt file cannot be read: %s", error)
            return WireError("unavailable", "the hunt's file cannot be read (corrupt); it must be restored",
                             UNAVAILABLE_RETRY_MS)
        case ActorCrashed() | RequestTimeout() | ActorStopped() | ActivationFailed() | StoreLocked() | WriteFailed():
            log.warning("hunt unavailable: %r", error)
            return WireError("unavailable", "the hunt is unavailable right now; retry later", UNAVAILABLE_RETRY_MS)
        case HuntNotFound() | InvalidHuntId():
            return WireError("unknown_hunt", "no such hunt")
        case HuntExists():
            return WireError("hunt_exists", str(error))
        case DefinitionError() | InvalidImport():
            return WireError("bad_request", str(error))
        case RequestEntityTooLarge():
            return WireError("too_large", "the request body is too large")
        case HTTPException(code=405):
            return WireError("method_not_allowed", "method not allowed")
        case HTTPException(code=404):
            return WireError("not_found", "not found")
        case HTTPException(code=status) if status is not None and status < 500:
            return WireError("bad_request", error.description or "bad request")
    log.error("unexpected error", exc_info=error)
    return WireError("internal", "internal error")
