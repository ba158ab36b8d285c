"""Clue media and the players' map: definitions, the organiser's commands, and what a side may see."""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

import pytest

from hunt.domain import (
    AddMedia,
    DefinitionError,
    HuntState,
    Recorded,
    RetireClue,
    SetMap,
    SetMedia,
    UnlockClue,
    check,
    haversine_m,
    map_areas,
    media_of,
    parse_definition,
    replay,
    shown_media,
    visible_media,
)
from tests.support.domain import CRANE, T0, Game, answer, clue, end, example, hint, hunt

IMG = hashlib.sha256(b"image").hexdigest()
SOUND = hashlib.sha256(b"sound").hexdigest()
OTHER = hashlib.sha256(b"other").hexdigest()


def add(digest: str = IMG, media_type: str = "image/png", size: int = 100) -> AddMedia:
    return AddMedia(f"add-{digest[:8]}-{media_type}", digest, size, media_type)


def attach(target: str, media: list[dict[str, Any]], clue_id: str | None = None, index: int | None = None) -> SetMedia:
    return SetMedia(f"set-{target}-{clue_id}-{index}-{len(media)}", target, media, clue_id, index)


def game_with_media(**top: Any) -> Game:
    game = Game(example() | top)
    game.send(add(IMG))
    game.send(add(SOUND, "audio/mpeg"))
    return game


# -- definitions --------------------------------------------------------------------------------


def test_a_definition_names_media_for_prompts_hints_the_intro_and_the_outro() -> None:
    document = hunt(clue("c1", media=[{"hash": IMG, "alt": " A lighthouse "}],
                         hints=[{"text": "Listen", "media": [{"hash": SOUND, "alt": "Foghorn"}]}]),
                    clue("c2", "geo", show_on_map=True, map_radius_m=200),
                    intro={"text": "Welcome", "media": [{"hash": IMG, "alt": "The harbour"}]},
                    outro={"text": "Well done"}, map=True)
    definition = parse_definition(document)
    c1, c2 = definition.clues
    assert [(m.hash, m.alt) for m in c1.media] == [(IMG, "A lighthouse")]
    assert c1.hints[0].media[0].hash == SOUND
    assert definition.intro is not None and definition.intro.text == "Welcome"
    assert definition.outro is not None and definition.outro.media == ()
    assert definition.map and c2.show_on_map and c2.map_radius_m == 200
    assert definition.document["intro"]["text"] == "Welcome" and definition.document["map"] is True
    assert parse_definition(hunt(clue("c2", "geo"))).clues[0].map_radius_m == 100  # 3 x 30 m, at least 100


@pytest.mark.parametrize(("change", "message"), [
    ({"media": [{"hash": "abc", "alt": "x"}]}, "clues[0] (c1).media[0].hash"),
    ({"media": [{"hash": IMG, "alt": " "}]}, "clues[0] (c1).media[0].alt"),
    ({"media": [{"hash": IMG, "alt": "x", "src": "http://evil"}]}, "media[0].src: unknown field"),
    ({"media": [{"hash": IMG, "alt": "x"}, {"hash": IMG, "alt": "y"}]}, "the same media twice"),
    ({"media": [{"hash": hashlib.sha256(bytes([i])).hexdigest(), "alt": "x"} for i in range(5)]}, "at most 4"),
    ({"media": "x"}, "must be a list"),
    ({"show_on_map": True}, "show_on_map: only allowed on geo clues"),
    ({"hints": [{"text": "t", "media": [{"hash": IMG}]}]}, "hints[0].media[0].alt"),
])
def test_bad_media_in_a_clue_are_refused_naming_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(DefinitionError, match=re.escape(message)):
        parse_definition(hunt(clue("c1", **change)))


@pytest.mark.parametrize(("top", "message"), [
    ({"intro": "hello"}, "intro: must be an object"),
    ({"outro": {"text": "x", "music": []}}, "outro.music: unknown field"),
    ({"intro": {"text": 5}}, "intro.text"),
    ({"map": "yes"}, "map: must be true or false"),
])
def test_a_bad_intro_outro_or_map_is_refused(top: dict[str, Any], message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        parse_definition(hunt(**top))


def test_a_map_area_may_not_be_smaller_than_the_check_in_circle() -> None:
    with pytest.raises(DefinitionError, match="map_radius_m"):
        parse_definition(hunt(clue("c2", "geo", map_radius_m=10)))


# -- commands -----------------------------------------------------------------------------------


def test_uploads_and_attachments_are_events_that_replay_and_verify() -> None:
    game = game_with_media()
    ack = game.send(attach("clue", [{"hash": IMG, "alt": "  The light "}], "c3"))
    assert ack == {"result": "ok", "target": "clue", "clue": "c3", "hint": None,
                   "media": [{"hash": IMG, "alt": "The light"}]}
    game.send(attach("hint", [{"hash": SOUND, "alt": "Foghorn"}], "c1", 1))
    assert game.send(SetMap("m1", True)) == {"result": "ok", "map": True}
    assert media_of(game.state, "hint:c1:1") == [{"hash": SOUND, "alt": "Foghorn"}]
    assert game.state.media[IMG]["type"] == "image/png"
    again = replay(game.log)
    assert again.to_dict() == game.state.to_dict()
    assert HuntState.from_dict(game.state.to_dict()).to_dict() == game.state.to_dict()
    verifier = replay(game.log[:1])
    for recorded in game.log[1:]:
        check(verifier, recorded)
        verifier.apply(recorded)


def test_a_forged_media_event_does_not_verify() -> None:
    game = game_with_media()
    game.send(attach("intro", [{"hash": IMG, "alt": "Harbour"}]))
    forged = game.log[-1]
    state = replay(game.log[:-1])
    event = forged.event
    bad = type(event)(event.target, event.clue, event.hint, [{"hash": OTHER, "alt": "Harbour"}])  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="the rules refuse it"):
        check(state, Recorded(forged.seq, forged.ts, bad, forged.cmd, forged.principal))


@pytest.mark.parametrize(("command", "code"), [
    (add("abc"), "bad_request"),
    (add(OTHER, "image/svg+xml"), "bad_request"),
    (add(OTHER, size=0), "bad_request"),
    (add(IMG), "invalid_state"),  # uploaded already
    (attach("poster", []), "bad_request"),
    (attach("intro", [], "c1"), "bad_request"),
    (attach("clue", [], "nope"), "unknown_clue"),
    (attach("clue", [], "c1", 0), "bad_request"),
    (attach("hint", [], "c1", 2), "bad_request"),
    (attach("hint", [], "c1", True), "bad_request"),  # type: ignore[arg-type]
    (attach("intro", [{"hash": OTHER, "alt": "never uploaded"}]), "bad_request"),
    (attach("intro", [{"hash": IMG, "alt": ""}]), "bad_request"),
    (attach("intro", [{"hash": IMG, "alt": "x", "extra": 1}]), "bad_request"),
    (attach("intro", [{"hash": IMG, "alt": "x"}, {"hash": IMG, "alt": "y"}]), "bad_request"),
    (attach("intro", [{"hash": IMG, "alt": "x"}] * 5), "bad_request"),
    (attach("intro", "x"), "bad_request"),  # type: ignore[arg-type]
    (SetMap("m", "on"), "bad_request"),  # type: ignore[arg-type]
    (SetMap("m", False), "invalid_state"),  # off already
])
def test_hostile_media_commands_are_refused_and_change_nothing(command: Any, code: str) -> None:
    game = game_with_media()
    assert game.reject(command).code == code


# -- what a side may see ------------------------------------------------------------------------


def test_a_side_sees_media_of_open_clues_taken_hints_the_intro_and_at_the_end_the_outro() -> None:
    game = game_with_media()
    for target, clue_id, index, digest in (("clue", "c3", None, IMG), ("hint", "c1", 0, SOUND),
                                           ("outro", None, None, OTHER)):
        if digest == OTHER:
            game.send(add(OTHER, "image/gif"))
        game.send(attach(target, [{"hash": digest, "alt": "x"}], clue_id, index))
    ann = game.join("Ann")
    side = game.state.sides[ann]
    assert visible_media(game.state, side, game.now) == set()  # c3 is locked, no hint taken
    game.send(hint(ann, "c1"))
    assert visible_media(game.state, side, game.now) == {SOUND}
    game.send(answer(ann, "c1", "lighthouse"))
    assert visible_media(game.state, side, game.now) == {SOUND, IMG}
    assert visible_media(game.state, None, game.now) == set()  # without a side: the intro only
    game.send(attach("intro", [{"hash": IMG, "alt": "Harbour"}]))
    assert visible_media(game.state, None, game.now) == {IMG}
    game.send(end())
    assert OTHER in visible_media(game.state, None, game.now)
    assert shown_media(game.state, "outro") == [{"hash": OTHER, "alt": "x", "type": "image/gif"}]


def test_media_named_by_the_definition_show_once_uploaded_and_an_attachment_replaces_them() -> None:
    game = Game(example() | {"intro": {"text": "Hi", "media": [{"hash": OTHER, "alt": "Map"}]}})
    assert media_of(game.state, "intro") == [{"hash": OTHER, "alt": "Map"}]
    assert shown_media(game.state, "intro") == [] and visible_media(game.state, None, game.now) == set()
    game.send(add(OTHER))
    assert visible_media(game.state, None, game.now) == {OTHER}
    game.send(attach("intro", []))
    assert media_of(game.state, "intro") == [] and visible_media(game.state, None, game.now) == set()


def test_the_outro_shows_to_a_side_that_found_every_clue() -> None:
    game = Game(hunt(clue("c1"), outro={"text": "Done!"}))
    game.send(add(IMG))
    game.send(attach("outro", [{"hash": IMG, "alt": "Trophy"}]))
    ann, bob = game.join("Ann"), game.join("Bob")
    game.send(answer(ann, "c1", "lighthouse"))
    assert IMG in visible_media(game.state, game.state.sides[ann], game.now)
    assert IMG not in visible_media(game.state, game.state.sides[bob], game.now)


# -- the map ------------------------------------------------------------------------------------


def map_game(**geo: Any) -> Game:
    return Game(hunt(clue("c1"), clue("c2", "geo", show_on_map=True, map_radius_m=250, **geo),
                     clue("c3", "geo", after=["c1"], show_on_map=True), clue("c4", "geo"), map=True))


def test_the_map_shows_areas_of_open_unfound_marked_geo_clues_holding_the_check_in_circle() -> None:
    game = map_game()
    ann = game.join("Ann")
    side = game.state.sides[ann]
    [area] = map_areas(game.state, side, game.now)  # c3 is locked, c4 is not marked
    assert area["clue"] == "c2" and area["radius_m"] == 250
    assert (area["lat"], area["lon"]) != CRANE  # not the spot itself...
    assert haversine_m(area["lat"], area["lon"], *CRANE) + 30 <= 250 + 0.5  # ...but it holds the circle
    assert "lat" not in str(game.state.definition.clues[1].public())  # the clue view has no coordinates
    game.send(answer(ann, "c1", "lighthouse"))
    assert [a["clue"] for a in map_areas(game.state, side, game.now)] == ["c2", "c3"]
    assert map_areas(replay(game.log), side, game.now) == map_areas(game.state, side, game.now)  # stable
    game.send(SetMap("off", False))
    assert map_areas(game.state, side, game.now) == []


def test_a_map_radius_equal_to_the_check_in_radius_shows_the_circle_itself() -> None:
    exact = Game(hunt(clue("c2", "geo", show_on_map=True, map_radius_m=30), map=True))
    ann = exact.join("Ann")
    [area] = map_areas(exact.state, exact.state.sides[ann], exact.now)
    assert math.isclose(area["lat"], CRANE[0], abs_tol=1e-6) and math.isclose(area["lon"], CRANE[1], abs_tol=1e-6)


def test_no_map_without_the_option_or_before_the_start() -> None:
    off = Game(hunt(clue("c2", "geo", show_on_map=True)))
    ann = off.join("Ann")
    assert map_areas(off.state, off.state.sides[ann], off.now) == []
    pending = Game(hunt(clue("c2", "geo", show_on_map=True), map=True), active=False)
    bob = pending.join("Bob")
    assert map_areas(pending.state, pending.state.sides[bob], pending.now) == []


def test_a_timed_clue_shows_its_media_and_map_area_only_once_released() -> None:
    later = T0 + 3_600_000
    game = Game(hunt(clue("c1", opens_at=later), clue("c2", "geo", show_on_map=True, opens_at=later), map=True))
    game.send(add(IMG))
    game.send(attach("clue", [{"hash": IMG, "alt": "x"}], "c1"))
    ann = game.join("Ann")
    side = game.state.sides[ann]
    assert visible_media(game.state, side, game.now) == set() and map_areas(game.state, side, game.now) == []
    assert visible_media(game.state, side, later) == {IMG}
    assert [a["clue"] for a in map_areas(game.state, side, later)] == ["c2"]


def test_an_unlocked_clue_shows_its_media_and_a_withdrawn_one_does_not() -> None:
    game = game_with_media(mode="solo")
    game.send(attach("clue", [{"hash": IMG, "alt": "x"}], "c3"))  # c3 opens after c1
    game.send(attach("clue", [{"hash": SOUND, "alt": "y"}], "c2"))
    ann = game.join("Ann")
    side = game.state.sides[ann]
    assert visible_media(game.state, side, game.now) == {SOUND}
    game.send(UnlockClue("u1", "c3", None, ann))
    assert visible_media(game.state, side, game.now) == {SOUND, IMG}
    game.send(RetireClue("r1", "c2"))
    assert visible_media(game.state, side, game.now) == {IMG}
