"""Cluster mode's ownership: which node owns each hunt, by a lease in a JetStream KV bucket.

Two buckets under ``cluster.bucket_prefix`` (P):

- ``P-cluster`` (TTL ``cluster.lease_s``): ``lease.<hunt>`` = ``{"node": name}``, the hunt's
  owner, and ``node.<name>`` = ``{"hunts": n, "events_per_s": x}``, each node's heartbeat with
  its load. An owner renews its leases and its heartbeat every ``lease_s / 3`` with
  ``update(expected revision)``; the bucket's TTL makes a key nobody renews vanish.
- ``P-catalog`` (no TTL): ``<hunt>`` for every hunt of the cluster, owned or not.

Every node watches both buckets and keeps a view: a lease or a heartbeat is live while it was
renewed within ``lease_s`` (the watcher sees each renewal). A node claims a hunt that has no
live lease with ``create()`` (only one node can win), brings the hunt up to date
(``prepare``, the log's catch-up), then serves it. It serves a hunt only while its local
monotonic deadline holds: the time it sent its last successful renewal, plus ``lease_s``, minus
``cluster.ack_guard_s``. The server keeps the key at least ``lease_s`` after it stored it, and
it stored it after that send, so a node stops acking before its lease can lapse anywhere. A
renewal refused for a wrong revision means another node holds the lease: the node stops
serving that hunt at once.

A hunt nobody owns goes to one of the live nodes by rendezvous hashing (so the hunts of a dead
node spread over the others, and every node agrees without talking); a node that sees a hunt
unowned for twice the lease claims it whatever the hash says. A new hunt goes to the least-loaded
node (:meth:`Leases.least_loaded`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from hashlib import blake2b
from typing import Any

import orjson
import trio

from actors import RequestTimeout

from ..config import Config
from ..engine import HuntExists
from ._bus import Bus

__all__ = ["Leases", "NodeInfo"]

log = logging.getLogger("hunt.cluster.leases")

WATCH_STALL_RENEWALS = 2  # renewal rounds without an update from the watcher (ours included): watch again


@dataclass
class _Lease:
    node: str
    revision: int
    seen: float  # trio time the watcher last saw it renewed


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """A node as its last heartbeat said."""

    name: str
    hunts: int
    events_per_s: float
    age_s: float


@dataclass
class _Held:
    revision: int
    deadline: float  # trio time after which this node must not ack for the hunt
    serving: bool = False  # caught up and serving (claimed but still catching up: False)


class Leases:
    """One node's leases and its view of the cluster's. Run it with :meth:`run`."""

    def __init__(self, config: Config, bus: Bus, name: str,
                 prepare: Callable[[str], Awaitable[bool]], on_lost: Callable[[str], Awaitable[None]],
                 load: Callable[[], float] = lambda: 0.0) -> None:
        cluster = config.cluster
        self.bus = bus
        self.name = name
        self.lease_s = cluster.lease_s
        self.guard_s = cluster.ack_guard_s
        self.renew_every_s = cluster.lease_s / 3
        self.claim_every_s = cluster.claim_every_s
        self.claims_at_once = cluster.claims_at_once
        self.replicas = cluster.replicas
        self.cluster_bucket = f"{cluster.bucket_prefix}-cluster"
        self.catalog_bucket = f"{cluster.bucket_prefix}-catalog"
        self._prepare = prepare
        self._on_lost = on_lost
        self._events_per_s = load
        self.leases: dict[str, _Lease] = {}
        self.nodes: dict[str, tuple[dict[str, Any], float]] = {}
        self.catalog: set[str] = set()
        self.held: dict[str, _Held] = {}
        self._claiming: set[str] = set()
        self._unowned_since: dict[str, float] = {}
        self._cooling: dict[str, float] = {}  # hunt -> until when this node leaves it to the others
        self.stopping = False  # handing everything over: claim nothing more
        self._last_update = trio.current_time()
        self._watchers: list[Any] = []
        self.changed = trio.Event()  # set (and replaced) whenever an owner changes in the view

    # -- the view --------------------------------------------------------------------------

    def owner_of(self, hunt_id: str) -> str | None:
        """The node serving the hunt as far as this node knows, or None (nobody, or moving)."""
        held = self.held.get(hunt_id)
        if held is not None:
            return self.name if held.serving else None
        lease = self.leases.get(hunt_id)
        if lease is None or trio.current_time() - lease.seen > self.lease_s or lease.node == self.name:
            return None
        return lease.node

    def holds(self, hunt_id: str) -> bool:
        """Whether this node may ack for the hunt now (it serves it and its deadline holds)."""
        held = self.held.get(hunt_id)
        return held is not None and held.serving and trio.current_time() < held.deadline

    def live_nodes(self) -> list[NodeInfo]:
        now = trio.current_time()
        nodes = []
        for name, (body, seen) in sorted(self.nodes.items()):
            if now - seen <= self.lease_s:
                nodes.append(NodeInfo(name, int(body.get("hunts", 0)), float(body.get("events_per_s", 0.0)),
                                      now - seen))
        return nodes

    def least_loaded(self) -> str:
        """The live node with the fewest hunts (ties: the name), this node if none is known."""
        nodes = self.live_nodes()
        if not nodes:
            return self.name
        return min(nodes, key=lambda node: (node.hunts, node.name)).name

    def lease_ages(self) -> dict[str, tuple[str, float]]:
        """Every live lease: hunt -> (node, seconds since its last renewal)."""
        now = trio.current_time()
        return {hunt: (lease.node, now - lease.seen) for hunt, lease in sorted(self.leases.items())
                if now - lease.seen <= self.lease_s}

    async def _kv(self, make: Callable[[Any], Any]) -> Any:
        """One KV call, at most ``lease_s`` long (NATS may be reconnecting): RequestTimeout after."""
        with trio.move_on_after(self.lease_s):
            return await self.bus.call(make)
        raise RequestTimeout(f"no answer from the KV bucket within {self.lease_s} s")  # 503 unavailable

    # -- the catalog -----------------------------------------------------------------------

    async def register(self, hunt_id: str) -> bool:
        """Add a hunt to the catalog; False if it was there already (another node made it)."""
        from nats.js.errors import KeyWrongLastSequenceError

        try:
            await self._kv(lambda nc: _kv_create(nc, self.catalog_bucket, hunt_id, b"{}"))
        except KeyWrongLastSequenceError:
            return False
        self.catalog.add(hunt_id)
        return True

    async def unregister(self, hunt_id: str) -> None:
        self.catalog.discard(hunt_id)
        await self._kv(lambda nc: _kv_delete(nc, self.catalog_bucket, hunt_id, None))

    # -- claiming and releasing ------------------------------------------------------------

    async def claim(self, hunt_id: str, prepare: Callable[[str], Awaitable[bool]] | None = None, *,
                    errors: bool = False) -> bool:
        """Take the hunt's lease if nobody holds it, catch the hunt up (``prepare``, by default
        the node's), and serve it. False when another node holds it, or the catch-up failed
        (the lease is released then). With ``errors``, those raise instead (HuntExists, or
        the catch-up's error): a hunt being created."""
        from nats.js.errors import KeyWrongLastSequenceError

        if errors and (hunt_id in self.held or hunt_id in self._claiming):
            raise HuntExists(f"hunt {hunt_id!r} exists")
        if hunt_id in self.held or hunt_id in self._claiming:
            return hunt_id in self.held
        self._claiming.add(hunt_id)
        try:
            sent = trio.current_time()
            try:
                revision = await self._kv(lambda nc: _kv_create(nc, self.cluster_bucket, f"lease.{hunt_id}",
                                                                     self._lease_body()))
            except KeyWrongLastSequenceError:
                if errors:
                    raise HuntExists(f"hunt {hunt_id!r} exists (another node holds its lease)") from None
                return False
            held = self.held[hunt_id] = _Held(revision, sent + self.lease_s - self.guard_s)
            log.info("node %s took the lease of %s (revision %d); catching up", self.name, hunt_id, revision)
            try:
                ready = await (prepare or self._prepare)(hunt_id)
            except Exception:
                if errors:
                    with trio.CancelScope(shield=True):
                        await self.release(hunt_id)
                    raise
                log.exception("catching up %s failed", hunt_id)
                ready = False
            if not ready or self.held.get(hunt_id) is not held:
                await self.release(hunt_id)
                return False
            held.serving = True
            self._notify()
            log.info("node %s serves %s", self.name, hunt_id)
            return True
        finally:
            self._claiming.discard(hunt_id)

    async def release(self, hunt_id: str) -> None:
        """Stop serving the hunt, then delete its lease (if still ours) so another node takes it."""
        held = self.held.pop(hunt_id, None)
        if held is None:
            return
        self._cooling[hunt_id] = trio.current_time() + self.lease_s  # not straight back to us
        self._notify()
        await self._on_lost(hunt_id)
        try:
            await self._kv(lambda nc: _kv_delete(nc, self.cluster_bucket, f"lease.{hunt_id}", held.revision))
        except Exception as err:  # it lapses by itself within lease_s
            log.warning("releasing the lease of %s: %r", hunt_id, err)
        log.info("node %s released %s", self.name, hunt_id)

    async def release_all(self) -> None:
        """A graceful stop: claim nothing more, leave the registry (so the others leave this
        node out when they share the hunts), then hand every hunt over: each stops here
        (its actor drains) before its lease is deleted, and another node takes it at once."""
        self.stopping = True
        try:
            await self._kv(lambda nc: _kv_delete(nc, self.cluster_bucket, f"node.{self.name}", None))
        except Exception as err:
            log.warning("removing node %s's heartbeat: %r", self.name, err)
        async with trio.open_nursery() as nursery:
            for hunt_id in list(self.held):
                nursery.start_soon(self.release, hunt_id)

    async def _lose(self, hunt_id: str, why: str) -> None:
        if self.held.pop(hunt_id, None) is not None:
            log.warning("node %s stops serving %s: %s", self.name, hunt_id, why)
            self._notify()
            await self._on_lost(hunt_id)

    # -- the loops -------------------------------------------------------------------------

    async def run(self, *, task_status: trio.TaskStatus[Leases] = trio.TASK_STATUS_IGNORED) -> None:
        """Open the buckets, watch them, heartbeat, renew and claim until cancelled."""
        ttl, replicas = self.lease_s, self.replicas
        await self._kv(lambda nc: _open_bucket(nc, self.cluster_bucket, ttl, replicas))
        await self._kv(lambda nc: _open_bucket(nc, self.catalog_bucket, None, replicas))
        await self._heartbeat()
        await self._watch()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._renew_loop)
            nursery.start_soon(self._claim_loop)
            task_status.started(self)
            try:
                await trio.sleep_forever()
            finally:
                for watcher in self._watchers:
                    watcher.cancel()

    async def _watch(self) -> None:
        for watcher in self._watchers:
            watcher.cancel()
        ready = [trio.Event(), trio.Event()]

        def started(index: int) -> None:
            ready[index].set()

        self._watchers = [
            self.bus.run_background(lambda nc: _watch(nc, self.bus, self.cluster_bucket, self._on_entry, started, 0)),
            self.bus.run_background(lambda nc: _watch(nc, self.bus, self.catalog_bucket, self._on_catalog, started, 1)),
        ]
        with trio.move_on_after(self.lease_s):
            for event in ready:
                await event.wait()
        self._last_update = trio.current_time()

    def _on_entry(self, key: str, value: bytes | None, revision: int) -> None:
        self._last_update = now = trio.current_time()
        kind, _, name = key.partition(".")
        if kind == "lease":
            before = self.leases.get(name)
            if value is None:
                self.leases.pop(name, None)
            else:
                try:
                    node = orjson.loads(value)["node"]
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    log.warning("unreadable lease of %s", name)
                    return
                self.leases[name] = _Lease(node, revision, now)
            if before is None or value is None or before.node != self.leases[name].node:
                self._notify()
        elif kind == "node":
            if value is None:
                self.nodes.pop(name, None)
            else:
                try:
                    self.nodes[name] = (orjson.loads(value), now)
                except orjson.JSONDecodeError:
                    log.warning("unreadable heartbeat of %s", name)

    def _on_catalog(self, key: str, value: bytes | None, _revision: int) -> None:
        if value is None:
            self.catalog.discard(key)
        else:
            self.catalog.add(key)

    def _notify(self) -> None:
        self.changed.set()
        self.changed = trio.Event()

    def _lease_body(self) -> bytes:
        return orjson.dumps({"node": self.name})

    async def _heartbeat(self) -> None:
        body = orjson.dumps({"hunts": len(self.held), "events_per_s": round(self._events_per_s(), 1)})
        try:
            await self._kv(lambda nc: _kv_put(nc, self.cluster_bucket, f"node.{self.name}", body))
        except Exception as err:
            log.warning("heartbeat of %s: %r", self.name, err)

    async def _renew_loop(self) -> None:
        while True:
            await trio.sleep(self.renew_every_s)
            await self._renew()
            if not self.stopping:
                await self._heartbeat()
            if trio.current_time() - self._last_update > WATCH_STALL_RENEWALS * self.renew_every_s:
                log.warning("node %s: the KV watcher is silent; watching again", self.name)
                await self._watch()

    async def _renew(self) -> None:
        from nats.js.errors import KeyWrongLastSequenceError

        held = dict(self.held)
        if not held:
            return
        sent = trio.current_time()
        body = self._lease_body()
        updates = [(f"lease.{hunt_id}", h.revision) for hunt_id, h in held.items()]
        outcomes: list[Any] | None = None
        try:
            with trio.move_on_after(self.lease_s):  # NATS reconnecting: give up this round, not the node
                outcomes = await self.bus.call(lambda nc: _kv_update_all(nc, self.cluster_bucket, updates, body))
        except Exception as err:
            log.warning("renewing leases: %r", err)
        if outcomes is None:
            outcomes = [None] * len(held)
        for (hunt_id, h), outcome in zip(held.items(), outcomes, strict=True):
            if self.held.get(hunt_id) is not h:
                continue  # released meanwhile
            if isinstance(outcome, int):
                h.revision, h.deadline = outcome, sent + self.lease_s - self.guard_s
            elif isinstance(outcome, KeyWrongLastSequenceError):
                await self._lose(hunt_id, "another node holds its lease")
            else:
                log.warning("renewing the lease of %s failed: %r", hunt_id, outcome)

    async def _claim_loop(self) -> None:
        limiter = trio.CapacityLimiter(self.claims_at_once)
        async with trio.open_nursery() as nursery:
            while True:
                await self._expire_held()
                for hunt_id in [] if self.stopping else self._orphans():
                    if limiter.available_tokens == 0:
                        break
                    nursery.start_soon(self._claim_limited, limiter, hunt_id)
                await trio.sleep(self.claim_every_s)

    async def _claim_limited(self, limiter: trio.CapacityLimiter, hunt_id: str) -> None:
        async with limiter:
            try:
                await self.claim(hunt_id)
            except Exception as err:  # NATS unreachable for now: the next round tries again
                log.warning("node %s could not claim %s: %r", self.name, hunt_id, err)

    async def _expire_held(self) -> None:
        now = trio.current_time()
        for hunt_id, h in list(self.held.items()):
            if now >= h.deadline:
                await self._lose(hunt_id, "its lease could not be renewed in time")

    def _orphans(self) -> list[str]:
        """Hunts of the catalog without a live lease that this node should claim now."""
        now = trio.current_time()
        live = [node.name for node in self.live_nodes()] or [self.name]
        orphans = []
        for hunt_id in sorted(self.catalog):
            lease = self.leases.get(hunt_id)
            if hunt_id in self.held or hunt_id in self._claiming or (
                    lease is not None and now - lease.seen <= self.lease_s):
                self._unowned_since.pop(hunt_id, None)
                continue
            since = self._unowned_since.setdefault(hunt_id, now)
            if self._cooling.get(hunt_id, 0.0) > now:
                continue
            self._cooling.pop(hunt_id, None)
            if _rendezvous(hunt_id, live) == self.name or now - since > 2 * self.lease_s:
                orphans.append(hunt_id)
        return orphans


def _rendezvous(hunt_id: str, nodes: list[str]) -> str:
    return max(nodes, key=lambda node: blake2b(f"{hunt_id}\0{node}".encode(), digest_size=8).digest())


# -- on the bus's asyncio loop ----------------------------------------------------------------


async def _open_bucket(nc: Any, bucket: str, ttl: float | None, replicas: int) -> None:
    from nats.js.errors import BucketNotFoundError

    js = nc.jetstream()
    try:
        await js.key_value(bucket)
    except BucketNotFoundError:
        params: dict[str, Any] = {"bucket": bucket, "history": 1, "replicas": replicas}
        if ttl is not None:
            params["ttl"] = ttl
        await js.create_key_value(**params)


async def _kv_create(nc: Any, bucket: str, key: str, value: bytes) -> int:
    kv = await nc.jetstream().key_value(bucket)
    return int(await kv.create(key, value))


async def _kv_put(nc: Any, bucket: str, key: str, value: bytes) -> int:
    kv = await nc.jetstream().key_value(bucket)
    return int(await kv.put(key, value))


async def _kv_delete(nc: Any, bucket: str, key: str, revision: int | None) -> None:
    kv = await nc.jetstream().key_value(bucket)
    await kv.delete(key, last=revision)


async def _kv_update_all(nc: Any, bucket: str, updates: list[tuple[str, int]], value: bytes) -> list[Any]:
    kv = await nc.jetstream().key_value(bucket)
    return list(await asyncio.gather(*(kv.update(key, value, last=revision) for key, revision in updates),
                                     return_exceptions=True))


async def _watch(nc: Any, bus: Bus, bucket: str, deliver: Callable[[str, bytes | None, int], None],
                 started: Callable[[int], None], index: int) -> None:
    kv = await nc.jetstream().key_value(bucket)
    watcher = await kv.watchall()
    try:
        initial = True
        while True:
            entry = await watcher.updates(timeout=None)
            if entry is None:  # every current value has been delivered
                if initial:
                    initial = False
                    bus.to_trio(started, index)
                continue
            value = None if entry.operation in ("DEL", "PURGE") else bytes(entry.value or b"")
            bus.to_trio(deliver, entry.key, value, int(entry.revision))
    finally:
        await watcher.stop()
