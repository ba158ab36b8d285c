"""The exceptions of the relay and the consumer.

    RelayError
    ├── BrokerUnavailable   Raised when the broker cannot be reached, times out or drops the connection.
    ├── BrokerRejected      Raised when the broker refuses a publish or a request for a reason we cannot fix.
    └── StreamMismatch      Raised when the stream exists but is not ours (other subjects, foreign messages).

The relay and the consumer catch every one of them, back off and start a new session: none of
them stops the relay, and none of them ever reaches a player.
"""

from __future__ import annotations

__all__ = ["BrokerRejected", "BrokerUnavailable", "RelayError", "StreamMismatch"]


class RelayError(Exception):
    """Raised when the relay or the consumer cannot do its work with the broker."""


class BrokerUnavailable(RelayError):
    """Raised when the broker cannot be reached, times out or drops the connection."""


class BrokerRejected(RelayError):
    """Raised when the broker refuses a publish or a request for a reason we cannot fix."""


class StreamMismatch(RelayError):
    """Raised when the stream exists but is not ours (other subjects, foreign messages)."""
