"""Cluster mode's log of record: every batch goes to the replicated stream before the local
commit and the ack, a stale owner is fenced by the stream, and a node catches a hunt's file up
from the stream (or builds it) before it serves. Against a real 3-node NATS cluster (R3)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import trio

from actors import ActivationFailed, ActorCrashed, RequestTimeout
from hunt.cluster import LogDiverged, LogFenced, LoggedHuntStores, LogUnavailable, RecordLog, open_record_log
from hunt.config import Config
from hunt.domain import HuntCreated, JoinHunt, Pinged, PingLocation, Recorded, StartHunt
from hunt.engine import Ack, Engine, open_engine
from hunt.store import HuntExists, SqliteHuntStore, SqliteHuntStores
from hunt_lab.faults.store import FaultPlan, FaultyStores
from hunt_lab.servers.nats import free_port
from hunt_lab.servers.nats_cluster import LocalNatsCluster
from tests.support.api import ADMIN_TOKEN, join_id, open_socket, run_server
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
        record_log: RecordLog, node_config: Callable[..., Config], hunt_document: dict[str, Any],
        nats_cluster: LocalNatsCluster) -> None:
    small_snapshots = {"store": {"synchronous": "NORMAL", "snapshot_every": 16}}
    first, second = node_config("a", **small_snapshots), node_config("b", **small_snapshots)
    async with logged_engine(first, record_log) as (engine, _):
        await start_hunt(engine, hunt_document, players=3)
        for n in range(6):
            await pings(engine, f"r{n}-", 7, player=f"p{n % 3 + 1}")
        original = (await engine.state(HUNT_ID)).to_dict()
    # The second node reads the stream two messages at a time (many pages).
    paged = Config().replace(cluster={"log_catch_up_batch": 2}).cluster
    async with open_record_log(paged, nats_cluster.url, name="paged") as small_pages, \
            logged_engine(second, small_pages) as (engine, stores):
        assert not engine.exists(HUNT_ID)
        built = await stores.catch_up(HUNT_ID)
        assert built.applied == built.seq == original["seq"]
        assert engine.exists(HUNT_ID)
        built_file = SqliteHuntStore.open(second.data_path, HUNT_ID)  # (the hunt is not loaded yet)
        try:  # a long catch-up leaves a snapshot, so the first load replays little
            assert built_file.last_snapshot_seq == original["seq"]
        finally:
            built_file.close()
        assert (await engine.state(HUNT_ID)).to_dict() == original
        report = await engine.verify(HUNT_ID)
        assert report["ok"], report
    # The first node plays on; the second catches its existing file up on its engine's own load.
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


async def stream_leader(record_log: RecordLog) -> str:
    info = await trio.to_thread.run_sync(lambda: record_log._run(record_log._js.stream_info(record_log.stream)))
    return str(info.cluster.leader)


async def submit_until_acked(engine: Engine, command: PingLocation, deadline_s: float = 20.0) -> Ack:
    """Resend one command (same id) until it is acked, as a client does after `unavailable`."""
    with trio.fail_after(deadline_s):
        while True:
            try:
                [result] = await engine.submit(HUNT_ID, [command])
            except (ActorCrashed, ActivationFailed, RequestTimeout):
                await trio.sleep(0.1)
                continue
            assert isinstance(result, Ack), result
            return result


async def test_play_goes_on_when_the_stream_leader_node_is_killed(
        record_log: RecordLog, nats_cluster: LocalNatsCluster, node_config: Callable[..., Config],
        hunt_document: dict[str, Any]) -> None:
    async with logged_engine(node_config("a"), record_log) as (engine, _):
        await start_hunt(engine, hunt_document)
        acked = [await submit_until_acked(engine, PingLocation("p1", f"before-{n}", 53.5, 9.9)) for n in range(5)]
        leader = await stream_leader(record_log)
        await trio.to_thread.run_sync(nats_cluster.kill, int(leader.removeprefix("n")))
        acked += [await submit_until_acked(engine, PingLocation("p1", f"after-{n}", 53.5, 9.9)) for n in range(10)]
        assert await stream_leader(record_log) != leader
    seqs = [ack.seq for ack in acked]
    assert seqs == sorted(set(seqs))  # each acked once, in order (a resend after `unavailable` is a duplicate)
    messages = await raw_log([url for i, url in enumerate(nats_cluster.urls) if i in nats_cluster.running()])
    assert hunt_seqs(messages, SUBJECT) == list(range(1, seqs[-1] + 1))  # exactly once, no gap


async def test_without_nats_commands_are_unavailable_at_once_and_nothing_is_committed(
        record_log: RecordLog, nats_cluster: LocalNatsCluster, node_config: Callable[..., Config],
        hunt_document: dict[str, Any]) -> None:
    config = node_config("a")
    async with logged_engine(config, record_log) as (engine, _):
        await start_hunt(engine, hunt_document)
        held = file_seq(config)
        await trio.to_thread.run_sync(nats_cluster.close)
        timeout = config.cluster.log_publish_timeout_s
        started = trio.current_time()
        with pytest.raises(ActorCrashed):
            await engine.submit(HUNT_ID, [PingLocation("p1", "no-nats", 53.5, 9.9)])
        assert trio.current_time() - started < timeout + 2
        started = trio.current_time()
        with pytest.raises(ActivationFailed):  # the reload cannot check the stream: it refuses too
            await engine.submit(HUNT_ID, [PingLocation("p1", "no-nats", 53.5, 9.9)])
        assert trio.current_time() - started < timeout + 2
        assert file_seq(config) == held


async def test_opening_the_log_without_nats_fails_clearly(nats_binary: str) -> None:
    with trio.fail_after(5), pytest.raises(LogUnavailable, match="cannot reach NATS"):
        async with open_record_log(Config().cluster, f"nats://127.0.0.1:{free_port()}", connect_timeout_s=1):
            pass


async def test_no_secret_reaches_the_stream(record_log: RecordLog, nats_cluster: LocalNatsCluster,
                                            tmp_path: Path) -> None:
    """A join id is a bearer secret (the log holds its keyed hash), and neither the player's
    token nor the admin token is ever part of a record."""

    def stores(config: Config) -> LoggedHuntStores:
        return LoggedHuntStores(SqliteHuntStores(config.data_path, synchronous="OFF"), record_log)

    secret_join = join_id("a secret join id")
    async with run_server(tmp_path / "api", stores=stores) as server:
        await server.create_hunt()
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as player:
            joined = await player.join("Ann", cmd=secret_join)
            reply = await player.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
            assert reply["op"] == "ack", reply
    messages = await raw_log(nats_cluster.urls)
    text = b"\n".join(data + orjson.dumps(headers) for _, data, headers in messages)
    assert hunt_seqs(messages, SUBJECT)[-1] == reply["seq"]
    assert b"player_joined" in text and b'"cmd":"jk-' in text  # the join, under its keyed hash
    for secret in (secret_join, joined["token"], ADMIN_TOKEN):
        assert secret.encode() not in text


async def test_a_takeover_fences_the_old_owner_before_the_new_one_writes(
        record_log: RecordLog, node_config: Callable[..., Config], hunt_document: dict[str, Any]) -> None:
    async with logged_engine(node_config("old"), record_log) as (old, _), \
            logged_engine(node_config("new"), record_log) as (_, new_stores):
        await start_hunt(old, hunt_document)
        await pings(old, "old-", 2)
        await new_stores.catch_up(HUNT_ID)  # the new owner writes nothing yet
        with pytest.raises(ActorCrashed):
            await old.submit(HUNT_ID, [PingLocation("p1", "stale", 53.5, 9.9)])


async def test_a_file_the_stream_has_never_seen_becomes_the_log_of_record(
        record_log: RecordLog, node_config: Callable[..., Config], hunt_document: dict[str, Any]) -> None:
    """A hunt imported, or kept from before cluster mode: its first logged open appends it."""
    config = node_config("a")
    async with open_engine(config) as plain:  # no log: a file of its own
        await start_hunt(plain, hunt_document)
        await pings(plain, "early-", 5)
        original = (await plain.state(HUNT_ID)).to_dict()
    async with logged_engine(config, record_log) as (engine, _):
        assert (await engine.state(HUNT_ID)).to_dict() == original
        [ack] = await pings(engine, "logged-", 1)
    assert (await trio.to_thread.run_sync(record_log.last, HUNT_ID))[0] == ack.seq
    async with logged_engine(node_config("b"), record_log) as (other, stores):
        await stores.catch_up(HUNT_ID)
        assert (await other.state(HUNT_ID)).seq == ack.seq


async def test_a_file_ahead_of_the_stream_is_not_served(
        record_log: RecordLog, node_config: Callable[..., Config], hunt_document: dict[str, Any]) -> None:
    first, second = node_config("a"), node_config("b")
    async with logged_engine(first, record_log) as (engine, _):
        await start_hunt(engine, hunt_document)
    async with logged_engine(second, record_log) as (_, stores):
        await stores.catch_up(HUNT_ID)
    async with open_engine(second) as plain:  # events written behind the log's back
        await pings(plain, "rogue-", 2)
    async with logged_engine(second, record_log) as (engine, _):
        with pytest.raises(ActivationFailed) as refused:
            await engine.submit(HUNT_ID, [PingLocation("p1", "x", 53.5, 9.9)])
        assert isinstance(refused.value.__cause__, LogDiverged)


async def test_a_batch_larger_than_one_message_goes_as_several_in_order(
        record_log: RecordLog, nats_cluster: LocalNatsCluster) -> None:
    created = [Recorded(seq=1, ts=1, event=HuntCreated({"id": HUNT_ID}, "inc"))]
    stream_seq = await trio.to_thread.run_sync(record_log.append, HUNT_ID, created, 0)
    batch = [Recorded(seq, 2, Pinged("p1", 53.5, 9.9), f"ping-{seq:06d}-" + "x" * 200, "p1")
             for seq in range(2, 6002)]  # about 1.8 MB, over the server's 1 MB max_payload
    last_stream = await trio.to_thread.run_sync(record_log.append, HUNT_ID, batch, stream_seq)
    messages = await raw_log(nats_cluster.urls)
    assert len(messages) >= 3 and max(len(data) for _, data, _ in messages) < 1024 * 1024
    assert hunt_seqs(messages, SUBJECT) == list(range(1, 6002))
    read = await trio.to_thread.run_sync(
        lambda: [record for _, records in record_log.read(HUNT_ID, 0, last_stream) for record in records])
    assert read == created + batch
