"""Admin HTTP (docs/protocol.md): token, hunts, controls, reads, history, export/import, adjust, ban."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import trio

from actors import ActorCrashed, Overloaded
from tests.support.api import ADMIN_TOKEN, Connect, OpenServer, Server
from tests.support.hunts import CRANE, HUNT_ID, harbor


async def play(connect: Connect, name: str, *frames: dict[str, Any]) -> list[dict[str, Any]]:
    async with connect() as player:
        await player.join(name)
        return [await player.request(frame) for frame in frames]


def answer(cmd: str, clue: str = "c1", text: str = "lighthouse") -> dict[str, Any]:
    return {"op": "answer", "id": cmd, "clue": clue, "answer": text}


async def test_every_admin_route_needs_the_token(hunt: str, server: Server) -> None:
    admin_rules = [rule for rule in server.app.url_map.iter_rules() if rule.rule.startswith("/admin/hunts")]
    assert len(admin_rules) >= 14
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {ADMIN_TOKEN}"},
                    {"Authorization": ADMIN_TOKEN}, {"Authorization": f"Bearer {ADMIN_TOKEN}x"}):
        async with httpx.AsyncClient(base_url=server.base, headers=headers) as anonymous:
            for rule in admin_rules:
                path = re.sub(r"<int(\([^)]*\))?:entry>", "1", rule.rule.replace("<hunt_id>", HUNT_ID)
                              .replace("<player>", "p1"))
                path = path.replace("<digest>", "a" * 64)
                for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                    response = await anonymous.request(method, path, json={})
                    assert response.status_code == 401, (method, path, headers)
                    assert response.json()["error"] == "unauthorized"
                    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_create_returns_the_public_view(server: Server) -> None:
    response = await server.http.post("/admin/hunts", json=harbor())
    assert response.status_code == 201
    view = response.json()
    assert {k: view[k] for k in ("id", "title", "mode", "order", "status")} == {
        "id": HUNT_ID, "title": "Harbor Hunt", "mode": "solo", "order": "free", "status": "pending"}
    text = response.text
    for secret in ("lighthouse", "X7K2", "53.5441", "It blinks"):
        assert secret not in text
    assert [clue["id"] for clue in view["clues"]] == ["c1", "c2", "c3"]
    again = await server.http.post("/admin/hunts", json=harbor())
    assert again.status_code == 409 and again.json()["error"] == "hunt_exists"


@pytest.mark.parametrize(("document", "fragment"), [
    ({"id": "../etc", "title": "x", "clues": []}, "id"),
    ({"id": "a.b", "title": "x", "clues": []}, "id"),
    ({"id": "ok", "title": "x", "clues": []}, "clues"),
    ({"id": "ok", "title": "x", "clues": [{"id": "c1", "title": "t", "kind": "riddle"}]}, "kind"),
    ({"id": "ok", "title": "x", "typo": 1, "clues": [{"id": "c1", "title": "t", "kind": "code", "codes": ["A"]}]},
     "typo"),
])
async def test_an_invalid_definition_is_a_bad_request_naming_the_field(
        server: Server, document: dict[str, Any], fragment: str) -> None:
    response = await server.http.post("/admin/hunts", json=document)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "bad_request" and fragment in body["message"]
    assert not list(server.config.data_path.rglob("*.sqlite3"))


@pytest.mark.parametrize("body", [b"{not json", b"[1]", b""])
async def test_a_body_that_is_not_a_json_object_is_a_bad_request(server: Server, body: bytes) -> None:
    response = await server.http.post("/admin/hunts", content=body)
    assert response.status_code == 400 and response.json()["error"] == "bad_request"


async def test_bodies_over_the_limit_are_too_large(server: Server) -> None:
    limit = server.config.limits.max_body_bytes
    huge = harbor(description="x" * limit)
    response = await server.http.post("/admin/hunts", json=huge)
    assert response.status_code == 413 and response.json()["error"] == "too_large"

    async def chunks() -> Any:  # no Content-Length: counted while read
        for _ in range(limit // 1000 + 2):
            yield b" " * 1000

    response = await server.http.post("/admin/hunts", content=chunks())
    assert response.status_code == 413


async def test_list_and_detail(hunt: str, server: Server, connect: Connect) -> None:
    await play(connect, "Ann", {"op": "ping", "id": "g1", "lat": 53.54419, "lon": 9.96671},
               {"op": "ping", "id": "g2", "lat": 53.5442, "lon": 9.9668}, answer("a1"))
    listing = (await server.http.get("/admin/hunts")).json()
    assert listing["hunts"] == [{"id": HUNT_ID, "title": "Harbor Hunt", "status": "active", "players": 1,
                                 "events": 6, "active": True}]
    detail = (await server.http.get(f"/admin/hunts/{HUNT_ID}")).json()
    with trio.fail_after(2):  # with --workers N the actor's figures come from the owner, a moment old
        while not detail["actor"]["active"]:
            await trio.sleep(0.05)
            detail = (await server.http.get(f"/admin/hunts/{HUNT_ID}")).json()
    assert detail["id"] == HUNT_ID and detail["status"] == "active"
    assert detail["definition"]["clues"][0]["answers"] == ["lighthouse"]  # admins see everything
    assert detail["stats"]["events"] == 6 and detail["stats"]["players"] == 1
    assert detail["stats"]["by_type"] == {"clue_found": 1, "hunt_created": 1, "hunt_started": 1, "pinged": 2,
                                          "player_joined": 1}
    cell = detail["heatmap"]["cell_deg"]
    [[lat, lon, count]] = detail["heatmap"]["cells"]
    assert count == 2 and lat <= 53.54419 < lat + cell and lon <= 9.96671 < lon + cell
    assert detail["actor"] == {"mailbox_depth": 0, "mailbox_capacity": server.config.engine.mailbox_capacity,
                               "active": True, "subscribers": 0}


async def test_start_pause_end_are_idempotent_with_a_client_id(server: Server) -> None:
    await server.create_hunt(start=False)
    base = f"/admin/hunts/{HUNT_ID}"
    started = await server.http.post(f"{base}/start", json={"id": "go"})
    assert started.status_code == 200
    assert started.json() == {"id": "go", "seq": 2, "result": "ok", "status": "active"}
    again = await server.http.post(f"{base}/start", json={"id": "go"})
    assert again.json() == {**started.json(), "duplicate": True}
    refused = await server.http.post(f"{base}/start")  # a new id: decided again, and refused
    assert refused.status_code == 409 and refused.json()["error"] == "invalid_state"
    assert (await server.http.post(f"{base}/pause")).json()["status"] == "paused"
    assert (await server.http.post(f"{base}/end")).json()["status"] == "ended"
    assert (await server.http.post(f"{base}/pause")).status_code == 409
    bad = await server.http.post(f"{base}/end", json={"id": 5})
    assert bad.status_code == 400


# (httpx resolves a literal "/.." before sending, so those are spelled encoded here.)
@pytest.mark.parametrize("path", ["/admin/hunts/nope", "/admin/hunts/a.b", "/admin/hunts/%2e%2e",
                                  "/admin/hunts/..%2F..%2Fetc/clues", "/admin/hunts/nope/leaderboard",
                                  "/admin/hunts/a.b/export"])
async def test_unknown_or_path_escaping_hunt_ids_are_not_found(hunt: str, server: Server, path: str) -> None:
    response = await server.http.get(path)
    assert response.status_code == 404, path
    assert response.json()["error"] in ("unknown_hunt", "not_found")
    response = await server.http.post(path.removesuffix("/leaderboard") + "/start")
    assert response.status_code in (404, 405)


async def test_leaderboard_pages_and_time_travel(hunt: str, server: Server, connect: Connect) -> None:
    [found] = await play(connect, "Ann", answer("a1"))
    await play(connect, "Bob", {"op": "checkin", "id": "k1", "clue": "c2", "lat": CRANE[0], "lon": CRANE[1]})
    await play(connect, "Cat", answer("a1"))  # second finder: no first-finder bonus, 10 points of decay
    board = (await server.http.get(f"/admin/hunts/{HUNT_ID}/leaderboard")).json()
    assert board["total"] == 3
    assert [(r["rank"], r["name"], r["score"]) for r in board["rows"]] == [
        (1, "Ann", 120), (2, "Cat", 90), (3, "Bob", 50)]
    page = (await server.http.get(f"/admin/hunts/{HUNT_ID}/leaderboard", params={"limit": 1, "offset": 1})).json()
    assert page["rows"] == [{"rank": 2, "player": "p3", "name": "Cat", "score": 90}]
    past = (await server.http.get(f"/admin/hunts/{HUNT_ID}/leaderboard",
                                  params={"at_seq": found["seq"]})).json()
    assert past == {"seq": found["seq"], "total": 1,
                    "rows": [{"rank": 1, "player": "p1", "name": "Ann", "score": 120}]}
    future = (await server.http.get(f"/admin/hunts/{HUNT_ID}/leaderboard", params={"at_seq": 10_000})).json()
    assert future == board
    for bad in ({"at_seq": 0}, {"at_seq": "x"}, {"limit": 0}, {"offset": -1}):
        response = await server.http.get(f"/admin/hunts/{HUNT_ID}/leaderboard", params=bad)
        assert response.status_code == 400, bad


async def test_time_travel_across_snapshots_matches_the_past(hunt: str, server: Server, connect: Connect) -> None:
    boards = {}
    async with connect() as ann:
        await ann.join("Ann")
        for i in range(30):  # past snapshot_every (20): replay starts from a snapshot
            await server.http.post(f"/admin/hunts/{HUNT_ID}/adjust",
                                   json={"player": "p1", "delta": i + 1, "reason": "step"})
            board = (await server.http.get(f"/admin/hunts/{HUNT_ID}/leaderboard")).json()
            boards[board["seq"]] = board
    for seq, board in boards.items():
        past = await server.http.get(f"/admin/hunts/{HUNT_ID}/leaderboard", params={"at_seq": seq})
        assert past.json() == board


async def test_player_progress_and_audit(hunt: str, server: Server, connect: Connect) -> None:
    await play(connect, "Ann", {"op": "hint", "id": "h1", "clue": "c1"}, answer("a0", text="windmill"),
               answer("a1"), {"op": "ping", "id": "g1", "lat": 1.5, "lon": 2.5})
    await server.http.post(f"/admin/hunts/{HUNT_ID}/adjust", json={"player": "p1", "delta": -5, "reason": "late"})
    detail = (await server.http.get(f"/admin/hunts/{HUNT_ID}/players/p1")).json()
    assert (detail["player"], detail["name"], detail["team"], detail["banned"]) == ("p1", "Ann", None, False)
    assert detail["score"] == 105 and detail["rank"] == 1
    progress = detail["progress"]
    assert set(progress["found"]) == {"c1"} and progress["found"]["c1"]["points"] == 120
    assert progress["hints"] == {"c1": 1} and progress["wrong"] == {"c1": 1} and progress["pings"] == 1
    assert progress["location"][:2] == [1.5, 2.5]
    audit = detail["audit"]
    assert [(e["type"], e["points"]) for e in audit] == [("hint_taken", -10), ("clue_found", 120),
                                                         ("score_adjusted", -5)]
    assert sum(e["points"] for e in audit) == detail["score"]
    assert all({"seq", "ts", "type", "clue", "points"} <= set(e) for e in audit)
    missing = await server.http.get(f"/admin/hunts/{HUNT_ID}/players/p9")
    assert missing.status_code == 404 and missing.json()["error"] == "unknown_player"


async def test_clue_stats(hunt: str, server: Server, connect: Connect) -> None:
    await play(connect, "Ann", answer("a0", text="windmill"), answer("a1"))
    await play(connect, "Bob", {"op": "hint", "id": "h1", "clue": "c1"}, answer("a1"))
    clues = (await server.http.get(f"/admin/hunts/{HUNT_ID}/clues")).json()["clues"]
    c1, c2, _ = clues
    assert {k: c1[k] for k in ("id", "title", "kind", "attempts", "wrong", "finders", "first_finder",
                               "hints_taken")} == {
        "id": "c1", "title": "Old light", "kind": "answer", "attempts": 3, "wrong": 1, "finders": 2,
        "first_finder": "p1", "hints_taken": 1}
    assert c1["median_solve_s"] >= 0
    assert (c2["finders"], c2["median_solve_s"], c2["first_finder"]) == (0, None, None)


async def test_events_by_the_indexes_with_pages(hunt: str, server: Server, connect: Connect) -> None:
    await play(connect, "Ann", answer("a0", text="windmill"), answer("a1"),
               *[{"op": "ping", "id": f"g{i}", "lat": 1, "lon": 2} for i in range(5)])
    await play(connect, "Bob", answer("b1"))
    url = f"/admin/hunts/{HUNT_ID}/events"
    everything = (await server.http.get(url)).json()
    assert everything["next_after"] is None
    events = everything["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all({"seq", "ts", "type", "player", "clue", "cmd", "data"} <= set(e) for e in events)
    found = next(e for e in events if e["type"] == "clue_found")
    assert (found["player"], found["clue"], found["cmd"], found["data"]["points"]) == ("p1", "c1", "a1", 120)

    def query(**params: Any) -> Any:
        return server.http.get(url, params=params)

    pings = (await query(player="p1", type="pinged")).json()["events"]
    assert [e["cmd"] for e in pings] == [f"g{i}" for i in range(5)]
    on_c1 = (await query(clue="c1")).json()["events"]
    assert [(e["type"], e["player"]) for e in on_c1] == [
        ("attempt_failed", "p1"), ("clue_found", "p1"), ("clue_found", "p2")]
    pages, after = [], 0
    while after is not None:
        page = (await query(after=after, limit=3)).json()
        pages.append([e["seq"] for e in page["events"]])
        after = page["next_after"]
    assert [seq for page in pages for seq in page] == [e["seq"] for e in events]
    assert all(len(page) <= 3 for page in pages)
    capped = (await query(limit=10_000)).json()
    assert len(capped["events"]) == len(events)  # capped at page_limit_max, not refused
    for bad in ({"type": "nonsense"}, {"after": -1}, {"limit": "many"}):
        assert (await query(**bad)).status_code == 400, bad


async def test_export_then_import_round_trips(hunt: str, server: Server, connect: Connect,
                                              open_server: OpenServer) -> None:
    await play(connect, "Ann", {"op": "hint", "id": "h1", "clue": "c1"}, answer("a1"),
               {"op": "code", "id": "s1", "clue": "c3", "code": "X7K2"})
    await play(connect, "Bob", {"op": "checkin", "id": "k1", "clue": "c2", "lat": CRANE[0], "lon": CRANE[1]})
    await server.http.post(f"/admin/hunts/{HUNT_ID}/players/p2/ban", json={"reason": "shared codes"})
    timed = await server.http.post(f"/admin/hunts/{HUNT_ID}/schedule", json={"player": "p1", "window_s": 7200})
    freeze = await server.http.post(f"/admin/hunts/{HUNT_ID}/freeze", json={"at": "2099-01-01T00:00:00Z"})
    assert timed.status_code == 200 and freeze.status_code == 200
    export = await server.http.get(f"/admin/hunts/{HUNT_ID}/export")
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/x-ndjson")
    lines = export.content.splitlines()
    assert len(lines) == (await server.engine.state(HUNT_ID)).seq
    clash = await server.http.post("/admin/hunts/import", content=export.content)
    assert clash.status_code == 409 and clash.json()["error"] == "hunt_exists"

    async with open_server() as other:
        imported = await other.http.post("/admin/hunts/import", content=export.content,
                                         headers={"Content-Type": "application/x-ndjson"})
        assert imported.status_code == 201, imported.text
        assert imported.json() == {"id": HUNT_ID, "events": len(lines)}
        again = await other.http.get(f"/admin/hunts/{HUNT_ID}/export")
        assert again.content == export.content
        for path in ("/leaderboard", "/players/p1", "/clues", "/schedule"):
            mine = await server.http.get(f"/admin/hunts/{HUNT_ID}{path}")
            theirs = await other.http.get(f"/admin/hunts/{HUNT_ID}{path}")
            assert mine.json() == theirs.json(), path


@pytest.mark.parametrize(("body", "fragment"), [
    (b"", "empty"),
    (b"{not json\n", "line 1"),
    (b'{"seq": 2, "ts": 1, "type": "hunt_started", "data": {}}\n', "line 1"),
])
async def test_a_broken_import_is_a_bad_request_and_leaves_nothing(
        server: Server, body: bytes, fragment: str) -> None:
    response = await server.http.post("/admin/hunts/import", content=body)
    assert response.status_code == 400 and fragment in response.json()["message"]
    assert not list(server.config.data_path.rglob("*.sqlite3"))


async def test_an_import_over_its_limit_is_too_large(hunt: str, server: Server, open_server: OpenServer) -> None:
    export = (await server.http.get(f"/admin/hunts/{HUNT_ID}/export")).content
    async with open_server(limits={"max_import_bytes": len(export) - 1}) as other:
        response = await other.http.post("/admin/hunts/import", content=export)
        assert response.status_code == 413

        async def chunks() -> Any:  # no Content-Length: the limit applies as it streams
            for line in export.splitlines(keepends=True):
                yield line

        response = await other.http.post("/admin/hunts/import", content=chunks())
        assert response.status_code == 413
        assert not list(other.config.data_path.rglob("*.sqlite3"))


async def test_adjust_and_ban_are_recorded_events(hunt: str, server: Server, connect: Connect) -> None:
    base = f"/admin/hunts/{HUNT_ID}"
    async with connect() as ann:
        await ann.join("Ann")
        adjusted = await server.http.post(f"{base}/adjust", json={"player": "p1", "delta": 15, "reason": "photo",
                                                                  "id": "adj-1"})
        assert adjusted.json() == {"id": "adj-1", "seq": adjusted.json()["seq"], "result": "ok", "player": "p1",
                                   "points": 15, "score": 15}
        again = await server.http.post(f"{base}/adjust", json={"player": "p1", "delta": 15, "reason": "photo",
                                                               "id": "adj-1"})
        assert again.json()["duplicate"] is True
        feed = await ann.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "score_adjusted")
        assert (feed["points"], feed["reason"]) == (15, "photo")
        banned = await server.http.post(f"{base}/players/p1/ban", json={"reason": "cheating"})
        assert banned.status_code == 200
        notice = await ann.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "player_banned")
        assert notice["reason"] == "cheating"
    events = (await server.http.get(f"{base}/events", params={"player": "p1"})).json()["events"]
    assert [e["type"] for e in events] == ["player_joined", "score_adjusted", "player_banned"]
    twice = await server.http.post(f"{base}/players/p1/ban", json={})
    assert twice.status_code == 409 and twice.json()["error"] == "invalid_state"
    for body, status in (({"player": "p9", "delta": 1}, 404), ({"player": "p1", "delta": 0}, 400),
                         ({"player": "p1", "delta": "1"}, 400), ({"delta": 1}, 400),
                         ({"player": "p1", "delta": 1, "reason": 5}, 400)):
        response = await server.http.post(f"{base}/adjust", json=body)
        assert response.status_code == status, body
    assert (await server.http.post(f"{base}/players/p9/ban", json={})).status_code == 404


@pytest.mark.parametrize(("failure", "status", "code"), [
    (Overloaded(HUNT_ID, 1500), 503, "overloaded"),
    (ActorCrashed("boom"), 503, "unavailable"),
])
@pytest.mark.one_process  # replaces the engine's submit, which an owner does not call (it sends gateway batches)
async def test_overload_and_crashes_are_503_with_retry_after(
        hunt: str, server: Server, monkeypatch: pytest.MonkeyPatch,
        failure: Exception, status: int, code: str) -> None:
    async def failing(*args: Any) -> Any:
        raise failure

    monkeypatch.setattr(server.engine, "submit", failing)
    response = await server.http.post(f"/admin/hunts/{HUNT_ID}/pause")
    assert (response.status_code, response.json()["error"]) == (status, code)
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["retry_after_ms"] >= 1000


async def test_an_import_whose_body_stalls_is_refused_and_leaves_nothing(
        hunt: str, server: Server, open_server: OpenServer) -> None:
    export = (await server.http.get(f"/admin/hunts/{HUNT_ID}/export")).content
    first_line = export.splitlines(keepends=True)[0]
    async with open_server(limits={"import_idle_timeout_s": 0.3}) as other:

        async def stalls() -> Any:  # one line, then the client goes quiet for longer than allowed
            yield first_line
            await trio.sleep(1.0)  # (had the server waited, the import would now succeed)

        with trio.fail_after(5):
            response = await other.http.post("/admin/hunts/import", content=stalls())
        assert response.status_code == 408 and response.json()["error"] == "timeout"
        assert "stalled" in response.json()["message"]
        assert not list(other.config.data_path.rglob("*.sqlite3"))
