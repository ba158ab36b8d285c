"""Cluster nodes on the log of record: when the owner of a hunt stops, the node that takes it
over builds the hunt's file from the replicated stream (nodes share no disk) before it serves,
and play goes on from where it was. Two in-process nodes over a 3-node NATS cluster (R3)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import orjson
import pytest
import trio

from hunt_lab.clients.player import open_websocket
from hunt_lab.servers.nats_cluster import LocalNatsCluster
from hunt_lab.servers.nodes import LocalNode, open_local_node, write_cluster_key
from tests.support.cluster import hunt_seqs, raw_log
from tests.support.hunts import harbor

pytestmark = pytest.mark.cluster

R3 = {"replicas": 3}


async def request(ws: Any, frame: dict[str, Any]) -> dict[str, Any]:
    await ws.send_message(orjson.dumps(frame).decode())
    with trio.fail_after(10):
        while True:
            reply = orjson.loads(await ws.get_message())
            if reply.get("id") == frame.get("id") and reply.get("op") in ("ack", "error", "welcome"):
                return reply


async def answer_until_acked(node: LocalNode, token: str, frame: dict[str, Any], deadline_s: float = 20,
                             ) -> dict[str, Any]:
    """Say hello and send (resending after `unavailable`, same id) until acked, as a client does."""
    with trio.fail_after(deadline_s):
        while True:
            async with open_websocket(node.ws_url("h1")) as ws:
                reply = await request(ws, {"op": "hello", "id": "h", "token": token})
                if reply["op"] == "welcome":
                    reply = await request(ws, frame)
            if reply["op"] == "ack":
                return reply
            assert reply.get("code") in ("unavailable", "overloaded"), reply
            await trio.sleep(0.2)


async def run_node(tmp_path: Path, url: str, name: str, key: Path, nodes: dict[str, LocalNode],
                   stop: trio.Event) -> None:
    """Node ``name`` until ``stop`` is set; each node in a task of its own, so either may stop first."""
    async with open_local_node(tmp_path / name, url, name, key, cluster=R3) as node:
        nodes[name] = node
        await stop.wait()
    del nodes[name]


async def test_the_node_taking_a_hunt_over_builds_its_file_from_the_stream(
        tmp_path: Path, nats_cluster: LocalNatsCluster) -> None:
    key = write_cluster_key(tmp_path / "cluster.key")
    nodes: dict[str, LocalNode] = {}
    stops = {name: trio.Event() for name in ("a", "b")}
    async with trio.open_nursery() as nursery:
        for name, stop in stops.items():
            nursery.start_soon(run_node, tmp_path, nats_cluster.url, name, key, nodes, stop)
        with trio.fail_after(15):
            while len(nodes) < 2 or len(nodes["a"].node.leases.live_nodes()) < 2:
                await trio.sleep(0.05)
        a = nodes["a"]
        assert (await a.http.post("/admin/hunts", json=harbor("h1"))).status_code == 201
        assert (await a.http.post("/admin/hunts/h1/start")).status_code == 200
        owner = a.node.gateway.placement.owner_of("h1")
        heir = nodes["b" if owner == "a" else "a"]
        assert not heir.node.engine.discover("h1")  # no shared disk: the heir has no file yet
        async with open_websocket(heir.ws_url("h1")) as ws:
            joined = await request(ws, {"op": "join", "id": secrets.token_hex(16), "name": "Ann"})
            wrong = await request(ws, {"op": "answer", "id": "a1", "clue": "c1", "answer": "lamp"})
        assert joined["op"] == "ack" and wrong["op"] == "ack", (joined, wrong)

        stops[owner].set()  # a graceful stop hands the hunt over
        with trio.fail_after(15):
            while owner in nodes:
                await trio.sleep(0.05)
        found = await answer_until_acked(heir, joined["token"],
                                         {"op": "answer", "id": "a2", "clue": "c1", "answer": "lighthouse"})
        assert found["result"] == "correct" and found["seq"] == wrong["seq"] + 1
        assert heir.node.engine.discover("h1")
        state = await heir.node.engine.state("h1")
        assert state.seq == found["seq"] and len(state.players) == 1
        assert (await heir.node.engine.verify("h1"))["ok"]
        for stop in stops.values():
            stop.set()
    messages = await raw_log(nats_cluster.urls)
    assert hunt_seqs(messages, "hunt-log.h1") == list(range(1, found["seq"] + 1))
