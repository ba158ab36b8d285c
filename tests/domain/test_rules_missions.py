"""Missions: entries (photo, video, text) wait for a judge; approval finds the clue, rejection says why."""

from __future__ import annotations

import itertools

import pytest

from hunt.domain import DefinitionError, JudgeEntry, SubmitEntry, check, parse_definition, replay
from tests.support.domain import Game, answer, clue, hunt, start, stored

PHOTO = "ab" * 32
MISSION = {"id": "m1", "title": "Team selfie", "prompt": "Your team with the red crane", "kind": "mission",
           "points": 50, "first_bonus": 10}
_ids = itertools.count()


def mission_hunt(**fields: object) -> dict:
    return hunt({**MISSION, **fields}, clue("c1"), mode="teams")


def photo(player: str, clue_id: str = "m1", **fields: object) -> SubmitEntry:
    values = {"kind": "photo", "media_hash": PHOTO, "media_size": 1234, "media_type": "image/jpeg", **fields}
    return SubmitEntry(player, f"e{next(_ids)}", clue_id, **values)  # type: ignore[arg-type]


def judge(entry: int, approve: bool, bonus: int = 0, message: str = "") -> JudgeEntry:
    return JudgeEntry(f"j{next(_ids)}", entry, approve, bonus, message)


def test_a_photo_waits_then_approval_finds_the_clue_for_the_team() -> None:
    game = Game(mission_hunt())
    ann, bob = game.join("Ann", "Gulls"), game.join("Bob", "Gulls")
    ack = game.send(photo(ann))
    entry = ack["entry"]
    assert ack == {"result": "submitted", "clue": "m1", "entry": entry, "kind": "photo"}
    assert game.state.entries[entry]["media"] == {"hash": PHOTO, "size": 1234, "type": "image/jpeg"}
    assert game.reject(photo(bob)).code == "entry_pending"  # one waiting entry per team and clue
    verdict = game.send(judge(entry, True, bonus=5, message="Great crane!"))
    assert verdict == {"result": "approved", "entry": entry, "player": ann, "clue": "m1", "points": 65,
                       "bonus": 5, "score": 65}
    assert game.state.side_of(bob).found["m1"]["by"] == ann
    assert game.reject(photo(bob)).code == "already_found"
    assert game.reject(judge(entry, False)).code == "invalid_state"
    assert replay([stored(r) for r in game.log]).to_dict() == game.state.to_dict()


def test_a_rejection_says_why_and_the_team_may_try_again() -> None:
    game = Game(mission_hunt())
    ann = game.join("Ann", "Gulls")
    first = game.send(photo(ann))["entry"]
    assert game.send(judge(first, False, message="Too blurry"))["result"] == "rejected"
    assert game.state.entries[first]["judged"]["message"] == "Too blurry"
    assert game.score(ann) == 0 and "m1" not in game.state.side_of(ann).found
    second = game.send(photo(ann, kind="video", media_type="video/mp4"))["entry"]
    assert game.send(judge(second, True))["points"] == 60  # first finder: 50 + a bonus of 10


def test_text_entries_and_what_a_mission_accepts() -> None:
    game = Game(mission_hunt(accepts=["text"]))
    ann = game.join("Ann", "Gulls")
    assert game.reject(photo(ann)).code == "bad_request"
    assert game.reject(SubmitEntry(ann, "t0", "m1", "text", "   ")).code == "bad_request"
    assert game.send(SubmitEntry(ann, "t1", "m1", "text", "  A poem about gulls "))["kind"] == "text"
    assert game.state.entries[game.state.seq]["text"] == "A poem about gulls"


@pytest.mark.parametrize(("fields", "code"), [
    ({"media_hash": "nothex"}, "bad_request"),
    ({"media_hash": None}, "bad_request"),
    ({"media_type": "text/html"}, "bad_request"),
    ({"media_type": "video/mp4"}, "bad_request"),  # a photo must be an image
    ({"media_size": 0}, "bad_request"),
    ({"text": "x" * 2001}, "bad_request"),
    ({"kind": "audio"}, "bad_request"),
])
def test_bad_entries_are_refused(fields: dict, code: str) -> None:
    game = Game(mission_hunt())
    ann = game.join("Ann", "Gulls")
    assert game.reject(photo(ann, **fields)).code == code


def test_entries_follow_the_rules_of_play() -> None:
    game = Game(mission_hunt(after=["c1"]), active=False)
    ann = game.join("Ann", "Gulls")
    assert game.reject(photo(ann)).code == "hunt_not_active"
    game.send(start())
    assert game.reject(photo(ann)).code == "locked"
    game.send(answer(ann, "c1", "lighthouse"))
    assert game.reject(answer(ann, "m1", "x")).message == "“Team selfie” is a mission clue: send an entry"
    assert game.reject(photo(ann, clue_id="c1")).code == "wrong_kind"


@pytest.mark.parametrize(("command", "code"), [
    (judge(999, True), "unknown_entry"),
    (JudgeEntry("j", "4", True), "unknown_entry"),  # type: ignore[arg-type]
    (judge(4, False, bonus=5), "bad_request"),
    (judge(4, True, bonus=-1), "bad_request"),
    (judge(4, True, message="x" * 501), "bad_request"),
    (JudgeEntry("j", 4, "yes"), "bad_request"),  # type: ignore[arg-type]
])
def test_bad_verdicts_are_refused(command: JudgeEntry, code: str) -> None:
    game = Game(mission_hunt())
    ann = game.join("Ann", "Gulls")
    assert game.send(photo(ann))["entry"] == 4
    assert game.reject(command).code == code


def test_imported_entries_and_verdicts_are_checked() -> None:
    game = Game(mission_hunt())
    ann = game.join("Ann", "Gulls")
    game.send(photo(ann))
    game.send(judge(game.state.seq, True, bonus=5))
    judged = game.log.pop()
    state = replay(game.log)
    check(state, judged)
    forged = type(judged)(judged.seq, judged.ts, type(judged.event)(**{
        **{f: getattr(judged.event, f) for f in judged.event.__slots__}, "points": 5000}), judged.cmd, "admin")
    with pytest.raises(ValueError, match="the rules give"):
        check(state, forged)


def test_a_mission_definition_is_checked() -> None:
    assert parse_definition(hunt(MISSION)).clue("m1").accepts == ("photo", "video", "text")
    for bad, message in (({"accepts": []}, "accepts: must be a non-empty list"),
                         ({"accepts": ["photo", "audio"]}, "accepts: must be a non-empty list"),
                         ({"answers": ["x"]}, "answers: only allowed on answer clues")):
        with pytest.raises(DefinitionError, match=message):
            parse_definition(hunt({**MISSION, **bad}))
    with pytest.raises(DefinitionError, match="accepts: only allowed on mission clues"):
        parse_definition(hunt(clue("c1", accepts=["photo"])))
