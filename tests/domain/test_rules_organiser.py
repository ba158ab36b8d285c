"""What organisers asked for after a live hunt: forgiving answers, titles in messages, hint
policies, resumes that say so, and the value a clue would score now."""

from __future__ import annotations

import pytest

from hunt.domain import DefinitionError, HuntStarted, parse_definition, replay
from tests.support.domain import Game, answer, clue, code, hint, hunt, pause, start, stored

# -- punctuation ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Bronze.", "bronze!", "  BRONZE?! ", "'bronze'", "«bronze»", "bronze…"])
def test_punctuation_around_an_answer_does_not_make_it_wrong(text: str) -> None:
    game = Game(hunt(clue("bell", answers=["bronze"])))
    ann = game.join("Ann")
    assert game.send(answer(ann, "bell", text))["result"] == "correct"


@pytest.mark.parametrize("text", ["Light-house", "light\u2013house", "lighthouse.", "LIGHT\u2014HOUSE"])
def test_dashes_inside_an_answer_are_ignored(text: str) -> None:
    game = Game(hunt(clue("c1", answers=["lighthouse"])))
    ann = game.join("Ann")
    assert game.send(answer(ann, "c1", text))["result"] == "correct"


def test_an_answer_written_with_punctuation_matches_one_typed_without() -> None:
    game = Game(hunt(clue("c1", answers=["St. Mary's"])))
    ann = game.join("Ann")
    assert game.send(answer(ann, "c1", "st marys"))["result"] == "correct"


def test_a_clue_may_keep_punctuation_significant() -> None:
    game = Game(hunt(clue("c1", answers=["C++"]), clue("c2", answers=["a.b"], keep_punctuation=True),
                     clue("k", "code", codes=["A.1"], keep_punctuation=True)))
    ann = game.join("Ann")
    assert game.send(answer(ann, "c1", "c++!"))["result"] == "correct"  # symbols are not punctuation
    assert game.send(answer(ann, "c2", "ab"))["result"] == "wrong"
    assert game.send(answer(ann, "c2", "A.B"))["result"] == "correct"
    assert game.send(code(ann, "k", "a1"))["result"] == "wrong"
    assert game.send(code(ann, "k", "a.1"))["result"] == "correct"


def test_codes_ignore_punctuation_too() -> None:
    game = Game(hunt(clue("k", "code", codes=["ELB-1911"])))
    ann = game.join("Ann")
    assert game.send(code(ann, "k", "elb 1911."))["result"] == "correct"


@pytest.mark.parametrize(("fields", "expected"), [
    ({"answers": ["?!"]}, "punctuation alone is ignored"),
    ({"keep_punctuation": "yes"}, "keep_punctuation: must be true or false"),
    ({"kind": "geo", "lat": 1, "lon": 1, "radius_m": 5, "keep_punctuation": True},
     "keep_punctuation: only allowed on answer or code clues"),
])
def test_bad_punctuation_settings_are_refused(fields: dict, expected: str) -> None:
    document = clue("c1")
    if fields.get("kind") == "geo":
        del document["answers"]
    document.update(fields)
    with pytest.raises(DefinitionError, match=expected):
        parse_definition(hunt(document))


# -- titles, not ids, in what players read ------------------------------------------------------


def test_refusals_name_clues_by_their_titles() -> None:
    game = Game(hunt(clue("t1", title="Old light", hints=[]), clue("t2", title="The sign", after=["t1"]),
                     attempts={"max": 1, "window_s": 60}))
    ann = game.join("Ann")
    assert game.reject(answer(ann, "t2", "x")).message == "“The sign” opens after “Old light”"
    assert game.reject(hint(ann, "t1")).message == "“Old light” has no more hints"
    game.send(answer(ann, "t1", "wrong"))
    assert game.reject(answer(ann, "t1", "again")).message == "too many wrong attempts on “Old light”"
    assert game.reject(code(ann, "t1", "x")).message == "“Old light” is an answer clue: use 'answer'"


def test_a_hint_for_a_found_clue_names_its_title() -> None:
    game = Game(hunt(clue("t1", title="Old light", hints=[{"text": "It blinks", "cost": 1}])))
    ann = game.join("Ann")
    game.send(answer(ann, "t1", "lighthouse"))
    assert game.reject(hint(ann, "t1")).message == "“Old light” is already found"


# -- pause and resume -------------------------------------------------------------------------


def test_starting_a_paused_hunt_is_recorded_as_a_resume() -> None:
    game = Game(active=False)
    game.send(start())
    assert game.log[-1].event == HuntStarted(resumed=False)
    game.send(pause())
    game.send(start())
    assert game.log[-1].event == HuntStarted(resumed=True)
    assert replay([stored(r) for r in game.log]).to_dict() == game.state.to_dict()


# -- the value a clue would score now ---------------------------------------------------------


def test_a_clues_value_falls_with_each_finder_and_loses_the_first_bonus() -> None:
    definition = parse_definition(hunt(clue("c1", points=100, decay={"per_finder": 30, "min": 50},
                                            first_bonus=20)))
    c1 = definition.clue("c1")
    assert [c1.value(n) for n in range(4)] == [120, 70, 50, 50]


# -- hint policies ----------------------------------------------------------------------------

HINTED = [clue("c1", points=100, hints=[{"text": "First", "cost": 30}, {"text": "Second", "cost": 90}])]


def test_by_default_hints_may_take_the_score_below_zero() -> None:
    game = Game(hunt(*HINTED))
    ann = game.join("Ann")
    game.send(hint(ann, "c1"))
    assert game.score(ann) == -30


def test_floor_at_zero_charges_only_what_the_score_holds() -> None:
    game = Game(hunt(*HINTED, clue("c2", points=40), hint_policy="floor_at_zero"))
    ann = game.join("Ann")
    assert game.send(hint(ann, "c1"))["cost"] == 0
    game.send(answer(ann, "c2", "lighthouse"))
    ack = game.send(hint(ann, "c1"))
    assert (ack["cost"], ack["score"]) == (40, 0)
    assert [entry["points"] for entry in game.ledger(ann)] == [0, 40, -40]
    assert game.send(answer(ann, "c1", "lighthouse"))["score"] == 100


def test_deduct_from_reward_charges_nothing_until_the_clue_is_found() -> None:
    game = Game(hunt(*HINTED, hint_policy="deduct_from_reward"))
    ann = game.join("Ann")
    ack = game.send(hint(ann, "c1"))
    assert (ack["cost"], ack["deferred"], ack["score"]) == (0, 30, 0)
    found = game.send(answer(ann, "c1", "lighthouse"))
    assert (found["points"], found["hints_cost"], found["score"]) == (70, 30, 70)
    assert game.ledger(ann)[-1]["hints_cost"] == 30


def test_deduct_from_reward_never_takes_a_reward_below_zero() -> None:
    game = Game(hunt(*HINTED, hint_policy="deduct_from_reward"))
    ann = game.join("Ann")
    game.send(hint(ann, "c1"))
    game.send(hint(ann, "c1"))  # 120 of hints on a clue worth 100
    found = game.send(answer(ann, "c1", "lighthouse"))
    assert (found["points"], found["hints_cost"], found["score"]) == (0, 100, 0)


def test_hint_policies_replay_to_the_same_state() -> None:
    for policy in ("floor_at_zero", "deduct_from_reward"):
        game = Game(hunt(*HINTED, clue("c2", points=10), hint_policy=policy))
        ann = game.join("Ann")
        game.send(answer(ann, "c2", "lighthouse"))
        game.send(hint(ann, "c1"))
        game.send(answer(ann, "c1", "lighthouse"))
        assert replay([stored(r) for r in game.log]).to_dict() == game.state.to_dict()


def test_an_unknown_hint_policy_is_refused() -> None:
    with pytest.raises(DefinitionError, match="hint_policy: must be one of"):
        parse_definition(hunt(hint_policy="free"))


def test_optional_fields_appear_in_the_document_only_when_given() -> None:
    plain = parse_definition(hunt())
    assert "hint_policy" not in plain.document and "allow_typed_position" not in plain.document
    assert (plain.hint_policy, plain.allow_typed_position) == ("allow_negative", False)
    given = parse_definition(hunt(hint_policy="floor_at_zero", allow_typed_position=True))
    assert given.document["hint_policy"] == "floor_at_zero" and given.document["allow_typed_position"] is True
    assert given.public()["allow_typed_position"] is True
    with pytest.raises(DefinitionError, match="allow_typed_position: must be true or false"):
        parse_definition(hunt(allow_typed_position=1))
