"""The exceptions of the actor runtime.

    ActorError
    ├── Overloaded        Raised when a mailbox stays full for the whole admission timeout.
    ├── ActorStopped      Raised when the actor stopped (or is stopping) before it replied.
    ├── ActorCrashed      Raised to requests in flight when the actor's handler failed.
    ├── ActivationFailed  Raised when an actor could not be started (its factory failed).
    └── RequestTimeout    Raised when no reply arrived within the request deadline.
"""

from __future__ import annotations

__all__ = [
    "ActivationFailed",
    "ActorCrashed",
    "ActorError",
    "ActorStopped",
    "Overloaded",
    "RequestTimeout",
]


class ActorError(Exception):
    """Raised when the runtime cannot deliver a message or its reply."""


class Overloaded(ActorError):
    """Raised when a mailbox stays full for the whole admission timeout."""

    def __init__(self, key: str, retry_after_ms: int) -> None:
        super().__init__(f"actor {key!r} is overloaded; retry after {retry_after_ms} ms")
        self.key = key
        self.retry_after_ms = retry_after_ms


class ActorStopped(ActorError):
    """Raised when the actor stopped (or is stopping) before it replied."""


class ActorCrashed(ActorError):
    """Raised to requests in flight when the actor's handler failed; it restarts from disk."""


class ActivationFailed(ActorError):
    """Raised when an actor could not be started (its factory raised)."""


class RequestTimeout(ActorError):
    """Raised when no reply arrived within the request deadline (the outcome is unknown)."""
