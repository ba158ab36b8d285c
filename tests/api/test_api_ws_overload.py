"""Overload on one connection (hunt/api/_backoff.py): waits that double, and are held to.

The engine is replaced by one that refuses with `overloaded` (what the router does when a
mailbox stays full), so each step is exact; tests/reliability/test_reliability_overload.py
does it with real load.
"""

from __future__ import annotations

from typing import Any

import pytest
import trio
from trio_websocket import ConnectionClosed

from actors import Overloaded
from hunt.api._backoff import RETRY_AFTER_MAX_MS, STRIKE_GRACE_S
from tests.support.api import Connect, OpenServer, Server, close_code, open_socket
from tests.support.hunts import HUNT_ID

PING = {"op": "ping", "lat": 1.0, "lon": 2.0}


class Refusing:
    """Stands in for ``engine.send``: refuses with ``overloaded`` while ``on``, counting calls."""

    def __init__(self, server: Server, monkeypatch: pytest.MonkeyPatch, retry_after_ms: int) -> None:
        self.real = server.engine.send
        self.retry_after_ms = retry_after_ms
        self.on = True
        self.calls = 0
        monkeypatch.setattr(server.engine, "send", self.send)

    async def send(self, hunt_id: str, commands: Any, callback: Any) -> None:
        self.calls += 1
        if self.on:
            raise Overloaded(hunt_id, self.retry_after_ms)
        await self.real(hunt_id, commands, callback)


async def seq(server: Server) -> int:
    return (await server.engine.state(HUNT_ID)).seq


@pytest.mark.one_process  # counts engine calls per command; gateways coalesce them
async def test_each_refusal_in_a_row_asks_for_twice_the_wait_until_a_command_is_admitted(
        hunt: str, server: Server, connect: Connect, monkeypatch: pytest.MonkeyPatch) -> None:
    async with connect() as ann:
        await ann.join()
        before = await seq(server)
        engine = Refusing(server, monkeypatch, retry_after_ms=20)
        waits = []
        for i in range(3):
            error = await ann.request({**PING, "id": f"g{i}"})
            assert (error["op"], error["code"], error["id"]) == ("error", "overloaded", f"g{i}")
            waits.append(error["retry_after_ms"])
            await trio.sleep(error["retry_after_ms"] / 1000 + 0.01)  # a polite client
        assert waits == [20, 40, 80]
        batch = await ann.request({"op": "batch", "id": "b1", "items": [{**PING, "id": "g3"}, {**PING, "id": "g4"}]})
        assert [(item["code"], item["retry_after_ms"]) for item in batch["items"]] == [("overloaded", 160)] * 2
        assert engine.calls == 4 and await seq(server) == before
        await trio.sleep(0.17)
        engine.on = False
        ack = await ann.request({**PING, "id": "g0"})  # the same id as the first refused one
        assert ack["op"] == "ack" and ack["seq"] == before + 1
        engine.on = True
        error = await ann.request({**PING, "id": "g5"})
        assert error["retry_after_ms"] == 20, "an admitted command resets the doubling"


@pytest.mark.one_process  # reads the connection inside the one process
async def test_the_wait_is_capped(hunt: str, server: Server, connect: Connect,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    async with connect() as ann:
        await ann.join()
        Refusing(server, monkeypatch, retry_after_ms=RETRY_AFTER_MAX_MS - 1)
        assert (await ann.request({**PING, "id": "g1"}))["retry_after_ms"] == RETRY_AFTER_MAX_MS - 1
        connection = next(iter(server.ctx.connections._live))
        connection.backoff.wait_until = 0  # as if the wait had passed, without waiting 5 s
        assert (await ann.request({**PING, "id": "g2"}))["retry_after_ms"] == RETRY_AFTER_MAX_MS


@pytest.mark.one_process  # counts engine calls per command; gateways coalesce them
async def test_commands_sent_during_the_wait_are_refused_without_reaching_the_engine(
        hunt: str, server: Server, connect: Connect, monkeypatch: pytest.MonkeyPatch) -> None:
    async with connect() as ann, connect() as bob:
        await ann.join()
        await bob.join("Bob")
        before = await seq(server)
        engine = Refusing(server, monkeypatch, retry_after_ms=2000)
        first = await ann.request({**PING, "id": "g1"})
        assert first["retry_after_ms"] == 2000
        remaining = []
        for i in range(3):
            error = await ann.request({"op": "answer", "id": f"a{i}", "clue": "c1", "answer": "lighthouse"})
            assert (error["code"], error["id"]) == ("overloaded", f"a{i}")
            remaining.append(error["retry_after_ms"])
        assert all(0 < wait <= 2000 for wait in remaining) and remaining == sorted(remaining, reverse=True)
        assert engine.calls == 1, "a command sent during its wait must not reach the engine"
        # The wait is this connection's: another player is not held back by it.
        engine.on = False
        assert (await bob.request({**PING, "id": "b1"}))["op"] == "ack"
        assert await seq(server) == before + 1
        # A hello is admitted like a command (its history replay costs the server like one).
        refused = await ann.request({"op": "hello", "id": "h1", "token": ann.token})
        assert (refused["code"], refused["id"]) == ("overloaded", "h1")


@pytest.mark.one_process  # counts engine calls per command; gateways coalesce them
async def test_a_client_that_keeps_sending_while_told_to_wait_is_closed_with_1013(
        open_server: OpenServer, monkeypatch: pytest.MonkeyPatch) -> None:
    async with open_server(limits={"overload_strikes": 3}) as server:
        await server.create_hunt()
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann, \
                open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as bob:
            await ann.join()
            await bob.join("Bob")
            engine = Refusing(server, monkeypatch, retry_after_ms=5000)
            assert (await ann.request({**PING, "id": "g0"}))["code"] == "overloaded"
            # Commands right behind the refused one were on their way before it was seen:
            # a pipelining client is refused, not struck.
            for i in range(1, 6):
                assert (await ann.request({**PING, "id": f"p{i}"}))["code"] == "overloaded"
            await trio.sleep(STRIKE_GRACE_S)
            for i in range(1, 3):  # strikes 1 and 2 are answered
                assert (await ann.request({**PING, "id": f"g{i}"}))["code"] == "overloaded"
            await ann.send({**PING, "id": "g3"})  # strike 3: closed
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await ann.receive()
            assert close_code(closed.value) == 1013
            assert engine.calls == 1
            engine.on = False
            assert (await bob.request({**PING, "id": "b1"}))["op"] == "ack", "others carry on"
            if not server.gateways:  # else each gateway counts its own (the one that took ann)
                metrics = (await server.http.get("/metrics")).text
                assert "hunt_ws_overload_closes_total 1.0" in metrics
