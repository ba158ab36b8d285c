"""Kinder answer checking: alternatives, regular expressions (linear time, bounded), and
"keep going" replies for partial answers that do not count as wrong."""

from __future__ import annotations

import time

import pytest

from hunt.domain import AttemptPartial, DefinitionError, check, parse_definition, replay
from tests.support.domain import Game, answer, clue, hunt, stored

KEEP_GOING = [{"answers": ["light"], "reply": "Keep going: light what?"},
              {"patterns": ["(old|red) tower"], "reply": "Close: what kind of tower?"}]


def matching_hunt(**fields: object) -> dict:
    return hunt(clue("c1", **{"answers": ["lighthouse"], **fields}), attempts={"max": 2, "window_s": 60})


@pytest.mark.parametrize("text", ["lighthouse", "Light-house!", "the lighthouse", "a light house", "beacon 7"])
def test_patterns_accept_what_they_describe(text: str) -> None:
    game = Game(matching_hunt(patterns=["(the |a )?light ?house", r"beacon \d+"]))
    ann = game.join("Ann")
    assert game.send(answer(ann, "c1", text))["result"] == "correct"


@pytest.mark.parametrize("text", ["lighthouses", "the lighthouse keeper", "beacon", "xlighthouse"])
def test_a_pattern_must_match_the_whole_answer(text: str) -> None:
    game = Game(matching_hunt(patterns=["(the |a )?light ?house", r"beacon \d+"]))
    ann = game.join("Ann")
    assert game.send(answer(ann, "c1", text))["result"] == "wrong"


def test_a_clue_may_have_patterns_and_no_plain_answers() -> None:
    definition = parse_definition(hunt({"id": "c1", "title": "T", "kind": "answer", "patterns": ["bronze?"]}))
    assert definition.clue("c1").answers == frozenset()


def test_partial_answers_say_keep_going_and_do_not_count_as_wrong() -> None:
    game = Game(matching_hunt(partial=KEEP_GOING))
    ann = game.join("Ann")
    for _ in range(4):  # more than attempts.max: no lockout
        assert game.send(answer(ann, "c1", "Light!")) == {"result": "keep_going", "clue": "c1",
                                                           "reply": "Keep going: light what?"}
    assert game.send(answer(ann, "c1", "Old tower?"))["reply"] == "Close: what kind of tower?"
    assert isinstance(game.log[-1].event, AttemptPartial) and game.log[-1].event.index == 1
    assert game.state.players[ann].wrong == {}
    assert game.state.clue_stats["c1"].wrong == 0 and game.state.clue_stats["c1"].attempts == 5
    assert game.send(answer(ann, "c1", "lighthouse"))["result"] == "correct"
    assert replay([stored(r) for r in game.log]).to_dict() == game.state.to_dict()


def test_a_partial_answer_in_an_imported_log_is_checked() -> None:
    game = Game(matching_hunt(partial=KEEP_GOING))
    ann = game.join("Ann")
    game.send(answer(ann, "c1", "light"))
    recorded = game.log.pop()
    state = replay(game.log)
    check(state, recorded)
    forged = type(recorded)(recorded.seq, recorded.ts, AttemptPartial(ann, "c1", "answer", 7), recorded.cmd, ann)
    with pytest.raises(ValueError, match="no partial answer 7"):
        check(state, forged)


def test_matching_stays_fast_on_hostile_text() -> None:
    # (a+)+b backtracks exponentially in a backtracking engine; RE2 does not.
    game = Game(matching_hunt(patterns=["(a+)+b", "(a|aa)*c"], partial=[{"patterns": ["(a*)*d"], "reply": "no"}]))
    ann = game.join("Ann")
    started = time.perf_counter()
    assert game.send(answer(ann, "c1", "a" * 500))["result"] == "wrong"
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(("fields", "message"), [
    ({"patterns": "light"}, "patterns: must be a list"),
    ({"patterns": ["x"] * 21}, "patterns: must be a list of at most 20"),
    ({"patterns": ["a" * 201]}, r"patterns\[0\]: must be a regular expression of 1-200"),
    ({"patterns": ["(unclosed"]}, r"patterns\[0\]: not a valid regular expression"),
    ({"patterns": [r"(a)\1"]}, r"patterns\[0\]: not a valid regular expression"),  # backreferences: not RE2
    ({"partial": [{"answers": ["x"]}]}, r"partial\[0\].reply: must be a non-empty string"),
    ({"partial": [{"reply": "hm"}]}, r"partial\[0\]: needs answers or patterns"),
    ({"partial": [{"answers": ["x"], "reply": "hm", "points": 3}]}, r"partial\[0\]: must be an object"),
    ({"partial": [{"answers": ["x"], "reply": "r" * 501}]}, r"partial\[0\].reply"),
])
def test_bad_patterns_and_partials_are_refused(fields: dict, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        parse_definition(matching_hunt(**fields))


def test_patterns_and_partials_are_for_answer_clues_only() -> None:
    for key in ("patterns", "partial"):
        with pytest.raises(DefinitionError, match=f"{key}: only allowed on answer clues"):
            parse_definition(hunt(clue("k", "code", **{key: []})))
    public = parse_definition(matching_hunt(patterns=["x+"], partial=KEEP_GOING)).clue("c1").public()
    assert "patterns" not in public and "partial" not in public and "x+" not in str(public)
