"""Leases in a JetStream KV bucket (nats-server with -js): one owner at a time, renewed, lost
on a refused renewal, released on a graceful stop, claimed by another node once lapsed, and an
owner that cannot renew stops acking before its lease can lapse."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
import trio

from hunt.cluster import Leases, open_bus
from hunt.config import load_config
from hunt_lab.servers.nats import LocalNatsServer

pytestmark = pytest.mark.cluster

LEASE_S = 1.5


class Node:
    def __init__(self, leases: Leases, lost: list[str], scope: trio.CancelScope) -> None:
        self.leases = leases
        self.lost = lost
        self.scope = scope  # cancel it: the node stops dead (no release, no renewal)


@asynccontextmanager
async def open_nodes(url: str, *names: str, ready: Callable[[str], bool] = lambda _: True,
                     ) -> AsyncIterator[list[Node]]:
    config = load_config(None, env={}, overrides={"cluster": {
        "replicas": 1, "lease_s": LEASE_S, "ack_guard_s": 0.3, "claim_every_s": 0.05}})
    async with AsyncExitStack() as stack, trio.open_nursery() as nursery:
        nodes = []
        for name in names:
            bus = await stack.enter_async_context(open_bus(url, name))
            lost: list[str] = []

            async def prepare(hunt_id: str) -> bool:
                return ready(hunt_id)

            async def on_lost(hunt_id: str, lost: list[str] = lost) -> None:
                lost.append(hunt_id)

            leases = Leases(config, bus, name, prepare, on_lost)
            scope = trio.CancelScope()

            async def run(leases: Leases = leases, scope: trio.CancelScope = scope,
                          task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
                with scope:
                    await leases.run(task_status=task_status)

            await nursery.start(run)
            nodes.append(Node(leases, lost, scope))
        yield nodes
        nursery.cancel_scope.cancel()


async def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> float:
    started = trio.current_time()
    with trio.fail_after(timeout):
        while not condition():
            await trio.sleep(0.01)
    return trio.current_time() - started


async def test_one_owner_at_a_time_and_every_node_sees_it(jetstream: LocalNatsServer) -> None:
    async with open_nodes(jetstream.url, "a", "b") as (a, b):
        assert await a.leases.claim("h1")
        assert not await b.leases.claim("h1")
        assert a.leases.holds("h1") and not b.leases.holds("h1")
        await wait_for(lambda: b.leases.owner_of("h1") == "a")
        await trio.sleep(LEASE_S * 1.5)  # renewed meanwhile: still a's
        assert a.leases.holds("h1") and b.leases.owner_of("h1") == "a" and not a.lost


async def test_a_dead_owner_stops_acking_before_its_lease_lapses_and_another_takes_it(
        jetstream: LocalNatsServer) -> None:
    async with open_nodes(jetstream.url, "a", "b") as (a, b):
        assert await a.leases.register("h1")
        assert await a.leases.claim("h1")
        await wait_for(lambda: "h1" in b.leases.catalog and b.leases.owner_of("h1") == "a")
        await trio.sleep(a.leases.renew_every_s * 1.2)  # at least one renewal went through
        a.scope.cancel()  # a stops renewing (as a process stopped with SIGSTOP would)
        stopped = trio.current_time()
        deadline = a.leases.held["h1"].deadline
        assert deadline - stopped <= LEASE_S - 0.3 + 0.01
        took = await wait_for(lambda: b.leases.holds("h1"), timeout=LEASE_S + 2)
        assert not a.leases.holds("h1")  # past its own deadline, before b could take it
        assert trio.current_time() > deadline
        assert took <= LEASE_S + 1.0


async def test_a_graceful_stop_hands_the_hunts_over_at_once(jetstream: LocalNatsServer) -> None:
    async with open_nodes(jetstream.url, "a", "b") as (a, b):
        assert await a.leases.register("h1")
        assert await a.leases.claim("h1")
        await wait_for(lambda: b.leases.owner_of("h1") == "a")
        await a.leases.release_all()
        assert a.lost == ["h1"] and not a.leases.holds("h1")
        took = await wait_for(lambda: b.leases.holds("h1"))
        assert took < LEASE_S / 2  # the deleted key is seen at once: no waiting for the lapse


async def test_an_owner_whose_lease_was_taken_stops_serving_at_its_next_renewal(
        jetstream: LocalNatsServer) -> None:
    async with open_nodes(jetstream.url, "a", "b") as (a, b):
        assert await a.leases.claim("h1")
        revision = a.leases.held["h1"].revision
        # Someone else holds it now (as after a lapse a's watcher missed): delete, b creates.
        await b.leases.bus.call(lambda nc: _steal(nc, "hunt-cluster", "lease.h1", revision))
        await b.leases.claim("h1")
        await wait_for(lambda: a.lost == ["h1"], timeout=LEASE_S)
        assert not a.leases.holds("h1") and b.leases.holds("h1")


async def test_a_hunt_that_cannot_be_caught_up_is_not_served(jetstream: LocalNatsServer) -> None:
    async with open_nodes(jetstream.url, "a", ready=lambda hunt_id: hunt_id != "broken") as (a,):
        assert not await a.leases.claim("broken")
        assert not a.leases.holds("broken") and a.leases.owner_of("broken") is None
        assert await a.leases.claim("fine")  # the lease of "broken" was released: claimable again
        assert not await a.leases.claim("broken")


async def _steal(nc: Any, bucket: str, key: str, revision: int) -> None:
    kv = await nc.jetstream().key_value(bucket)
    await kv.delete(key, last=revision)
