"""Announcements through the admin API: pushed live to whom they are for, kept for latecomers."""

from __future__ import annotations

from tests.support.api import Connect, Server
from tests.support.hunts import HUNT_ID


async def announce(server: Server, **body: object) -> tuple[int, dict]:
    response = await server.http.post(f"/admin/hunts/{HUNT_ID}/announce", json=body)
    return response.status_code, response.json()


async def test_an_announcement_reaches_everybody_live_and_latecomers_later(hunt: str, server: Server,
                                                                          connect: Connect) -> None:
    async with connect() as ann:
        await ann.join("Ann")
        status, result = await announce(server, text="Lunch at the fish market at 12", id="a-1")
        pushed = await ann.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "announcement")
    assert status == 200 and result == {"id": "a-1", "seq": result["seq"], "result": "ok", "to": "all"}
    assert (pushed["seq"], pushed["to"], pushed["text"]) == (result["seq"], "all", "Lunch at the fish market at 12")
    async with connect() as bob:  # joins after it: gets it with the recent feed
        await bob.join("Bob")
        late = await bob.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "announcement")
    assert late["seq"] == result["seq"]
    again = await announce(server, text="Lunch at the fish market at 12", id="a-1")
    assert again[1]["duplicate"] is True and again[1]["seq"] == result["seq"]


async def test_an_announcement_to_a_team_or_a_player_reaches_only_them(server: Server, connect: Connect) -> None:
    await server.create_hunt(mode="teams")
    async with connect() as ann, connect() as bob, connect() as eve:
        captain = await ann.join("Ann", team="Gulls")
        await bob.join("Bob", team="Gulls", team_code=captain["team_code"])
        await eve.join("Eve", team="Crows")
        status, _ = await announce(server, text="Gulls: clue 3 is north, not south", team="gulls")
        assert status == 200
        for player in (ann, bob):
            item = await player.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "announcement")
            assert (item["to"], item["team"]) == ("team", "Gulls")
        status, _ = await announce(server, text="Eve, your bike is at the gate", player=eve.player)
        item = await eve.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "announcement")
        assert item["to"] == "player" and item["text"] == "Eve, your bike is at the gate"
        await ann.request({"op": "ping", "id": "g1", "lat": 1, "lon": 2})
    assert [f["text"] for f in eve.pushes("feed") if f["kind"] == "announcement"] == ["Eve, your bike is at the gate"]
    assert [f["to"] for f in ann.pushes("feed") if f["kind"] == "announcement"] == ["team"]


async def test_bad_announcements_are_clear_errors(hunt: str, server: Server) -> None:
    assert await announce(server, text="") == (400, {"error": "bad_request", "message":
                                                   "text must be a non-empty string of at most 1000 characters"})
    assert (await announce(server, text="x" * 1001))[0] == 400
    assert (await announce(server, text=["list"]))[0] == 400
    assert (await announce(server, text="hi", player="p9"))[1]["error"] == "unknown_player"
    assert (await announce(server, text="hi", team="Owls"))[0] == 400  # a solo hunt has no teams
    events = (await server.http.get(f"/admin/hunts/{HUNT_ID}/events", params={"type": "announced"})).json()
    assert events["events"] == []


async def test_a_frozen_scoreboard_hides_new_scores_from_players_not_organisers(hunt: str, server: Server,
                                                                               connect: Connect) -> None:
    async with connect() as ann, connect() as bob:
        await ann.join("Ann")
        await bob.join("Bob")
        frozen = await server.http.post(f"/admin/hunts/{HUNT_ID}/freeze")
        assert frozen.status_code == 200 and frozen.json()["frozen"] is True
        notice = await ann.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "board_frozen")
        assert "frozen" in notice["text"]
        await bob.request({"op": "answer", "id": "b1", "clue": "c1", "answer": "lighthouse"})
        board = await ann.wait_for(lambda f: f["op"] == "leaderboard" and f["seq"] >= frozen.json()["seq"] + 1)
        assert board["frozen"] is True and {r["name"]: r["score"] for r in board["top"]} == {"Ann": 0, "Bob": 0}
        public = (await server.http.get(f"/hunts/{HUNT_ID}/leaderboard")).json()
        assert public["frozen"] is True and public["rows"][0]["score"] == 0
        live = (await server.http.get(f"/admin/hunts/{HUNT_ID}/leaderboard")).json()
        assert live["frozen"] is True and live["rows"][0] == {"rank": 1, "player": "p2", "name": "Bob", "score": 120}
        assert (await server.http.post(f"/admin/hunts/{HUNT_ID}/freeze")).status_code == 409
        assert (await server.http.post(f"/admin/hunts/{HUNT_ID}/reveal")).status_code == 200
        revealed = await ann.wait_for(lambda f: f["op"] == "leaderboard" and f["top"][0]["score"] == 120)
    assert "frozen" not in revealed
    assert "frozen" not in (await server.http.get(f"/hunts/{HUNT_ID}/leaderboard")).json()
