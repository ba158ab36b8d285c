"""Bad input gets a clear error code and changes nothing; an ack is rebuilt from its event alone."""

from __future__ import annotations

import math
from typing import Any

import pytest

from hunt.domain import Rejected, decide, outcome, replay
from tests.support.domain import (
    CRANE,
    Game,
    adjust,
    answer,
    ban,
    checkin,
    clue,
    code,
    end,
    hint,
    hunt,
    north_of,
    pause,
    ping,
    start,
)

PLAYER_COMMANDS = {
    "answer": lambda p: answer(p, "c1", "lighthouse"),
    "checkin": lambda p: checkin(p, "c2", *CRANE),
    "code": lambda p: code(p, "c1", "X7K2"),
    "hint": lambda p: hint(p, "c1"),
    "ping": lambda p: ping(p, *CRANE),
}


@pytest.mark.parametrize("make", PLAYER_COMMANDS.values(), ids=PLAYER_COMMANDS.keys())
@pytest.mark.parametrize("player", ["p2", "admin", "join", ""])
def test_commands_from_an_unknown_player_are_not_joined(make: Any, player: str) -> None:
    game = Game()
    game.join("Ann")
    assert game.reject(make(player)).code == "not_joined"


BAD_COORDINATES = [
    (math.nan, 0.0, "lat"), (math.inf, 0.0, "lat"), (90.000001, 0.0, "lat"), (-91, 0, "lat"), (True, 0, "lat"),
    ("53.5", 9.9, "lat"), (None, 9.9, "lat"), (10**400, 0, "lat"), ([1], 0, "lat"),
    (0.0, math.nan, "lon"), (0.0, -math.inf, "lon"), (0, 180.5, "lon"), (0, -181, "lon"), (0, False, "lon"),
]


@pytest.mark.parametrize(("lat", "lon", "name"), BAD_COORDINATES, ids=repr)
def test_bad_coordinates_are_a_bad_request_naming_the_coordinate(lat: Any, lon: Any, name: str) -> None:
    game = Game()
    ann = game.join("Ann")
    for command in (ping(ann, lat, lon), checkin(ann, "c2", lat, lon)):
        refusal = game.reject(command)
        assert refusal.code == "bad_request" and refusal.message.startswith(name)


@pytest.mark.parametrize(("lat", "lon"), [(90, 180), (-90, -180), (0, 0), (53, 10)])
def test_coordinates_at_the_edges_and_integers_are_fine(lat: float, lon: float) -> None:
    game = Game()
    ann = game.join("Ann")
    assert game.send(ping(ann, lat, lon)) == {"result": "ok"}
    assert game.state.players[ann].location == (float(lat), float(lon), game.now)


@pytest.mark.parametrize("text", ["", "   ", "x" * 501, None, 5, ["lighthouse"]], ids=repr)
@pytest.mark.parametrize("make", [answer, code])
def test_blank_long_or_non_text_answers_and_codes_are_a_bad_request(make: Any, text: Any) -> None:
    game = Game(hunt(clue("c1"), clue("k", "code")))
    ann = game.join("Ann")
    assert game.reject(make(ann, "c1" if make is answer else "k", text)).code == "bad_request"


def test_an_unknown_command_is_refused() -> None:
    game = Game()
    with pytest.raises(Rejected) as info:
        decide(game.state, object(), game.now)  # type: ignore[arg-type]
    assert info.value.code == "unknown_op"


def test_an_ack_is_rebuilt_from_its_event_alone() -> None:
    """What a resubmission after a lost ack relies on: the same fields, later and after a replay."""
    game = Game(hunt(clue("c1", hints=[{"text": "It blinks.", "cost": 10}], decay={"per_finder": 10, "min": 50},
                          first_bonus=20),
                     clue("g", "geo"), clue("k", "code"), attempts={"max": 1, "window_s": 60}), active=False)
    ann, bob = game.join("Ann"), game.join("Bob")
    game.send(start())
    game.send(hint(ann, "c1"))
    game.send(answer(bob, "c1", "candle"))
    game.send(answer(ann, "c1", "Lighthouse"))
    game.send(answer(ann, "c1", "Lighthouse"))
    game.send(checkin(ann, "g", *north_of(CRANE, 100)))
    game.send(checkin(bob, "g", *CRANE))
    game.send(code(ann, "k", "x7k2"))
    game.send(ping(bob, *CRANE))
    game.send(adjust(bob, 7, "bonus"))
    game.send(pause())
    game.send(start())
    game.send(ban(bob))
    game.send(end())
    assert game.reject(answer(ann, "c1", "x")).code == "hunt_not_active"
    assert {ack["result"] for ack in game.acks.values()} == {
        "joined", "ok", "hint", "wrong", "correct", "already_found", "too_far", "checked_in"}
    replayed = replay(game.log)
    for recorded in game.log[1:]:
        first = game.acks[recorded.seq]
        assert outcome(game.state, recorded) == first
        assert outcome(replayed, recorded) == first


def test_a_refusal_carries_a_code_and_a_message_and_leaves_the_log_alone() -> None:
    game = Game()
    ann = game.join("Ann")
    before = list(game.log)
    refusal = game.reject(code(ann, "c3", "X7K2"))
    assert isinstance(refusal, Rejected)
    assert refusal.code == "locked" and refusal.message == str(refusal) and refusal.retry_after_ms is None
    assert game.log == before
