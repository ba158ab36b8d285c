"""Live pushes: the feed, resume with ``since``, the coalesced leaderboard, status, and a slow reader."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from hunt.engine import FEED_TYPES
from tests.support.api import Connect, OpenServer, Player, Server, open_socket
from tests.support.hunts import CRANE, HUNT_ID


async def admin(server: Server, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await server.http.post(f"/admin/hunts/{HUNT_ID}{path}", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_players_see_each_others_finds(hunt: str, connect: Connect) -> None:
    async with connect() as ann, connect() as bob:
        await ann.join("Ann")
        await bob.join("Bob")
        ack = await bob.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        feed = await ann.wait_for(lambda f: f["op"] == "feed" and f["kind"] == "clue_found")
    assert feed["seq"] == ack["seq"]
    assert (feed["player"], feed["name"], feed["clue"], feed["points"]) == ("p2", "Bob", "c1", 120)
    assert "lighthouse" not in str(feed)


async def test_news_for_a_player_is_not_held_back_until_its_next_leaderboard_push(open_server: OpenServer) -> None:
    # With a long leaderboard interval, a connection that saw a commit without news for it
    # waits for its next leaderboard push; news for its player must wake it before that.
    async with open_server(limits={"leaderboard_push_interval_ms": 10_000}) as server:
        await server.create_hunt()
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann, \
                open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as bob:
            await ann.join("Ann")
            await bob.join("Bob")
            await bob.request({"op": "answer", "id": "b1", "clue": "c1", "answer": "lighthouse"})  # first find
            await ann.request({"op": "ping", "id": "g1", "lat": 1.0, "lon": 2.0})  # no news for ann
            await trio.sleep(0.2)  # ann's watcher is now waiting for its next leaderboard push
            started = trio.current_time()
            await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})  # to ann only
            mine = lambda f: f["op"] == "feed" and f.get("player") == ann.player  # noqa: E731
            # Pushes may come between replies: the feed item may be ahead of the answer's ack.
            feed = next(filter(mine, ann.seen), None) or await ann.wait_for(mine, timeout=4)
            assert feed["kind"] == "clue_found" and not feed["first"]
            assert trio.current_time() - started < 1.0


async def test_status_changes_are_pushed(hunt: str, server: Server, connect: Connect) -> None:
    async with connect() as ann:
        await ann.join()
        await ann.wait_for(lambda f: f == {"op": "hunt", "status": "active", "seq": f["seq"]})
        await admin(server, "/pause")
        paused = await ann.wait_for(lambda f: f["op"] == "hunt")
        await admin(server, "/start")
        active = await ann.wait_for(lambda f: f["op"] == "hunt")
    assert (paused["status"], active["status"]) == ("paused", "active")
    # The start came with the join (the recent public feed); a start after a pause is a resume.
    assert [f["kind"] for f in ann.pushes("feed")] == ["hunt_started", "hunt_paused", "hunt_resumed"]
    assert ann.pushes("feed")[-1]["text"] == "The hunt has resumed"


@pytest.mark.parametrize(("feed_buffer", "history_page"), [(1024, 500), (2, 500), (2, 1)],
                         ids=["from-memory", "from-disk", "from-disk-in-pages"])
async def test_resume_after_a_dropped_connection_misses_nothing(open_server: OpenServer, feed_buffer: int,
                                                                history_page: int) -> None:
    async with open_server(engine={"feed_buffer": feed_buffer, "history_page": history_page}) as server:
        await server.create_hunt()
        resource = f"/ws/hunts/{HUNT_ID}"
        async with open_socket(server.port, resource) as ann, open_socket(server.port, resource) as bob:
            joined = await ann.join("Ann")
            await bob.join("Bob")
        since, ann_token, bob_token = joined["seq"], ann.token, bob.token
        # While Ann is away: public news, news for her only, and news for Bob only.
        async with open_socket(server.port, resource) as bob:
            await bob.request({"op": "hello", "id": "w1", "token": bob_token})
            await bob.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
            await admin(server, "/adjust", {"player": "p1", "delta": 5, "reason": "found a wallet"})
            await admin(server, "/adjust", {"player": "p2", "delta": -3, "reason": "littering"})
            await admin(server, "/pause")
            await admin(server, "/start")
            await bob.request({"op": "checkin", "id": "k1", "clue": "c2", "lat": CRANE[0], "lon": CRANE[1]})
            for i in range(5):  # not news
                await bob.request({"op": "ping", "id": f"g{i}", "lat": 1, "lon": 2})
        events = (await server.http.get(f"/admin/hunts/{HUNT_ID}/events", params={"after": since})).json()
        expected = [e["seq"] for e in events["events"]
                    if e["type"] in FEED_TYPES and (e["type"] == "clue_found" or e["player"] in (None, "p1"))]
        assert len(expected) == 5

        async with open_socket(server.port, resource) as ann:
            welcome = await ann.request({"op": "hello", "id": "w2", "token": ann_token, "since": since})
            feed = [await ann.wait_for(lambda f: f["op"] == "feed") for _ in expected]
            # ... and nothing more: the next live item comes after a new event.
            ping = await ann.request({"op": "ping", "id": "g9", "lat": 1, "lon": 2})
    assert welcome["op"] == "welcome" and welcome["player"] == "p1"
    assert ann.seen.index(welcome) < ann.seen.index(feed[0])
    assert [f["seq"] for f in feed] == expected
    assert [f["kind"] for f in feed] == ["clue_found", "score_adjusted", "hunt_paused", "hunt_resumed",
                                         "clue_found"]
    assert all(f.get("reason") != "littering" for f in feed)
    assert ping["op"] == "ack" and len(ann.pushes("feed")) == len(expected)


async def test_hello_since_beyond_the_log_replays_nothing(hunt: str, connect: Connect) -> None:
    async with connect() as ann:
        await ann.join()
        token = ann.token
    async with connect() as ann:
        welcome = await ann.request({"op": "hello", "id": "w1", "token": token, "since": 10_000})
        await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        # Pushes may come between replies: the feed item may be ahead of the answer's ack.
        feed = next((f for f in ann.seen if f["op"] == "feed"), None) or await ann.wait_for(
            lambda f: f["op"] == "feed")
    assert welcome["seq"] < 10_000
    assert feed["kind"] == "clue_found"  # later news still arrives


async def test_the_leaderboard_push_is_coalesced_and_the_latest_wins(open_server: OpenServer) -> None:
    interval_s = 0.3
    async with open_server(limits={"leaderboard_push_interval_ms": int(interval_s * 1000)}) as server:
        await server.create_hunt()
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann:
            await ann.join("Ann")
            await ann.wait_for(lambda f: f["op"] == "leaderboard")
            started = trio.current_time()
            for i in range(20):
                await admin(server, "/adjust", {"player": "p1", "delta": 1, "reason": f"r{i}"})
            burst_s = trio.current_time() - started
            final = await ann.wait_for(lambda f: f["op"] == "leaderboard" and f["you"]["score"] == 20)
    boards = ann.pushes("leaderboard")
    assert final["top"] == [{"rank": 1, "player": "p1", "name": "Ann", "score": 20}]
    assert final["you"] == {"player": "p1", "name": "Ann", "score": 20, "rank": 1}
    assert len(boards) <= 2 + burst_s / interval_s, (len(boards), burst_s)
    scores = [board["you"]["score"] for board in boards]
    assert scores == sorted(scores)  # never an older state after a newer one


async def test_a_greeted_connection_keeps_its_hunt_loaded(hunt: str, server: Server, connect: Connect) -> None:
    # The owner's hub counts the subscribers (with --workers N, as the gateways last reported).
    hub = server.engine.live(HUNT_ID)
    async with connect() as ann:
        assert hub.subscribers == 0
        await ann.join()
        with trio.fail_after(2):
            while hub.subscribers != 1:
                await trio.sleep(0.01)
    with trio.fail_after(2):
        while hub.subscribers:
            await trio.sleep(0.01)


async def test_a_slow_reader_slows_only_itself(open_server: OpenServer) -> None:
    """A client that stops reading while sending a flood of batches: the server stops reading it
    (bounded outbox, then TCP backpressure) instead of buffering, and the other player's acks and
    pushes keep flowing. When it reads again, it gets every reply: nothing was dropped."""
    async with open_server(limits={"outbox_capacity": 4, "max_batch_items": 50, "max_frame_bytes": 65536}) as server:
        await server.create_hunt()
        resource = f"/ws/hunts/{HUNT_ID}"
        async with open_socket(server.port, resource, message_queue_size=0) as slow, \
                open_socket(server.port, resource) as ann:
            await slow.join("Slow")
            await ann.join("Ann")
            frames, sent = 150, 0

            async def flood() -> None:
                nonlocal sent
                for n in range(frames):
                    items = [{"op": "ping", "id": f"{n:04}-{i:02}-" + "x" * 120, "lat": 1, "lon": 2}
                             for i in range(50)]
                    await slow.send({"op": "batch", "items": items})
                    sent += 1

            latencies = []
            async with trio.open_nursery() as nursery:
                nursery.start_soon(flood)
                await trio.sleep(0.3)  # let the flood fill every buffer on the way
                for i in range(20):
                    began = trio.current_time()
                    ack = await ann.request({"op": "ping", "id": f"a{i}", "lat": 3, "lon": 4})
                    latencies.append(trio.current_time() - began)
                    assert ack["op"] == "ack"
                await admin(server, "/adjust", {"player": "p2", "delta": 7, "reason": "bonus"})
                board = await ann.wait_for(lambda f: f["op"] == "leaderboard" and f["you"]["score"] == 7)
                state = await server.engine.state(HUNT_ID)
                slow_pings = state.players["p1"].pings
                stats = server.ctx.connections.statistics()
                # Now read again: every batch gets its reply, in order.
                sent_while_not_reading = sent
                replies = [await slow.wait_for(lambda f: f["op"] == "batch", timeout=20) for _ in range(frames)]
    assert board["top"][0]["player"] == "p2"
    assert max(latencies) < 0.5, latencies
    assert stats.outbox_used_max <= 4
    # While it was not reading, the server stopped reading it: the client could not even send
    # all its frames, and most pings were not taken yet.
    assert sent_while_not_reading < frames, sent_while_not_reading
    assert slow_pings < frames * 50 // 2, slow_pings
    assert sent == frames
    assert [r["items"][0]["id"][:4] for r in replies] == [f"{n:04}" for n in range(frames)]
    assert all(item["op"] == "ack" for r in replies for item in r["items"])
    assert len(slow.pushes("leaderboard")) < 10  # coalesced, not one per score change


def test_player_helper_matches_replies_by_id() -> None:
    assert Player.__doc__
