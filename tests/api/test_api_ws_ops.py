"""Every op of the player protocol (docs/protocol.md), over a real websocket."""

from __future__ import annotations

from tests.support.api import Connect, Server, join_id
from tests.support.hunts import CRANE, HUNT_ID

ANN = join_id("Ann")


async def test_join_acks_with_player_and_a_token(hunt: str, connect: Connect) -> None:
    async with connect() as ann:
        ack = await ann.request({"op": "join", "id": ANN, "name": "Ann"})
    assert ack["op"] == "ack" and ack["id"] == ANN and ack["result"] == "joined"
    assert ack["player"] == "p1" and ack["name"] == "Ann" and isinstance(ack["seq"], int)
    assert ack["token"].startswith("p1.")
    assert "duplicate" not in ack


async def test_a_join_resent_after_a_lost_ack_returns_the_same_player_and_token(hunt: str, connect: Connect) -> None:
    async with connect() as first:
        original = await first.request({"op": "join", "id": ANN, "name": "Ann"})
    async with connect() as again:
        resent = await again.request({"op": "join", "id": ANN, "name": "Ann"})
        # The resent join binds the connection, so it can play at once.
        ping = await again.request({"op": "ping", "id": "x1", "lat": 1.0, "lon": 2.0})
    assert resent == {**original, "duplicate": True}
    assert ping["op"] == "ack"


async def test_answer_wrong_then_right_then_again(hunt: str, connect: Connect) -> None:
    async with connect() as ann:
        await ann.join()
        wrong = await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "windmill"})
        right = await ann.request({"op": "answer", "id": "a2", "clue": "c1", "answer": "  LightHouse "})
        again = await ann.request({"op": "answer", "id": "a3", "clue": "c1", "answer": "lighthouse"})
    assert (wrong["op"], wrong["result"], wrong["clue"]) == ("ack", "wrong", "c1")
    assert right["result"] == "correct" and right["points"] == 120 and right["score"] == 120
    assert right["seq"] > wrong["seq"]
    assert again["result"] == "already_found"


async def test_checkin_too_far_then_at_the_spot(hunt: str, connect: Connect) -> None:
    async with connect() as ann:
        await ann.join()
        far = await ann.request({"op": "checkin", "id": "k1", "clue": "c2", "lat": 53.55, "lon": 9.97})
        near = await ann.request({"op": "checkin", "id": "k2", "clue": "c2", "lat": CRANE[0], "lon": CRANE[1]})
    assert far["result"] == "too_far" and far["distance"] == "500m-1km" and "distance_m" not in far
    assert near["result"] == "checked_in" and near["points"] == 50


async def test_code_opens_after_its_prerequisite(hunt: str, connect: Connect) -> None:
    async with connect() as ann:
        await ann.join()
        locked = await ann.request({"op": "code", "id": "s1", "clue": "c3", "code": "X7K2"})
        await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        wrong = await ann.request({"op": "code", "id": "s2", "clue": "c3", "code": "NOPE"})
        right = await ann.request({"op": "code", "id": "s3", "clue": "c3", "code": "x7k2"})
    assert (locked["op"], locked["code"], locked["id"]) == ("error", "locked", "s1")
    assert wrong["result"] == "wrong"
    assert right["result"] == "correct" and right["points"] == 30


async def test_hint_costs_points_and_gives_its_text(hunt: str, connect: Connect) -> None:
    async with connect() as ann:
        await ann.join()
        hint = await ann.request({"op": "hint", "id": "h1", "clue": "c1"})
        second = await ann.request({"op": "hint", "id": "h2", "clue": "c1"})
        more = await ann.request({"op": "hint", "id": "h3", "clue": "c1"})
    assert hint["result"] == "hint" and hint["text"] == "It blinks." and hint["cost"] == 10 and hint["score"] == -10
    assert second["text"] == "It is tall." and second["cost"] == 5 and second["score"] == -15
    assert more["op"] == "error" and more["code"] == "no_more_hints"


async def test_ping_is_acked_ok(hunt: str, connect: Connect) -> None:
    async with connect() as ann:
        await ann.join()
        ack = await ann.request({"op": "ping", "id": "g1", "lat": 53.5, "lon": 9.9})
    assert ack == {"op": "ack", "id": "g1", "seq": ack["seq"], "result": "ok"}


async def test_a_resubmitted_command_returns_the_original_ack_marked_duplicate(
        hunt: str, server: Server, connect: Connect) -> None:
    async with connect() as ann:
        await ann.join()
        first = await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        events = (await server.engine.state(HUNT_ID)).seq
        second = await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        # Even a different payload under the same id is the same command.
        third = await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "wrong"})
    assert second == {**first, "duplicate": True} == third
    assert (await server.engine.state(HUNT_ID)).seq == events  # nothing appended


async def test_hello_greets_with_progress_and_hint_texts(hunt: str, connect: Connect) -> None:
    async with connect() as ann:
        await ann.join()
        await ann.request({"op": "hint", "id": "h1", "clue": "c1"})
        await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        token = ann.token
    async with connect() as again:
        welcome = await again.request({"op": "hello", "id": "w1", "token": token})
        ping = await again.request({"op": "ping", "id": "g1", "lat": 1, "lon": 2})
    assert welcome["op"] == "welcome" and welcome["player"] == "p1" and welcome["id"] == "w1"
    assert welcome["status"] == "active" and welcome["score"] == 110 and welcome["rank"] == 1
    progress = welcome["progress"]
    assert set(progress["found"]) == {"c1"} and progress["found"]["c1"]["points"] == 120
    assert progress["hints"] == {"c1": [{"index": 0, "text": "It blinks.", "cost": 10}]}
    assert ping["op"] == "ack"


async def test_batch_replies_in_order_in_one_frame(hunt: str, connect: Connect) -> None:
    async with connect() as ann:
        await ann.join()
        reply = await ann.request({"op": "batch", "id": "b1", "items": [
            {"op": "ping", "id": "g1", "lat": 1, "lon": 2},
            {"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"},
            {"op": "ping", "id": "g2", "lat": "north", "lon": 2},
            {"op": "hint", "id": "h1", "clue": "nope"},
            "not an object",
            {"op": "join", "id": join_id("Bob"), "name": "Bob"},
            {"op": "fly", "id": "f1"},
            {"op": "ping", "id": "g3", "lat": 3, "lon": 4},
        ]})
    items = reply["items"]
    assert reply["op"] == "batch" and reply["id"] == "b1" and len(items) == 8
    assert [item.get("id") for item in items] == ["g1", "a1", "g2", "h1", None, join_id("Bob"), "f1", "g3"]
    assert [item["op"] for item in items] == ["ack", "ack", "error", "error", "error", "error", "error", "ack"]
    assert [item.get("code") for item in items[2:7]] == [
        "bad_request", "unknown_clue", "bad_request", "bad_request", "unknown_op"]
    assert items[1]["result"] == "correct"
    assert items[0]["seq"] < items[1]["seq"] < items[7]["seq"]


async def test_a_batch_is_one_engine_submit(hunt: str, server: Server, connect: Connect) -> None:
    async with connect() as ann:
        await ann.join()

        def handled() -> int:
            [actor] = [a for a in server.engine.statistics().router.actors if a.key == HUNT_ID]
            return actor.messages

        before = handled()
        reply = await ann.request({"op": "batch", "items": [
            {"op": "ping", "id": f"g{i}", "lat": 1, "lon": i / 100} for i in range(50)]})
        after = handled()
    assert [item["result"] for item in reply["items"]] == ["ok"] * 50
    assert after - before == 1  # fifty pings, one mailbox message


async def test_team_hunts_join_with_a_team(server: Server, connect: Connect) -> None:
    await server.create_hunt("teams", mode="teams")
    async with connect("teams") as ann, connect("teams") as bob:
        captain = await ann.join("Ann", team="Gulls")
        await bob.join("Bob", team="gulls ", team_code=captain["team_code"])
        found = await bob.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        board = await ann.wait_for(lambda f: f["op"] == "leaderboard" and f["you"]["score"] == 120)
    assert found["score"] == 120
    assert board["you"] == {"player": "p1", "name": "Ann", "score": 120, "rank": 1, "team": "Gulls",
                            "side": "team:gulls"}
    assert board["top"] == [{"rank": 1, "player": "team:gulls", "name": "Gulls", "score": 120, "captain": "Ann"}]


async def test_a_binary_frame_is_read_as_utf8_text(hunt: str, connect: Connect) -> None:
    async with connect() as ann:
        await ann.join()
        await ann.ws.send_message(b'{"op":"ping","id":"g1","lat":1,"lon":2}')
        ack = await ann.wait_for(lambda f: f.get("id") == "g1")
    assert ack["op"] == "ack" and ack["result"] == "ok"


async def test_a_later_hello_rebinds_the_connection(hunt: str, server: Server, connect: Connect) -> None:
    async with connect() as bob:
        await bob.join("Bob")
        bob_token = bob.token
    async with connect() as shared:
        await shared.join("Ann")
        welcome = await shared.request({"op": "hello", "id": "w1", "token": bob_token})
        await shared.request({"op": "ping", "id": "g1", "lat": 1, "lon": 2})
    assert welcome["player"] == "p1"
    ann, bob_detail = [(await server.http.get(f"/admin/hunts/{HUNT_ID}/players/{p}")).json() for p in ("p2", "p1")]
    assert (ann["name"], ann["progress"]["pings"]) == ("Ann", 0)
    assert (bob_detail["name"], bob_detail["progress"]["pings"]) == ("Bob", 1)
