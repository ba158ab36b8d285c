"""What an actor is: a key, a bounded mailbox, a behaviour, and the counters around them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import trio

from ._reply import ReplySlot

__all__ = ["ActorStatistics", "Behaviour", "Envelope", "Factory"]


@dataclass(slots=True)
class Envelope:
    """A message in a mailbox, with the reply the actor must settle and when it was queued."""

    message: Any
    reply: ReplySlot
    enqueued_at: float


class Behaviour(Protocol):
    """The code an actor runs. One behaviour object lives for one incarnation of the actor."""

    async def handle(self, batch: Sequence[Envelope]) -> None:
        """Process a batch of envelopes in order; settle every reply, now or later.

        A behaviour may return with replies still unsettled (work in flight, a pipelined commit
        say) as long as it settles them by the end of its next ``handle`` or ``flush``. Raising
        fails every reply still unsettled, of this batch and of earlier ones, with ActorCrashed;
        the runtime then closes this behaviour (``clean=False``) and starts a new one.
        """

    async def flush(self) -> None:
        """Finish the work in flight and settle every reply handed to ``handle`` so far.

        The runtime calls it whenever the mailbox is empty (and before a clean stop); raising
        is a crash, as from ``handle``. Optional: a behaviour that settles every reply inside
        ``handle`` needs none. Replies still unsettled after it returns fail with ActorError.
        """

    def can_passivate(self) -> bool:
        """Whether the actor may be unloaded now that it has been idle for a while."""

    async def aclose(self, *, clean: bool) -> None:
        """Release resources. ``clean`` is False after a crash: persist nothing tentative.

        Runs shielded from cancellation but is abandoned after the router's stop timeout.
        The next incarnation of the same key is only created once this has returned.
        """


Factory = Callable[[str], Awaitable[Behaviour]]


@dataclass(frozen=True, slots=True)
class ActorStatistics:
    """A snapshot of one actor's counters (see :meth:`Router.statistics`)."""

    key: str
    state: str
    mailbox_depth: int
    mailbox_capacity: int
    messages: int
    batches: int
    largest_batch: int
    last_batch: int
    queue_wait_s: float
    handler_s: float
    restarts: int
    overloaded: int


class _Cell:
    """One incarnation of an actor as the router sees it: mailbox, state and counters."""

    def __init__(self, key: str, capacity: int) -> None:
        self.key = key
        self.capacity = capacity
        self.send_channel, self.receive_channel = trio.open_memory_channel[Envelope](capacity)
        self.finished = trio.Event()
        self.state = "starting"
        self.messages = 0
        self.batches = 0
        self.largest_batch = 0
        self.last_batch = 0
        self.queue_wait_s = 0.0
        self.handler_s = 0.0
        self.restarts = 0
        self.overloaded = 0
        # Exponentially weighted handler time per message, for retry_after_ms estimates.
        self.seconds_per_message = 0.0

    @property
    def depth(self) -> int:
        return self.send_channel.statistics().current_buffer_used

    def record_batch(self, size: int, waited: float, took: float) -> None:
        self.messages += size
        self.batches += 1
        self.last_batch = size
        self.largest_batch = max(self.largest_batch, size)
        self.queue_wait_s += waited
        self.handler_s += took
        per_message = took / size
        self.seconds_per_message = 0.8 * self.seconds_per_message + 0.2 * per_message

    def retry_after_ms(self, floor_ms: int) -> int:
        estimate = int(self.depth * self.seconds_per_message * 1000)
        return max(floor_ms, min(estimate, 5000), 1)

    def statistics(self) -> ActorStatistics:
        return ActorStatistics(
            key=self.key,
            state=self.state,
            mailbox_depth=self.depth,
            mailbox_capacity=self.capacity,
            messages=self.messages,
            batches=self.batches,
            largest_batch=self.largest_batch,
            last_batch=self.last_batch,
            queue_wait_s=self.queue_wait_s,
            handler_s=self.handler_s,
            restarts=self.restarts,
            overloaded=self.overloaded,
        )
