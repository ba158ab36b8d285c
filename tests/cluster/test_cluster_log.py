"""Cluster mode's log of record: every batch goes to the replicated stream before the local
commit and the ack, a stale owner is fenced by the stream, and a node catches a hunt's file up
from the stream (or builds it) before it serves. Against a real 3-node NATS cluster (R3)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import trio

from actors import ActivationFailed, ActorCrashed
from hunt.cluster import LogFenced, RecordLog, open_record_log
from hunt.config import Config
from hunt.domain import HuntCreated, JoinHunt, PingLocation, Recorded, StartHunt
from hunt.engine import Ack, Engine
from hunt.store import HuntExists, SqliteHuntStore, SqliteHuntStores
from hunt_lab.faults.store import FaultPlan, FaultyStores
from hunt_lab.servers.nats_cluster import LocalNatsCluster
from tests.support.cluster import hunt_seqs, logged_engine, raw_log
from tests.support.engine import disk_replay
from tests.support.hunts import HUNT_ID

SUBJECT = f"hunt-log.{HUNT_ID}"


@pytest.fixture
async def record_log(nats_cluster: LocalNatsCluster) -> AsyncIterator[RecordLog]:
    settings = Config().cluster
    async with open_record_log(settings, nats_cluster.url, name="test") as opened:
        yield opened


@pytest.fixture
def node_config(tmp_path: Path) -> Callable[[str], Config]:
    """``node_config("a")``: the config of a node whose data dir is ``tmp_path/a``."""

    def make(name: str, **sections: dict[str, Any]) -> Config:
        settings = {"server": {"data_dir": str(tmp_path / name)}, "store": {"synchronous": "NORMAL"},
                    "engine": {"restart_backoff_min_s": 0.01, "request_timeout_s": 10.0}, **sections}
        return Config().replace(**settings)

    return make


async def start_hunt(engine: Engine, document: dict[str, Any], players: int = 2) -> None:
    await engine.create_hunt(document)
    await engine.submit(HUNT_ID, [*(JoinHunt(f"join-{n}", f"P{n}") for n in range(1, players + 1)),
                                  StartHunt("start")])


async def pings(engine: Engine, prefix: str, count: int, player: str = "p1") -> list[Ack]:
    results = await engine.submit(HUNT_ID, [PingLocation(player, f"{prefix}{n}", 53.5, 9.9) for n in range(count)])
    assert all(isinstance(r, Ack) for r in results), results
    return results  # type: ignore[return-value]


def file_seq(config: Config) -> int:
    reader = SqliteHuntStore.open_reader(config.data_path, HUNT_ID)
    try:
        return reader.last_seq()
    finally:
        reader.close()


async def test_each_batch_is_in_the_stream_and_the_file_when_it_is_acked(
        record_log: RecordLog, node_config: Callable[..., Config], nats_cluster: LocalNatsCluster,
        hunt_document: dict[str, Any]) -> None:
    config = node_config("a")
    async with logged_engine(config, record_log) as (engine, _):
        await start_hunt(engine, hunt_document)
        for n in range(5):
            [ack] = await pings(engine, f"one-{n}-", 1)
            assert (await trio.to_thread.run_sync(record_log.last, HUNT_ID))[0] == ack.seq
            assert file_seq(config) == ack.seq
        many = await pings(engine, "many-", 40)
    messages = await raw_log(nats_cluster.urls)
    # one message per batch (the creation, the joins + start, five single pings, then the rest),
    # holding every seq once, in order
    assert hunt_seqs(messages, SUBJECT) == list(range(1, many[-1].seq + 1))
    assert len([m for m in messages if m[0] == SUBJECT]) < many[-1].seq


async def test_a_local_commit_that_fails_after_the_stream_took_the_batch_is_caught_up_before_serving(
        record_log: RecordLog, node_config: Callable[..., Config], hunt_document: dict[str, Any]) -> None:
    config = node_config("a")
    plan = FaultPlan()
    files = FaultyStores(SqliteHuntStores(config.data_path, synchronous="NORMAL"), plan)
    async with logged_engine(config, record_log, inner=files) as (engine, _):
        await start_hunt(engine, hunt_document)
        before = file_seq(config)
        plan.fail(HUNT_ID)  # the stream takes the batch, then the file's commit fails
        with pytest.raises(ActorCrashed):
            await engine.submit(HUNT_ID, [PingLocation("p1", "lost-ack", 53.5, 9.9)])
        assert file_seq(config) == before
        assert (await trio.to_thread.run_sync(record_log.last, HUNT_ID))[0] == before + 1
        # The client resends: the hunt reloads, catches up from the stream, and answers the
        # original outcome; nothing is applied twice.
        [again] = await engine.submit(HUNT_ID, [PingLocation("p1", "lost-ack", 53.5, 9.9)])
        assert isinstance(again, Ack) and again.duplicate and again.seq == before + 1
        assert file_seq(config) == before + 1


async def test_a_stale_owner_is_refused_by_the_stream_and_steps_down(
        record_log: RecordLog, node_config: Callable[..., Config], hunt_document: dict[str, Any]) -> None:
    old_config, new_config = node_config("old"), node_config("new")
    fenced: list[str] = []
    async with logged_engine(old_config, record_log, on_fenced=fenced.append) as (old, _):
        await start_hunt(old, hunt_document)
        await pings(old, "old-", 3)
        held = file_seq(old_config)
        # Another node takes the hunt over (its lease; here simply: it catches up and writes).
        async with logged_engine(new_config, record_log) as (new, new_stores):
            caught = await new_stores.catch_up(HUNT_ID)
            assert caught.seq == held and caught.applied == held
            taken = await pings(new, "new-", 2, player="p2")
            # The old owner still thinks it owns the hunt: its next batch is refused.
            with pytest.raises(ActorCrashed):
                await old.submit(HUNT_ID, [PingLocation("p1", "stale", 53.5, 9.9)])
            assert fenced == [HUNT_ID]
            # It steps down at once: nothing more is acked for the hunt, and nothing was committed.
            with trio.fail_after(2):
                with pytest.raises(ActivationFailed):
                    await old.submit(HUNT_ID, [PingLocation("p1", "stale-2", 53.5, 9.9)])
            assert file_seq(old_config) == held
            assert disk_replay(old, HUNT_ID).seq == held
            assert (await trio.to_thread.run_sync(record_log.last, HUNT_ID))[0] == taken[-1].seq
            # No node holds an event the stream lacks: the new owner's file is the stream.
            assert file_seq(new_config) == taken[-1].seq


async def test_a_node_fenced_from_outside_acks_nothing_until_it_catches_up(
        record_log: RecordLog, node_config: Callable[..., Config], hunt_document: dict[str, Any]) -> None:
    async with logged_engine(node_config("a"), record_log) as (engine, stores):
        await start_hunt(engine, hunt_document)
        stores.fence(HUNT_ID)  # say, its lease lapsed
        with pytest.raises(ActorCrashed):
            await engine.submit(HUNT_ID, [PingLocation("p1", "x", 53.5, 9.9)])
        await engine.wait_unloaded(HUNT_ID)
        with pytest.raises(ActivationFailed):
            await engine.submit(HUNT_ID, [PingLocation("p1", "x", 53.5, 9.9)])
        await stores.catch_up(HUNT_ID)  # the lease is back
        [ack] = await pings(engine, "x", 1)
        assert not ack.duplicate


async def test_catch_up_builds_a_file_from_nothing_and_brings_a_stale_one_up_to_date(
        record_log: RecordLog, node_config: Callable[..., Config], hunt_document: dict[str, Any]) -> None:
    small_snapshots = {"store": {"synchronous": "NORMAL", "snapshot_every": 16}}
    first, second = node_config("a", **small_snapshots), node_config("b", **small_snapshots)
    async with logged_engine(first, record_log) as (engine, _):
        await start_hunt(engine, hunt_document, players=3)
        for n in range(6):
            await pings(engine, f"r{n}-", 7, player=f"p{n % 3 + 1}")
        original = (await engine.state(HUNT_ID)).to_dict()
    async with logged_engine(second, record_log) as (engine, stores):
        assert not engine.exists(HUNT_ID)
        built = await stores.catch_up(HUNT_ID)
        assert built.applied == built.seq == original["seq"]
        assert engine.exists(HUNT_ID)
        assert (await engine.state(HUNT_ID)).to_dict() == original
        report = await engine.verify(HUNT_ID)
        assert report["ok"], report
    # The first node's file is now behind (the second node wrote nothing, so write on the first
    # again and let the second catch up an existing file through its engine's own load path).
    async with logged_engine(first, record_log) as (engine, _):
        await pings(engine, "later-", 5)
        later = (await engine.state(HUNT_ID)).to_dict()
    async with logged_engine(second, record_log) as (engine, _):
        assert (await engine.state(HUNT_ID)).to_dict() == later
        assert (await engine.verify(HUNT_ID))["ok"]


async def test_two_nodes_cannot_both_create_one_hunt(
        record_log: RecordLog, node_config: Callable[..., Config], hunt_document: dict[str, Any]) -> None:
    async with logged_engine(node_config("a"), record_log) as (a, _), \
            logged_engine(node_config("b"), record_log) as (b, _):
        await a.create_hunt(hunt_document)
        with pytest.raises(HuntExists):
            await b.create_hunt(hunt_document)
        assert not b.exists(HUNT_ID)


async def test_a_duplicate_publish_is_dropped_by_the_stream_and_not_acked(
        record_log: RecordLog, nats_cluster: LocalNatsCluster) -> None:
    created = [Recorded(seq=1, ts=1, event=HuntCreated({"id": HUNT_ID}, "inc"))]
    stream_seq = await trio.to_thread.run_sync(record_log.append, HUNT_ID, created, 0)
    with pytest.raises(LogFenced):  # the same batch again, say resent by a stale owner
        await trio.to_thread.run_sync(record_log.append, HUNT_ID, created, 0)
    with pytest.raises(LogFenced):  # and with the right expected seq: the message id catches it
        await trio.to_thread.run_sync(record_log.append, HUNT_ID, created, stream_seq)
    assert [m[0] for m in await raw_log(nats_cluster.urls)] == [SUBJECT]
