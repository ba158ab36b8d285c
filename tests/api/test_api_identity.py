"""Who a player is, over a real websocket: join ids are secrets, tokens belong to one incarnation
of a hunt, teams are joined by their code."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path

import orjson
import pytest

from tests.support.api import Connect, Server, join_id, open_socket, run_server
from tests.support.hunts import HUNT_ID

# -- join ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize("weak", [
    "j1",  # the old README example
    "x" * 21 + "A",  # 22 characters, but too few different ones
    "abcdefghij0123456789a",  # 21 characters
    "0123456789abcdef0123456789abcde",  # 31 hex digits: 124 bits at most
    "Ann's phone, 2026-12-07",  # characters outside base64url
])
async def test_a_join_id_that_cannot_hold_128_random_bits_is_refused(hunt: str, connect: Connect,
                                                                     weak: str) -> None:
    async with connect() as mallory:
        error = await mallory.request({"op": "join", "id": weak, "name": "Mallory"})
    assert (error["op"], error["code"], error["id"]) == ("error", "bad_request", weak)
    assert "128 bits" in error["message"]


@pytest.mark.parametrize("strong", [secrets.token_urlsafe(16), str(uuid.uuid4()), secrets.token_hex(16)])
async def test_random_join_ids_are_accepted(hunt: str, connect: Connect, strong: str) -> None:
    async with connect() as ann:
        assert (await ann.request({"op": "join", "id": strong, "name": "Ann"}))["id"] == strong


async def test_only_a_keyed_hash_of_a_join_id_is_kept_and_shown(server: Server, hunt: str,
                                                                connect: Connect) -> None:
    secret = join_id("Ann")
    async with connect() as ann:
        first = await ann.request({"op": "join", "id": secret, "name": "Ann"})
    async with connect() as again:  # resent after a lost ack: the same player and token
        resent = await again.request({"op": "join", "id": secret, "name": "Ann"})
    assert resent == {**first, "duplicate": True}
    events = (await server.http.get(f"/admin/hunts/{hunt}/events")).json()["events"]
    export = (await server.http.get(f"/admin/hunts/{hunt}/export")).content
    joined = [e for e in events if e["type"] == "player_joined"]
    assert len(joined) == 1 and joined[0]["cmd"].startswith("jk-") and len(joined[0]["cmd"]) == 25
    assert secret not in str(events) and secret.encode() not in export
    stored = [orjson.loads(line) for line in export.splitlines()]
    assert [e["cmd"] for e in stored if e["type"] == "player_joined"] == [joined[0]["cmd"]]


# -- tokens and incarnations ---------------------------------------------------------------------


async def test_a_token_of_a_deleted_hunt_does_not_sign_in_to_a_new_hunt_with_its_id(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with run_server(data) as server:
        await server.create_hunt()
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann:
            old_token = (await ann.join("Ann"))["token"]
    for path in (data / "hunts").glob(f"{HUNT_ID}.sqlite3*"):  # the organiser deletes the hunt...
        path.unlink()
    async with run_server(data) as server:  # ... and creates it again, with the same server key
        await server.create_hunt()
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as bob:
            assert (await bob.join("Bob"))["player"] == "p1"  # the old token's player id
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as mallory:
            refused = await mallory.request({"op": "hello", "id": "h1", "token": old_token})
    assert (refused["op"], refused["code"]) == ("error", "unauthorized")


# -- teams --------------------------------------------------------------------------------------


async def test_a_team_is_joined_with_the_code_its_captain_was_given(server: Server, connect: Connect) -> None:
    await server.create_hunt("teams", mode="teams", team_size=2)
    async with connect("teams") as ann, connect("teams") as mallory, connect("teams") as bob:
        captain = await ann.join("Ann", team="Gulls")
        code = captain["team_code"]
        assert captain["captain"] is True and len(code) == 9
        for wrong in (None, "AAAA-AAAA", code[::-1]):
            refused = await mallory.request({"op": "join", "id": join_id(f"m{wrong}"), "name": "Mallory",
                                             "team": "gulls", **({} if wrong is None else {"team_code": wrong})})
            assert (refused["op"], refused["code"]) == ("error", "unauthorized"), refused
        joined = await bob.join("Bob", team="GULLS", team_code=code.lower().replace("-", " "))
        assert joined["captain"] is False and "team_code" not in joined
        full = await mallory.request({"op": "join", "id": join_id("late"), "name": "Late", "team": "Gulls",
                                      "team_code": code})
        assert (full["op"], full["code"]) == ("error", "team_full")
    async with connect("teams") as back:  # the captain is told the code again on reconnect
        welcome = await back.request({"op": "hello", "id": "h1", "token": captain["token"]})
    assert welcome["team_code"] == code
    state = (await server.http.get("/admin/hunts/teams/events")).text
    assert code not in state and code.replace("-", "") not in state


async def test_the_organiser_gets_a_teams_code_before_anyone_joins_it(server: Server, connect: Connect) -> None:
    await server.create_hunt("teams", mode="teams")
    response = await server.http.get("/admin/hunts/teams/team-code", params={"team": "  Red\u00a0Foxes "})
    assert response.status_code == 200
    given = response.json()
    assert (given["team"], given["side"], given["members"]) == ("Red Foxes", "team:red foxes", 0)
    async with connect("teams") as ann, connect("teams") as bob:
        captain = await ann.join("Ann", team="red foxes")
        assert captain["team_code"] == given["team_code"]  # the same code the captain is told
        assert (await bob.join("Bob", team="Red Foxes", team_code=given["team_code"]))["result"] == "joined"
    for params, status in (({}, 400), ({"team": "Evil\u202e"}, 400)):
        assert (await server.http.get("/admin/hunts/teams/team-code", params=params)).status_code == status
    await server.create_hunt()
    solo = await server.http.get("/admin/hunts/harbor/team-code", params={"team": "x"})
    assert solo.status_code == 409 and solo.json()["error"] == "invalid_state"  # well formed; the mode refuses
    assert (await server.http.get("/admin/hunts/teams/team-code", params={"team": "x"},
                                  headers={"Authorization": "Bearer wrong"})).status_code == 401
