"""Scoreboard freeze: players see the standings as of the freeze, organisers live ones, until the reveal."""

from __future__ import annotations

from hunt.domain import FreezeBoard, HuntState, RevealBoard, replay
from tests.support.domain import Game, answer, stored


def test_a_freeze_keeps_the_public_standings_until_the_reveal() -> None:
    game = Game()
    ann, bob = game.join("Ann"), game.join("Bob")
    game.send(answer(ann, "c1", "lighthouse"))  # Ann 120
    assert game.send(FreezeBoard("f1")) == {"result": "ok", "frozen": True}
    game.send(answer(bob, "c1", "lighthouse"))  # Bob 90, live
    state = game.state
    assert state.top(2)[0]["name"] == "Ann" and state.sides[bob].score == 90
    assert [(r["name"], r["score"]) for r in state.public_top(10)] == [("Ann", 120), ("Bob", 0)]
    assert state.public_standing(bob) == (2, 0)
    cat = game.join("Cat")  # joined since the freeze: no public rank yet
    assert state.public_standing(cat) == (None, 0)
    assert game.reject(FreezeBoard("f2")).code == "invalid_state"
    assert replay([stored(r) for r in game.log]).to_dict() == state.to_dict()
    assert HuntState.from_dict(state.to_dict()).public_top(10) == state.public_top(10)
    assert game.send(RevealBoard("r1")) == {"result": "ok", "frozen": False}
    assert state.public_top(3) == state.top(3)
    assert game.reject(RevealBoard("r2")).code == "invalid_state"
