"""Cluster mode under faults, as processes on loopback: three ``hunt serve --cluster --node``
nodes (own data dirs) over a 3-node NATS cluster with JetStream, players that reconnect to any
node and resend unanswered commands with the same ids. Whatever is taken away, every acked
command is in the final log exactly once, at its seq, and the log has no gap."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio

from hunt.store import SqliteHuntStore
from hunt_lab.faults.cluster import ClusterLab
from hunt_lab.servers.nats_cluster import LocalNatsCluster

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

LEASE_S = 2.0
PLAYERS = 4  # per hunt
COMMANDS = 60  # per player, 20 ms apart: each hunt takes ~200 commands/s while a node goes away


@pytest.fixture
async def lab(tmp_path: Path, nats_cluster: LocalNatsCluster) -> AsyncIterator[ClusterLab]:
    lab = ClusterLab(tmp_path / "nodes", nats_cluster.url, lease_s=LEASE_S)
    try:
        await lab.start()
        yield lab
    finally:
        lab.close()


async def test_a_killed_node_s_hunts_are_served_by_the_others_within_the_lease_and_nothing_acked_is_lost(
        lab: ClusterLab) -> None:
    owners = await lab.create_hunts(["h1", "h2", "h3"])
    assert sorted(owner or "" for owner in owners.values()) == ["a", "b", "c"], owners  # one each
    victim = owners["h1"]
    assert victim is not None
    took: list[float] = []

    async def kill_then_time_takeover() -> None:
        await trio.sleep(1.0)  # under load
        lab.kill(victim)
        took.append(await lab.wait(lambda s: all(h["owner"] not in (None, victim) for h in s["hunts"]),
                                   timeout=LEASE_S + 5))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(kill_then_time_takeover)
        for hunt_id in owners:
            nursery.start_soon(lab.play, lab.players(hunt_id, PLAYERS), COMMANDS)
    assert took and took[0] <= LEASE_S + 2.0, took
    for hunt_id in owners:
        assert await lab.audit(hunt_id) == [], hunt_id
    assert sum(len(lab.ledgers[h].acks) for h in owners) == 3 * PLAYERS * COMMANDS


async def test_a_paused_owner_is_replaced_and_after_it_resumes_acks_nothing_and_holds_nothing_the_log_lacks(
        lab: ClusterLab) -> None:
    owners = await lab.create_hunts(["h1", "h2", "h3"])
    victim = owners["h1"]
    assert victim is not None
    took: list[float] = []

    async def pause_past_the_lease() -> None:
        await trio.sleep(1.0)
        lab.signal(victim, signal.SIGSTOP)
        took.append(await lab.wait(lambda s: s["hunts"][0]["owner"] not in (None, victim),
                                   via=next(n for n in lab.live() if n != victim), timeout=LEASE_S + 5))
        await trio.sleep(0.5)
        lab.signal(victim, signal.SIGCONT)  # it wakes up believing it owns h1 ...

    async with trio.open_nursery() as nursery:
        nursery.start_soon(pause_past_the_lease)
        for hunt_id in owners:
            nursery.start_soon(lab.play, lab.players(hunt_id, PLAYERS), COMMANDS)
    assert took and took[0] <= LEASE_S + 2.0, took
    status = await lab.status(victim)  # ... and learns it does not
    assert status["hunts"][0]["owner"] not in (None, victim), status
    for hunt_id in owners:
        assert await lab.audit(hunt_id) == [], hunt_id
    final = {record.seq: record for record in await lab.final_log("h1")}
    reader = SqliteHuntStore.open_reader(lab.nodes[victim].data_dir, "h1")  # the old owner's own file
    try:
        held = list(reader.read())
    finally:
        reader.close()
    assert held and all(final.get(record.seq) == record for record in held)


async def test_a_killed_nats_server_does_not_stop_play(lab: ClusterLab, nats_cluster: LocalNatsCluster) -> None:
    owners = await lab.create_hunts(["h1", "h2", "h3"])

    async def kill_a_nats_server() -> None:
        await trio.sleep(1.0)
        nats_cluster.kill(0)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(kill_a_nats_server)
        for hunt_id in owners:
            nursery.start_soon(lab.play, lab.players(hunt_id, PLAYERS), COMMANDS)
    for hunt_id in owners:
        assert await lab.audit(hunt_id) == [], hunt_id
    assert sum(len(lab.ledgers[h].acks) for h in owners) == 3 * PLAYERS * COMMANDS


async def test_a_graceful_stop_hands_the_hunts_over_and_clients_see_at_most_unavailable(lab: ClusterLab) -> None:
    owners = await lab.create_hunts(["h1", "h2", "h3"])
    victim = owners["h1"]
    assert victim is not None
    took: list[float] = []
    codes: list[int | None] = []

    async def stop_gracefully() -> None:
        await trio.sleep(1.0)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(lambda: _stop(lab, victim, codes))
            took.append(await lab.wait(lambda s: s["hunts"][0]["owner"] not in (None, victim),
                                       via=next(n for n in lab.live() if n != victim), timeout=LEASE_S + 5))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(stop_gracefully)
        for hunt_id in owners:
            nursery.start_soon(lab.play, lab.players(hunt_id, PLAYERS), COMMANDS)
    assert codes == [0]
    assert took and took[0] < LEASE_S, took  # handed over, not left to lapse
    for hunt_id in owners:
        ledger = lab.ledgers[hunt_id]
        assert await lab.audit(hunt_id) == [], hunt_id
        assert set(ledger.codes) <= {"ack", "unavailable"}, ledger.codes
        assert not ledger.refused or set(ledger.refused.values()) <= {"unavailable"}


async def _stop(lab: ClusterLab, name: str, codes: list[int | None]) -> None:
    codes.append(await lab.nodes[name].stop())
