"""The gateway side of ``--workers N``: the engine the API sees, with the hunts owned elsewhere.

:class:`GatewayEngine` answers everything the API asks of an :class:`~hunt.engine.Engine`:

- writes (``submit``) go to the hunt's owner through a :class:`~._forward.Forwarder`, in
  batches, and return once durable, as in one process;
- live reads (``state``, ``hub``) come from a :class:`~._replica.Replica` of the hunt that
  the owner's pushes keep up to date; after an ack the replica holds the acked seq;
- history (events, export, time travel, feed from disk, verify) is read from the hunt file
  through read-only connections, exactly as the engine does;
- creating or importing a hunt writes its new file here (nobody owns it yet); its owner finds
  it on the first command;
- its router is an :class:`OwnerView`: the owners' actor statistics, fetched every
  ``workers.stats_interval_s`` (``statistics()``, so admin pages and ``/metrics``, show them
  that fresh), and the gateway's subscribers per hunt reported back, so the owner keeps a
  hunt loaded while players follow it here.

Which owner holds a hunt is the :class:`Placement`'s answer, the seam where a lease-based
placement can replace today's hash of the hunt id over the owners.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from hashlib import blake2b
from typing import Any, Protocol

import trio

from actors import RequestTimeout, RouterStatistics

from ..config import Config
from ..domain import Command, HuntState
from ..engine import Ack, Engine, Result, wall_clock_ms
from ._bus import Bus, BusTimeout
from ._forward import Forwarder
from ._replica import Replica
from ._wire import Subjects, WireFailure, decode_statistics, encode_subscribers

__all__ = ["GatewayEngine", "HashPlacement", "OwnerOnly", "OwnerView", "Placement", "open_gateway_engine"]

log = logging.getLogger("hunt.cluster.gateway")

JANITOR_EVERY_S = 5.0


class Placement(Protocol):
    """Where a hunt's actor lives."""

    @property
    def owners(self) -> Sequence[str]: ...

    def owner_of(self, hunt_id: str) -> str: ...


class HashPlacement:
    """A hunt belongs to one of a fixed list of owners, by a hash of its id."""

    def __init__(self, owners: Sequence[str]) -> None:
        if not owners:
            raise ValueError("at least one owner")
        self.owners = tuple(owners)

    def owner_of(self, hunt_id: str) -> str:
        digest = blake2b(hunt_id.encode(), digest_size=8).digest()
        return self.owners[int.from_bytes(digest, "big") % len(self.owners)]


class OwnerView:
    """The owners' router statistics as last fetched (stands in for the engine's router)."""

    def __init__(self, name: str, subscribers: Callable[[], dict[str, int]]) -> None:
        self.name = name
        self._subscribers = subscribers
        self._statistics = RouterStatistics(0, 0, 0, 0, 0, ())
        self.fetched = 0

    def statistics(self) -> RouterStatistics:
        return self._statistics

    def is_active(self, key: str) -> bool:
        return any(actor.key == key for actor in self._statistics.actors)

    def active_keys(self) -> list[str]:
        return [actor.key for actor in self._statistics.actors]

    async def run(self, bus: Bus, subjects: Subjects, placement: Placement, interval_s: float) -> None:
        while True:
            await self.refresh(bus, subjects, placement.owners, interval_s)  # read each round: nodes come and go
            await trio.sleep(interval_s)

    async def refresh(self, bus: Bus, subjects: Subjects, owners: Sequence[str], timeout_s: float) -> None:
        """Tell the owners how many connections follow each hunt here; take their statistics."""
        parts = []
        report = encode_subscribers(self.name, self._subscribers())
        for owner in owners:
            try:
                parts.append(decode_statistics(await bus.request(subjects.control(owner), report, timeout_s * 4)))
            except (BusTimeout, WireFailure) as err:
                log.debug("statistics of owner %s: %s", owner, err)
                return  # keep the last complete view
        self._statistics = RouterStatistics(
            *(sum(getattr(part, name) for part in parts)
              for name in ("activations", "passivations", "restarts", "gave_up", "overloaded")),
            actors=tuple(actor for part in parts for actor in part.actors))
        self.fetched += 1


class OwnerOnly(RuntimeError):
    """Raised when a gateway is asked for what only the hunt's owner can do."""


class GatewayEngine(Engine):
    """An engine whose hunts are owned by other processes. Create it with :func:`open_gateway_engine`."""

    def __init__(self, config: Config, clock: Callable[[], int], bus: Bus, placement: Placement,
                 nursery: trio.Nursery) -> None:
        super().__init__(config, clock)
        self.bus = bus
        self.placement = placement
        self.subjects = Subjects(config.workers.subject_prefix)
        self._router = OwnerView(bus.name, self._subscribers)  # type: ignore[assignment]  # read as the router
        self._nursery = nursery
        self._forwarders: dict[str, Forwarder] = {}
        self._replicas: dict[str, Replica] = {}

    def exists(self, hunt_id: str) -> bool:
        return self.discover(hunt_id)

    def require(self, hunt_id: str) -> None:
        if not self.discover(hunt_id):
            super().require(hunt_id)  # raises InvalidHuntId or HuntNotFound

    def forwarder(self, hunt_id: str) -> Forwarder:
        forwarder = self._forwarders.get(hunt_id)
        if forwarder is None:
            self.require(hunt_id)
        subject = self.subjects.commands(self.placement.owner_of(hunt_id), hunt_id)
        if forwarder is None:
            forwarder = self._forwarders[hunt_id] = Forwarder(self.config, self.bus, subject, hunt_id, self._nursery)
        elif forwarder.subject != subject:  # the hunt moved to another owner (cluster mode)
            forwarder.subject = subject
        return forwarder

    def replica(self, hunt_id: str) -> Replica:
        replica = self._replicas.get(hunt_id)
        if replica is None:
            workers = self.config.workers
            replica = self._replicas[hunt_id] = Replica(
                self._hub(hunt_id), self.bus, self.subjects.push(hunt_id), workers.push_buffer,
                workers.catch_up_ms / 1000, load=lambda: self._peek(hunt_id),
                read_after=lambda seq: self.read_events(hunt_id, after=seq))
        return replica

    async def submit(self, hunt_id: str, commands: Sequence[Command]) -> list[Result]:
        """As :meth:`Engine.submit`, through the hunt's owner; the replica holds the results' seqs."""
        forwarder = self.forwarder(hunt_id)
        return await self._outcome(hunt_id, forwarder, forwarder.enqueue(commands), len(commands))

    async def send(self, hunt_id: str, commands: Sequence[Command],
                   callback: Callable[[Any, BaseException | None], None]) -> None:
        """As :meth:`Engine.send`: queued at once (Overloaded when the hunt's forward queue is
        full); ``callback(results, error)`` runs on a gateway task once they are durable and the
        replica holds them."""
        self.submit_nowait(hunt_id, commands, callback)

    def submit_nowait(self, hunt_id: str, commands: Sequence[Command],
                      callback: Callable[[Any, BaseException | None], None]) -> None:
        """As :meth:`Engine.submit_nowait`: raises Overloaded at once when the queue is full."""
        forwarder = self.forwarder(hunt_id)
        self._settle_later(hunt_id, forwarder, forwarder.enqueue(commands), len(commands), callback)

    def _settle_later(self, hunt_id: str, forwarder: Forwarder, slot: Any, count: int,
                      callback: Callable[[Any, BaseException | None], None]) -> None:
        async def settle() -> None:
            try:
                results = await self._outcome(hunt_id, forwarder, slot, count)
            except Exception as err:
                callback(None, err)
            else:
                callback(results, None)

        self._nursery.start_soon(settle)

    async def _outcome(self, hunt_id: str, forwarder: Forwarder, slot: Any, count: int) -> list[Result]:
        """The results of a queued slot once the replica holds them; raises the batch's error."""
        started = trio.current_time()
        try:
            results = await forwarder.wait(slot)
        except RequestTimeout:
            self.commands.refused("timeout", count)
            raise
        top = max((result.seq for result in results if isinstance(result, Ack)), default=0)
        if top:
            await self.replica(hunt_id).reach(top, self._nursery)
        self.commands.settled(results, trio.current_time() - started)  # as the gateway's clients wait
        return results

    async def state(self, hunt_id: str, *, min_seq: int = 0) -> HuntState:
        """The replica's state; with ``min_seq`` (a seq a client saw through another gateway),
        once the replica holds it: from the bus, or after ``workers.catch_up_ms`` from the log."""
        self.require(hunt_id)
        replica = self.replica(hunt_id)
        if min_seq > 0:
            await replica.reach(min_seq, self._nursery)
        return await replica.state(self._nursery)

    async def unload(self, hunt_id: str) -> None:
        raise OwnerOnly("unloading a hunt's actor is the owner's (hunt serve's own process) to do")

    async def wait_unloaded(self, hunt_id: str) -> None:
        raise OwnerOnly("a hunt's actor runs in the owner, not in a gateway")

    async def save_relay_cursor(self, hunt_id: str, seq: int) -> bool:
        raise OwnerOnly("the relay runs beside the owner, which writes its cursors")

    def _subscribers(self) -> dict[str, int]:
        return {hunt_id: replica.hub.subscribers for hunt_id, replica in self._replicas.items()
                if replica.hub.subscribers}

    async def summaries(self) -> list[Any]:
        await self._refresh_view()  # which hunts are active comes from the owners: ask them now
        return await super().summaries()

    async def verify(self, hunt_id: str) -> dict[str, Any]:
        """As :meth:`Engine.verify`; the live state compared is this gateway's replica."""
        await self._refresh_view()
        return await super().verify(hunt_id)

    async def _refresh_view(self) -> None:
        view: OwnerView = self._router  # type: ignore[assignment]
        await view.refresh(self.bus, self.subjects, self.placement.owners, self.config.workers.stats_interval_s)

    async def unload_idle(self, idle_s: float) -> int:
        """Drop the replicas nobody used for ``idle_s`` and no connection follows; how many."""
        now, dropped = trio.current_time(), 0
        for hunt_id, replica in list(self._replicas.items()):
            if replica.loaded and replica.hub.subscribers == 0 and now - replica.last_used > idle_s:
                await replica.unload()
                dropped += 1
                log.info("replica of %s unloaded (idle)", hunt_id)
        for hunt_id, forwarder in list(self._forwarders.items()):
            if forwarder.queued == 0 and forwarder.inflight == 0:
                del self._forwarders[hunt_id]
        return dropped

    async def _janitor(self) -> None:
        while True:
            await trio.sleep(JANITOR_EVERY_S)
            await self.unload_idle(self.config.engine.idle_passivate_s)


@asynccontextmanager
async def open_gateway_engine(config: Config, bus: Bus, placement: Placement, *,
                              clock: Callable[[], int] = wall_clock_ms) -> AsyncIterator[GatewayEngine]:
    """A gateway engine for the block: fetches the owners' statistics once before it yields."""
    config.data_path.mkdir(parents=True, exist_ok=True)
    async with trio.open_nursery() as nursery:
        engine = GatewayEngine(config, clock, bus, placement, nursery)
        view: OwnerView = engine._router  # type: ignore[assignment]
        interval = config.workers.stats_interval_s
        await view.refresh(bus, engine.subjects, placement.owners, interval)
        nursery.start_soon(view.run, bus, engine.subjects, placement, interval)
        nursery.start_soon(engine._janitor)
        try:
            yield engine
        finally:
            nursery.cancel_scope.cancel()
