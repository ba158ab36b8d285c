"""The admin history reads the dashboard pages through (docs/protocol.md): the event log newest
first with the players' names and a time filter, and the standings at a clock time."""

from __future__ import annotations

from typing import Any

import trio

from tests.support.api import Connect, Server
from tests.support.hunts import HUNT_ID

EVENTS = f"/admin/hunts/{HUNT_ID}/events"
LEADERBOARD = f"/admin/hunts/{HUNT_ID}/leaderboard"


async def play(connect: Connect, name: str, *frames: dict[str, Any]) -> list[dict[str, Any]]:
    async with connect() as player:
        await player.join(name)
        replies = []
        for frame in frames:
            replies.append(await player.request(frame))
            await trio.sleep(0.005)  # a few ms apart: the time filters have something to tell apart
        return replies


def ping(cmd: str) -> dict[str, Any]:
    return {"op": "ping", "id": cmd, "lat": 1, "lon": 2}


async def all_events(server: Server) -> list[dict[str, Any]]:
    return (await server.http.get(EVENTS, params={"limit": 1000})).json()["events"]


async def test_events_newest_first_page_backwards_and_name_their_players(hunt: str, server: Server,
                                                                        connect: Connect) -> None:
    await play(connect, "Ann", *[ping(f"a{i}") for i in range(4)])
    await play(connect, "Bob", ping("b0"))
    events = await all_events(server)
    newest = (await server.http.get(EVENTS, params={"order": "desc"})).json()
    assert newest["events"] == events[::-1]
    assert newest["names"] == {"p1": "Ann", "p2": "Bob"}
    assert (newest["next_after"], newest["next_before"]) == (None, None)

    pages, before = [], None
    while True:
        params: dict[str, Any] = {"order": "desc", "limit": 3, **({"before": before} if before else {})}
        page = (await server.http.get(EVENTS, params=params)).json()
        pages.append([e["seq"] for e in page["events"]])
        assert page["next_after"] is None
        assert set(page["names"]) == {e["player"] for e in page["events"] if e["player"]}
        before = page["next_before"]
        if before is None:
            break
    assert [seq for page in pages for seq in page] == [e["seq"] for e in events[::-1]]
    assert all(len(page) == 3 for page in pages[:-1])
    # Only Bob's, newest first, named; the oldest-first pages still say next_after.
    bob = (await server.http.get(EVENTS, params={"order": "desc", "player": "p2"})).json()
    assert [e["type"] for e in bob["events"]] == ["pinged", "player_joined"] and bob["names"] == {"p2": "Bob"}
    oldest = (await server.http.get(EVENTS, params={"limit": 2})).json()
    assert oldest["next_after"] == 2 and oldest["next_before"] is None
    assert oldest["names"] == {}  # hunt_created and hunt_started concern no player


async def test_events_between_two_clock_times(hunt: str, server: Server, connect: Connect) -> None:
    await play(connect, "Ann", *[ping(f"a{i}") for i in range(6)])
    events = await all_events(server)
    times = sorted({e["ts"] for e in events})
    assert len(times) >= 4, "the events should span several milliseconds"
    low, high = times[1], times[-2]

    async def between(**params: Any) -> list[int]:
        response = await server.http.get(EVENTS, params={"limit": 1000, **params})
        assert response.status_code == 200, response.text
        return [e["seq"] for e in response.json()["events"]]

    assert await between(from_time=low) == [e["seq"] for e in events if e["ts"] >= low]
    assert await between(to_time=high) == [e["seq"] for e in events if e["ts"] <= high]
    inside = [e["seq"] for e in events if low <= e["ts"] <= high]
    assert await between(from_time=low, to_time=high) == inside
    assert await between(from_time=low, to_time=high, order="desc") == inside[::-1]
    assert await between(from_time=high + 1, to_time=low) == []
    for bad in ({"from_time": -1}, {"to_time": "noon"}, {"to_time": "2026-05-29T14:00:00Z"}, {"before": 0},
                {"order": "newest"}, {"from_time": 2**63}):
        response = await server.http.get(EVENTS, params=bad)
        assert response.status_code == 400 and response.json()["error"] == "bad_request", bad


async def test_standings_at_a_clock_time(hunt: str, server: Server, connect: Connect) -> None:
    await play(connect, "Ann", {"op": "answer", "id": "x1", "clue": "c1", "answer": "lighthouse"})
    await trio.sleep(0.01)
    await play(connect, "Bob", {"op": "code", "id": "x2", "clue": "c3", "code": "X7K2"})
    events = await all_events(server)
    ann_found = next(e for e in events if e["type"] == "clue_found" and e["player"] == "p1")
    bob_joined = next(e for e in events if e["type"] == "player_joined" and e["player"] == "p2")
    assert bob_joined["ts"] > ann_found["ts"]

    async def board(**params: Any) -> Any:
        response = await server.http.get(LEADERBOARD, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    # At the moment Ann found c1 (and until just before Bob joined): the board as of that seq.
    for at in (ann_found["ts"], bob_joined["ts"] - 1):
        then = await board(at_time=at)
        last = max(e["seq"] for e in events if e["ts"] <= at)
        assert then == await board(at_seq=last), at
        assert [(r["name"], r["score"]) for r in then["rows"]] == [("Ann", 120)]
    assert await board(at_time=2**63 - 1) == await board()  # later than the last event: the live board
    # Both: the earlier of the two.
    assert (await board(at_time=2**63 - 1, at_seq=ann_found["seq"]))["seq"] == ann_found["seq"]
    assert (await board(at_time=ann_found["ts"], at_seq=10_000))["seq"] >= ann_found["seq"]
    assert (await board(at_time=events[-1]["ts"], limit=1, offset=1))["rows"][0]["name"] == "Bob"

    before = await server.http.get(LEADERBOARD, params={"at_time": events[0]["ts"] - 1})
    assert before.status_code == 404 and "no events at or before" in before.json()["message"]
    for bad in ({"at_time": -1}, {"at_time": "yesterday"}, {"at_time": ""}):
        response = await server.http.get(LEADERBOARD, params=bad)
        assert response.status_code == 400 and response.json()["error"] == "bad_request", bad
