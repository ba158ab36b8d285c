"""``hunt serve --workers 2`` as a user runs it: a nats-server child, two gateway processes on
one port, this process the owner. Play works through it, a gateway that dies is replaced, and
SIGTERM stops everything cleanly."""

from __future__ import annotations

import os
import secrets
import signal
from pathlib import Path

import httpx
import orjson
import psutil
import pytest
import trio

from hunt_lab.clients.player import open_websocket
from hunt_lab.servers.nats import find_nats_server
from hunt_lab.servers.process import ServerProcess

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _nats() -> None:
    if find_nats_server() is None:
        if os.environ.get("HUNT_TEST_REQUIRE_NATS"):
            pytest.fail("nats-server is not installed, and HUNT_TEST_REQUIRE_NATS is set")
        pytest.skip("nats-server is not installed: --workers 2 needs it")


def gateways(owner_pid: int) -> list[psutil.Process]:
    found = []
    for child in psutil.Process(owner_pid).children():
        try:
            if "hunt.cli._workers" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:  # gone, or a zombie not reaped yet
            continue
    return found


async def play(server: ServerProcess) -> int:
    """Join and find the sample hunt's first clue over a websocket; return the ack's seq."""
    async with open_websocket(server.ws_url("harbor-2026")) as ws:
        await ws.send_message(orjson.dumps({"op": "join", "id": secrets.token_hex(16), "name": "Ann"}).decode())
        joined = orjson.loads(await ws.get_message())
        assert joined["op"] == "ack", joined
        await ws.send_message(orjson.dumps({"op": "answer", "id": "a1", "clue": "c1",
                                            "answer": "lighthouse"}).decode())
        while True:
            frame = orjson.loads(await ws.get_message())
            if frame.get("id") == "a1":
                assert frame["op"] == "ack" and frame["result"] == "correct", frame
                return int(frame["seq"])


async def test_two_gateways_serve_one_port_and_a_dead_one_is_replaced(tmp_path: Path) -> None:
    async with ServerProcess(tmp_path / "data", tmp_path / "logs", extra_args=("--sample", "--workers", "2"),
                             env={"HUNT_STORE_SYNCHRONOUS": "OFF"}) as server:
        await server.start(timeout=90)  # three processes to start on a busy machine
        first = gateways(server.pid)
        assert len(first) == 2
        assert [c.name() for c in psutil.Process(server.pid).children()].count("nats-server") == 1
        with trio.fail_after(20):
            await play(server)
        first[0].send_signal(signal.SIGKILL)
        with trio.fail_after(60):
            while {p.pid for p in gateways(server.pid)} & {first[0].pid} or len(gateways(server.pid)) < 2:
                await trio.sleep(0.1)
            # Until the new gateway listens, the kernel queues its connections on the socket,
            # which the owner kept open: they wait (seconds on a busy machine), they do not fail.
            async with httpx.AsyncClient(base_url=server.url, headers=server.admin_headers, timeout=45) as http:
                for _ in range(10):  # whichever gateway the kernel picks answers
                    assert (await http.get("/admin/hunts/harbor-2026")).status_code == 200
            await play(server)
        with trio.fail_after(30):
            code = await server.stop()
        assert code == 0, server.log_tail()
        assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in first[1:])
