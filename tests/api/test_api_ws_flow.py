"""Flow control (hunt/api/_replies.py, _shares.py): a window per connection, fair shares per hunt.

The engine's ``send`` is replaced by one that holds what reaches it until the test lets it
through, so what the server has *read* is exact: a frame it did not read never reaches it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import trio

from tests.support.api import OpenServer, Player, Server, open_socket
from tests.support.hunts import HUNT_ID

PING = {"op": "ping", "lat": 1.0, "lon": 2.0}


class Holding:
    """Stands in for ``engine.send``: keeps what reaches it (for ``hunts``) until ``release``."""

    def __init__(self, server: Server, monkeypatch: pytest.MonkeyPatch, hunts: tuple[str, ...] = (HUNT_ID,)) -> None:
        self.real = server.engine.send
        self.hunts = hunts
        self.held: list[tuple[str, Any, Any]] = []
        self.arrived: list[Any] = []  # every command that reached the engine, in order
        monkeypatch.setattr(server.engine, "send", self.send)

    async def send(self, hunt_id: str, commands: Any, callback: Any) -> None:
        if hunt_id not in self.hunts:
            await self.real(hunt_id, commands, callback)
            return
        self.arrived.extend(commands)
        self.held.append((hunt_id, commands, callback))

    def held_commands(self) -> int:
        return sum(len(commands) for _, commands, _ in self.held)

    async def release(self, count: int | None = None) -> None:
        """Let the first ``count`` held sends (all by default) through to the real engine."""
        count = len(self.held) if count is None else count
        through, self.held = self.held[:count], self.held[count:]
        for hunt_id, commands, callback in through:
            await self.real(hunt_id, commands, callback)

    def by(self, player: str | None) -> int:
        return sum(1 for command in self.arrived if command.principal == player)


async def settle(condition: Callable[[], bool], *, extra_s: float = 0.3) -> None:
    """Wait until ``condition`` holds, then a little longer: time for anything more to (wrongly) arrive."""
    with trio.fail_after(5):
        while not condition():
            await trio.sleep(0.01)
    await trio.sleep(extra_s)


async def pings(player: Player, prefix: str, count: int) -> list[str]:
    ids = [f"{prefix}{i}" for i in range(count)]
    for cmd in ids:
        await player.send({**PING, "id": cmd})
    return ids


async def replies(player: Player, count: int) -> list[dict[str, Any]]:
    got = []
    while len(got) < count:
        frame = await player.receive()
        if frame["op"] in ("ack", "error", "batch"):
            got.append(frame)
    return got


async def test_the_window_is_said_in_the_join_ack_and_in_welcome(open_server: OpenServer) -> None:
    async with open_server(limits={"window": 7}) as server:
        await server.create_hunt()
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann:
            ack = await ann.join()
            assert ack["window"] == 7
            welcome = await ann.request({"op": "hello", "id": "h1", "token": ann.token})
            assert (welcome["op"], welcome["window"]) == ("welcome", 7)


@pytest.mark.one_process  # counts engine sends per frame; gateways coalesce frames into batches
async def test_the_server_reads_no_further_than_the_window(open_server: OpenServer,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    async with open_server(limits={"window": 4}) as server:
        await server.create_hunt()
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann:
            await ann.join()
            [connection] = server.ctx.connections._live
            engine = Holding(server, monkeypatch)
            ids = await pings(ann, "g", 4 + 5)  # pipelined: none waits for an ack
            await settle(lambda: len(engine.arrived) >= 4)
            assert len(engine.arrived) == 4
            assert connection.frames_read == 1 + 4, "the frames past the window were not even read"
            await engine.release()  # the first four are answered: four more are read
            await settle(lambda: len(engine.arrived) >= 8)
            assert len(engine.arrived) == 8
            await engine.release()
            await settle(lambda: len(engine.arrived) >= 9, extra_s=0)
            await engine.release()
            acks = await replies(ann, 9)
    assert [(a["op"], a["id"]) for a in acks] == [("ack", cmd) for cmd in ids], "every ack, in the order sent"
    assert [a["seq"] for a in acks] == sorted(a["seq"] for a in acks)


@pytest.mark.one_process  # reads the connection inside the one process
async def test_a_client_that_does_not_read_its_replies_stops_being_read(open_server: OpenServer) -> None:
    async with open_server(limits={"window": 4, "outbox_capacity": 64}) as server:
        await server.create_hunt()
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann:
            await ann.join()
            [connection] = server.ctx.connections._live
            # As if the client's TCP window were full: the server cannot write to it.
            writable, send = trio.Event(), connection.socket.send

            async def blocked(text: str) -> None:
                await writable.wait()
                await send(text)

            connection.socket.send = blocked
            # Errors answer at once; unsent, they fill the window as much as acks do.
            for i in range(10):
                await ann.send({**PING, "id": f"bad{i}", "lat": "north"})
            await settle(lambda: connection.frames_read >= 1 + 4)
            assert connection.frames_read == 1 + 4
            writable.set()
            got = await replies(ann, 10)
    assert [(r["code"], r["id"]) for r in got] == [("bad_request", f"bad{i}") for i in range(10)]


async def test_a_batch_larger_than_the_window_is_refused_whole(open_server: OpenServer) -> None:
    async with open_server(limits={"window": 4}) as server:
        await server.create_hunt()
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann:
            await ann.join()
            five = [{**PING, "id": f"x{i}"} for i in range(5)]
            too_big = await ann.request({"op": "batch", "id": "b0", "items": five})
            four = await ann.request({"op": "batch", "id": "b1", "items": five[:4]})
    assert (too_big["code"], too_big["id"]) == ("too_large", "b0")
    assert "at most 4 items" in too_big["message"]
    assert [item["op"] for item in four["items"]] == ["ack"] * 4


@pytest.mark.one_process  # counts engine sends per frame; gateways coalesce frames into batches
async def test_a_batch_counts_its_items_in_the_window(
        open_server: OpenServer, monkeypatch: pytest.MonkeyPatch) -> None:
    async with open_server(limits={"window": 4}) as server:
        await server.create_hunt()
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann:
            await ann.join()
            engine = Holding(server, monkeypatch)
            await ann.send({"op": "batch", "id": "b1", "items": [{**PING, "id": f"b{i}"} for i in range(3)]})
            await pings(ann, "g", 2)  # the first fills the window (3 + 1); the second must wait
            await settle(lambda: len(engine.arrived) >= 4)
            assert [c.cmd for c in engine.arrived] == ["b0", "b1", "b2", "g0"]
            await engine.release()
            await settle(lambda: len(engine.arrived) >= 5, extra_s=0)
            await engine.release()
            got = await replies(ann, 3)
    assert [(r["op"], r.get("id")) for r in got] == [("batch", "b1"), ("ack", "g0"), ("ack", "g1")]
    assert [item["result"] for item in got[0]["items"]] == ["ok"] * 3


@pytest.mark.one_process  # settles engine sends one by one; gateways coalesce them
async def test_replies_leave_in_the_order_of_their_frames_whatever_order_they_settle_in(
        server: Server, hunt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann:
        await ann.join()
        engine = Holding(server, monkeypatch)
        await pings(ann, "g", 2)
        await ann.send({**PING, "id": "bad", "lat": "north"})  # refused at once, yet after g0 and g1
        await pings(ann, "h", 1)
        await settle(lambda: len(engine.arrived) >= 3, extra_s=0)
        held = engine.held
        engine.held = held[::-1]
        await engine.release()  # h0 is answered first
        got = await replies(ann, 4)
    assert [(r["op"], r["id"]) for r in got] == [("ack", "g0"), ("ack", "g1"), ("error", "bad"), ("ack", "h0")]


@pytest.mark.one_process  # a player's window is kept per gateway: two gateways, two windows (docs/workers.md)
async def test_commands_of_one_player_on_many_connections_share_one_window(
        open_server: OpenServer, monkeypatch: pytest.MonkeyPatch) -> None:
    async with open_server(limits={"window": 4}) as server:
        await server.create_hunt()
        port, path = server.port, f"/ws/hunts/{HUNT_ID}"
        async with open_socket(port, path) as ann, open_socket(port, path) as again, open_socket(port, path) as bob:
            await ann.join("Ann")
            await again.request({"op": "hello", "id": "h1", "token": ann.token})
            await bob.join("Bob")
            engine = Holding(server, monkeypatch)
            await pings(ann, "a", 4)
            await pings(again, "b", 4)  # the same player: nothing more of theirs is taken
            await pings(bob, "c", 4)  # another player has a window of their own
            await settle(lambda: len(engine.arrived) >= 8)
            assert (engine.by(ann.player), engine.by(bob.player)) == (4, 4)
            await engine.release()
            await settle(lambda: engine.by(ann.player) >= 8)
            await engine.release()
            assert len(await replies(ann, 4)) == len(await replies(again, 4)) == len(await replies(bob, 4)) == 4


@pytest.mark.one_process  # an address's window is kept per gateway (docs/workers.md)
async def test_connections_from_one_address_share_its_window(open_server: OpenServer,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    async with open_server(limits={"window": 4, "address_window": 6}) as server:
        await server.create_hunt()
        port, path = server.port, f"/ws/hunts/{HUNT_ID}"
        async with open_socket(port, path) as ann, open_socket(port, path) as bob, open_socket(port, path) as cy:
            for player, name in ((ann, "Ann"), (bob, "Bob"), (cy, "Cy")):
                await player.join(name)
            engine = Holding(server, monkeypatch)
            for player, prefix in ((ann, "a"), (bob, "b"), (cy, "c")):
                await pings(player, prefix, 4)
            await settle(lambda: len(engine.arrived) >= 6)
            assert len(engine.arrived) == 6, "all three come from 127.0.0.1"
            while len(engine.arrived) < 12:
                await engine.release()
                await trio.sleep(0.05)
            await engine.release()
            for player in (ann, bob, cy):
                assert [r["op"] for r in await replies(player, 4)] == ["ack"] * 4


@pytest.mark.one_process  # a hunt's share is kept per gateway (docs/workers.md)
async def test_a_hunt_at_its_limit_takes_connections_in_turn(open_server: OpenServer,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Three connections pipeline as fast as they can into a hunt that holds 4: what reaches
    the hunt alternates between them; none gets ahead of another by more than its window."""
    window = 2
    async with open_server(limits={"window": window, "hunt_window": 4, "address_window": 4}) as server:
        await server.create_hunt()
        port, path = server.port, f"/ws/hunts/{HUNT_ID}"
        async with open_socket(port, path) as ann, open_socket(port, path) as bob, open_socket(port, path) as cy:
            players = (ann, bob, cy)
            for player, name in zip(players, ("Ann", "Bob", "Cy"), strict=True):
                await player.join(name)
            engine = Holding(server, monkeypatch)
            for player, prefix in zip(players, "abc", strict=True):
                await pings(player, prefix, 12)
            await settle(lambda: len(engine.arrived) >= 4)
            assert engine.held_commands() == 4  # the hunt's share, all it holds at once
            while len(engine.arrived) < 36:
                await engine.release(1)
                await settle(lambda: engine.held_commands() >= min(4, 36 - len(engine.arrived) + 1), extra_s=0)
            await engine.release()
            for player in players:
                await replies(player, 12)
    order = [command.principal for command in engine.arrived]
    for end in range(1, len(order) + 1):
        counts = [order[:end].count(player.player) for player in players]
        assert max(counts) - min(counts) <= window + 1, (end, counts)


@pytest.mark.one_process  # reads one process's shares; a hunt's share is kept per gateway (docs/workers.md)
async def test_a_hunt_at_its_limit_does_not_slow_another_hunts_acks(
        open_server: OpenServer, monkeypatch: pytest.MonkeyPatch) -> None:
    async with open_server(limits={"window": 4, "hunt_window": 8, "address_window": 64}) as server:
        await server.create_hunt()
        await server.create_hunt("other")
        port = server.port
        async with open_socket(port, f"/ws/hunts/{HUNT_ID}") as ann, \
                open_socket(port, f"/ws/hunts/{HUNT_ID}") as bob, open_socket(port, "/ws/hunts/other") as cy:
            await ann.join("Ann")
            await bob.join("Bob")
            await cy.join("Cy")
            engine = Holding(server, monkeypatch, hunts=(HUNT_ID,))  # the harbor hunt stops answering
            await pings(ann, "a", 40)
            await pings(bob, "b", 40)
            await settle(lambda: len(engine.arrived) >= 8)
            assert server.ctx.shares.in_flight(HUNT_ID) == 8  # at its limit, the rest waits in TCP
            started = trio.current_time()
            for i in range(20):
                ack = await cy.request({**PING, "id": f"c{i}"}, timeout=2)
                assert ack["op"] == "ack", ack
            assert trio.current_time() - started < 2.0
            assert len(engine.arrived) == 8
            engine.hunts = ()
            await engine.release()
            assert len(await replies(ann, 40)) == len(await replies(bob, 40)) == 40


@pytest.mark.one_process  # counts engine sends per frame; gateways coalesce frames into batches
async def test_the_labs_players_keep_within_the_window(open_server: OpenServer,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """``hunt simulate``, ``hunt demo`` and the reliability crowds all send through SimPlayer."""
    from hunt_lab.clients.player import SimPlayer

    answered: list[str] = []
    async with open_server(limits={"window": 3}) as server:
        await server.create_hunt()
        player = SimPlayer(f"ws://127.0.0.1:{server.port}/ws/hunts/{HUNT_ID}", "Sim",
                           lambda _player, _pending, reply: answered.append(reply["id"]))
        stop = trio.Event()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(lambda: player.run(team=None, stop=stop))
            await player.connected.wait()
            assert player.window == 3
            engine = Holding(server, monkeypatch)
            now = trio.current_time()
            sent = [await player.send({**PING, "id": f"g{i}"}, now) for i in range(4)]
            sent.append(await player.send_batch([{**PING, "id": f"b{i}"} for i in range(2)], now))
            assert sent == [True, True, True, False, False]  # the rest waits in the client
            await settle(lambda: len(engine.arrived) >= 3)
            [connection] = server.ctx.connections._live
            assert connection.frames_read == 1 + 3 and player.in_flight == 3
            while len(answered) < 6:
                await engine.release()
                await trio.sleep(0.05)
                assert player.in_flight <= 3
            stop.set()
            nursery.cancel_scope.cancel()
    assert answered == ["g0", "g1", "g2", "g3", "b0", "b1"]


async def test_a_hunt_at_its_limit_keeps_pipelining_clients_waiting_not_refused(open_server: OpenServer) -> None:
    """The hunt's share is at most its mailbox: three clients pipelining 30 commands each into a
    mailbox of 4 (refusing at once when full) get 90 acks and no `overloaded`."""
    async with open_server(limits={"window": 8},
                           engine={"mailbox_capacity": 4, "admission_timeout_ms": 1, "admission_queue": 0}) as server:
        await server.create_hunt()
        port, path = server.port, f"/ws/hunts/{HUNT_ID}"
        async with open_socket(port, path) as ann, open_socket(port, path) as bob, open_socket(port, path) as cy:
            players = (ann, bob, cy)
            for player, name in zip(players, ("Ann", "Bob", "Cy"), strict=True):
                await player.join(name)
            async with trio.open_nursery() as nursery:
                for player, prefix in zip(players, "abc", strict=True):
                    nursery.start_soon(pings, player, prefix, 30)
            got = [await replies(player, 30) for player in players]
    assert [[r["op"] for r in answers] for answers in got] == [["ack"] * 30] * 3
