"""Rate limits on the player websocket (per connection, player and address), and no work for
connections that never join."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import trio

from hunt.api._buckets import BucketTable
from tests.support.api import OpenServer, Server, open_socket
from tests.support.hunts import HUNT_ID

# Connection caps, rate buckets and the admin throttle are kept per process (with --workers N,
# per gateway), and these tests look inside that process (docs/security.md).
pytestmark = pytest.mark.one_process

WS_PATH = f"/ws/hunts/{HUNT_ID}"
LIFTED = 100_000


def rates(**tight: float) -> dict[str, float]:
    """Every bucket lifted except the ``tight`` ones (e.g. ``connection_commands_burst=3``)."""
    lifted: dict[str, float] = {}
    for scope, what in (("connection", "commands"), ("player", "commands"), ("address", "commands"),
                        ("player", "pings"), ("address", "pings"), ("connection", "joins"), ("address", "joins")):
        lifted[f"{scope}_{what}_per_s"] = float(LIFTED)
        lifted[f"{scope}_{what}_burst"] = LIFTED
    return {**lifted, **tight}


def join(name: str) -> dict[str, Any]:
    return {"op": "join", "id": secrets.token_urlsafe(16), "name": name}


def ping(cmd: str) -> dict[str, Any]:
    return {"op": "ping", "id": cmd, "lat": 53.5, "lon": 9.9}


async def events_recorded(server: Server) -> int:
    response = await server.http.get(f"/admin/hunts/{HUNT_ID}/events?limit=100")
    return len(response.json()["events"])


async def test_one_connection_cannot_write_events_flat_out(open_server: OpenServer) -> None:
    async with open_server(rates=rates(connection_commands_per_s=2.0, connection_commands_burst=4)) as server:
        await server.create_hunt()
        async with open_socket(server.port, WS_PATH) as player:
            await player.join()  # one token
            before = await events_recorded(server)
            replies = [await player.request(ping(f"p{i}")) for i in range(6)]
            assert [r["op"] for r in replies] == ["ack"] * 3 + ["error"] * 3
            refused = replies[-1]
            assert refused["code"] == "rate_limited" and refused["id"] == "p5"
            assert 0 < refused["retry_after_ms"] <= 500
            assert await events_recorded(server) == before + 3  # refused pings recorded nothing
            await trio.sleep(refused["retry_after_ms"] / 1000)
            assert (await player.request(ping("p6")))["op"] == "ack"  # the wait it was told was enough
        assert server.ctx.rates.refused["connection"] == 3


async def test_batch_items_are_admitted_one_by_one(open_server: OpenServer) -> None:
    async with open_server(rates=rates(connection_commands_per_s=0.01, connection_commands_burst=5)) as server:
        await server.create_hunt()
        async with open_socket(server.port, WS_PATH) as player:
            await player.join()
            reply = await player.request({"op": "batch", "id": "b1", "items": [ping(f"p{i}") for i in range(10)]})
            codes = [item.get("code", item["op"]) for item in reply["items"]]
            assert codes == ["ack"] * 4 + ["rate_limited"] * 6
            assert [item["id"] for item in reply["items"]] == [f"p{i}" for i in range(10)]


async def test_a_players_pings_are_limited_on_every_connection_it_uses(open_server: OpenServer) -> None:
    async with open_server(rates=rates(player_pings_per_s=0.01, player_pings_burst=3)) as server:
        await server.create_hunt()
        async with open_socket(server.port, WS_PATH) as first:
            ack = await first.join()
            for i in range(3):
                assert (await first.request(ping(f"a{i}")))["op"] == "ack"
            async with open_socket(server.port, WS_PATH) as second:  # a new socket does not reset it
                assert (await second.request({"op": "hello", "id": "h1", "token": ack["token"]}))["op"] == "welcome"
                refused = await second.request(ping("b0"))
                assert refused["code"] == "rate_limited" and "player" in refused["message"]
                answer = await second.request({"op": "answer", "id": "b1", "clue": "c1", "answer": "x"})
                assert answer["op"] == "ack"  # only pings are out: other commands have their own bucket


async def test_joins_are_limited_per_connection(open_server: OpenServer) -> None:
    async with open_server(rates=rates(connection_joins_per_s=0.01, connection_joins_burst=2)) as server:
        await server.create_hunt()
        async with open_socket(server.port, WS_PATH) as player:
            first, second = await player.join("Ann"), await player.join("Bob")
            assert first["op"] == second["op"] == "ack"
            third = await player.request(join("Cat"))
            assert third["code"] == "rate_limited"
        players = await server.http.get(f"/admin/hunts/{HUNT_ID}/leaderboard")
        assert players.json()["total"] == 2


async def test_joins_are_limited_per_address_across_connections(open_server: OpenServer) -> None:
    async with open_server(server={"trusted_proxies": ["127.0.0.1"]},
                           rates=rates(address_joins_per_s=0.01, address_joins_burst=2)) as server:
        await server.create_hunt()

        async def join_from(address: str, name: str) -> dict[str, Any]:
            async with open_socket(server.port, WS_PATH, extra_headers=[(b"X-Forwarded-For", address.encode())],
                                   ) as player:
                return await player.request(join(name))

        assert (await join_from("198.51.100.1", "Ann"))["op"] == "ack"
        assert (await join_from("198.51.100.1", "Bob"))["op"] == "ack"
        refused = await join_from("198.51.100.1", "Cat")  # a fresh socket, the same address
        assert refused["code"] == "rate_limited" and "address" in refused["message"]
        assert (await join_from("198.51.100.2", "Dan"))["op"] == "ack"  # another address is not held back


async def test_connections_that_never_join_do_no_work_per_commit(server: Server) -> None:
    await server.create_hunt()
    async with open_socket(server.port, WS_PATH) as idle_1, open_socket(server.port, WS_PATH) as idle_2:
        for idle in (idle_1, idle_2):  # connected, and served (an unknown op is answered)
            assert (await idle.request({"op": "nope", "id": "x"}))["code"] == "unknown_op"
        for _ in range(5):  # commits that concern every player of the hunt
            assert (await server.http.post(f"/admin/hunts/{HUNT_ID}/pause")).status_code == 200
            assert (await server.http.post(f"/admin/hunts/{HUNT_ID}/start")).status_code == 200
        await trio.sleep(0.2)
        assert server.ctx.connections.statistics().wakeups == 0
        async with open_socket(server.port, WS_PATH) as player:
            await player.join()
            assert (await server.http.post(f"/admin/hunts/{HUNT_ID}/pause")).status_code == 200
            await player.wait_for(lambda f: f.get("op") == "hunt" and f.get("status") == "paused")
            assert server.ctx.connections.statistics().wakeups >= 1  # a joined connection does watch


def test_bucket_tables_stay_bounded_whatever_the_number_of_keys() -> None:
    table = BucketTable(rate=1.0, burst=2, max_entries=16)
    for i in range(10_000):
        table.get(f"198.51.{i // 256}.{i % 256}", now=0.0).take(0.0)
        assert len(table) <= 16
    bucket = table.get("recent", now=0.0)
    assert bucket.take(0.0) == 0 and bucket.take(0.0) == 0 and bucket.take(0.0) == pytest.approx(1.0)


def test_a_refused_take_charges_nothing() -> None:
    table = BucketTable(rate=10.0, burst=1, max_entries=4)
    bucket = table.get("a", now=0.0)
    assert bucket.take(0.0) == 0
    assert bucket.take(0.05) == pytest.approx(0.05)
    assert bucket.take(0.1) == 0  # the refusal at 0.05 did not push the refill back
