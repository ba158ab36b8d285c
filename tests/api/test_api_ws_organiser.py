"""What players on phones were missing: progress with the join ack, the recent feed for a
newcomer, a teammate's hint, and the value a clue would score now."""

from __future__ import annotations

from pathlib import Path

from tests.support.api import Connect, OpenServer, Server, open_socket, run_server
from tests.support.hunts import HUNT_ID


async def test_joining_a_team_that_has_played_brings_its_progress(server: Server, connect: Connect) -> None:
    await server.create_hunt(mode="teams")
    async with connect() as ann:
        captain = await ann.join("Ann", team="Gulls")
        await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        await ann.request({"op": "hint", "id": "h1", "clue": "c1"})  # refused: found
    async with connect() as bob:
        ack = await bob.join("Bob", team="gulls", team_code=captain["team_code"])
    progress = ack["progress"]
    assert list(progress["found"]) == ["c1"] and progress["found"]["c1"]["by"] == "p1"
    assert progress["score"] == 120 and progress["rank"] == 1


async def test_a_solo_join_ack_carries_empty_progress(hunt: str, connect: Connect) -> None:
    async with connect() as ann:
        ack = await ann.join("Ann")
    assert ack["progress"]["found"] == {} and ack["progress"]["hints"] == {} and ack["progress"]["score"] == 0


async def test_a_newcomer_sees_the_recent_public_feed_and_nothing_private(hunt: str, server: Server,
                                                                          connect: Connect) -> None:
    async with connect() as ann, connect() as bob:
        await ann.join("Ann")
        await bob.join("Bob")
        await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})  # public
        await bob.request({"op": "answer", "id": "b1", "clue": "c1", "answer": "lighthouse"})  # Bob's side only
        await server.http.post(f"/admin/hunts/{HUNT_ID}/adjust", json={"player": "p1", "delta": 3, "reason": "r"})
    async with connect() as cat:
        ack = await cat.join("Cat")
        await cat.request({"op": "ping", "id": "g1", "lat": 1, "lon": 2})
    feed = cat.pushes("feed")
    assert [(f["kind"], f.get("player")) for f in feed] == [("hunt_started", None), ("clue_found", "p1")]
    assert all(f["seq"] < ack["seq"] for f in feed)
    assert cat.seen.index(ack) < cat.seen.index(feed[0])


async def test_the_recent_feed_is_bounded_and_read_from_disk_after_a_restart(tmp_path: Path) -> None:
    async with run_server(tmp_path, engine={"join_feed": 2}) as server:
        await server.create_hunt()
        for action in ("pause", "start", "pause"):
            await server.http.post(f"/admin/hunts/{HUNT_ID}/{action}")
    # A fresh process has nothing in memory: the recent feed comes from the log.
    async with run_server(tmp_path, engine={"join_feed": 2}) as server:
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann:
            await ann.join("Ann")
            await ann.request({"op": "ping", "id": "g1", "lat": 1, "lon": 2})
    assert [f["kind"] for f in ann.pushes("feed")] == ["hunt_resumed", "hunt_paused"]


async def test_no_recent_feed_when_join_feed_is_zero(open_server: OpenServer) -> None:
    async with open_server(engine={"join_feed": 0}) as server:
        await server.create_hunt()
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann:
            await ann.join("Ann")
            await ann.request({"op": "ping", "id": "g1", "lat": 1, "lon": 2})
    assert ann.pushes("feed") == []


async def test_a_hint_bought_by_a_teammate_reaches_the_team_but_nobody_else(server: Server,
                                                                           connect: Connect) -> None:
    await server.create_hunt(mode="teams")
    async with connect() as ann, connect() as bob, connect() as eve:
        captain = await ann.join("Ann", team="Gulls")
        await bob.join("Bob", team="Gulls", team_code=captain["team_code"])
        await eve.join("Eve", team="Crows")
        ack = await ann.request({"op": "hint", "id": "h1", "clue": "c1"})
        pushed = await bob.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "hint_taken")
        await eve.request({"op": "ping", "id": "g1", "lat": 1, "lon": 2})
        await eve.request({"op": "ping", "id": "g2", "lat": 1, "lon": 2})
    assert (pushed["clue"], pushed["index"], pushed["hint"], pushed["cost"]) == ("c1", 0, "It blinks.", 10)
    assert pushed["seq"] == ack["seq"] and pushed["name"] == "Ann" and pushed["clue_title"] == "Old light"
    assert not [f for f in eve.pushes("feed") if f["kind"] == "hint_taken"]


async def test_leaderboard_pushes_carry_the_value_clues_would_score_now(hunt: str, connect: Connect) -> None:
    async with connect() as ann, connect() as bob:
        await ann.join("Ann")
        await bob.join("Bob")
        before = await bob.wait_for(lambda f: f["op"] == "leaderboard")
        await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        after = await bob.wait_for(lambda f: f["op"] == "leaderboard" and f["values"]["c1"] != 120)
    assert before["values"] == {"c1": 120}  # only clues whose value changes: c1 has decay and a first bonus
    assert after["values"] == {"c1": 90}  # 100 - 10 for one earlier finder, no first-finder bonus


async def test_the_public_hunt_shows_description_times_policies_and_values(server: Server) -> None:
    await server.create_hunt(description="Walk the quay.", ends_at="2099-01-01T00:00:00Z",
                             hint_policy="floor_at_zero", allow_typed_position=True)
    body = (await server.http.get(f"/hunts/{HUNT_ID}")).json()
    assert body["description"] == "Walk the quay." and body["ends_at"] == 4070908800000
    assert (body["hint_policy"], body["allow_typed_position"]) == ("floor_at_zero", True)
    assert [clue["value"] for clue in body["clues"]] == [120, 50, 30]


async def test_a_partial_answer_is_acked_keep_going_with_its_reply(server: Server, connect: Connect) -> None:
    clues = [{"id": "c1", "title": "Old light", "kind": "answer", "patterns": ["(the )?light ?house"], "points": 10,
              "partial": [{"answers": ["light"], "reply": "Keep going!"}]}]
    await server.create_hunt(clues=clues)
    async with connect() as ann:
        await ann.join("Ann")
        partial = await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "LIGHT."})
        right = await ann.request({"op": "answer", "id": "a2", "clue": "c1", "answer": "the light-house"})
    assert (partial["op"], partial["result"], partial["reply"]) == ("ack", "keep_going", "Keep going!")
    assert right["result"] == "correct"
    events = (await server.http.get(f"/admin/hunts/{HUNT_ID}/events", params={"type": "attempt_partial"})).json()
    assert [e["data"]["index"] for e in events["events"]] == [0]
    bad = await server.http.post("/admin/hunts", json={"id": "bad", "title": "B", "clues": [
        {"id": "c1", "title": "T", "kind": "answer", "patterns": ["(a"]}]})
    assert bad.status_code == 400 and "not a valid regular expression" in bad.json()["message"]
