"""Who a player is: clean names, teams joined by passcode with an optional size cap, and the
hunt's incarnation (what player tokens are bound to)."""

from __future__ import annotations

from typing import Any

import pytest

from hunt.domain import (
    DefinitionError,
    HuntCreated,
    NotProduced,
    PlayerJoined,
    Recorded,
    check,
    parse_definition,
    replay,
)
from tests.support.domain import Game, example, join, stored

# -- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "clean"), [
    ("  Ann  ", "Ann"),
    ("Ann\u00a0\u3000Lee", "Ann Lee"),  # no-break and ideographic spaces are spaces
    ("\uff21\uff4e\uff4e", "Ann"),  # full-width letters are the letters they look like
    ("Zoe\u0301", "Zo\u00e9"),  # one normal form: composed
    ("\u05d3\u05e0\u05d4", "\u05d3\u05e0\u05d4"),  # right-to-left letters are names like any other
    ("\u0644\u064a\u0644\u0649", "\u0644\u064a\u0644\u0649"),
])
def test_names_are_normalised(raw: str, clean: str) -> None:
    game = Game()
    assert game.send(join(raw))["name"] == clean


@pytest.mark.parametrize("name", [
    "Ann\u202eevil",  # right-to-left override: "Annlive" drawn backwards
    "\u2067Ann\u2069",  # right-to-left isolate
    "A\u200bnn",  # zero-width space
    "Ann\u200d",  # zero-width joiner
    "An\u00adn",  # soft hyphen
    "\ufeffAnn",  # byte order mark
    "Ann\x00",  # control characters
    "Ann\nBob",
    "Ann\x1b[31m",
    "Ann\u2028",  # line separator
    "\ue000Ann",  # private use
    "\u3164",  # Hangul filler: a letter that draws nothing
    "Ann\u2800",  # braille blank
    "\u0301\u0301",  # only accents
    "A\u0301\u0302\u0303\u0304\u0306",  # accents stacked over one letter
    "\U000e0041nn",  # tag characters
])
def test_names_with_invisible_control_or_direction_characters_are_refused(name: str) -> None:
    refusal = Game().reject(join(name))
    assert refusal.code == "bad_request" and "name" in refusal.message


def test_team_names_are_cleaned_the_same_way() -> None:
    game = Game(example() | {"mode": "teams"})
    assert game.reject(join("Ann", "Gulls\u202e")).code == "bad_request"
    assert game.send(join("Ann", "\uff27ulls"))["team"] == "Gulls"


# -- teams: a code to join, a size cap ----------------------------------------------------------


def teams(**top: Any) -> dict[str, Any]:
    return example() | {"mode": "teams", **top}


def test_the_first_player_of_a_team_creates_it_and_is_its_captain() -> None:
    game = Game(teams())
    ack = game.send(join("Ann", "Gulls", team_code_ok=False))
    assert ack == {"result": "joined", "player": "p1", "name": "Ann", "team": "Gulls", "captain": True}
    bob = game.send(join("Bob", "gulls", team_code_ok=True))
    assert (bob["team"], bob["captain"]) == ("gulls", False)
    assert game.state.sides["team:gulls"].members == ["p1", "p2"]


def test_joining_a_team_that_exists_needs_its_code() -> None:
    game = Game(teams())
    game.join("Ann", "Gulls")
    refusal = game.reject(join("Mallory", "  GULLS ", team_code_ok=False))
    assert refusal.code == "unauthorized" and "team code" in refusal.message
    assert game.state.sides["team:gulls"].members == ["p1"]


def test_a_team_takes_at_most_team_size_players() -> None:
    game = Game(teams(team_size=2))
    game.join("Ann", "Gulls")
    game.join("Bob", "Gulls")
    assert game.reject(join("Cat", "Gulls")).code == "team_full"
    assert game.join("Cat", "Owls") == "p3"  # another team has room


@pytest.mark.parametrize(("top", "field"), [
    ({"mode": "teams", "team_size": 0}, "team_size"),
    ({"mode": "teams", "team_size": "4"}, "team_size"),
    ({"mode": "solo", "team_size": 4}, "team_size"),
])
def test_team_size_is_checked(top: dict[str, Any], field: str) -> None:
    with pytest.raises(DefinitionError, match=field):
        parse_definition(example() | top)


def test_the_team_size_is_kept_in_the_definition_and_shown() -> None:
    definition = parse_definition(teams(team_size=4))
    assert definition.team_size == 4 and definition.document["team_size"] == 4
    assert definition.public()["team_size"] == 4
    assert "team_size" not in parse_definition(example()).document  # old documents stay as they were


# -- the incarnation ----------------------------------------------------------------------------


def test_the_incarnation_comes_from_hunt_created_and_survives_replay_and_snapshots() -> None:
    document = dict(parse_definition(example()).document)
    created = Recorded(1, 0, HuntCreated(document, "x7Gq"))
    state = replay([stored(created)])
    assert state.incarnation == "x7Gq"
    assert type(state).from_dict(state.to_dict()).incarnation == "x7Gq"
    legacy = replay([Recorded(1, 0, HuntCreated(document))])  # hunt files from before incarnations
    assert legacy.incarnation is None
    assert type(legacy).from_dict({k: v for k, v in legacy.to_dict().items() if k != "incarnation"}).incarnation is None


# -- hunt files written before these rules still verify ------------------------------------------


@pytest.mark.parametrize("name", ["Zoe\u0301", "\uff21nn", "Ann"])
def test_a_join_as_earlier_rules_recorded_it_still_checks(name: str) -> None:
    game = Game(example() | {"mode": "teams"})
    game.join("Ann", "Gulls")
    for team in ("Gulls", "Owls"):  # joining a team that exists was made with its code
        legacy = Recorded(game.state.seq + 1, game.now, PlayerJoined(f"p{len(game.state.players) + 1}", name, team),
                          "raw-join-id-of-old", "join")
        check(game.state, legacy)


def test_a_join_no_rules_would_have_recorded_is_caught() -> None:
    game = Game()
    for name in (" Ann", "", "x" * 65):
        with pytest.raises(NotProduced, match="rules"):
            check(game.state, Recorded(game.state.seq + 1, game.now, PlayerJoined("p1", name, None), "j", "join"))
