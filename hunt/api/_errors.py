"""The one mapping from exceptions to wire errors, and the API's own refusal.

    RequestError (hunt.protocol)  Raised when a request is refused at the edge.
    └── RetryLater                Raised when a client must wait: overloaded, or over a rate limit.

:func:`wire_error` turns *any* exception (the protocol's ``RequestError`` tree, the domain's
``Rejected``, the runtime's ``Overloaded``/``ActorCrashed``/..., the store's
``HuntNotFound``/...) into a :class:`~hunt.protocol.WireError`: the code, message and HTTP
status the client sees. Nothing else in the API decides error codes, and unexpected
exceptions become ``internal`` (logged, never leaked).
"""

from __future__ import annotations

import logging

from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from actors import ActivationFailed, ActorCrashed, ActorStopped, Overloaded, RequestTimeout

from ..domain import DefinitionError, Rejected
from ..engine import (
    CorruptStore,
    HuntExists,
    HuntNotFound,
    InvalidHuntId,
    InvalidImport,
    StoreLocked,
    TooLarge,
    WriteFailed,
)
from ..protocol import ErrorCode, RequestError, WireError

__all__ = ["UNAVAILABLE_RETRY_MS", "RetryLater", "wire_error"]

log = logging.getLogger("hunt.api")

# How long a client should wait after `unavailable` (the hunt's actor crashed and is restarting
# from disk, timed out, or the server is stopping): a restart takes at most a few backoff steps.
UNAVAILABLE_RETRY_MS = 1000


class RetryLater(RequestError):
    """Raised when a client must wait (retry_after_ms): it is overloaded or over a rate limit."""

    code = ErrorCode.OVERLOADED

    def __init__(self, retry_after_ms: int, *, code: ErrorCode = ErrorCode.OVERLOADED,
                 message: str = "still overloaded: wait retry_after_ms before the next command") -> None:
        super().__init__(message, code=code)
        self.retry_after_ms = retry_after_ms


def wire_error(error: BaseException) -> WireError:
    """The wire error for any exception. Unexpected ones are logged and become ``internal``."""
    match error:
        case RetryLater(code=code, message=message, retry_after_ms=retry):
            return WireError(code, message, retry)
        case RequestError(code=code, message=message):
            return WireError(code, message)
        case Rejected(code=code, message=message, retry_after_ms=retry):
            if code == "internal":
                return WireError(ErrorCode.INTERNAL, "internal error")
            return WireError(ErrorCode(code), message, retry)
        case Overloaded(retry_after_ms=retry):
            return WireError(ErrorCode.OVERLOADED, "the hunt is busy; retry later", retry)
        case CorruptStore() | ActivationFailed(__cause__=CorruptStore()):
            log.error("hunt file cannot be read: %s", error)
            return WireError(ErrorCode.UNAVAILABLE, "the hunt's file cannot be read (corrupt); it must be restored",
                             UNAVAILABLE_RETRY_MS)
        case ActorCrashed() | RequestTimeout() | ActorStopped() | ActivationFailed() | StoreLocked() | WriteFailed():
            log.warning("hunt unavailable: %r", error)
            return WireError(ErrorCode.UNAVAILABLE, "the hunt is unavailable right now; retry later",
                             UNAVAILABLE_RETRY_MS)
        case HuntNotFound() | InvalidHuntId():
            return WireError(ErrorCode.UNKNOWN_HUNT, "no such hunt")
        case HuntExists():
            return WireError(ErrorCode.HUNT_EXISTS, str(error))
        case DefinitionError() | InvalidImport():
            return WireError(ErrorCode.BAD_REQUEST, str(error))
        case TooLarge():
            return WireError(ErrorCode.TOO_LARGE, str(error))
        case RequestEntityTooLarge():
            return WireError(ErrorCode.TOO_LARGE, "the request body is too large")
        case HTTPException(code=405):
            return WireError(ErrorCode.METHOD_NOT_ALLOWED, "method not allowed")
        case HTTPException(code=404):
            return WireError(ErrorCode.NOT_FOUND, "not found")
        case HTTPException(code=status) if status is not None and status < 500:
            return WireError(ErrorCode.BAD_REQUEST, error.description or "bad request")
    log.error("unexpected error", exc_info=error)
    return WireError(ErrorCode.INTERNAL, "internal error")
