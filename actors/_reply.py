"""One-shot replies: every message carries exactly one, and it is settled exactly once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import trio

log = logging.getLogger("actors")

__all__ = ["CallbackReply", "Reply", "ReplySlot"]


class ReplySlot:
    """What an actor settles: ``set(value)`` or ``fail(error)``, once; later calls are ignored."""

    __slots__ = ("settled",)

    def __init__(self) -> None:
        self.settled = False

    def set(self, value: Any) -> None:
        if not self.settled:
            self.settled = True
            self._deliver(value, None)

    def fail(self, error: BaseException) -> None:
        if not self.settled:
            self.settled = True
            self._deliver(None, error)

    # Subclasses define ``_deliver(value, error)``: hand the outcome to whoever waits for it.
    # (Not an ABC: instantiating an ABC costs microseconds, and one reply is made per message.)
    _deliver: Callable[[Any, BaseException | None], None]


class Reply(ReplySlot):
    """A reply a task can wait for with :meth:`wait`."""

    __slots__ = ("_error", "_event", "_value")

    def __init__(self) -> None:
        super().__init__()
        self._event = trio.Event()
        self._value: Any = None
        self._error: BaseException | None = None

    def _deliver(self, value: Any, error: BaseException | None) -> None:
        self._value, self._error = value, error
        self._event.set()

    async def wait(self) -> Any:
        """Block until settled; return the value or raise the error it was failed with."""
        await self._event.wait()
        if self._error is not None:
            raise self._error
        return self._value


class CallbackReply(ReplySlot):
    """A reply delivered by calling ``callback(value, error)`` on the actor's task.

    Cheaper than :class:`Reply` when the sender does not need to wait (load generators).
    The callback must not block; if it raises, the error is logged and swallowed, so one
    faulty caller cannot take down the actor (or the router) that delivers to it.
    """

    __slots__ = ("_callback",)

    def __init__(self, callback: Callable[[Any, BaseException | None], None]) -> None:
        super().__init__()
        self._callback = callback

    def _deliver(self, value: Any, error: BaseException | None) -> None:
        try:
            self._callback(value, error)
        except Exception:
            log.exception("a reply callback raised; the error is dropped here, not in the actor")
