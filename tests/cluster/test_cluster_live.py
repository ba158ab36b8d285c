"""``--workers 2`` over real sockets and a real nats-server: the owner and two gateways on one
port. What one process promises holds across gateways: acks once durable, pushes to every
gateway's players, the replica equal to the owner's state, bounded queues that refuse at once."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

import orjson
import pytest
import trio
from trio_websocket import WebSocketConnection

from actors import Overloaded
from hunt.api import app_context
from hunt.cluster import GatewayEngine
from hunt.domain import AnswerClue, JoinHunt, PingLocation
from hunt_lab.clients.player import open_websocket
from hunt_lab.servers.inprocess import LocalServer

WorkersServer = Callable[..., AbstractAsyncContextManager[LocalServer]]  # the open_workers fixture
HUNT = {"id": "harbor", "title": "Harbor", "mode": "solo", "order": "free",
        "clues": [{"id": "c1", "title": "Light", "kind": "answer", "answers": ["lighthouse"], "points": 100}]}


class Client:
    def __init__(self, ws: WebSocketConnection) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []

    async def request(self, frame: dict[str, Any]) -> dict[str, Any]:
        await self.ws.send_message(orjson.dumps(frame).decode())
        return await self.wait_for(lambda f: f.get("op") in ("ack", "error", "welcome", "batch")
                                   and f.get("id") == frame.get("id"))

    async def wait_for(self, match: Any, timeout: float = 5) -> dict[str, Any]:
        with trio.fail_after(timeout):
            while True:
                frame = orjson.loads(await self.ws.get_message())
                self.seen.append(frame)
                if match(frame):
                    return frame

    async def join(self, name: str) -> dict[str, Any]:
        ack = await self.request({"op": "join", "id": secrets.token_hex(16), "name": name})
        assert ack["op"] == "ack", ack
        return ack


async def start_hunt(server: LocalServer) -> None:
    assert (await server.http.post("/admin/hunts", json=HUNT)).status_code == 201
    assert (await server.http.post("/admin/hunts/harbor/start")).status_code == 200


def gateway_engines(server: LocalServer) -> list[GatewayEngine]:
    return [gateway.engine for gateway in server.gateways]


@asynccontextmanager
async def one_on_each_gateway(server: LocalServer) -> AsyncIterator[list[Client]]:
    """A client on gateway 0 and one on gateway 1 (the kernel spreads connections by hash)."""
    async with AsyncExitStack() as stack:
        found: dict[int, Client] = {}
        for _ in range(40):
            ws = await stack.enter_async_context(open_websocket(server.ws_url("harbor")))
            await trio.sleep(0.02)
            counts = [app_context(g.app).connections.statistics().open for g in server.gateways]
            for index, count in enumerate(counts):
                if count > sum(1 for i in found if i == index) and index not in found:
                    found[index] = Client(ws)
                    break
            if len(found) == 2:
                yield [found[0], found[1]]
                return
        pytest.fail("40 connections all went to one gateway")


async def test_a_find_through_one_gateway_reaches_a_player_on_the_other(workers_server: LocalServer) -> None:
    await start_hunt(workers_server)
    async with one_on_each_gateway(workers_server) as (ann, bob):
        await ann.join("Ann")
        await bob.join("Bob")
        ack = await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        assert ack["result"] == "correct"
        # (the recent feed a join brings, the start, comes first)
        feed = await bob.wait_for(lambda f: f.get("op") == "feed" and f.get("kind") == "clue_found")
        assert feed["seq"] == ack["seq"] and feed["kind"] == "clue_found"
        board = await bob.wait_for(lambda f: f.get("op") == "leaderboard" and f["seq"] >= ack["seq"])
        assert board["top"][0]["score"] == 100
    # Every replica that followed the hunt equals the owner's state at the same seq.
    owner = (await workers_server.engine.state("harbor")).to_dict()
    for engine in gateway_engines(workers_server):
        assert (await engine.state("harbor")).to_dict() == owner


async def test_an_ack_is_readable_through_the_other_gateway_at_once(workers_server: LocalServer) -> None:
    await start_hunt(workers_server)
    async with one_on_each_gateway(workers_server) as (ann, other):
        joined = await ann.join("Ann")
        ack = await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        # A client resuming elsewhere says what it saw; the other gateway's replica reads at least that.
        welcome = await other.request({"op": "hello", "id": "w1", "token": joined["token"], "since": ack["seq"]})
        assert welcome["op"] == "welcome" and welcome["seq"] >= ack["seq"]
        assert welcome["progress"]["score"] == 100


async def test_commands_of_many_connections_travel_to_the_owner_in_batches(open_workers: WorkersServer) -> None:
    async with open_workers(engine={"max_batch": 512}) as server:
        await start_hunt(server)
        engines = gateway_engines(server)
        await engines[0].submit("harbor", [])  # the forwarder exists
        joined = [await engines[0].submit("harbor", [_join(i)]) for i in range(50)]
        players = [result.fields["player"] for [result] in joined]
        before = engines[0].forwarder("harbor").requests
        counted = engines[0].commands.statistics().count
        async with trio.open_nursery() as nursery:
            for i, player in enumerate(players):
                nursery.start_soon(engines[0].submit, "harbor", [PingLocation(player, f"g{i}", 1.0, 2.0)])
        sent = engines[0].forwarder("harbor").requests - before
        assert sent < 10, f"50 concurrent commands took {sent} requests"
        assert (await server.engine.state("harbor")).counts["pinged"] == 50
        assert engines[0].commands.statistics().count == counted + 50  # the gateway's /metrics count its acks


async def test_a_push_that_never_arrives_is_read_from_the_log(workers_server: LocalServer) -> None:
    await start_hunt(workers_server)
    gateway = gateway_engines(workers_server)[0]
    replica = gateway.replica("harbor")
    await gateway.state("harbor")
    await gateway.bus.unsubscribe(replica._subscription)  # the gateway hears no more pushes
    [ann] = await gateway.submit("harbor", [_join(1)])
    assert gateway.live("harbor").seq == ann.seq  # the ack waited for the replica, which read the log
    assert replica.caught_up >= 1
    owner = await workers_server.engine.state("harbor")
    assert (await gateway.state("harbor")).to_dict() == owner.to_dict()


async def test_a_full_forward_queue_refuses_at_once(open_workers: WorkersServer,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    async with open_workers(workers={"forward_queue": 2, "forward_inflight": 1}) as server:
        await start_hunt(server)
        gateway = gateway_engines(server)[0]
        release = hold_owner(server, monkeypatch)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(gateway.submit, "harbor", [_join(1)])  # in flight, held by the owner
            await trio.sleep(0.1)
            nursery.start_soon(gateway.submit, "harbor", [_join(2), _join(3)])  # queued: the queue is full
            await trio.sleep(0.05)
            with pytest.raises(Overloaded):
                await gateway.submit("harbor", [_join(4)])
            release.set()


async def test_the_owner_refuses_batches_past_owner_inflight(open_workers: WorkersServer,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    async with open_workers(workers={"owner_inflight": 1}) as server:
        await start_hunt(server)
        first, second = gateway_engines(server)
        release = hold_owner(server, monkeypatch)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(first.submit, "harbor", [_join(1)])
            await trio.sleep(0.1)
            with pytest.raises(Overloaded):
                await second.submit("harbor", [_join(2)])
            release.set()


def hold_owner(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> trio.Event:
    """Make the owner's engine wait for the returned event before each batch."""
    release = trio.Event()
    real_send = server.engine.send

    async def held(hunt_id: str, commands: Any, callback: Any) -> None:
        await release.wait()
        await real_send(hunt_id, commands, callback)

    monkeypatch.setattr(server.engine, "send", held)
    return release


def _join(i: int) -> JoinHunt:
    return JoinHunt(f"{i:032x}", f"P{i}")


async def test_a_commit_larger_than_a_push_goes_out_in_parts_and_in_order(workers_server: LocalServer,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hunt.cluster._owner.PUSH_CHUNK", 10)
    await start_hunt(workers_server)
    gateway = gateway_engines(workers_server)[0]
    await gateway.state("harbor")
    replica = gateway.replica("harbor")
    results = await gateway.submit("harbor", [_join(i) for i in range(25)])  # one batch, one commit
    assert [r.seq for r in results] == list(range(results[0].seq, results[0].seq + 25))
    assert replica.caught_up == 0  # three pushes, applied one after the other, none missing
    owner = await workers_server.engine.state("harbor")
    assert (await gateway.state("harbor")).to_dict() == owner.to_dict()


async def test_a_batch_over_the_bus_payload_limit_goes_in_parts(workers_server: LocalServer) -> None:
    await start_hunt(workers_server)
    gateway = gateway_engines(workers_server)[0]
    [ann] = await gateway.submit("harbor", [_join(1)])
    player = ann.fields["player"]
    answer = "x" * 4000
    results: list[Any] = []

    async def one(i: int) -> None:
        results.extend(await gateway.submit("harbor", [AnswerClue(player, f"a{i}", "c1", answer)]))

    with trio.fail_after(4):  # a refused publish would leave them waiting for the request timeout
        async with trio.open_nursery() as nursery:
            for i in range(400):  # ~1.6 MB in one tick: over NATS's 1 MB
                nursery.start_soon(one, i)
    assert len(results) == 400
