"""The hunt's status (manual and scheduled), solo and team play, bans and score adjustments."""

from __future__ import annotations

from typing import Any

import pytest

from hunt.domain import HuntState, parse_definition
from tests.support.domain import (
    CRANE,
    T0,
    Game,
    adjust,
    answer,
    ban,
    checkin,
    clue,
    code,
    end,
    example,
    hint,
    hunt,
    join,
    pause,
    ping,
    start,
)


def player_commands(player: str) -> list[Any]:
    """One of each command a player sends, each of which an active hunt would accept."""
    return [answer(player, "c1", "lighthouse"), checkin(player, "c2", *CRANE), code(player, "c1", "X"),
            hint(player, "c1"), ping(player, *CRANE)]


def teams() -> dict[str, Any]:
    return example() | {"mode": "teams"}


# -- status -----------------------------------------------------------------------------------


def test_a_new_hunt_is_pending_accepts_joins_and_refuses_play() -> None:
    game = Game(active=False)
    assert game.state.status_at(game.now) == "pending"
    ann = game.join("Ann")
    for command in player_commands(ann):
        assert game.reject(command).code == "hunt_not_active"


def test_admins_start_pause_resume_and_end_a_hunt() -> None:
    game = Game(active=False)
    ann = game.join("Ann")
    assert game.send(start()) == {"result": "ok", "status": "active"}
    started = game.now
    assert game.send(answer(ann, "c1", "candle"))["result"] == "wrong"
    assert game.send(pause()) == {"result": "ok", "status": "paused"}
    assert game.state.status_at(game.now) == "paused"
    assert game.reject(answer(ann, "c1", "lighthouse")).code == "hunt_not_active"
    bob = game.join("Bob")  # joining a paused hunt is fine
    assert game.send(start())["status"] == "active"
    assert game.send(answer(bob, "c1", "lighthouse"))["result"] == "correct"
    assert game.send(end()) == {"result": "ok", "status": "ended"}
    assert game.state.status_at(game.now + 10**9) == "ended"
    for command in player_commands(ann):
        assert game.reject(command).code == "hunt_not_active"
    assert game.reject(join("Cat")).code == "hunt_not_active"
    assert game.state.started_ts == started  # the first start, not the resume


@pytest.mark.parametrize(("history", "command", "message"), [
    ([start], start, "already active"),
    ([], pause, "only an active hunt"),
    ([start, pause], pause, "only an active hunt"),
    ([end], start, "has ended"),
    ([end], pause, "only an active hunt"),
    ([end], end, "already ended"),
])
def test_status_changes_that_make_no_sense_are_refused(history: list[Any], command: Any, message: str) -> None:
    game = Game(active=False)
    for earlier in history:
        game.send(earlier())
    refusal = game.reject(command())
    assert refusal.code == "invalid_state" and message in refusal.message


def test_a_pending_or_paused_hunt_can_be_ended() -> None:
    game = Game(active=False)
    assert game.send(end())["status"] == "ended"
    game = Game()
    game.send(pause())
    assert game.send(end())["status"] == "ended"


def test_a_scheduled_hunt_opens_and_closes_by_the_clock() -> None:
    opens, closes = T0 + 60_000, T0 + 120_000
    game = Game(example() | {"starts_at": opens, "ends_at": closes}, active=False)
    assert [game.state.status_at(t) for t in (opens - 1, opens, closes - 1, closes)] == [
        "pending", "active", "active", "ended"]
    ann = game.join("Ann", at=opens - 10_000)
    assert game.reject(answer(ann, "c1", "candle"), at=opens - 1).code == "hunt_not_active"
    assert game.send(answer(ann, "c1", "candle"), at=opens)["result"] == "wrong"
    assert game.send(answer(ann, "c1", "lighthouse"), at=closes - 1)["result"] == "correct"
    assert game.reject(ping(ann, *CRANE), at=closes).code == "hunt_not_active"
    assert game.reject(join("Bob")).code == "hunt_not_active"
    assert game.reject(start()).code == "invalid_state"
    assert game.reject(end()).code == "invalid_state"
    assert game.state.manual_status == "pending"  # nobody had to press a button


def test_a_scheduled_hunt_is_already_active_at_its_start() -> None:
    game = Game(example() | {"starts_at": T0}, active=False)
    assert game.reject(start()).code == "invalid_state"


def test_admins_may_start_a_scheduled_hunt_early_pause_it_and_end_it_early() -> None:
    opens, closes = T0 + 60_000, T0 + 120_000
    game = Game(example() | {"starts_at": opens, "ends_at": closes}, active=False)
    ann = game.join("Ann")
    game.send(start())
    assert game.send(answer(ann, "c1", "lighthouse"))["result"] == "correct"
    game.send(pause(), at=opens + 1000)
    assert game.state.status_at(opens + 2000) == "paused"  # a pause beats the schedule
    assert game.reject(ping(ann, *CRANE), at=opens + 2000).code == "hunt_not_active"
    game.send(start(), at=opens + 3000)
    game.send(end(), at=opens + 4000)
    assert game.state.status_at(opens + 5000) == "ended"


def test_an_iso_schedule_is_followed() -> None:
    # T0 is 2026-05-28 20:26:40 UTC
    state = HuntState(parse_definition(example() | {"starts_at": "2026-05-28T22:30:00+02:00",
                                                   "ends_at": "2026-05-28T20:40:00Z"}))
    assert state.status_at(T0) == "pending"
    assert state.status_at(T0 + 200_000) == "active"
    assert state.status_at(T0 + 800_000) == "ended"


# -- joining, solo and teams ------------------------------------------------------------------


def test_players_get_ids_in_joining_order_and_a_row_on_the_leaderboard() -> None:
    game = Game()
    assert game.send(join("  Ann ")) == {"result": "joined", "player": "p1", "name": "Ann", "team": None}
    assert game.join("Bob") == "p2"
    assert game.state.top(10) == [{"rank": 1, "player": "p1", "name": "Ann", "score": 0},
                                  {"rank": 2, "player": "p2", "name": "Bob", "score": 0}]


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, None, 7], ids=repr)
def test_a_player_needs_a_name(name: Any) -> None:
    assert Game().reject(join(name)).code == "bad_request"


@pytest.mark.parametrize("team", ["Red", "", 7], ids=repr)
def test_a_solo_hunt_refuses_teams(team: Any) -> None:
    assert Game().reject(join("Ann", team)).code == "bad_request"


@pytest.mark.parametrize("team", [None, "", "   ", "x" * 65, 7], ids=repr)
def test_a_team_hunt_needs_a_team(team: Any) -> None:
    assert Game(teams()).reject(join("Ann", team)).code == "bad_request"


def test_teammates_share_found_clues_score_and_one_leaderboard_row() -> None:
    game = Game(teams())
    ann, bob, cat = game.join("Ann", "Red Foxes"), game.join("Bob", "  red   FOXES "), game.join("Cat", "Owls")
    assert game.state.side_of(ann) is game.state.side_of(bob)
    assert game.send(answer(ann, "c1", "lighthouse"))["score"] == 120
    assert game.send(answer(bob, "c1", "lighthouse"))["result"] == "already_found"
    assert game.reject(hint(bob, "c1")).code == "already_found"
    assert game.send(code(bob, "c3", "X7K2"))["score"] == 150  # unlocked by a teammate
    assert game.send(answer(cat, "c1", "lighthouse"))["points"] == 90  # teams are the finders
    assert game.score(ann) == game.score(bob) == 150
    assert game.state.top(10) == [
        {"rank": 1, "player": "team:red foxes", "name": "Red Foxes", "score": 150, "captain": "Ann"},
        {"rank": 2, "player": "team:owls", "name": "Owls", "score": 90, "captain": "Cat"}]
    assert game.state.rank_of("team:red foxes") == 1
    assert [entry["player"] for entry in game.ledger(bob)] == [ann, bob]
    assert game.state.side_of(ann).members == [ann, bob]


def test_teammates_share_hints() -> None:
    game = Game(hunt(clue("c1", hints=[{"text": "a", "cost": 1}, {"text": "b", "cost": 2}]), mode="teams"))
    ann, bob = game.join("Ann", "Gulls"), game.join("Bob", "Gulls")
    game.send(hint(ann, "c1"))
    assert game.send(hint(bob, "c1"))["index"] == 1
    assert game.reject(hint(ann, "c1")).code == "no_more_hints"


# -- bans -------------------------------------------------------------------------------------


def test_a_banned_player_is_refused_and_leaves_the_solo_leaderboard() -> None:
    game = Game()
    ann, bob = game.join("Ann"), game.join("Bob")
    game.send(answer(ann, "c1", "lighthouse"))
    assert game.send(ban(ann, "shared answers")) == {"result": "ok", "player": ann}
    for command in player_commands(ann):
        assert game.reject(command).code == "banned"
    assert game.state.rank_of(ann) is None
    assert game.state.top(10) == [{"rank": 1, "player": bob, "name": "Bob", "score": 0}]
    assert game.send(answer(bob, "c1", "lighthouse"))["points"] == 90  # the ban does not undo a find
    assert game.state.rank_of(bob) == 1
    assert game.score(ann) == 120  # the history is kept
    assert game.reject(ban(ann)).code == "invalid_state"


def test_banning_one_teammate_leaves_the_team_playing() -> None:
    game = Game(teams())
    ann, bob = game.join("Ann", "Gulls"), game.join("Bob", "Gulls")
    game.send(ban(ann))
    assert game.reject(answer(ann, "c1", "lighthouse")).code == "banned"
    assert game.send(answer(bob, "c1", "lighthouse"))["result"] == "correct"
    assert game.state.rank_of("team:gulls") == 1


@pytest.mark.parametrize(("player", "reason", "error"), [
    ("p99", "r", "unknown_player"), (None, "r", "unknown_player"), (1, "r", "unknown_player"),
    ("p1", None, "bad_request"), ("p1", 5, "bad_request"), ("p1", "x" * 501, "bad_request"),
])
def test_a_ban_needs_a_known_player_and_a_reason(player: Any, reason: Any, error: str) -> None:
    game = Game()
    game.join("Ann")
    assert game.reject(ban(player, reason)).code == error


# -- adjustments ------------------------------------------------------------------------------


def test_an_adjustment_is_a_ledger_entry_with_its_reason() -> None:
    game = Game()
    ann = game.join("Ann")
    game.send(answer(ann, "c1", "lighthouse"))
    assert game.send(adjust(ann, -20, "shared the answer")) == {
        "result": "ok", "player": ann, "points": -20, "score": 100}
    entry = game.ledger(ann)[-1]
    assert entry == {"seq": game.state.seq, "ts": game.now, "points": -20, "type": "score_adjusted",
                     "clue": None, "player": ann, "reason": "shared the answer"}
    assert game.send(adjust(ann, 1_000_000))["score"] == 1_000_100
    assert game.send(adjust(ann, -1_000_000, ""))["score"] == 100


@pytest.mark.parametrize("delta", [0, 1_000_001, -1_000_001, True, 1.5, "5", None], ids=repr)
def test_an_adjustment_is_a_bounded_non_zero_integer(delta: Any) -> None:
    game = Game()
    ann = game.join("Ann")
    assert game.reject(adjust(ann, delta)).code == "bad_request"


@pytest.mark.parametrize(("player", "reason", "error"), [
    ("p99", "r", "unknown_player"), (None, "r", "unknown_player"),
    ("p1", None, "bad_request"), ("p1", 5, "bad_request"), ("p1", "x" * 501, "bad_request"),
])
def test_an_adjustment_needs_a_known_player_and_a_reason(player: Any, reason: Any, error: str) -> None:
    game = Game()
    game.join("Ann")
    assert game.reject(adjust(player, 5, reason)).code == error


def test_admins_may_adjust_and_ban_after_the_hunt_ends() -> None:
    game = Game()
    ann = game.join("Ann")
    game.send(end())
    assert game.send(adjust(ann, 5))["score"] == 5
    assert game.send(ban(ann))["result"] == "ok"
    assert game.send(adjust(ann, 5))["score"] == 10  # an off-board row still keeps its ledger
