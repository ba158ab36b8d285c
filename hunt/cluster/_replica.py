"""A gateway's copy of one hunt: the owner's durable records applied to a state of its own.

The owner publishes each durable batch once (``P.push.<hunt>``); every gateway serving the
hunt applies the records to its replica with the same pure ``HuntState.apply`` the owner ran,
and publishes them to the replica's hub, so the websocket code reads
its seq, feed, leaderboard and status exactly as in one process. Replaying is deterministic,
so the replica equals the owner's state at the same seq.

Core NATS may lose a message, and a replica whose buffer (``workers.push_buffer`` messages) is
full drops the next one: either way the replica reads what it missed from the hunt's log
(read-only; it is durable before it is published) instead of skipping it. After an ack the
gateway waits for the replica to hold that seq (:meth:`Replica.reach`), reading the log after
``workers.catch_up_ms``, so a client that reconnects right after an ack reads its own write.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import trio

from actors import ActorStopped

from ..domain import HuntState, Recorded
from ._bus import Bus
from ._wire import WireFailure, decode_records

if TYPE_CHECKING:  # the gateway engine's own hubs (it is an Engine), not part of the engine's API
    from ..engine._hub import HuntHub

__all__ = ["Replica"]

log = logging.getLogger("hunt.cluster.replica")

ReadAfter = Callable[[int], Awaitable[list[Recorded]]]


class Replica:
    """One hunt's replica on a gateway. :meth:`state` loads it on first use."""

    def __init__(self, hub: HuntHub, bus: Bus, subject: str, buffer: int, catch_up_s: float,
                 load: Callable[[], Awaitable[HuntState | None]], read_after: ReadAfter) -> None:
        self.hub = hub
        self.bus = bus
        self.subject = subject
        self.catch_up_s = catch_up_s
        self._load_state = load
        self._read_after = read_after
        self._send, self._receive = trio.open_memory_channel[bytes](buffer)
        self._lost = False  # a push did not fit (or did not follow): read the log
        self._loading = trio.Lock()
        self._subscription: Any = None
        self._scope: trio.CancelScope | None = None
        self.last_used = trio.current_time()
        self.caught_up = 0  # times the log was read for records the bus did not bring

    @property
    def loaded(self) -> bool:
        return self.hub.state is not None

    async def state(self, nursery: trio.Nursery) -> HuntState:
        """The replica's state (settled: read it before your next await)."""
        self.last_used = trio.current_time()
        state = self.hub.state
        if state is None:
            async with self._loading:
                if self.hub.state is None:
                    await self._load(nursery)
            state = self.hub.state
            assert state is not None
        return state

    async def _load(self, nursery: trio.Nursery) -> None:
        # Subscribe first, then read the file: a batch committed in between is in both, and
        # the seq check applies it once.
        if self._subscription is None:
            self._subscription = await self.bus.subscribe(self.subject, self._on_push)
            await self.bus.flush()
        state = await self._load_state()
        if state is None:
            raise WireFailure(f"hunt {self.hub.hunt_id!r} has an empty log")
        self.hub.attach(state)
        self._scope = await nursery.start(self._apply_loop)

    async def unload(self) -> None:
        """Stop following the hunt (no connection uses it); :meth:`state` loads it again."""
        if self._scope is not None:
            self._scope.cancel()
            self._scope = None
        if self._subscription is not None:
            subscription, self._subscription = self._subscription, None
            await self.bus.unsubscribe(subscription)
        while True:
            try:
                self._receive.receive_nowait()
            except trio.WouldBlock:
                break
        self.hub.detach()

    async def reach(self, seq: int, nursery: trio.Nursery) -> None:
        """Return once the replica holds ``seq``: from the bus, or else from the log."""
        await self.state(nursery)
        if self.hub.seq >= seq:
            return
        with trio.move_on_after(self.catch_up_s):
            await self.hub.wait_beyond(seq - 1)
            return
        await self._catch_up()

    def _on_push(self, _subject: str, data: bytes, _reply: str) -> None:
        try:
            self._send.send_nowait(data)
        except trio.WouldBlock:
            self._lost = True  # the loop reads the log once it gets here

    async def _apply_loop(self, *, task_status: trio.TaskStatus[trio.CancelScope] = trio.TASK_STATUS_IGNORED) -> None:
        with trio.CancelScope() as scope:
            task_status.started(scope)
            async for data in self._receive:
                try:
                    await self._take(data)
                except ActorStopped as err:  # cluster mode: the hunt is moving; the next push reads again
                    log.debug("hunt %s: replica update waits: %r", self.hub.hunt_id, err)
                    self._lost = True
                except Exception as err:  # e.g. the log could not be read: try again with the next push
                    log.error("hunt %s: replica update failed: %r", self.hub.hunt_id, err)
                    self._lost = True

    async def _take(self, data: bytes) -> None:
        if self._lost:
            self._lost = False
            await self._catch_up()
        try:
            records = decode_records(data)
        except WireFailure as err:
            log.error("hunt %s: %s; reading the log instead", self.hub.hunt_id, err)
            await self._catch_up()
            return
        if records and records[0].seq > self.hub.seq + 1:
            await self._catch_up()  # a message went missing on the way
        self._apply(records)

    async def _catch_up(self) -> None:
        self.caught_up += 1
        self._apply(await self._read_after(self.hub.seq))

    def _apply(self, records: list[Recorded]) -> None:
        state = self.hub.state
        if state is None:
            return
        fresh = [record for record in records if record.seq > state.seq]
        if not fresh:
            return
        if fresh[0].seq != state.seq + 1:  # cannot happen after a catch-up; never apply a gap
            log.error("hunt %s: records from %d after %d; reading the log", self.hub.hunt_id, fresh[0].seq,
                      state.seq)
            self._lost = True
            return
        for record in fresh:
            state.apply(record)
        self.hub.end_commit(fresh, fresh[-1].seq, settled=True)  # a replica holds only durable records
