"""A connection's replies in the order of its frames, and its window of unanswered commands.

Each frame the reader takes gets a :class:`Slot` at the back of the :class:`Replies`
queue: settled at once (an error, a welcome) or when the hunt's actor answers (the engine
calls :meth:`Slot.settle` on the actor's task). The writer sends settled slots from the
front, so replies leave in the order their frames came, whatever order they settle in.

A slot counts its commands (a batch its items) until its reply is handed to the socket:
while ``window`` are unanswered, or ``outbox_capacity`` replies wait to be written, the
reader reads nothing more (see :meth:`Replies.wait_room`). A client that does not read its
replies therefore stops being read, and one that pipelines waits in TCP, at no cost here.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

import trio

from actors import RequestTimeout

from ..protocol import frames
from ._shares import Held

__all__ = ["Render", "Replies", "Slot"]

# What a settled slot's frame is, given the engine's answer (results, or the error).
Render = Callable[[Any, BaseException | None], frames.Frame]


class Slot:
    __slots__ = ("_on_settled", "_render", "deadline", "error", "held", "settled", "text", "units", "value")

    def __init__(self, units: int, on_settled: Callable[[], None], render: Render | None = None) -> None:
        self.units = units
        self.text: str | None = None
        self.settled = False
        self.value: Any = None
        self.error: BaseException | None = None
        self.held: Held | None = None
        self.deadline = math.inf
        self._render = render
        self._on_settled = on_settled

    def settle(self, value: Any, error: BaseException | None) -> None:
        """The engine's answer (the first one counts). Does not block: safe on the actor's task."""
        if self.settled:
            return
        self.settled = True
        self.value, self.error = value, error
        if self.held is not None:
            self.held.release()
        self._on_settled()

    def answer(self, frame: frames.Frame) -> None:
        """Settle with a reply known now (the engine will not answer: it refused or never got it)."""
        self.text = frames.text(frame)
        self.settle(None, None)

    def render(self) -> str:
        if self.text is None:
            assert self._render is not None
            self.text = frames.text(self._render(self.value, self.error))
        return self.text


class Replies:
    """The ordered replies of one connection; ``kick`` wakes its writer."""

    def __init__(self, window: int, capacity: int, request_timeout_s: float, kick: Callable[[], None]) -> None:
        self.window = window
        self.capacity = capacity
        self.request_timeout_s = request_timeout_s
        self.unanswered = 0  # commands in the queue (a batch counts its items)
        self._slots: deque[Slot] = deque()
        self._kick = kick
        self._freed = trio.Event()

    def __len__(self) -> int:
        return len(self._slots)

    def has_room(self) -> bool:
        return self.unanswered < self.window and len(self._slots) < self.capacity

    async def wait_room(self, timeout_s: float) -> bool:
        """Wait until another frame may be read; False if nothing was sent for ``timeout_s``."""
        return await self._wait(self.has_room, timeout_s)

    async def wait_empty(self, timeout_s: float) -> bool:
        """Wait until every reply so far is sent; False if nothing was sent for ``timeout_s``."""
        return await self._wait(lambda: not self._slots, timeout_s)

    async def _wait(self, done: Callable[[], bool], timeout_s: float) -> bool:
        while not done():
            self._freed = trio.Event()
            with trio.move_on_after(timeout_s):
                await self._freed.wait()
                continue
            return False
        return True

    def ready(self, frame: frames.Frame, units: int = 1) -> None:
        """A reply known now; it leaves after the replies queued before it."""
        slot = Slot(units, self._kick)
        slot.settled = True
        slot.text = frames.text(frame)
        self._push(slot)

    def pending(self, units: int, render: Render, held: Held) -> Slot:
        """A reply the engine will settle within the request timeout (else: ``unavailable``)."""
        slot = Slot(units, self._kick, render)
        slot.held = held
        slot.deadline = trio.current_time() + self.request_timeout_s
        self._push(slot)
        return slot

    def _push(self, slot: Slot) -> None:
        self._slots.append(slot)
        self.unanswered += slot.units
        if slot.settled and len(self._slots) == 1:
            self._kick()

    def next_text(self) -> str | None:
        """The front reply's text if it is settled (a front reply past its deadline becomes
        ``unavailable``), else None. Call :meth:`sent` once it is written."""
        if not self._slots:
            return None
        front = self._slots[0]
        if not front.settled:
            if trio.current_time() < front.deadline:
                return None
            front.settle(None, RequestTimeout(f"no durable ack within {self.request_timeout_s} s"))
        return front.render()

    def sent(self) -> None:
        slot = self._slots.popleft()
        self.unanswered -= slot.units
        self._freed.set()

    def next_deadline(self) -> float:
        """When the front reply times out (trio time), or inf."""
        if self._slots and not self._slots[0].settled:
            return self._slots[0].deadline
        return math.inf
