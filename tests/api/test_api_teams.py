"""Team management and divisions through the admin API and the player websocket."""

from __future__ import annotations

from typing import Any

import orjson

from tests.support.api import Connect, Server, join_id
from tests.support.hunts import HUNT_ID

DIVISIONS = [{"id": "families", "title": "Families"}, {"id": "schools", "title": "Schools"}]


async def post(server: Server, path: str, **body: Any) -> tuple[int, dict[str, Any]]:
    response = await server.http.post(f"/admin/hunts/{HUNT_ID}{path}", json=body)
    return response.status_code, response.json()


async def teams(server: Server) -> dict[str, Any]:
    response = await server.http.get(f"/admin/hunts/{HUNT_ID}/teams")
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_organisers_team_is_joined_with_its_passcode_and_the_first_joiner_captains_it(
        server: Server, connect: Connect) -> None:
    await server.create_hunt(mode="teams", divisions=DIVISIONS)
    status, made = await post(server, "/teams", id="t-1", name="Gulls", passcode="Harbor42", size=3,
                              division="families")
    assert status == 200, made
    assert (made["side"], made["team"], made["team_code"]) == ("team:gulls", "Gulls", "Harbor42")
    assert made["invite"] == f"/play/{HUNT_ID}?team=Gulls&invite=Harbor42"
    again = (await post(server, "/teams", id="t-1", name="Gulls", passcode="Harbor42"))[1]
    assert again["duplicate"] is True and again["team_code"] == "Harbor42"
    # The passcode is nowhere in the log, the export or the team list: only its keyed hash.
    export = (await server.http.get(f"/admin/hunts/{HUNT_ID}/export")).content
    assert b"Harbor42" not in export and b"HARBOR42" not in export
    [row] = (await teams(server))["rows"]
    assert (row["passcode"], row["team_code"], row["invite"], row["cap"], row["division"]) == (
        "organiser", None, None, 3, "families")
    async with connect() as ann, connect() as bob, connect() as eve:
        wrong = await eve.request({"op": "join", "id": join_id("Eve"), "name": "Eve", "team": "gulls",
                                   "team_code": "harbor41"})
        assert wrong["code"] == "unauthorized"
        first = await ann.join("Ann", team="gulls", team_code="harbor 42")  # case and spaces do not matter
        assert (first["captain"], first["captain_name"], first["team_code"], first["division"]) == (
            True, "Ann", None, "families")  # an organiser's passcode cannot be shown again
        second = await bob.join("Bob", team="Gulls", team_code="HARBOR42")
        assert second["captain"] is False and "team_code" not in second and second["captain_name"] == "Ann"
    [row] = (await teams(server))["rows"]
    assert row["captain"] == {"player": first["player"], "name": "Ann"}
    assert [m["name"] for m in row["members"]] == ["Ann", "Bob"]


async def test_a_generated_code_is_shown_to_the_captain_and_renewed_by_the_organiser(
        server: Server, connect: Connect) -> None:
    await server.create_hunt(mode="teams")
    async with connect() as ann, connect() as bob:
        captain = await ann.join("Ann", team="Gulls")
        old = captain["team_code"]
        [row] = (await teams(server))["rows"]
        assert row["team_code"] == old and row["invite"].endswith(f"invite={old}")
        status, renewed = await post(server, "/teams/team:gulls/passcode")
        assert status == 200 and renewed["team_code"] != old
        news = await ann.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "team_passcode_changed")
        assert old not in orjson.dumps(news).decode() and renewed["team_code"] not in orjson.dumps(news).decode()
        stale = await bob.request({"op": "join", "id": join_id("Bob"), "name": "Bob", "team": "Gulls",
                                   "team_code": old})
        assert stale["code"] == "unauthorized"
        await bob.join("Bob", team="Gulls", team_code=renewed["team_code"])
    async with connect() as back:  # the captain's welcome has the new code
        welcome = await back.request({"op": "hello", "id": "h1", "token": captain["token"]})
    assert welcome["team_code"] == renewed["team_code"] and welcome["captain_name"] == "Ann"


async def test_roster_locks_size_caps_and_the_organisers_teams_only(server: Server, connect: Connect) -> None:
    await server.create_hunt(mode="teams", team_creation="organiser")
    made = (await post(server, "/teams", name="Gulls", size=1))[1]
    async with connect() as ann, connect() as bob:
        refused = await ann.request({"op": "join", "id": join_id("Ann"), "name": "Ann", "team": "Owls"})
        assert refused["code"] == "unknown_team" and "organiser" in refused["message"]
        await ann.join("Ann", team="Gulls", team_code=made["team_code"])
        full = await bob.request({"op": "join", "id": join_id("Bob"), "name": "Bob", "team": "Gulls",
                                  "team_code": made["team_code"]})
        assert full["code"] == "team_full"
        assert (await post(server, "/teams/team:gulls/size", size=None))[0] == 200
        assert (await post(server, "/lock", at="2000-01-01T00:00:00Z"))[1]["locked"] is True  # from the past: now
        locked = await bob.request({"op": "join", "id": join_id("Bob"), "name": "Bob", "team": "Gulls",
                                    "team_code": made["team_code"]})
        assert locked["code"] == "roster_locked" and "locked" in locked["message"]
        news = await ann.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "roster_locked")
        assert news["side"] is None and news["locked"] is True
        assert (await teams(server))["rosters_locked"] is True
        assert (await post(server, "/lock", locked=False))[0] == 200
        await bob.join("Bob", team="Gulls", team_code=made["team_code"])
    status, one = await post(server, "/teams/team:gulls/lock")
    assert status == 200 and one["side"] == "team:gulls"
    assert (await teams(server))["rows"][0]["locked"] is True


async def test_rename_captaincy_and_removal_reach_the_team_live(server: Server, connect: Connect) -> None:
    await server.create_hunt(mode="teams")
    async with connect() as ann, connect() as bob:
        captain = await ann.join("Ann", team="Gulls")
        joined = await bob.join("Bob", team="Gulls", team_code=captain["team_code"])
        assert (await post(server, "/teams/team:gulls/rename", name="Sea Gulls"))[0] == 200
        renamed = await bob.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "team_renamed")
        assert renamed["team"] == "Sea Gulls"
        status, handed = await post(server, "/teams/team:gulls/captain", player=joined["player"])
        assert status == 200 and handed["captain"] == joined["player"]
        news = await ann.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "captain_changed")
        assert news["name"] == "Bob"
        status, removed = await post(server, f"/players/{captain['player']}/remove", reason="went home")
        assert status == 200 and removed["removed"] is True
        gone = await ann.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "player_removed")
        assert gone["reason"] == "went home"
        refused = await ann.request({"op": "ping", "id": "g1", "lat": 1.0, "lon": 2.0})
        assert refused["code"] == "removed"
    async with connect() as back:  # a removed player cannot say hello again: they join anew
        hello = await back.request({"op": "hello", "id": "h1", "token": captain["token"]})
    assert hello["code"] == "removed" and "Sea Gulls" in hello["message"]
    board = (await server.http.get(f"/hunts/{HUNT_ID}/leaderboard")).json()
    assert board["rows"][0]["captain"] == "Bob" and board["rows"][0]["name"] == "Sea Gulls"


async def test_each_division_has_a_board_and_players_get_theirs_pushed(server: Server, connect: Connect) -> None:
    await server.create_hunt(mode="teams", divisions=DIVISIONS)
    async with connect() as ann, connect() as eve:
        await ann.join("Ann", team="Gulls", division="families")
        await eve.join("Eve", team="Owls", division="schools")
        await eve.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        pushed = await ann.wait_for(lambda f: f["op"] == "leaderboard" and "division" in f)
        assert pushed["division"]["id"] == "families"
        assert [r["name"] for r in pushed["division"]["top"]] == ["Gulls"]
        assert (pushed["you"]["division"], pushed["you"]["division_rank"]) == ("families", 1)
        bad = await ann.request({"op": "join", "id": join_id("Cy"), "name": "Cy", "team": "Herons",
                                 "division": "chess"})
        assert bad["code"] == "unknown_division"
    families = (await server.http.get(f"/hunts/{HUNT_ID}/leaderboard", params={"division": "families"})).json()
    assert (families["division"], families["total"], [r["name"] for r in families["rows"]]) == (
        "families", 1, ["Gulls"])
    overall = (await server.http.get(f"/hunts/{HUNT_ID}/leaderboard")).json()
    assert [r["name"] for r in overall["rows"]] == ["Owls", "Gulls"]
    status, moved = await post(server, "/division", side="team:owls", division="families")
    assert status == 200 and moved["division"] == "families"
    admin = (await server.http.get(f"/admin/hunts/{HUNT_ID}/leaderboard", params={"division": "families"})).json()
    assert [r["name"] for r in admin["rows"]] == ["Owls", "Gulls"]
    before = (await server.http.get(f"/admin/hunts/{HUNT_ID}/leaderboard",
                                    params={"division": "families", "at_seq": moved["seq"] - 1})).json()
    assert [r["name"] for r in before["rows"]] == ["Gulls"]  # time travel covers divisions
    for params, code in (({"division": "chess"}, 404), ({"division": ""}, 400)):
        response = await server.http.get(f"/hunts/{HUNT_ID}/leaderboard", params=params)
        assert response.status_code == code


async def test_team_commands_refuse_bad_input_and_change_nothing(server: Server) -> None:
    await server.create_hunt(mode="teams")
    seq = (await server.http.get(f"/admin/hunts/{HUNT_ID}")).json()["seq"]
    for path, body, status, code in (
        ("/teams", {"name": ""}, 400, "bad_request"),
        ("/teams", {"name": "Gulls", "passcode": "abc"}, 400, "bad_request"),
        ("/teams", {"name": "Gulls", "passcode": "no spaces!"}, 400, "bad_request"),
        ("/teams", {"name": "Gulls", "size": 0}, 400, "bad_request"),
        ("/teams", {"name": "Gulls", "colour": "red"}, 400, "bad_request"),
        ("/teams", {"name": "Gulls", "division": "schools"}, 404, "unknown_division"),
        ("/teams", {"name": "Gu\u202ells"}, 400, "bad_request"),
        ("/teams/team:nobody/rename", {"name": "X"}, 404, "unknown_team"),
        ("/teams/team:nobody/size", {}, 400, "bad_request"),
        ("/teams/team:nobody/captain", {"player": "p1"}, 404, "unknown_team"),
        ("/lock", {"at": "tomorrow"}, 400, "bad_request"),
        ("/lock", {"locked": False, "at": 5}, 400, "bad_request"),
        ("/lock", {"locked": False}, 409, "invalid_state"),
        ("/players/p9/remove", {}, 404, "unknown_player"),
        ("/division", {"side": "team:nobody", "division": None}, 404, "unknown_team"),
        ("/division", {"side": "team:nobody"}, 400, "bad_request"),
    ):
        answer = await post(server, path, **body)
        assert answer[0] == status and answer[1]["error"] == code, (path, body, answer)
    assert (await server.http.get(f"/admin/hunts/{HUNT_ID}")).json()["seq"] == seq


async def test_a_solo_hunt_has_no_teams_to_manage(hunt: str, server: Server) -> None:
    response = await server.http.get(f"/admin/hunts/{HUNT_ID}/teams")
    assert response.status_code == 409 and response.json()["error"] == "invalid_state"
    assert (await post(server, "/teams", name="Gulls"))[0] == 409
    assert (await server.http.get(f"/admin/hunts/{HUNT_ID}/teams",
                                  headers={"Authorization": "Bearer wrong"})).status_code == 401


async def test_team_events_export_import_and_verify(server: Server, connect: Connect) -> None:
    await server.create_hunt(mode="teams", divisions=DIVISIONS)
    await post(server, "/teams", name="Gulls", passcode="Harbor42", division="families")
    async with connect() as ann, connect() as bob:
        await ann.join("Ann", team="Gulls", team_code="Harbor42")
        await bob.join("Bob", team="Gulls", team_code="Harbor42")
    for path, body in (("/teams/team:gulls/rename", {"name": "Sea Gulls"}), ("/teams/team:gulls/passcode", {}),
                       ("/teams/team:gulls/size", {"size": 4}), ("/teams/team:gulls/captain", {"player": "p2"}),
                       ("/players/p1/remove", {"reason": "left"}), ("/teams/team:gulls/lock", {"at": 10}),
                       ("/lock", {}), ("/division", {"side": "team:gulls", "division": "schools"})):
        status, answer = await post(server, path, **body)
        assert status == 200, (path, answer)
    export = (await server.http.get(f"/admin/hunts/{HUNT_ID}/export")).content
    types = {orjson.loads(line)["type"] for line in export.splitlines()}
    assert {"team_created", "team_renamed", "team_passcode_changed", "team_size_set", "captain_changed",
            "player_removed", "roster_locked", "division_set"} <= types
    copy = export.replace(HUNT_ID.encode(), b"copy-of-it")
    imported = await server.http.post("/admin/hunts/import", content=copy,
                                      headers={"Content-Type": "application/x-ndjson"})
    assert imported.status_code == 201, imported.text
    original = (await server.http.get(f"/admin/hunts/{HUNT_ID}/teams")).json()
    again = (await server.http.get("/admin/hunts/copy-of-it/teams")).json()
    assert [(r["name"], r["captain"], r["members"], r["division"], r["size"]) for r in again["rows"]] == [
        (r["name"], r["captain"], r["members"], r["division"], r["size"]) for r in original["rows"]]
