"""Timed play through the admin API and the websocket: sides' own starts and windows, clue
release times in the player's view, and a scoreboard freeze scheduled for a time."""

from __future__ import annotations

import time
from typing import Any

import trio

from tests.support.api import Connect, Server
from tests.support.hunts import HUNT_ID


def now_ms() -> int:
    return int(time.time() * 1000)


async def schedule(server: Server, **body: Any) -> tuple[int, dict[str, Any]]:
    response = await server.http.post(f"/admin/hunts/{HUNT_ID}/schedule", json=body)
    return response.status_code, response.json()


async def test_a_team_waits_for_its_own_start_and_is_told_so(server: Server, connect: Connect) -> None:
    await server.create_hunt(mode="teams")
    later = now_ms() + 3_600_000
    status, result = await schedule(server, team="Gulls", starts_at=later, window_s=1800, id="s-1")
    assert status == 200 and result == {"id": "s-1", "seq": result["seq"], "result": "ok", "side": "team:gulls",
                                        "starts_at": later, "offset_s": None, "window_s": 1800}
    assert (await schedule(server, team="Gulls", starts_at=later, window_s=1800, id="s-1"))[1]["duplicate"] is True
    async with connect() as ann, connect() as eve:
        joined = await ann.join("Ann", team="Gulls")
        await eve.join("Eve", team="Crows")
        refused = await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        assert refused["op"] == "error" and refused["code"] == "outside_window"
        assert "your start is at" in refused["message"]
        played = await eve.request({"op": "answer", "id": "e1", "clue": "c1", "answer": "lighthouse"})
        assert played["result"] == "correct"  # the Crows play on the hunt's clock
        view = (await server.http.get(f"/hunts/{HUNT_ID}",
                                      headers={"Authorization": f"Bearer {joined['token']}"})).json()
        assert view["window"] == {"starts_at": later, "ends_at": later + 1_800_000}
        # Moved to now by the organiser: the side hears of it, and plays.
        await schedule(server, team="gulls", offset_s=0)
        notice = await ann.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "schedule")
        assert notice["side"] == "team:gulls" and "Your play time is now" in notice["text"]
        assert (await ann.request({"op": "answer", "id": "a2", "clue": "c1", "answer": "lighthouse"}))["op"] == "ack"
    table = (await server.http.get(f"/admin/hunts/{HUNT_ID}/schedule")).json()
    assert [(s["side"], s["name"], s["schedule"], s["members"]) for s in table["sides"]] == [
        ("team:gulls", "Gulls", {"offset_s": 0}, 1)]
    events = (await server.http.get(f"/admin/hunts/{HUNT_ID}/events", params={"type": "schedule_set"})).json()
    assert len(events["events"]) == 2


async def test_a_players_window_closes_and_commands_are_refused_over_http_too(hunt: str, server: Server,
                                                                               connect: Connect) -> None:
    async with connect() as ann:
        joined = await ann.join("Ann")
        status, _ = await schedule(server, player=joined["player"], offset_s=0, window_s=1)
        assert status == 200
        await trio.sleep(1.1)
        refused = await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        assert refused["code"] == "outside_window" and "your time is up" in refused["message"]
        entry = await server.http.post(f"/hunts/{HUNT_ID}/entries", params={"clue": "c1", "id": "e-1"},
                                       content=b"a text", headers={"Content-Type": "text/plain",
                                                                   "Authorization": f"Bearer {joined['token']}"})
        assert entry.status_code == 409 and entry.json()["error"] == "outside_window"


async def test_bad_schedules_are_clear_errors_and_record_nothing(hunt: str, server: Server) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"team": "Gulls", "window_s": 60}, 400, "bad_request"),  # a solo hunt has no teams
        ({"player": "p9", "window_s": 60}, 404, "unknown_player"),
        ({"window_s": 60}, 400, "bad_request"),
        ({"team": "A", "player": "p1"}, 400, "bad_request"),
        ({"player": "p1", "starts_at": 1, "offset_s": 1}, 400, "bad_request"),
        ({"player": "p1", "starts_at": "tomorrow"}, 400, "bad_request"),
        ({"player": "p1", "window_s": 0}, 400, "bad_request"),
        ({"player": "p1", "offset_s": True}, 400, "bad_request"),
        ({"player": "p1", "windows": 5}, 400, "bad_request"),
    ]
    for body, status, code in cases:
        got = await schedule(server, **body)
        assert got[0] == status and got[1]["error"] == code, (body, got)
    events = (await server.http.get(f"/admin/hunts/{HUNT_ID}/events", params={"type": "schedule_set"})).json()
    assert events["events"] == []


async def test_timed_clues_stay_hidden_until_they_open(server: Server, connect: Connect) -> None:
    later = now_ms() + 3_600_000
    await server.create_hunt()
    definition = (await server.http.get(f"/admin/hunts/{HUNT_ID}")).json()["definition"]
    await server.http.post(f"/admin/hunts/{HUNT_ID}/end")
    timed = definition | {"id": "timed-hunt", "starts_at": None, "ends_at": None}
    timed["clues"] = [dict(clue) for clue in timed["clues"]]
    timed["clues"][0]["opens_at"] = later
    timed["clues"][1]["opens_after_s"] = 0
    assert (await server.http.post("/admin/hunts", json=timed)).status_code == 201
    await server.http.post("/admin/hunts/timed-hunt/start")
    view = (await server.http.get("/hunts/timed-hunt")).json()
    first, second = view["clues"][0], view["clues"][1]
    assert first["locked"] is True and "prompt" not in first and first["opens_at"] == later
    assert "locked" not in second and second["opens_at"] <= now_ms()
    async with connect("timed-hunt") as ann:
        await ann.join("Ann")
        refused = await ann.request({"op": "answer", "id": "a1", "clue": first["id"], "answer": "lighthouse"})
        assert refused["code"] == "outside_window" and "opens at" in refused["message"]


async def test_a_scheduled_freeze_hides_later_scores_from_players_from_its_time(hunt: str, server: Server,
                                                                                connect: Connect) -> None:
    async with connect() as ann, connect() as bob:
        await ann.join("Ann")
        await bob.join("Bob")
        at = now_ms() + 1500
        scheduled = await server.http.post(f"/admin/hunts/{HUNT_ID}/freeze", json={"at": at, "id": "f-1"})
        assert scheduled.status_code == 200 and scheduled.json()["frozen"] is False
        assert scheduled.json()["freeze_at"] == at
        notice = await ann.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "board_freeze_scheduled")
        assert notice["at"] == at
        board = await ann.wait_for(lambda f: f["op"] == "leaderboard" and f.get("frozen") is True, timeout=5)
        assert board["top"][0]["score"] == 0
        assert (await server.http.get(f"/hunts/{HUNT_ID}/leaderboard")).json()["frozen"] is True
        await bob.request({"op": "answer", "id": "b1", "clue": "c1", "answer": "lighthouse"})
        public = (await server.http.get(f"/hunts/{HUNT_ID}/leaderboard")).json()
        assert {r["name"]: r["score"] for r in public["rows"]} == {"Ann": 0, "Bob": 0}
        live = (await server.http.get(f"/admin/hunts/{HUNT_ID}/leaderboard")).json()
        assert live["rows"][0]["score"] == 120
        assert (await server.http.get(f"/admin/hunts/{HUNT_ID}/schedule")).json()["frozen"] is True
    bad = await server.http.post(f"/admin/hunts/{HUNT_ID}/freeze", json={"at": "soon"})
    assert bad.status_code == 400 and bad.json()["error"] == "bad_request"
    assert (await server.http.post(f"/admin/hunts/{HUNT_ID}/freeze", json={"at": at + 10})).status_code == 409
