"""Timed and staggered play: sides' own starts and windows, clue release times, fair ranking
across staggered starts and the scheduled scoreboard freeze. Every decision is a function of
(state, command, now), so replay, snapshots and time travel agree with live play."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from hunt.domain import (
    DefinitionError,
    FreezeBoard,
    HuntState,
    Recorded,
    RenameTeam,
    RevealBoard,
    SetSchedule,
    check,
    clue_times,
    parse_definition,
    replay,
    side_window,
)
from tests.support.domain import T0, Game, adjust, answer, clue, end, hint, hunt, join, ping, stored

MIN = 60_000


def teams(*clues: dict[str, Any], **top: Any) -> dict[str, Any]:
    return hunt(*(clues or (clue("c1"), clue("c2", answers=["anchor"]))), mode="teams", **top)


def replays_to_the_same_state(game: Game) -> None:
    live = game.state.to_dict()
    assert replay([stored(r) for r in game.log]).to_dict() == live
    for cut in range(1, len(game.log)):
        restored = replay(game.log[cut:], HuntState.from_dict(replay(game.log[:cut]).to_dict()))
        assert restored.to_dict() == live and restored.top(10) == game.state.top(10)


# -- the definition -------------------------------------------------------------------------------


def test_timed_fields_are_parsed_and_kept_in_the_canonical_form() -> None:
    definition = parse_definition(teams(
        clue("c1", opens_after_s=600, closes_after_s=1200), clue("c2", answers=["x"], opens_at="2026-05-28T21:00:00Z"),
        window_s=5400, freeze_at=T0 + 60 * MIN,
        team_starts={"Gulls": {"starts_at": "2026-05-28T20:45:00Z", "window_s": 3600}, "Owls": {"offset_s": 900}}))
    assert definition.window_ms == 5_400_000 and definition.freeze_at == T0 + 60 * MIN
    assert definition.clue_index["c1"].times.opens_after_ms == 600_000
    assert definition.clue_index["c2"].times.opens_at == 1_780_002_000_000
    assert dict(definition.team_starts)["Owls"].offset_ms == 900_000
    assert definition.document["team_starts"] == {"Gulls": {"starts_at": 1_780_001_100_000, "window_s": 3600},
                                                  "Owls": {"offset_s": 900}}
    assert parse_definition(dict(definition.document)) == definition  # the canonical form parses to itself
    assert "window_s" not in parse_definition(hunt()).document  # absent fields stay absent


@pytest.mark.parametrize(("top", "message"), [
    ({"window_s": 0}, "window_s: must be an integer number of seconds from 1"),
    ({"window_s": True}, "window_s: must be an integer"),
    ({"freeze_at": "tomorrow"}, "freeze_at: must be null, epoch milliseconds, or an ISO 8601 time"),
    ({"freeze_at": "2026-05-28T21:00:00"}, "freeze_at: must be null, epoch milliseconds, or an ISO 8601 time"),
    ({"freeze_at": 10**16}, "freeze_at: must be null"),
    ({"team_starts": {"Gulls": {"offset_s": 60}}, "mode": "solo"}, "team_starts: only allowed when mode is teams"),
    ({"team_starts": {"Gulls": {"starts_at": T0, "offset_s": 60}}}, "give starts_at or offset_s, not both"),
    ({"team_starts": {"Gulls": {"window": 60}}}, "team_starts.Gulls.window: unknown field"),
    ({"team_starts": {"Gulls": {"offset_s": -1}}}, "team_starts.Gulls.offset_s: must be an integer"),
    ({"team_starts": {" ": {"offset_s": 1}}}, "team_starts: team must be"),
    ({"team_starts": {"Gulls": {"offset_s": 1}, " gulls": {"offset_s": 2}}}, "'Gulls' and 'gulls' are the same team"),
    ({"team_starts": {"\u202eGulls": {"offset_s": 1}}}, "team_starts: team"),
    ({"team_starts": ["Gulls"]}, "team_starts: must be an object"),
])
def test_bad_timed_fields_are_refused_naming_the_field(top: dict[str, Any], message: str) -> None:
    with pytest.raises(DefinitionError, match=message.replace("(", r"\(")):
        parse_definition(teams() | top)


@pytest.mark.parametrize(("fields", "message"), [
    ({"opens_at": T0 + MIN, "closes_at": T0}, "a clue must close after it opens"),
    ({"opens_after_s": 600, "closes_after_s": 600}, "a clue must close after it opens"),
    ({"opens_at": T0, "opens_after_s": 60}, "give opens_at or opens_after_s, not both"),
    ({"closes_after_s": 0}, "closes_after_s: must be an integer number of seconds from 1"),
    ({"opens_at": [1]}, "opens_at: must be null"),
])
def test_bad_clue_times_are_refused_naming_the_clue(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(DefinitionError, match=r"^clues\[0\] \(c1\)[.:].*" + message):
        parse_definition(hunt(clue("c1", **fields)))


# -- each side's own start and window ---------------------------------------------------------


def test_a_team_plays_only_from_its_own_start_to_the_end_of_its_window() -> None:
    game = Game(teams(team_starts={"Gulls": {"offset_s": 600}}, window_s=1800), now=T0)  # started at T0 + 1 s
    gull, owl = game.join("Ann", "Gulls"), game.join("Bob", "Owls")
    early = game.reject(answer(gull, "c1", "lighthouse"), at=T0 + 5 * MIN)
    assert early.code == "outside_window" and "your start is at 2026-05-28T20:36:41Z" in early.message
    assert game.reject(hint(gull, "c1")).code == "outside_window"
    assert game.reject(ping(gull, 53.5, 9.9)).code == "outside_window"
    assert game.send(answer(owl, "c1", "lighthouse"))["result"] == "correct"  # Owls play from the hunt's start
    assert game.send(answer(gull, "c1", "lighthouse"), at=T0 + 1000 + 10 * MIN)["result"] == "correct"
    assert side_window(game.state, "team:gulls") == (T0 + 1000 + 10 * MIN, T0 + 1000 + 40 * MIN)
    late = game.reject(answer(owl, "c2", "anchor"), at=T0 + 1000 + 30 * MIN)  # Owls' 30 minutes are up
    assert late.code == "outside_window" and "your time is up" in late.message
    assert game.send(answer(gull, "c2", "anchor"))["result"] == "correct"  # Gulls still have 10 minutes
    replays_to_the_same_state(game)


def test_the_organiser_sets_a_start_for_a_team_before_it_exists_and_can_take_it_back() -> None:
    game = Game(teams())
    ack = game.send(SetSchedule("s1", team=" gulls ", starts_at=T0 + 10 * MIN, window_s=600))
    assert ack == {"result": "ok", "side": "team:gulls", "starts_at": T0 + 10 * MIN, "offset_s": None,
                   "window_s": 600}
    gull = game.join("Ann", "Gulls")
    assert game.reject(answer(gull, "c1", "lighthouse")).code == "outside_window"
    assert game.send(answer(gull, "c1", "lighthouse"), at=T0 + 10 * MIN)["result"] == "correct"
    assert game.reject(answer(gull, "c2", "anchor"), at=T0 + 20 * MIN).code == "outside_window"
    game.send(SetSchedule("s2", team="Gulls"))  # back to the hunt's clock: no window
    assert game.send(answer(gull, "c2", "anchor"))["result"] == "correct"
    replays_to_the_same_state(game)


def test_a_renamed_team_keeps_its_clock_and_is_scheduled_by_its_new_name() -> None:
    game = Game(teams())
    gull = game.join("Ann", "Gulls")
    game.send(RenameTeam("r1", "team:gulls", "Sea Gulls"))
    ack = game.send(SetSchedule("s1", team="sea gulls", offset_s=3600))
    assert ack["side"] == "team:gulls" and game.state.schedules["team:gulls"].offset_ms == 3_600_000
    assert game.reject(answer(gull, "c1", "lighthouse")).code == "outside_window"
    replays_to_the_same_state(game)


def test_a_schedule_for_a_renamed_teams_old_name_is_for_the_next_team_of_that_name() -> None:
    game = Game(teams())
    gull = game.join("Ann", "Gulls")
    game.send(RenameTeam("r1", "team:gulls", "Sea Gulls"))
    ack = game.send(SetSchedule("s1", team="Gulls", offset_s=3600))
    assert ack["side"] == "team:gulls~2" and "team:gulls" not in game.state.schedules
    assert game.send(answer(gull, "c1", "lighthouse"))["result"] == "correct"  # Sea Gulls keep their clock
    bob = game.join("Bob", "Gulls")  # a new team of that name, on the schedule made for it
    assert game.state.players[bob].side == "team:gulls~2"
    assert game.reject(answer(bob, "c1", "lighthouse")).code == "outside_window"
    replays_to_the_same_state(game)


def test_a_solo_player_gets_a_window_by_player_id() -> None:
    game = Game(hunt(clue("c1")))
    ann = game.join("Ann")
    game.send(SetSchedule("s1", player=ann, offset_s=0, window_s=60))
    assert game.send(answer(ann, "c1", "candle"))["result"] == "wrong"
    assert game.reject(answer(ann, "c1", "lighthouse"), at=T0 + 2 * MIN).code == "outside_window"


@pytest.mark.parametrize(("document", "command", "code"), [
    (teams(), SetSchedule("x", team="Gulls", player="p1"), "bad_request"),
    (teams(), SetSchedule("x"), "bad_request"),
    (teams(), SetSchedule("x", player="p1"), "bad_request"),  # teams share a clock
    (hunt(), SetSchedule("x", team="Gulls"), "bad_request"),
    (hunt(), SetSchedule("x", player="p9"), "unknown_player"),
    (teams(), SetSchedule("x", team="Gulls", starts_at=T0, offset_s=5), "bad_request"),
    (teams(), SetSchedule("x", team="Gulls", window_s=0), "bad_request"),
    (teams(), SetSchedule("x", team="Gulls", window_s=True), "bad_request"),
    (teams(), SetSchedule("x", team="Gulls", offset_s=10**9), "bad_request"),
    (teams(), SetSchedule("x", team="Gulls", starts_at=-1), "bad_request"),
    (teams(), SetSchedule("x", team="Gulls", starts_at=1.5), "bad_request"),
    (teams(), SetSchedule("x", team="\u202egulls", window_s=60), "bad_request"),
    (teams(), SetSchedule("x", team="", window_s=60), "bad_request"),
])
def test_a_bad_schedule_is_refused_and_changes_nothing(document: dict[str, Any], command: SetSchedule,
                                                       code: str) -> None:
    game = Game(document)
    game.send(join("Ann", "Gulls" if document.get("mode") == "teams" else None))
    assert game.reject(command).code == code


def test_the_number_of_sides_with_their_own_schedule_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hunt.domain._schedules.MAX_SCHEDULES", 2)
    game = Game(teams())
    game.send(SetSchedule("s1", team="Gulls", window_s=60))
    game.send(SetSchedule("s2", team="Owls", window_s=60))
    refused = game.reject(SetSchedule("s3", team="Crabs", window_s=60))
    assert refused.code == "invalid_state" and "at most 2 sides" in refused.message
    game.send(SetSchedule("s4", team="Owls", window_s=90))  # changing one that has a schedule is fine
    game.send(SetSchedule("s5", team="Owls"))  # and back to the hunt's clock frees its place
    game.send(SetSchedule("s6", team="Crabs", window_s=60))


def test_no_schedule_for_an_ended_hunt() -> None:
    game = Game(teams(), active=False)
    game.send(end())
    assert game.reject(SetSchedule("x", team="Gulls", window_s=60)).code == "invalid_state"


# -- clue release times -----------------------------------------------------------------------


def test_clues_open_and_close_on_the_clock_absolute_or_after_the_sides_own_start() -> None:
    document = teams(clue("c1", opens_at=T0 + 5 * MIN, closes_at=T0 + 30 * MIN),
                     clue("c2", answers=["anchor"], opens_after_s=600),
                     team_starts={"Owls": {"offset_s": 1200}})
    game = Game(document)
    gull, owl = game.join("Ann", "Gulls"), game.join("Bob", "Owls")
    refused = game.reject(answer(gull, "c1", "lighthouse"))
    assert refused.code == "outside_window" and "“Clue c1” opens at 2026-05-28T20:31:40Z" in refused.message
    assert game.send(answer(gull, "c1", "lighthouse"), at=T0 + 5 * MIN)["result"] == "correct"
    assert game.reject(answer(gull, "c2", "anchor")).code == "outside_window"
    assert game.send(answer(gull, "c2", "anchor"), at=T0 + 1000 + 10 * MIN)["result"] == "correct"
    # Owls start 20 minutes in: their c2 opens 10 minutes after that, c1 closes for everybody at 30.
    assert clue_times(game.state, game.state.definition.clue_index["c2"], "team:owls") == (T0 + 1000 + 30 * MIN, None)
    assert game.reject(answer(owl, "c2", "anchor"), at=T0 + 25 * MIN).code == "outside_window"
    closed = game.reject(answer(owl, "c1", "lighthouse"), at=T0 + 30 * MIN)
    assert closed.code == "outside_window" and "closed at" in closed.message
    assert game.send(answer(owl, "c2", "anchor"), at=T0 + 31 * MIN)["result"] == "correct"
    replays_to_the_same_state(game)


def test_a_relative_clue_is_closed_while_the_sides_start_is_unknown() -> None:
    game = Game(hunt(clue("c1", opens_after_s=0)), active=False)
    ann = game.join("Ann")
    assert clue_times(game.state, game.state.definition.clue_index["c1"], ann) == (None, None)
    assert game.reject(answer(ann, "c1", "lighthouse")).code == "hunt_not_active"


# -- fair ranking across staggered starts -----------------------------------------------------


def test_ties_go_to_the_side_that_scored_sooner_after_its_own_start_not_on_the_wall_clock() -> None:
    game = Game(teams(team_starts={"Owls": {"offset_s": 3600}}))
    gull, owl = game.join("Ann", "Gulls"), game.join("Bob", "Owls")
    game.send(answer(gull, "c1", "lighthouse"), at=T0 + 30 * MIN)  # 30 min after its start
    game.send(answer(owl, "c2", "anchor"), at=T0 + 70 * MIN)  # 10 min after its own start
    game.send(answer(gull, "c2", "anchor"), at=T0 + 80 * MIN)
    game.send(answer(owl, "c1", "lighthouse"), at=T0 + 85 * MIN)  # 25 min: sooner than the Gulls' 80
    gulls, owls = game.state.sides["team:gulls"], game.state.sides["team:owls"]
    assert gulls.score == owls.score
    assert [row["name"] for row in game.state.top(2)] == ["Owls", "Gulls"]
    assert (owls.elapsed, gulls.elapsed) == (25 * MIN - 1000, 80 * MIN - 1000)
    # Moving the Owls' start counts their time again from the new start.
    game.send(SetSchedule("s", team="Owls", offset_s=0))
    assert [row["name"] for row in game.state.top(2)] == ["Gulls", "Owls"]
    replays_to_the_same_state(game)


# -- the scheduled freeze ---------------------------------------------------------------------


def test_a_scheduled_freeze_keeps_the_standings_of_its_time_for_players() -> None:
    game = Game()
    ann, bob = game.join("Ann"), game.join("Bob")
    ack = game.send(FreezeBoard("f1", at=T0 + 10 * MIN))
    assert ack == {"result": "ok", "frozen": False, "freeze_at": T0 + 10 * MIN}
    game.send(answer(ann, "c1", "lighthouse"))  # before the freeze: players see it
    assert game.state.public_top(1)[0]["name"] == "Ann" and not game.state.frozen_at(game.now)
    assert game.state.frozen_at(T0 + 10 * MIN)
    game.send(answer(bob, "c1", "lighthouse"), at=T0 + 10 * MIN)  # at the freeze: hidden from players
    game.send(adjust(bob, 50))
    assert game.state.top(1)[0]["name"] == "Bob"
    assert [(r["name"], r["score"]) for r in game.state.public_top(2)] == [("Ann", 120), ("Bob", 0)]
    assert game.reject(FreezeBoard("f2")).code == "invalid_state"
    replays_to_the_same_state(game)
    assert game.send(RevealBoard("r1")) == {"result": "ok", "frozen": False}
    assert game.state.public_top(2) == game.state.top(2)


def test_a_freeze_can_be_moved_or_called_off_before_it_comes_and_is_immediate_when_due() -> None:
    game = Game()
    game.send(FreezeBoard("f1", at=T0 + 10 * MIN))
    game.send(FreezeBoard("f2", at=T0 + 20 * MIN))  # moved
    assert game.state.freeze_at == T0 + 20 * MIN
    assert game.send(RevealBoard("r1")) == {"result": "ok", "frozen": False}  # called off
    assert game.state.freeze_at is None and not game.state.frozen_at(T0 + 30 * MIN)
    assert game.reject(RevealBoard("r2")).code == "invalid_state"
    assert game.send(FreezeBoard("f3", at=T0))["frozen"] is True  # a time already past: at once
    assert game.reject(FreezeBoard("f4")).code == "invalid_state"
    game.send(RevealBoard("r3"))
    for bad in (-1, 1.5, "soon", True, 10**16):
        assert game.reject(FreezeBoard("f5", at=bad)).code == "bad_request"
    replays_to_the_same_state(game)


def test_a_freeze_time_in_the_definition_freezes_without_a_command() -> None:
    game = Game(hunt(clue("c1"), clue("c2", answers=["anchor"]), freeze_at=T0 + 5 * MIN))
    ann = game.join("Ann")
    game.send(answer(ann, "c1", "lighthouse"))
    game.send(answer(ann, "c2", "anchor"), at=T0 + 6 * MIN)
    assert game.state.public_standing(ann) == (1, 100) and game.state.sides[ann].score == 200
    replays_to_the_same_state(game)


# -- imported logs --------------------------------------------------------------------------------


def test_imported_schedules_and_freezes_must_be_ones_the_rules_give() -> None:
    game = Game(teams())
    gull = game.join("Ann", "Gulls")
    game.send(SetSchedule("s1", team="Gulls", offset_s=600, window_s=1800))
    game.send(FreezeBoard("f1", at=T0 + 60 * MIN))
    game.send(answer(gull, "c1", "lighthouse"), at=T0 + 20 * MIN)
    for cut in range(2, len(game.log)):
        check(replay(game.log[:cut]), game.log[cut])  # the real ones pass
    schedule, freeze, found = game.log[-3], game.log[-2], game.log[-1]
    forgeries = [
        (schedule, replace(schedule.event, offset_ms=600_500), "the rules give"),  # not whole seconds
        (schedule, replace(schedule.event, side="team:owls"), "the rules give"),
        (freeze, replace(freeze.event, at=T0 - MIN), "the rules give"),  # a freeze "scheduled" in the past
    ]
    for record, event, message in forgeries:
        state = replay(game.log[:record.seq - 1])
        with pytest.raises(ValueError, match=message):
            check(state, Recorded(record.seq, record.ts, event, record.cmd, record.principal))
    # A find before the side's own start: the rules refuse it.
    early = Recorded(found.seq, T0 + 5 * MIN, found.event, found.cmd, found.principal)
    with pytest.raises(ValueError, match="outside_window"):
        check(replay(game.log[:found.seq - 1]), early)
