"""Editing a running hunt through the admin API: previews, applies with explicit corrections and
credits, live pushes to players, and no secret in what players get."""

from __future__ import annotations

from typing import Any

import orjson

from tests.support.api import Connect, Server
from tests.support.hunts import HUNT_ID

ADMIN = f"/admin/hunts/{HUNT_ID}"


async def post(server: Server, path: str, **body: Any) -> tuple[int, dict[str, Any]]:
    response = await server.http.post(f"{ADMIN}{path}", json=body)
    return response.status_code, response.json()


async def public_hunt(server: Server, token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {"Authorization": ""}
    response = await server.http.get(f"/hunts/{HUNT_ID}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def events(server: Server, type_: str) -> list[dict[str, Any]]:
    response = await server.http.get(f"{ADMIN}/events", params={"type": type_})
    return response.json()["events"]  # type: ignore[no-any-return]


async def audit(server: Server, player: str) -> dict[str, Any]:
    return (await server.http.get(f"{ADMIN}/players/{player}")).json()  # type: ignore[no-any-return]


def feed(player: Any, kind: str) -> Any:
    return lambda f: f["op"] == "feed" and f["kind"] == kind


async def test_an_edit_is_previewed_then_applied_with_its_corrections_and_pushed_live(
        hunt: str, server: Server, connect: Connect) -> None:
    async with connect() as ann, connect() as bob:
        await ann.join("Ann")
        await bob.join("Bob")
        assert (await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"}))["points"] == 120
        changes = {"prompt": "What blinks at the pier?", "points": 150}
        status, plan = await post(server, "/clues/c1/edit/preview", changes=changes, rescore="correct")
        assert status == 200, plan
        assert (plan["change"], plan["version"], plan["finders"]) == ("clue_edited", 0, 1)
        assert [(c["player"], c["got"], c["delta"]) for c in plan["corrections"]] == [(ann.player, 120, 50)]
        assert plan["document"]["answers"] == ["lighthouse"] and "answers" not in plan["public"]
        assert (await events(server, "clue_edited")) == []  # a preview records nothing
        status, applied = await post(server, "/clues/c1/edit", id="edit-1", changes=changes, rescore="correct",
                                     version=plan["version"])
        assert status == 200, applied
        assert (applied["result"], applied["change"], applied["version"]) == ("ok", "clue_edited", 1)
        assert [(c["player"], c["points"], c["score"]) for c in applied["corrections"]] == [(ann.player, 50, 170)]
        pushed = await bob.wait_for(feed(bob, "clue_edited"))
        assert pushed["clue"] == "c1" and "prompt" not in pushed
        fixed = await ann.wait_for(feed(ann, "score_adjusted"))
        assert fixed["score"] == 170
        view = await public_hunt(server, bob.token)
        [c1] = [c for c in view["clues"] if c["id"] == "c1"]
        assert (c1["prompt"], c1["points"], c1["value"]) == ("What blinks at the pier?", 150, 140)
        assert b"lighthouse" not in orjson.dumps([*ann.seen, *bob.seen, view])
    ledger = await audit(server, ann.player or "")
    assert ledger["score"] == sum(entry["points"] for entry in ledger["audit"]) == 170
    again = await post(server, "/clues/c1/edit", id="edit-1", changes=changes, rescore="correct")
    assert again[0] == 200 and again[1]["duplicate"] is True and again[1]["seq"] == applied["seq"]
    assert len(await events(server, "clue_edited")) == 1 and len(await events(server, "score_adjusted")) == 1


async def test_an_answer_fix_credits_only_the_players_the_organiser_picks(hunt: str, server: Server,
                                                                          connect: Connect) -> None:
    async with connect() as ann, connect() as bob:
        await ann.join("Ann")
        await bob.join("Bob")
        for player, text in ((ann, "light house"), (bob, "Lite House!"), (bob, "lamp")):
            reply = await player.request({"op": "answer", "id": text, "clue": "c1", "answer": text})
            assert reply["result"] == "wrong"
        changes = {"answers": ["lighthouse", "light house", "lite house"]}
        status, plan = await post(server, "/clues/c1/edit/preview", changes=changes)
        assert status == 200, plan
        assert [(c["player"], c["text"], c["points"]) for c in plan["credits"]] == [
            (ann.player, "light house", 120), (bob.player, "Lite House!", 90)]
        assert (await post(server, "/clues/c1/edit", changes=changes, credit=["p9"]))[0] == 409
        status, applied = await post(server, "/clues/c1/edit", changes=changes, credit=[bob.player])
        assert status == 200, applied
        assert [(c["player"], c["points"]) for c in applied["credits"]] == [(bob.player, 120)]
        item = await bob.wait_for(feed(bob, "clue_found"))
        assert "credited" in item["text"]
        assert (await ann.request({"op": "answer", "id": "a2", "clue": "c1", "answer": "Light House"}))["result"] \
            == "correct"
    assert [e["data"]["method"] for e in await events(server, "clue_found")] == ["credit", "answer"]
    # Wrong answers are kept for organisers only: the events API has them, players never got them.
    assert {e["data"]["text"] for e in await events(server, "attempt_failed")} == {"light house", "Lite House!",
                                                                                    "lamp"}


async def test_a_withdrawn_clue_leaves_the_players_view_and_its_points_go_back_if_asked(
        hunt: str, server: Server, connect: Connect) -> None:
    async with connect() as ann:
        await ann.join("Ann")
        await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        status, plan = await post(server, "/clues/c1/retire/preview", rescore="remove")
        assert status == 200 and [c["delta"] for c in plan["corrections"]] == [-120]
        status, applied = await post(server, "/clues/c1/retire", rescore="remove")
        assert status == 200 and applied["corrections"][0]["score"] == 0
        await ann.wait_for(feed(ann, "clue_retired"))
        assert [c["id"] for c in (await public_hunt(server, ann.token))["clues"]] == ["c2", "c3"]
        refused = await ann.request({"op": "answer", "id": "a2", "clue": "c1", "answer": "lighthouse"})
        assert refused["code"] == "unknown_clue"
    assert (await post(server, "/clues/c1/retire"))[0] == 409  # withdrawn already


async def test_a_clue_is_added_and_unlocked_for_one_player(hunt: str, server: Server, connect: Connect) -> None:
    async with connect() as ann, connect() as bob:
        await ann.join("Ann")
        await bob.join("Bob")
        clue = {"id": "c4", "title": "Anchor", "prompt": "What holds a ship?", "kind": "answer",
                "answers": ["anchor"], "points": 40, "after": ["c2"]}
        status, added = await post(server, "/clues", id="add-1", clue=clue)
        assert status == 200 and added["change"] == "clue_added", added
        await ann.wait_for(feed(ann, "clue_added"))
        status, unlocked = await post(server, "/clues/c4/unlock", player=ann.player)
        assert status == 200 and unlocked["side"] == ann.player
        await ann.wait_for(feed(ann, "clue_unlocked"))
        mine = {c["id"]: c for c in (await public_hunt(server, ann.token))["clues"]}
        theirs = {c["id"]: c for c in (await public_hunt(server, bob.token))["clues"]}
        assert mine["c4"]["prompt"] == "What holds a ship?" and theirs["c4"]["locked"] is True
        assert (await ann.request({"op": "answer", "id": "a4", "clue": "c4", "answer": "Anchor"}))["points"] == 40
        assert (await bob.request({"op": "answer", "id": "b4", "clue": "c4", "answer": "Anchor"}))["code"] == "locked"
        assert not any(f.get("kind") == "clue_unlocked" for f in bob.seen)
    assert (await post(server, "/clues", clue=clue))[0] == 409  # the id is taken


async def test_the_end_is_extended_an_ended_hunt_reopens_and_a_ban_is_lifted(hunt: str, server: Server,
                                                                            connect: Connect) -> None:
    async with connect() as ann:
        await ann.join("Ann")
        assert (await post(server, f"/players/{ann.player}/ban", reason="testing"))[0] == 200
        status, unbanned = await post(server, f"/players/{ann.player}/unban", reason="sorry")
        assert status == 200 and unbanned["banned"] is False
        await ann.wait_for(feed(ann, "player_unbanned"))
        assert (await post(server, "/end"))[0] == 200
        await ann.wait_for(lambda f: f["op"] == "hunt" and f["status"] == "ended")
        status, reopened = await post(server, "/reopen")
        assert status == 200 and reopened["status"] == "active"
        await ann.wait_for(lambda f: f["op"] == "hunt" and f["status"] == "active")
        far = 4_102_444_800_000  # 2100-01-01
        status, scheduled = await post(server, "/times", ends_at=far)
        assert status == 200 and scheduled["ends_at"] == far
        item = await ann.wait_for(feed(ann, "times_changed"))
        assert item["ends_at"] == far and (await public_hunt(server))["ends_at"] == far
        assert (await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"}))["result"] \
            == "correct"
    assert (await post(server, "/times", ends_at=1))[0] == 409  # in the past
    assert (await post(server, "/times", starts_at=1))[0] == 409  # the hunt has begun
    assert (await post(server, "/reopen"))[0] == 409  # not ended


async def test_bad_edits_are_clear_errors_and_change_nothing(hunt: str, server: Server) -> None:
    for path, body, status, code in [
        ("/clues/c9/edit", {"changes": {"points": 5}}, 404, "unknown_clue"),
        ("/clues/c1/edit", {"changes": {}}, 400, "bad_request"),
        ("/clues/c1/edit", {"changes": {"kind": "code"}}, 400, "bad_request"),
        ("/clues/c1/edit", {"changes": {"points": 10}}, 400, "bad_request"),  # below decay.min
        ("/clues/c1/edit", {"changes": {"points": 5}, "rescore": "maybe"}, 400, "bad_request"),
        ("/clues/c1/edit", {"changes": {"points": 500}, "version": 7}, 409, "invalid_state"),
        ("/clues/c1/edit", {"changes": {"points": 500}, "credit": "p1"}, 400, "bad_request"),
        ("/clues/c1/edit", {"changes": {"points": 500}, "extra": 1}, 400, "bad_request"),
        ("/clues/c1/edit/preview", {"changes": {"patterns": ["(unclosed"]}}, 400, "bad_request"),
        ("/clues", {"clue": {"id": "c1", "title": "Dup", "kind": "answer", "answers": ["x"]}}, 409, "invalid_state"),
        ("/clues", {"clue": "c5"}, 400, "bad_request"),
        ("/clues/c3/unlock", {"team": "Gulls", "player": "p1"}, 400, "bad_request"),
        ("/clues/c3/unlock", {"player": "p9"}, 404, "unknown_player"),
        ("/times", {"ends_at": "tomorrow"}, 400, "bad_request"),
        ("/times", {}, 400, "bad_request"),
        ("/players/p9/unban", {}, 404, "unknown_player"),
    ]:
        response = await server.http.post(f"{ADMIN}{path}", json=body)
        assert (response.status_code, response.json()["error"]) == (status, code), (path, body, response.text)
    detail = (await server.http.get(ADMIN)).json()
    assert detail["definition"]["clues"][0]["points"] == 100 and detail["seq"] == 2  # created, started
    assert (await post(server, "/start", id="same-id"))[0] == 409  # started already: but the id is free
    await post(server, "/pause", id="used")
    assert (await post(server, "/clues/c1/edit", id="used", changes={"points": 500}))[0] == 409
