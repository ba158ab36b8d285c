"""Cluster mode: one node of several, each one process with its own engine and data dir.

A node is the ``--workers N`` owner and a gateway in one process, on a shared NATS cluster:

- its **engine** owns the hunts whose lease it holds (:class:`~._leases.Leases`), served to
  every node's gateway by :func:`~._owner.serve_owner` (commands, acks, pushes) and
  :func:`~._remote.serve_history` (history reads), both refusing a hunt it does not hold;
- its **gateway** is a :class:`ClusterEngine`, what the API sees: commands go to the hunt's
  owner (this node or another) through the same forwarders and replicas as ``--workers N``,
  history comes from the owner (:class:`~._remote.RemoteReader`), the hunts are the cluster's
  catalog, and a new hunt is created on the least-loaded node (``P.node.<node>`` request).

The log of record (``_log``, ``_logstores``) is under the engine: every committed batch is in
the hunt's subject of the replicated stream before it is acked, a node that gains a lease
catches the hunt's file up from the stream before it serves (``prepare``), and a node whose
append the stream refused (another node wrote the hunt since) drops the lease at once.

Use it as ``async with open_cluster_node(config) as node`` (the bus, the log, the engine and
the node): ``node.gateway`` is the engine to give the API; on exit the node hands every hunt
over (releases its leases after its actors drained) before the engine closes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, TypeVar

import orjson
import trio

from actors import ActorStopped

from ..config import Config
from ..domain import HuntDefinition, parse_definition
from ..engine import Engine, HuntExists, wall_clock_ms
from ..store import HuntStore
from ._bus import Bus, open_bus
from ._gateway import GatewayEngine, OwnerView
from ._leases import Leases
from ._logstores import LoggedHuntStores, open_logged_engine
from ._owner import serve_owner
from ._remote import HistoryClient, RemoteReader, serve_history
from ._wire import Subjects, decode_failure, encode_failure

__all__ = ["ClusterEngine", "ClusterNode", "LeasePlacement", "open_cluster_node", "open_node"]

log = logging.getLogger("hunt.cluster.node")

T = TypeVar("T")


class LeasePlacement:
    """A hunt's owner is the node holding its lease; the owners are the live nodes."""

    def __init__(self, leases: Leases) -> None:
        self.leases = leases

    @property
    def owners(self) -> Sequence[str]:
        return [node.name for node in self.leases.live_nodes()] or [self.leases.name]

    def owner_of(self, hunt_id: str) -> str:
        """Raises ActorStopped (``unavailable``: retry) while nobody serves the hunt."""
        owner = self.leases.owner_of(hunt_id)
        if owner is None:
            raise ActorStopped(f"hunt {hunt_id!r} is moving to another node; retry")
        return owner


class ClusterNode:
    """What a node holds: its engine, its leases, and how it creates a hunt here."""

    def __init__(self, config: Config, bus: Bus, engine: Engine, leases: Leases) -> None:
        self.config = config
        self.bus = bus
        self.engine = engine
        self.leases = leases
        self.name = leases.name
        self.gateway: ClusterEngine  # set by open_node

    async def create_here(self, document: Any) -> HuntDefinition:
        """Create a hunt on this node and serve it: the lease first (so no other node claims
        the new catalog entry), then the catalog (HuntExists if the id is taken), then the file."""
        definition = parse_definition(document, self.engine.rule_defaults)
        hunt_id = definition.id

        async def create(_hunt_id: str) -> bool:
            if not await self.leases.register(hunt_id):
                raise HuntExists(f"hunt {hunt_id!r} exists")
            try:
                await self.engine.create_hunt(document)
            except BaseException:
                with trio.CancelScope(shield=True):
                    await self.leases.unregister(hunt_id)
                raise
            return True

        await self.leases.claim(hunt_id, prepare=create, errors=True)
        return definition

    async def import_here(self, lines: Iterable[bytes], progress: Callable[[int], None] | None) -> str:
        """Import an export into this node's engine, then catalog and serve it here."""
        hunt_id = await self.engine.import_hunt(lines, progress=progress)
        if not await self.leases.register(hunt_id):
            raise HuntExists(f"hunt {hunt_id!r} exists elsewhere in the cluster; this node's copy is not served")
        await self.leases.claim(hunt_id)
        return hunt_id

    def on_create(self, nursery: trio.Nursery) -> Callable[[str, bytes, str], None]:
        async def handle(data: bytes, reply: str) -> None:
            try:
                definition = await self.create_here(orjson.loads(data)["d"])
                self.bus.publish(reply, b"=" + orjson.dumps({"id": definition.id}))
            except Exception as err:
                self.bus.publish(reply, encode_failure(err))

        def on_request(_subject: str, data: bytes, reply: str) -> None:
            if reply:
                nursery.start_soon(handle, data, reply)

        return on_request


class ClusterEngine(GatewayEngine):
    """The engine the API sees on a cluster node (see the module's docstring)."""

    def __init__(self, node: ClusterNode, clock: Callable[[], int], nursery: trio.Nursery) -> None:
        placement = LeasePlacement(node.leases)
        super().__init__(node.config, clock, node.bus, placement, nursery)
        self.node = node
        self.history = HistoryClient(node.config, node.bus, placement.owner_of)
        self._read_limiter = trio.CapacityLimiter(node.config.engine.read_threads)

    def discover(self, hunt_id: str) -> bool:
        return hunt_id in self.node.leases.catalog

    def hunt_ids(self) -> list[str]:
        return sorted(self.node.leases.catalog)

    async def _with_reader(self, hunt_id: str, work: Callable[[HuntStore], T]) -> T:
        reader: Any = RemoteReader(self.history, hunt_id)
        return await trio.to_thread.run_sync(lambda: work(reader), limiter=self._read_limiter)

    async def verify(self, hunt_id: str) -> dict[str, Any]:
        """As :meth:`Engine.verify`, run by the hunt's owner on its file and live state."""
        self.require(hunt_id)
        report: dict[str, Any] = orjson.loads(await self.history.ask(hunt_id, "verify", {}))
        return report

    async def create_hunt(self, document: Any) -> HuntDefinition:
        """Create the hunt on the least-loaded node. Raises DefinitionError, HuntExists."""
        definition = parse_definition(document, self.rule_defaults)  # a bad one costs no request
        if definition.id in self.node.leases.catalog:
            raise HuntExists(f"hunt {definition.id!r} exists")
        target = self.node.leases.least_loaded()
        if target == self.node.name:
            return await self.node.create_here(document)
        data = await self.history.request(Subjects(self.config.workers.subject_prefix).node(target),
                                           orjson.dumps({"d": document}))
        if data[:1] != b"=":
            raise decode_failure(data)
        await self._wait_owned(definition.id)
        return definition

    async def _wait_owned(self, hunt_id: str) -> None:
        """Until this node's view has the new hunt and its owner (the watchers are quick)."""
        leases = self.node.leases
        with trio.move_on_after(leases.lease_s):
            while hunt_id not in leases.catalog or leases.owner_of(hunt_id) is None:
                await leases.changed.wait()

    async def import_hunt(self, lines: Iterable[bytes], *, progress: Callable[[int], None] | None = None) -> str:
        """Import on this node (the body arrived here) and serve the hunt here."""
        return await self.node.import_here(lines, progress)

    def cluster_status(self) -> dict[str, Any]:
        leases = self.node.leases
        ages = leases.lease_ages()
        hunts_by_node: dict[str, list[str]] = {}
        hunts = []
        for hunt_id in sorted(leases.catalog):
            owner, age = ages.get(hunt_id, (None, None))
            if owner == self.node.name or hunt_id in leases.held:  # this node knows better than its view
                owner = self.node.name if leases.holds(hunt_id) else None
            hunts.append({"id": hunt_id, "owner": owner, "lease_age_s": None if age is None else round(age, 3)})
            if owner is not None:
                hunts_by_node.setdefault(owner, []).append(hunt_id)
        nodes = [{"name": node.name, "hunts": hunts_by_node.get(node.name, []), "load": node.hunts,
                  "events_per_s": node.events_per_s, "heartbeat_age_s": round(node.age_s, 3),
                  "self": node.name == self.node.name} for node in leases.live_nodes()]
        return {"node": self.node.name, "lease_s": leases.lease_s, "nodes": nodes, "hunts": hunts}


class _Rate:
    """Events per second committed by this node's engine, between two heartbeats."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.last = (trio.current_time(), self._events())

    def _events(self) -> int:
        return sum(hunt.seq or 0 for hunt in self.engine.statistics().hunts if hunt.active)

    def __call__(self) -> float:
        now, events = trio.current_time(), self._events()
        then, before = self.last
        self.last = (now, events)
        return max(events - before, 0) / max(now - then, 1e-3)


@asynccontextmanager
async def open_cluster_node(config: Config, *, clock: Callable[[], int] = wall_clock_ms,
                            ) -> AsyncIterator[ClusterNode]:
    """Node ``cluster.node`` on ``cluster.nats_url`` for the block: its bus, its log of record
    (under its engine's stores), its engine over its data dir, and the node."""
    name = config.cluster.node
    async with open_bus(config.cluster.nats_url, name) as bus, \
            open_logged_engine(config, name, clock=clock) as (engine, stores), \
            open_node(config, bus, engine, name, log=stores, clock=clock) as node:
        yield node


@asynccontextmanager
async def open_node(config: Config, bus: Bus, engine: Engine, name: str, *,
                    log: LoggedHuntStores | None = None,
                    clock: Callable[[], int] = wall_clock_ms) -> AsyncIterator[ClusterNode]:
    """Run node ``name`` for the block (see the module's docstring).

    With ``log`` (the engine's stores, over the log of record) a hunt whose lease this node
    just took is caught up from the stream before it serves, a hunt it loses is fenced (its
    next commit is refused), and a fenced hunt's lease is dropped. Without it (tests of the
    leases and forwarding alone) the node serves only the hunts its data dir has.
    """
    async def unload(hunt_id: str) -> None:
        if log is not None:
            log.fence(hunt_id)  # nothing more of this hunt commits here, even what is in its mailbox
        if engine.is_active(hunt_id):
            await engine.unload(hunt_id)

    async def catch_up(hunt_id: str) -> bool:
        ready = await log.prepare(hunt_id) if log is not None else True
        return ready and engine.discover(hunt_id)  # a file the catch-up built is this engine's now

    async with trio.open_nursery() as nursery:
        leases = Leases(config, bus, name, catch_up, unload, load=_Rate(engine))
        if log is not None:
            log.on_fenced = lambda hunt_id: nursery.start_soon(leases.release, hunt_id)
        node = ClusterNode(config, bus, engine, leases)
        await nursery.start(leases.run)
        await nursery.start(partial(serve_owner, config, engine, bus, name, accepts=leases.holds))
        await nursery.start(serve_history, config, engine, bus, name, leases.holds)
        create = await bus.subscribe(Subjects(config.workers.subject_prefix).node(name), node.on_create(nursery))
        await bus.flush()
        node.gateway = ClusterEngine(node, clock, nursery)
        view: OwnerView = node.gateway._router  # type: ignore[assignment]
        interval = config.workers.stats_interval_s
        nursery.start_soon(view.run, bus, node.gateway.subjects, node.gateway.placement, interval)
        nursery.start_soon(node.gateway._janitor)
        try:
            yield node
        finally:
            with trio.CancelScope(shield=True):
                await bus.unsubscribe(create)
                with trio.move_on_after(config.server.shutdown_timeout_s):
                    await leases.release_all()
            nursery.cancel_scope.cancel()

