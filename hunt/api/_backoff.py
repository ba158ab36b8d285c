"""Overload, one connection at a time: ask a client that is refused to wait, then hold it to it.

The router refuses a command with ``overloaded`` and a ``retry_after_ms`` estimate when a
hunt's mailbox stays full. Over websockets that alone does not shed load: refusing a frame
costs the server about as much reading and writing as accepting one, so clients that resend
at once keep it just as busy. :class:`Backoff` adds, per connection:

- each refusal in a row asks for twice the wait of the one before (the router's estimate,
  then x2, x4 ... up to ``RETRY_AFTER_MAX_MS``); the first admitted command resets it;
- a command sent before that wait is over is refused at once, without parsing or engine
  work, with the time still to wait; past ``STRIKE_GRACE_S`` after the refusal (time for
  the frames already on their way when it was sent) each such command is a *strike*;
- ``overload_strikes`` strikes in a row and the connection is to be closed with 1013 (try
  again later): the one case where a whole connection is shed (docs/protocol.md, Overload).

A client that honours ``retry_after_ms`` never strikes, even one that pipelines.
"""

from __future__ import annotations

import math

from ..protocol import ErrorCode, WireError
from ._errors import RetryLater, wire_error

__all__ = ["RETRY_AFTER_MAX_MS", "STRIKE_GRACE_S", "Backoff"]

RETRY_AFTER_MAX_MS = 5000  # the longest wait an `overloaded` error asks for
STRIKE_GRACE_S = 0.25  # commands arriving this soon after a refusal were sent before it was seen


class Backoff:
    def __init__(self, strikes_allowed: int) -> None:
        self.strikes_allowed = strikes_allowed
        self.wait_until = -math.inf  # (trio time) commands before this are refused
        self.refused_at = -math.inf  # (trio time) of the last `overloaded` that set a wait
        self.refusals = 0  # `overloaded` answers since the last admitted command
        self.strikes = 0  # commands in a row sent before the wait they were told was over

    def admit(self, now: float) -> None:
        """Raise RetryLater if the client was told to wait until later than ``now``."""
        if now < self.wait_until:
            if now - self.refused_at >= STRIKE_GRACE_S:
                self.strikes += 1
            raise RetryLater(max(1, math.ceil((self.wait_until - now) * 1000)))
        self.strikes = 0

    @property
    def struck_out(self) -> bool:
        """True once the client sent ``strikes_allowed`` commands in a row while told to wait."""
        return self.strikes >= self.strikes_allowed

    def admitted(self) -> None:
        self.refusals = 0

    def refused(self, err: BaseException, now: float) -> WireError:
        """The wire error for a failed frame; a new ``overloaded`` doubles the wait."""
        error = wire_error(err)
        if error.code is not ErrorCode.OVERLOADED or error.retry_after_ms is None or isinstance(err, RetryLater):
            return error
        self.refusals += 1
        wait_ms = min(RETRY_AFTER_MAX_MS, error.retry_after_ms << min(self.refusals - 1, 16))
        self.wait_until = now + wait_ms / 1000
        self.refused_at = now
        return WireError(error.code, error.message, wait_ms)
