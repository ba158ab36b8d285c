"""Wrong-attempt limits and bans that a new name does not reset: per connection and per address."""

from __future__ import annotations

import pytest

from hunt.api._guard import ConnectionGuard, Guard
from hunt.config import GameConfig
from hunt.domain import AnswerClue, Rejected, parse_definition
from tests.support.api import Connect, OpenServer, Server, join_id, open_socket

ATTEMPTS = {"max": 3, "window_s": 60}


def wrong(n: int) -> dict[str, str]:
    return {"op": "answer", "id": f"w{n}", "clue": "c1", "answer": f"candle {n}"}


async def test_a_new_name_on_the_same_connection_does_not_reset_the_wrong_attempt_limit(
        server: Server, connect: Connect) -> None:
    await server.create_hunt(attempts=ATTEMPTS)
    async with connect() as mallory:
        await mallory.join("Mallory")
        for n in range(3):
            assert (await mallory.request(wrong(n)))["result"] == "wrong"
        await mallory.join("Mallory II")  # a fresh player, the same socket
        refused = await mallory.request(wrong(3))
        assert (refused["op"], refused["code"]) == ("error", "rate_limited")
        assert 0 < refused["retry_after_ms"] <= 60_000 and "connection" in refused["message"]
        # Other clues, and right answers, are not affected.
        assert (await mallory.request({"op": "answer", "id": "r", "clue": "c1", "answer": "lighthouse"}))[
            "op"] == "error"  # the same clue: still limited
        assert (await mallory.request({"op": "checkin", "id": "k", "clue": "c2", "lat": 1.0, "lon": 1.0}))[
            "result"] == "too_far"


@pytest.mark.one_process  # per-address limits are kept per gateway (docs/workers.md)
async def test_new_connections_from_one_address_share_a_limit(open_server: OpenServer) -> None:
    async with open_server(game={"address_wrong_attempts_max": 4}) as server:
        await server.create_hunt(attempts=ATTEMPTS)
        for n in range(4):  # four players, four sockets, one guess each: all from 127.0.0.1
            async with open_socket(server.port, "/ws/hunts/harbor") as player:
                await player.join(f"Sock {n}")
                assert (await player.request(wrong(n)))["result"] == "wrong"
        async with open_socket(server.port, "/ws/hunts/harbor") as player:
            await player.join("Sock 5")
            refused = await player.request(wrong(5))
    assert (refused["code"], "address" in refused["message"]) == ("rate_limited", True)


async def test_a_banned_player_cannot_join_again_on_the_same_connection(open_server: OpenServer) -> None:
    async with open_server(game={"ban_addresses": False}) as server:
        await server.create_hunt()
        async with open_socket(server.port, "/ws/hunts/harbor") as mallory:
            banned = await mallory.join("Mallory")
            response = await server.http.post(f"/admin/hunts/harbor/players/{banned['player']}/ban")
            assert response.status_code == 200
            again = await mallory.request({"op": "join", "id": join_id("Mallory II"), "name": "Mallory II"})
            assert (again["op"], again["code"]) == ("error", "banned") and "connection" in again["message"]
        async with open_socket(server.port, "/ws/hunts/harbor") as other:  # addresses are not banned here
            assert (await other.join("Someone"))["result"] == "joined"


@pytest.mark.one_process  # address bans are kept per gateway (docs/workers.md)
async def test_a_banned_players_address_cannot_join_new_players(server: Server, connect: Connect) -> None:
    await server.create_hunt()
    await server.create_hunt("other")
    async with connect() as mallory:
        banned = await mallory.join("Mallory")
    assert (await server.http.post(f"/admin/hunts/harbor/players/{banned['player']}/ban")).status_code == 200
    async with connect() as again:
        refused = await again.request({"op": "join", "id": join_id("Mallory II"), "name": "Mallory II"})
    assert (refused["op"], refused["code"]) == ("error", "banned") and "address" in refused["message"]
    async with connect("other") as elsewhere:  # the ban is for that hunt only
        assert (await elsewhere.join("Mallory"))["result"] == "joined"


DEFINITION = parse_definition({"id": "h", "title": "H", "clues": [
    {"id": "c1", "title": "C", "kind": "answer", "answers": ["x"]}]})


def guess_from(guard: Guard, address: str, player: str) -> ConnectionGuard:
    """A new connection from ``address``, bound to ``player``, that makes one wrong guess."""
    connection = guard.connection("h", address)
    connection.bind(DEFINITION, player, banned=False)
    guess = AnswerClue(player, f"a-{player}", "c1", "y")
    connection.check(guess, 1_000)
    connection.record(guess, {"result": "wrong"}, 1_000)
    return connection


def test_the_guard_remembers_a_bounded_number_of_addresses() -> None:
    guard = Guard(GameConfig(guard_addresses_max=2, address_wrong_attempts_max=1))
    guess_from(guard, "10.0.0.1", "p1")
    with pytest.raises(Rejected, match="address"):
        guess_from(guard, "10.0.0.1", "p2")
    guess_from(guard, "10.0.0.2", "p3")
    guess_from(guard, "10.0.0.3", "p4")  # the third address: the first is forgotten
    guess_from(guard, "10.0.0.1", "p5")
    assert len(guard._addresses) == 2 and len(guard._player_addresses) == 2


@pytest.mark.one_process  # device limits and bans are kept per gateway (docs/workers.md)
async def test_a_device_carries_its_limit_and_its_ban_across_connections_and_names(open_server: OpenServer) -> None:
    async with open_server(game={"ban_addresses": False, "address_wrong_attempts_max": 1000}) as server:
        await server.create_hunt(attempts=ATTEMPTS)
        async with open_socket(server.port, "/ws/hunts/harbor") as first:
            mallory = await first.join("Mallory", device="phone-of-mallory")
            for n in range(3):
                assert (await first.request(wrong(n)))["result"] == "wrong"
        async with open_socket(server.port, "/ws/hunts/harbor") as second:  # a new socket, a new name
            await second.join("Mallory II", device="phone-of-mallory")
            refused = await second.request(wrong(3))
            assert (refused["code"], "device" in refused["message"]) == ("rate_limited", True)
        async with open_socket(server.port, "/ws/hunts/harbor") as other:  # another device is not limited
            await other.join("Olga", device="phone-of-olga")
            assert (await other.request(wrong(4)))["result"] == "wrong"
        assert (await server.http.post(f"/admin/hunts/harbor/players/{mallory['player']}/ban")).status_code == 200
        async with open_socket(server.port, "/ws/hunts/harbor") as third:
            again = await third.request({"op": "join", "id": join_id("Mallory III"), "name": "Mallory III",
                                         "device": "phone-of-mallory"})
            assert (again["code"], "device" in again["message"]) == ("banned", True)
            assert (await third.join("Someone", device="phone-of-someone"))["result"] == "joined"
