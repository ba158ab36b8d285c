"""Cluster mode in one process: two nodes (each its own bus, engine, data dir and port) over a
nats-server with JetStream. A new hunt goes to the least-loaded node; any node plays any hunt
and reads its history from the owner; ``/admin/cluster`` shows who owns what."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import orjson
import pytest
import trio

from hunt_lab.clients.player import open_websocket
from hunt_lab.servers.nats import LocalNatsServer
from hunt_lab.servers.nodes import LocalNode, open_local_node, write_cluster_key
from tests.support.hunts import harbor

pytestmark = pytest.mark.cluster


@pytest.fixture
async def two_nodes(tmp_path: Path, jetstream: LocalNatsServer) -> AsyncIterator[list[LocalNode]]:
    key = write_cluster_key(tmp_path / "cluster.key")
    async with AsyncExitStack() as stack:
        nodes = [await stack.enter_async_context(open_local_node(tmp_path / name, jetstream.url, name, key))
                 for name in ("a", "b")]
        await wait_for(lambda: all(len(n.node.leases.live_nodes()) == 2 for n in nodes))
        yield nodes


async def wait_for(condition: Any, timeout: float = 5.0) -> None:
    with trio.fail_after(timeout):
        while not condition():
            await trio.sleep(0.02)


async def request(ws: Any, frame: dict[str, Any]) -> dict[str, Any]:
    await ws.send_message(orjson.dumps(frame).decode())
    with trio.fail_after(5):
        while True:
            reply = orjson.loads(await ws.get_message())
            if reply.get("id") == frame.get("id") and reply.get("op") in ("ack", "error", "welcome"):
                return reply


async def test_new_hunts_go_to_the_least_loaded_node(two_nodes: list[LocalNode]) -> None:
    a, b = two_nodes
    for hunt_id in ("h1", "h2"):
        response = await a.http.post("/admin/hunts", json=harbor(hunt_id))
        assert response.status_code == 201, response.text
        await wait_for(lambda: all(len(n.node.leases.nodes) == 2 for n in two_nodes))
        await trio.sleep(a.node.leases.renew_every_s + 0.1)  # the loads travel with the heartbeats
    owners = {hunt_id: a.node.gateway.placement.owner_of(hunt_id) for hunt_id in ("h1", "h2")}
    assert sorted(owners.values()) == ["a", "b"], owners
    taken = await b.http.post("/admin/hunts", json=harbor("h1"))
    assert taken.status_code == 409, taken.text


async def test_any_node_plays_any_hunt_and_reads_its_history_from_the_owner(two_nodes: list[LocalNode]) -> None:
    a, b = two_nodes
    assert (await a.http.post("/admin/hunts", json=harbor("h1"))).status_code == 201
    owner = a.node.gateway.placement.owner_of("h1")
    other = b if owner == "a" else a
    assert (await other.http.post("/admin/hunts/h1/start")).status_code == 200
    async with open_websocket(other.ws_url("h1")) as ws:
        joined = await request(ws, {"op": "join", "id": secrets.token_hex(16), "name": "Ann"})
        assert joined["op"] == "ack", joined
        found = await request(ws, {"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        assert found["op"] == "ack" and found["result"] == "correct", found
        again = await request(ws, {"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        assert again["op"] == "ack" and again.get("duplicate") is True, again
    # The non-owner has no file for h1: events, export and time travel come from the owner.
    assert not (other.node.engine.data_dir / "hunts").exists() or not other.node.engine.discover("h1")
    events = (await other.http.get("/admin/hunts/h1/events")).json()
    assert [event["type"] for event in events["events"]][-1] == "clue_found"
    export = (await other.http.get("/admin/hunts/h1/export")).text.strip().splitlines()
    assert len(export) == len(events["events"])
    past = await other.http.get("/admin/hunts/h1/leaderboard", params={"at_seq": 1})
    assert past.status_code == 200 and past.json()["rows"] == []
    listing = (await other.http.get("/admin/hunts")).json()["hunts"]
    assert [row["id"] for row in listing] == ["h1"] and listing[0]["events"] == found["seq"]


async def test_admin_cluster_shows_the_nodes_their_hunts_and_lease_ages(two_nodes: list[LocalNode]) -> None:
    a, b = two_nodes
    assert (await a.http.post("/admin/hunts", json=harbor("h1"))).status_code == 201
    owner = a.node.gateway.placement.owner_of("h1")
    await wait_for(lambda: b.node.leases.owner_of("h1") is not None or owner == "b")
    body = (await b.http.get("/admin/cluster")).json()
    assert body["node"] == "b" and body["lease_s"] == 2.0
    assert {node["name"] for node in body["nodes"]} == {"a", "b"}
    by_name = {node["name"]: node for node in body["nodes"]}
    assert by_name[owner]["hunts"] == ["h1"] and by_name["b"]["self"] is True
    [hunt] = body["hunts"]
    assert hunt["id"] == "h1" and hunt["owner"] == owner
    assert owner == "b" or 0 <= hunt["lease_age_s"] <= 2.0
    assert (await b.http.get("/admin/cluster", headers={"Authorization": "Bearer wrong"})).status_code == 401


async def test_history_crosses_in_parts_pages_shrink_and_a_state_past_the_bound_is_a_413(
        tmp_path: Path, jetstream: LocalNatsServer) -> None:
    key = write_cluster_key(tmp_path / "cluster.key")
    small = {"history_chunk_bytes": 1024, "history_max_bytes": 5000}
    async with open_local_node(tmp_path / "a", jetstream.url, "a", key, cluster=small) as a, \
            open_local_node(tmp_path / "b", jetstream.url, "b", key, cluster=small) as b:
        await wait_for(lambda: len(b.node.leases.live_nodes()) == 2)
        assert (await a.http.post("/admin/hunts", json=harbor("h1"))).status_code == 201
        reader = b if a.node.leases.holds("h1") else a  # the node without the file
        for index in range(12):
            sent = await reader.http.post("/admin/hunts/h1/announce", json={"id": f"n{index}", "text": "x" * 500})
            assert sent.status_code == 200, sent.text
        three = await reader.http.get("/admin/hunts/h1/events", params={"limit": 3})
        assert three.status_code == 200 and len(three.json()["events"]) == 3  # ~2 KB: in parts of 1 KB
        past = await reader.http.get("/admin/hunts/h1/leaderboard", params={"at_seq": 5})
        assert past.status_code == 200
        everything = await reader.http.get("/admin/hunts/h1/export")  # 13 events, ~8 KB: in smaller pages
        assert everything.status_code == 200 and len(everything.text.strip().splitlines()) == 13
        big = harbor("big", description="y" * 2000)  # its state alone is over the bound
        big["clues"][0]["prompt"] = big["clues"][1]["title"] = "z" * 2000
        big["clues"][2]["title"] = "w" * 2000
        created = await reader.http.post("/admin/hunts", json=big)  # created, but its state cannot cross
        assert created.status_code == 413, created.text
        refused = await reader.http.get("/admin/hunts/big/leaderboard", params={"at_seq": 1})
        assert refused.status_code == 413, refused.text
        assert "cluster.history_max_bytes" in refused.json()["message"]


async def test_a_graceful_stop_hands_the_hunt_over_with_its_log_and_its_idempotency_keys(
        tmp_path: Path, jetstream: LocalNatsServer) -> None:
    key = write_cluster_key(tmp_path / "cluster.key")
    async with open_local_node(tmp_path / "b", jetstream.url, "b", key) as b:
        async with open_local_node(tmp_path / "a", jetstream.url, "a", key) as a:
            await wait_for(lambda: len(b.node.leases.live_nodes()) == 2)
            assert (await a.http.post("/admin/hunts", json=harbor("h1"))).status_code == 201
            assert a.node.leases.holds("h1")  # the least loaded: both had none, "a" sorts first
            assert (await b.http.post("/admin/hunts/h1/start")).status_code == 200
            async with open_websocket(b.ws_url("h1")) as ws:
                joined = await request(ws, {"op": "join", "id": secrets.token_hex(16), "name": "Ann"})
                found = await request(ws, {"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
            assert found["op"] == "ack", found
        stopped = trio.current_time()  # a handed h1 over as it stopped: b takes it without waiting for a lapse
        await wait_for(lambda: b.node.leases.holds("h1"))
        assert trio.current_time() - stopped < b.node.leases.lease_s
        async with open_websocket(b.ws_url("h1")) as ws:
            welcome = await request(ws, {"op": "hello", "id": "h", "token": joined["token"]})
            assert welcome["op"] == "welcome" and welcome["seq"] == found["seq"], welcome
            again = await request(ws, {"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
            assert again["op"] == "ack" and again["duplicate"] is True and again["seq"] == found["seq"], again
            checked = await request(ws, {"op": "checkin", "id": "g1", "clue": "c2", "lat": 53.5441, "lon": 9.9667})
            assert checked["op"] == "ack" and checked["seq"] == found["seq"] + 1, checked
        export = [orjson.loads(line) for line in (await b.http.get("/admin/hunts/h1/export")).text.splitlines()]
        assert [event["seq"] for event in export] == list(range(1, checked["seq"] + 1))
        assert [event["cmd"] for event in export].count("a1") == 1
