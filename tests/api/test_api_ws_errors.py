"""Every error code of the player protocol: each changes nothing and the connection carries on."""

from __future__ import annotations

from functools import partial
from typing import Any

import orjson
import pytest
import trio
from trio_websocket import ConnectionClosed, ConnectionRejected

from actors import ActorCrashed, RequestTimeout
from hunt_lab.faults.store import FaultPlan
from tests.support.api import Connect, OpenServer, Player, Server, close_code, join_id, open_socket
from tests.support.hunts import HUNT_ID

PING = {"op": "ping", "id": "g-ok", "lat": 1.0, "lon": 2.0}


async def still_usable(player: Player) -> None:
    ack = await player.request({**PING, "id": f"g-{len(player.seen)}"})
    assert ack["op"] == "ack", ack


async def seq(server: Server) -> int:
    return (await server.engine.state(HUNT_ID)).seq


@pytest.mark.parametrize("frame", [
    "{not json",
    "[1, 2]",
    '"a string"',
    '{"id": "x1"}',
    '{"op": 7, "id": "x1"}',
    '{"op": "ping", "lat": 1, "lon": 2}',
    '{"op": "ping", "id": 5, "lat": 1, "lon": 2}',
    '{"op": "ping", "id": "x1", "lat": "north", "lon": 2}',
    '{"op": "ping", "id": "x1", "lat": true, "lon": 2}',
    '{"op": "ping", "id": "x1", "lat": 1}',
    '{"op": "answer", "id": "x1", "clue": "c1"}',
    '{"op": "answer", "id": "x1", "clue": ["c1"], "answer": "a"}',
    '{"op": "checkin", "id": "x1", "clue": "c2", "lat": 1e999, "lon": 2}',
    '{"op": "batch", "items": {"op": "ping"}}',
    '{"op": "hello", "id": "x1"}',
    '{"op": "hello", "id": "x1", "token": "p1.x", "since": -1}',
    '{"op": "join", "id": "x2"}',
    '{"op": "join", "id": "x3", "name": "Ann", "team": 5}',
    '{"op": "ping", "id": "' + "x" * 200 + '", "lat": 1, "lon": 2}',
])
async def test_malformed_frames_are_bad_request(hunt: str, server: Server, connect: Connect, frame: str) -> None:
    async with connect() as ann:
        await ann.join()
        before = await seq(server)
        error = await ann.request(frame)
        assert error["op"] == "error" and error["code"] == "bad_request", error
        assert error["message"]
        assert error.get("id") == _usable_id(frame)
        assert await seq(server) == before
        await still_usable(ann)


def _usable_id(frame: str) -> str | None:
    """The id an error should echo: the frame's, if it is a string of at most 128 characters."""
    try:
        value = orjson.loads(frame).get("id")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return value if isinstance(value, str) and len(value) <= 128 else None


async def test_a_domain_rule_can_also_refuse_as_bad_request(hunt: str, connect: Connect) -> None:
    async with connect() as ann:
        error = await ann.request({"op": "join", "id": join_id("Ann"), "name": "   "})
        assert (error["code"], error["id"]) == ("bad_request", join_id("Ann"))


async def test_unknown_op(hunt: str, connect: Connect) -> None:
    async with connect() as ann:
        await ann.join()
        error = await ann.request({"op": "teleport", "id": "t1"})
        assert (error["op"], error["code"], error["id"]) == ("error", "unknown_op", "t1")
        await still_usable(ann)


async def test_commands_before_join_or_hello_are_not_joined(hunt: str, connect: Connect) -> None:
    async with connect() as ann:
        for frame in ({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"},
                      {"op": "ping", "id": "g1", "lat": 1, "lon": 2},
                      {"op": "hint", "id": "h1", "clue": "c1"}):
            error = await ann.request(frame)
            assert (error["code"], error["id"]) == ("not_joined", frame["id"])
        batch = await ann.request({"op": "batch", "items": [PING]})
        assert batch["items"][0]["code"] == "not_joined"
        await ann.join()
        await still_usable(ann)


async def test_hello_with_a_bad_or_foreign_token_is_unauthorized(server: Server, connect: Connect) -> None:
    await server.create_hunt()
    await server.create_hunt("other")
    async with connect() as ann, connect() as bob, connect("other") as cat:
        await ann.join("Ann")
        await bob.join("Bob")
        await cat.join("Cat")
    assert ann.token and bob.token and cat.token
    ann_signature = ann.token.split(".", 1)[1]
    unknown = server.ctx.tokens.issue(HUNT_ID, "p99")  # well signed, but no such player
    for token in (cat.token,  # same player id "p1", another hunt
                  f"p2.{ann_signature}",  # Ann's signature on Bob's id
                  ann.token[:-2] + ("AA" if not ann.token.endswith("AA") else "BB"),
                  "p1", "", "." * 300, unknown):
        async with connect() as mallory:
            error = await mallory.request({"op": "hello", "id": "w1", "token": token})
            assert (error["code"], error["id"]) == ("unauthorized", "w1"), token
            # Still not greeted: nothing can be done as anybody.
            refused = await mallory.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
            assert refused["code"] == "not_joined"
    async with connect() as ann_again:
        welcome = await ann_again.request({"op": "hello", "id": "w1", "token": ann.token})
        assert welcome["op"] == "welcome" and welcome["player"] == "p1"


async def test_game_rule_errors(server: Server, connect: Connect) -> None:
    await server.create_hunt(attempts={"max": 2, "window_s": 60})
    async with connect() as ann:
        await ann.join()
        cases: list[tuple[dict[str, Any], str]] = [
            ({"op": "answer", "id": "e1", "clue": "nope", "answer": "x"}, "unknown_clue"),
            ({"op": "code", "id": "e2", "clue": "c3", "code": "X7K2"}, "locked"),
            ({"op": "answer", "id": "e3", "clue": "c2", "answer": "crane"}, "wrong_kind"),
            ({"op": "checkin", "id": "e4", "clue": "c1", "lat": 1, "lon": 2}, "wrong_kind"),
            ({"op": "hint", "id": "e5", "clue": "zz"}, "unknown_clue"),
            ({"op": "checkin", "id": "e6", "clue": "c2", "lat": 91, "lon": 2}, "bad_request"),
        ]
        for frame, code in cases:
            error = await ann.request(frame)
            assert (error["op"], error["code"], error["id"]) == ("error", code, frame["id"]), error
        for i in range(2):
            wrong = await ann.request({"op": "answer", "id": f"w{i}", "clue": "c1", "answer": "windmill"})
            assert wrong["result"] == "wrong"
        limited = await ann.request({"op": "answer", "id": "w9", "clue": "c1", "answer": "lighthouse"})
        assert limited["code"] == "rate_limited" and 0 < limited["retry_after_ms"] <= 60_000
        await ann.request({"op": "checkin", "id": "k1", "clue": "c2", "lat": 53.5441, "lon": 9.9667})
        # (c2 is found: its hint is no longer for sale)
        error = await ann.request({"op": "hint", "id": "h1", "clue": "c2"})
        assert error["code"] in ("already_found", "no_more_hints")
        await still_usable(ann)


async def test_hint_for_a_found_clue_is_already_found(hunt: str, connect: Connect) -> None:
    async with connect() as ann:
        await ann.join()
        await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        error = await ann.request({"op": "hint", "id": "h1", "clue": "c1"})
        assert error["code"] == "already_found"


async def test_commands_before_the_start_or_after_the_end_are_hunt_not_active(
        server: Server, connect: Connect) -> None:
    await server.create_hunt(start=False)
    async with connect() as ann:
        await ann.join()  # joining a hunt that has not started is allowed
        error = await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        assert error["code"] == "hunt_not_active" and "pending" in error["message"]
        assert (await server.http.post(f"/admin/hunts/{HUNT_ID}/start")).status_code == 200
        assert (await server.http.post(f"/admin/hunts/{HUNT_ID}/end")).status_code == 200
        error = await ann.request({"op": "answer", "id": "a2", "clue": "c1", "answer": "lighthouse"})
        assert error["code"] == "hunt_not_active" and "ended" in error["message"]
    async with connect() as late:
        error = await late.request({"op": "join", "id": join_id("Late"), "name": "Late"})
        assert error["code"] == "hunt_not_active"


async def test_a_banned_player_is_refused(hunt: str, server: Server, connect: Connect) -> None:
    async with connect() as ann:
        await ann.join()
        response = await server.http.post(f"/admin/hunts/{HUNT_ID}/players/p1/ban", json={"reason": "cheating"})
        assert response.status_code == 200
        error = await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        assert error["code"] == "banned"


async def test_oversized_frames_and_batches_are_too_large(hunt: str, server: Server, connect: Connect) -> None:
    limit = server.config.limits.max_frame_bytes
    async with connect() as ann:
        await ann.join()
        error = await ann.request({**PING, "id": "big", "pad": "x" * limit})
        assert error["code"] == "too_large" and error["id"] == "big"
        await still_usable(ann)
        items = [{**PING, "id": f"g{i}"} for i in range(server.config.limits.max_batch_items + 1)]
        error = await ann.request({"op": "batch", "id": "b1", "items": items})
        assert (error["op"], error["code"], error["id"]) == ("error", "too_large", "b1")
        await still_usable(ann)
        # Far over the limit, the server does not even read the frame: it closes with 1009.
        await ann.send({**PING, "id": "huge", "pad": "x" * (limit * 4)})
        with pytest.raises(ConnectionClosed) as closed:
            await ann.receive()
        assert close_code(closed.value) == 1009


@pytest.mark.parametrize(("failure", "code", "retry"), [
    (ActorCrashed("boom"), "unavailable", 1000),
    (RequestTimeout("slow"), "unavailable", 1000),
    (RuntimeError("secret detail /etc/passwd"), "internal", None),
])
async def test_engine_failures_become_retryable_or_internal_errors(  # `overloaded`: test_api_ws_overload.py
        hunt: str, server: Server, connect: Connect, monkeypatch: pytest.MonkeyPatch,
        failure: Exception, code: str, retry: int | None) -> None:
    async with connect() as ann:
        await ann.join()
        real_send = server.engine.send

        async def failing(hunt_id: str, commands: Any, callback: Any) -> None:
            callback(None, failure)  # what the actor answers when the batch's commit fails

        monkeypatch.setattr(server.engine, "send", failing)
        error = await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        batch = await ann.request({"op": "batch", "items": [{**PING, "id": "g1"}, {**PING, "id": "g2"}]})
        monkeypatch.setattr(server.engine, "send", real_send)
        assert (error["code"], error["id"], error.get("retry_after_ms")) == (code, "a1", retry)
        assert "secret" not in error["message"]
        assert [(item["code"], item["id"]) for item in batch["items"]] == [(code, "g1"), (code, "g2")]
        # The command was not recorded; retrying with the same id now works.
        ack = await ann.request({"op": "answer", "id": "a1", "clue": "c1", "answer": "lighthouse"})
        assert ack["result"] == "correct"


async def test_an_unknown_hunt_gets_an_error_then_close_1008(server: Server, connect: Connect) -> None:
    async with connect("no-such-hunt") as ghost:
        error = await ghost.receive()
        assert (error["op"], error["code"]) == ("error", "unknown_hunt")
        with pytest.raises(ConnectionClosed) as closed:
            await ghost.receive()
        assert close_code(closed.value) == 1008


@pytest.mark.parametrize("path", ["..%2f..%2fsecret", "..", "a.b", "UPPER", "%2e%2e", "x" * 65])
async def test_hunt_ids_that_could_escape_the_data_dir_are_refused(server: Server, path: str) -> None:
    await server.create_hunt()
    try:
        async with open_socket(server.port, f"/ws/hunts/{path}") as ghost:
            error = await ghost.receive()
            assert error["code"] == "unknown_hunt"
            with pytest.raises(ConnectionClosed) as closed:
                await ghost.receive()
            assert close_code(closed.value) == 1008
    except* ConnectionRejected as group:  # the router did not even match: also fine
        [rejected] = group.exceptions
        assert isinstance(rejected, ConnectionRejected) and rejected.status_code == 404
    assert sorted(p.name for p in server.config.data_path.rglob("*.sqlite3")) == ["harbor.sqlite3"]


async def test_a_slow_command_is_not_cut_by_the_idle_timeout(
        open_server: OpenServer, monkeypatch: pytest.MonkeyPatch) -> None:
    async with open_server(limits={"ws_idle_timeout_s": 0.3}) as server:
        await server.create_hunt()
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann:
            await ann.join()
            real_send = server.engine.send
            async with trio.open_nursery() as nursery:

                async def slow(hunt_id: str, commands: Any, callback: Any) -> None:
                    async def later() -> None:
                        await trio.sleep(0.5)  # longer than the idle timeout: waiting for it is not idling
                        await real_send(hunt_id, commands, callback)
                    nursery.start_soon(later)

                monkeypatch.setattr(server.engine, "send", slow)
                ack = await ann.request({**PING, "id": "slow-1"})
                assert ack["op"] == "ack" and ack["id"] == "slow-1"


async def test_an_idle_connection_is_closed(open_server: OpenServer) -> None:
    async with open_server(limits={"ws_idle_timeout_s": 0.2}) as server:
        await server.create_hunt()
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann:
            await ann.join()
            with pytest.raises(ConnectionClosed) as closed:
                while True:  # the pushes after join, then the close
                    await ann.receive(timeout=3)
            reason = closed.value.reason
            assert reason is not None and (reason.code, reason.reason) == (1000, "idle timeout")


async def test_shutdown_closes_websockets_with_going_away(open_server: OpenServer) -> None:
    async with open_server() as server:
        await server.create_hunt()
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann:
            await ann.join()
            ack = await ann.request(PING)
            server.stop()
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await ann.receive()
    assert close_code(closed.value) == 1001
    assert ack["op"] == "ack"


@pytest.mark.one_process  # gateways coalesce commands into batches: a one-slot mailbox fills elsewhere
async def test_a_full_mailbox_makes_players_wait_their_turn_and_refuses_other_senders(open_server: OpenServer) -> None:
    """A real overload: a one-slot mailbox, no admission wait, and a slow commit in the way.
    A hunt's share of websocket commands is at most its mailbox, so players wait their turn
    (flow control) and are all acked; the mailbox stays the last guard for other senders."""
    disk = FaultPlan()
    async with open_server(engine={"mailbox_capacity": 1, "admission_timeout_ms": 0}, stores=disk.stores) as server:
        await server.create_hunt()
        resource = f"/ws/hunts/{HUNT_ID}"
        async with open_socket(server.port, resource) as ann, open_socket(server.port, resource) as bob, \
                open_socket(server.port, resource) as cat:
            players = (ann, bob, cat)
            for player, name in zip(players, ("Ann", "Bob", "Cat"), strict=True):
                await player.join(name)
            disk.slow(0.4)  # a sleep in the actor's worker thread: the actor is busy committing
            await ann.send({**PING, "id": "a1"})  # taken by the actor: commits slowly
            await trio.sleep(0.1)
            await bob.send({**PING, "id": "b1"})  # waits for the hunt's share (held by a1)
            await cat.send({**PING, "id": "c1"})
            # Admin commands are not a player's: they go straight to the mailbox. The first is
            # decided while a1 commits, the second waits in the one slot, the third finds it full.
            adjust = f"/admin/hunts/{HUNT_ID}/adjust"
            async with trio.open_nursery() as nursery:
                for n in (1, 2):
                    nursery.start_soon(partial(server.http.post, adjust, json={"player": ann.player, "delta": n}))
                    await trio.sleep(0.05)
                refused = await server.http.post(adjust, json={"player": ann.player, "delta": 3})
            disk.slow(0)
            answers = [await player.wait_for(lambda f, cmd=cmd: f.get("id") == cmd)
                       for player, cmd in zip(players, ("a1", "b1", "c1"), strict=True)]
            # A player's command let in while the admin's still fill the mailbox is refused
            # like any sender's, with the wait, and goes through when resent after it.
            for player, answer in zip(players, answers, strict=True):
                if answer["op"] == "error":
                    assert (answer["code"], answer["retry_after_ms"] >= 1) == ("overloaded", True), answer
                    await trio.sleep(answer["retry_after_ms"] / 1000)
                    answer.update(await player.request({**PING, "id": answer["id"]}))
    assert refused.status_code == 503 and refused.json()["error"] == "overloaded", refused.text
    assert int(refused.headers["Retry-After"]) >= 1 and refused.json()["retry_after_ms"] >= 1
    assert answers[0]["op"] == "ack", "a1 was taken before anything was full"
    assert [answer["op"] for answer in answers] == ["ack", "ack", "ack"], answers


async def test_with_server_pings_a_closed_websocket_does_not_hold_the_shutdown(open_server: OpenServer) -> None:
    """hypercorn's pinger sleeps a whole interval; without hunt.api._pings a websocket that has
    gone would keep its connection (and a graceful stop) waiting for it."""
    async with open_server(server={"shutdown_timeout_s": 10.0}, ws_ping_interval_s=20.0) as server:
        await server.create_hunt()
        async with open_socket(server.port, f"/ws/hunts/{HUNT_ID}") as ann:
            await ann.join()
            await still_usable(ann)  # (the ping sent on accept has been answered by now)
        started = trio.current_time()
        server.stop()
    assert trio.current_time() - started < 3
