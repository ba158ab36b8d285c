"""Team management and divisions: teams made by the organiser or a captain, passcodes, size caps,
roster locks, renames, removals, captaincy, and a leaderboard per division."""

from __future__ import annotations

from typing import Any

import pytest

from hunt.domain import (
    CreateTeam,
    DefinitionError,
    HuntState,
    LockRosters,
    NotProduced,
    Recorded,
    RemovePlayer,
    RenameTeam,
    RosterLocked,
    SetCaptain,
    SetDivision,
    SetTeamPasscode,
    SetTeamSize,
    check,
    parse_definition,
    replay,
)
from tests.support.domain import Game, answer, example, join, stored

HASH = "ab" * 32  # the form of the API's keyed hash of a passcode
DIVISIONS = [{"id": "families", "title": "Families"}, {"id": "schools", "title": "Schools"}]


def teams(**top: Any) -> dict[str, Any]:
    return {**example(), "mode": "teams", **top}


def create(name: Any, **fields: Any) -> CreateTeam:
    return CreateTeam(f"create-{name}", name, **fields)


def verified(game: Game) -> HuntState:
    """Check every event of the game against the rules, replay it through JSON, and compare."""
    log = [stored(r) for r in game.log]
    state = replay(log[:1])
    for recorded in log[1:]:
        check(state, recorded)
        state.apply(recorded)
    assert state.to_dict() == game.state.to_dict()
    assert HuntState.from_dict(game.state.to_dict()).to_dict() == game.state.to_dict()
    return state


# -- teams made by the organiser ----------------------------------------------------------------


def test_the_organiser_makes_a_team_that_players_join_with_its_code() -> None:
    game = Game(teams())
    ack = game.send(create("Gulls", size=3))
    assert ack == {"result": "ok", "side": "team:gulls", "team": "Gulls", "size": 3, "division": None}
    side = game.state.sides["team:gulls"]
    assert side.members == [] and side.captain is None and game.state.rank_of(side.id) == 1
    refusal = game.reject(join("Ann", "gulls", team_code_ok=False))
    assert refusal.code == "unauthorized" and "team code" in refusal.message
    ann = game.send(join("Ann", "GULLS"))
    assert ann["captain"] is True  # the first to join a team without a captain leads it
    assert game.send(join("Bob", "Gulls"))["captain"] is False
    assert game.state.top(1)[0]["captain"] == "Ann"
    verified(game)


@pytest.mark.parametrize(("command", "code"), [
    (create("Gulls"), "invalid_state"),  # there is one already (names fold case and spaces)
    (create(" gULLs "), "invalid_state"),
    (create(""), "bad_request"),
    (create("x" * 65), "bad_request"),
    (create("Owls\u202e"), "bad_request"),
    (create(7), "bad_request"),
    (create("Owls", size=0), "bad_request"),
    (create("Owls", size=True), "bad_request"),
    (create("Owls", passcode="hunter2"), "bad_request"),  # only a keyed hash is ever recorded
    (create("Owls", division="schools"), "unknown_division"),  # the hunt has no divisions
])
def test_a_bad_team_is_refused_and_changes_nothing(command: CreateTeam, code: str) -> None:
    game = Game(teams())
    game.send(create("Gulls"))
    assert game.reject(command).code == code


def test_a_solo_hunt_has_no_teams() -> None:
    game = Game()
    for command in (create("Gulls"), RenameTeam("r", "team:x", "Y"), LockRosters("l")):
        refusal = game.reject(command)
        assert refusal.code == "invalid_state" and "solo" in refusal.message


def test_where_the_organiser_makes_the_teams_players_cannot() -> None:
    game = Game(teams(team_creation="organiser"))
    refusal = game.reject(join("Ann", "Gulls"))
    assert refusal.code == "unknown_team" and "organiser" in refusal.message
    game.send(create("Gulls"))
    assert game.send(join("Ann", "Gulls"))["result"] == "joined"
    with pytest.raises(DefinitionError, match="team_creation"):
        parse_definition({**example(), "team_creation": "organiser"})  # solo
    with pytest.raises(DefinitionError, match="team_creation"):
        parse_definition(teams(team_creation="anyone"))


# -- size caps and roster locks -----------------------------------------------------------------


def test_a_team_size_of_its_own_overrides_the_hunts() -> None:
    game = Game(teams(team_size=2))
    game.send(create("Gulls", size=1))
    game.join("Ann", "Gulls")
    assert game.reject(join("Bob", "Gulls")).code == "team_full"
    game.send(SetTeamSize("s1", "team:gulls", None))  # back to the hunt's 2
    game.join("Bob", "Gulls")
    assert game.reject(join("Cat", "Gulls")).code == "team_full"
    assert game.reject(SetTeamSize("s2", "team:gulls", 10_001)).code == "bad_request"
    verified(game)


def test_every_roster_locks_at_the_chosen_time() -> None:
    game = Game(teams())
    game.join("Ann", "Gulls")
    at = game.now + 60_000
    ack = game.send(LockRosters("lock", at=at))
    assert ack == {"result": "ok", "side": None, "locked": True, "at": at}
    game.join("Bob", "Gulls")  # not yet
    game.join("Cat", "Owls")
    refusal = game.reject(join("Dan", "Gulls"), at=at)
    assert refusal.code == "roster_locked" and "Gulls" in refusal.message
    assert game.reject(join("Eve", "Herons")).code == "roster_locked"  # no new teams either
    game.send(LockRosters("unlock", locked=False))
    game.join("Dan", "Gulls")
    assert game.reject(LockRosters("unlock2", locked=False)).code == "invalid_state"
    verified(game)


def test_one_teams_roster_locks_now() -> None:
    game = Game(teams())
    game.join("Ann", "Gulls")
    game.send(LockRosters("lock", team="team:gulls"))
    assert game.reject(join("Bob", "Gulls")).code == "roster_locked"
    game.join("Cat", "Owls")  # other teams stay open
    assert game.reject(LockRosters("x", team="team:nobody")).code == "unknown_team"
    assert game.reject(LockRosters("x", at=-5)).code == "bad_request"
    assert game.reject(LockRosters("x", locked=False, at=5)).code == "bad_request"
    verified(game)


def test_a_join_after_a_lock_does_not_verify() -> None:
    game = Game(teams())
    game.join("Ann", "Gulls")
    game.send(LockRosters("lock", team="team:gulls"))
    state = replay(game.log)
    forged = Recorded(state.seq + 1, game.now + 1000, join_event("p2", "Bob", "Gulls"), "j", "join")
    with pytest.raises(NotProduced, match="roster_locked"):
        check(state, forged)


def join_event(player: str, name: str, team: str) -> Any:
    from hunt.domain import PlayerJoined
    return PlayerJoined(player, name, team)


# -- renames, passcodes, captains, removals -------------------------------------------------------


def test_a_renamed_team_keeps_its_id_and_is_joined_by_its_new_name() -> None:
    game = Game(teams())
    ann = game.join("Ann", "Gulls")
    assert game.send(RenameTeam("r1", "team:gulls", "Sea Gulls")) == {
        "result": "ok", "side": "team:gulls", "team": "Sea Gulls"}
    bob = game.send(join("Bob", "sea gulls"))
    assert game.state.side_of(bob["player"]) is game.state.side_of(ann)
    # The old name is free: a new team under it gets an id of its own.
    cat = game.join("Cat", "Gulls")
    assert game.state.players[cat].side == "team:gulls~2"
    assert game.reject(RenameTeam("r2", "team:gulls", "GULLS")).code == "invalid_state"  # taken
    assert game.reject(RenameTeam("r3", "team:gulls", "Sea Gulls")).code == "invalid_state"  # no change
    assert game.reject(RenameTeam("r4", "p1", "X")).code == "unknown_team"
    verified(game)


def test_a_new_passcode_is_a_new_generation() -> None:
    game = Game(teams())
    game.join("Ann", "Gulls")
    assert game.send(SetTeamPasscode("c1", "team:gulls"))["generation"] == 1
    ack = game.send(SetTeamPasscode("c2", "team:gulls", HASH))
    assert ack == {"result": "ok", "side": "team:gulls", "generation": 2, "passcode_set": True}
    assert game.state.sides["team:gulls"].passcode == HASH
    assert game.reject(SetTeamPasscode("c3", "team:gulls", "secret")).code == "bad_request"
    verified(game)


def test_captaincy_is_handed_on_by_the_organiser_or_when_the_captain_leaves() -> None:
    game = Game(teams())
    ann, bob, cat = game.join("Ann", "Gulls"), game.join("Bob", "Gulls"), game.join("Cat", "Gulls")
    assert game.send(SetCaptain("k1", "team:gulls", cat))["captain"] == cat
    assert game.reject(SetCaptain("k2", "team:gulls", cat)).code == "invalid_state"
    dan = game.join("Dan", "Owls")
    assert game.reject(SetCaptain("k3", "team:gulls", dan)).code == "unknown_player"
    assert game.send(RemovePlayer("x1", cat, "left early"))["removed"] is True
    side = game.state.sides["team:gulls"]
    assert side.members == [ann, bob] and side.captain == ann
    verified(game)


def test_a_removed_player_can_no_longer_play_but_their_finds_stay() -> None:
    game = Game(teams())
    ann, bob = game.join("Ann", "Gulls"), game.join("Bob", "Gulls")
    game.send(answer(bob, "c1", "lighthouse"))
    game.send(RemovePlayer("x1", bob))
    refusal = game.reject(answer(bob, "c2", "anything"))
    assert refusal.code == "removed" and "Gulls" in refusal.message
    assert game.score(ann) == 120 and "c1" in game.state.sides["team:gulls"].found
    assert game.reject(RemovePlayer("x2", bob)).code == "invalid_state"
    assert game.reject(RemovePlayer("x3", "p99")).code == "unknown_player"
    assert game.reject(RemovePlayer("x4", ann, "x" * 501)).code == "bad_request"
    game.send(RemovePlayer("x5", ann))  # the last member: the team stays, without a captain
    assert game.state.sides["team:gulls"].captain is None
    assert game.send(join("Ann again", "Gulls"))["captain"] is True
    verified(game)


# -- divisions ----------------------------------------------------------------------------------


def test_each_division_has_its_own_leaderboard_and_the_overall_one_stays() -> None:
    game = Game(teams(divisions=DIVISIONS))
    ann = game.send(join("Ann", "Gulls", division="families"))
    assert ann["division"] == "families"
    bob = game.join("Bob", "Gulls")  # joins the team's division
    assert game.send(join("Cy", "Gulls", division="families"))["division"] == "families"  # may repeat it
    refusal = game.reject(join("Dan", "Gulls", division="schools"))
    assert refusal.code == "bad_request" and "Families" in refusal.message
    owls = game.send(join("Eve", "Owls", division="schools"))["player"]
    game.join("Fay", "Herons")  # no division: the overall board only
    game.send(answer(owls, "c1", "lighthouse"))
    game.send(answer(bob, "c1", "lighthouse"))
    state = game.state
    assert [r["name"] for r in state.top(10)] == ["Owls", "Gulls", "Herons"]
    assert [(r["rank"], r["name"]) for r in state.top(10, division="families")] == [(1, "Gulls")]
    assert state.rank_of("team:owls", "schools") == 1 and state.rank_of("team:owls", "families") is None
    game.send(SetDivision("d1", "team:owls", "families"))
    assert [r["name"] for r in state.top(10, division="families")] == ["Owls", "Gulls"]
    assert state.top(10, division="schools") == []
    assert game.reject(SetDivision("d2", "team:owls", "families")).code == "invalid_state"
    assert game.reject(SetDivision("d3", "team:owls", "chess")).code == "unknown_division"
    assert game.reject(SetDivision("d4", "team:nobody", None)).code == "unknown_team"
    game.send(SetDivision("d5", "team:owls", None))
    assert [r["name"] for r in state.top(10, division="families")] == ["Gulls"]
    verified(game)


@pytest.mark.parametrize(("top", "division", "code"), [
    ({}, "families", "bad_request"),  # no divisions
    ({"divisions": DIVISIONS}, "chess", "unknown_division"),
    ({"divisions": DIVISIONS}, 7, "unknown_division"),
    ({"divisions": DIVISIONS, "division_choice": "organiser"}, "families", "bad_request"),
])
def test_a_bad_division_at_join_is_refused(top: dict[str, Any], division: Any, code: str) -> None:
    game = Game({**example(), **top})
    assert game.reject(join("Ann", division=division)).code == code


def test_a_solo_players_division_and_a_frozen_division_board() -> None:
    from hunt.domain import FreezeBoard
    game = Game({**example(), "divisions": DIVISIONS})
    ann = game.send(join("Ann", division="schools"))["player"]
    bob = game.send(join("Bob", division="schools"))["player"]
    game.send(answer(bob, "c1", "lighthouse"))
    game.send(FreezeBoard("f"))
    game.send(answer(ann, "c1", "lighthouse"))
    assert [(r["rank"], r["name"], r["score"]) for r in game.state.public_top(5, division="schools")] == [
        (1, "Bob", 120), (2, "Ann", 0)]
    game.send(SetDivision("d", ann, "families"))
    assert [r["name"] for r in game.state.public_top(5, division="families")] == ["Ann"]
    verified(game)


@pytest.mark.parametrize(("divisions", "field"), [
    ("families", "divisions"),
    ([{"id": "a b"}], "divisions[0].id"),
    ([{"id": "a", "title": ""}], "divisions[0].title"),
    ([{"id": "a", "colour": "red"}], "divisions[0].colour"),
    ([{"id": "a"}, {"id": "a"}], "divisions"),
    ([{"id": f"d{i}"} for i in range(51)], "divisions"),
])
def test_bad_divisions_are_refused_naming_the_field(divisions: Any, field: str) -> None:
    with pytest.raises(DefinitionError, match=field.replace("[", r"\[").replace("]", r"\]")):
        parse_definition({**example(), "divisions": divisions})


def test_the_divisions_are_public_and_in_the_canonical_form() -> None:
    definition = parse_definition({**example(), "divisions": [{"id": "kids"}], "division_choice": "organiser"})
    assert definition.public()["divisions"] == [{"id": "kids", "title": "kids"}]
    assert definition.document["divisions"] == [{"id": "kids", "title": "kids"}]
    assert definition.public()["division_choice"] == "organiser"
    assert "divisions" not in parse_definition(example()).document  # older hunts keep their form


def test_a_roster_lock_event_for_a_team_round_trips() -> None:
    game = Game(teams())
    game.join("Ann", "Gulls")
    game.send(LockRosters("lock", team="team:gulls", at=game.now + 5))
    assert isinstance(game.log[-1].event, RosterLocked)
    assert verified(game).sides["team:gulls"].locked_at == game.log[-1].event.at


def test_a_renamed_team_is_told_and_scheduled_by_its_new_name() -> None:
    from hunt.domain import Announce, SetSchedule
    game = Game(teams())
    game.join("Ann", "Gulls")
    game.send(RenameTeam("r1", "team:gulls", "Sea Gulls"))
    assert game.send(Announce("a1", "Come to the gate", team="sea gulls"))["to"] == "team"
    assert game.log[-1].event.side == "team:gulls"
    assert game.reject(Announce("a2", "Hello", team="Owls")).code == "unknown_team"
    game.send(SetSchedule("s1", team="Sea Gulls", window_s=600))
    assert "team:gulls" in game.state.schedules
    verified(game)
