"""Announcements and errata: to everybody, a team or a player, at any time, checked and replayable."""

from __future__ import annotations

import pytest

from hunt.domain import Announce, Announced, check, replay
from tests.support.domain import Game, end, hunt, stored


def announce(text: object, team: object = None, player: object = None) -> Announce:
    return Announce(f"ann-{text!s:.20}-{team}-{player}", text, team, player)  # type: ignore[arg-type]


def test_an_announcement_to_everybody_at_any_status() -> None:
    game = Game(active=False)
    assert game.send(announce("Meet at the crane at 10")) == {"result": "ok", "to": "all"}
    assert game.log[-1].event == Announced(None, None, "Meet at the crane at 10")
    game.send(end())
    assert game.send(announce("  Thanks for playing!  "))["to"] == "all"
    assert game.log[-1].event.text == "Thanks for playing!"


def test_an_announcement_to_a_team_by_its_name_or_to_a_player() -> None:
    game = Game(hunt(mode="teams"))
    ann = game.join("Ann", "Gulls")
    assert game.send(announce("Erratum: clue 3 says north, read south", team=" gulls "))["to"] == "team"
    assert game.log[-1].event == Announced(None, "team:gulls", "Erratum: clue 3 says north, read south")
    assert game.send(announce("Your bike is at the gate", player=ann))["to"] == "player"
    assert game.log[-1].event == Announced(ann, None, "Your bike is at the gate")
    assert replay([stored(r) for r in game.log]).to_dict() == game.state.to_dict()


@pytest.mark.parametrize(("command", "code"), [
    (announce(""), "bad_request"),
    (announce("   "), "bad_request"),
    (announce("x" * 1001), "bad_request"),
    (announce(42), "bad_request"),
    (announce("hi", team="Owls"), "unknown_team"),
    (announce("hi", team=7), "unknown_team"),
    (announce("hi", player="p99"), "unknown_player"),
    (announce("hi", team="Gulls", player="p1"), "bad_request"),
])
def test_bad_announcements_are_refused(command: Announce, code: str) -> None:
    game = Game(hunt(mode="teams"))
    game.join("Ann", "Gulls")
    assert game.reject(command).code == code


def test_a_solo_hunt_has_no_teams_to_announce_to() -> None:
    game = Game()
    assert game.reject(announce("hi", team="Gulls")).code == "bad_request"


def test_an_announcement_in_an_imported_log_must_be_one_the_rules_give() -> None:
    game = Game(hunt(mode="teams"))
    game.join("Ann", "Gulls")
    game.send(announce("hi", team="Gulls"))
    recorded = game.log.pop()
    state = replay(game.log)
    check(state, recorded)  # the real one passes
    forged = type(recorded)(recorded.seq, recorded.ts, Announced(None, "team:owls", "hi"), recorded.cmd, "admin")
    with pytest.raises(ValueError, match="unknown_team"):
        check(state, forged)
