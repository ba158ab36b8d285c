"""Finding clues: answers, check-ins and codes; order and prerequisites; scoring; hints; rate limits."""

from __future__ import annotations

from typing import Any

import pytest

from hunt.domain import AttemptRepeated, haversine_m
from tests.support.domain import CRANE, Game, answer, checkin, clue, code, example, hint, hunt, north_of

# -- answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["  CAFÉ  noir", "cafe noir", "Café Noir", "CAFE\tNOIR ", "Cafe\u0301 noir",
                                  "Café noir!", "cafe noir.", "“Café, noir”"])
def test_an_answer_matches_whatever_its_case_whitespace_and_accents(text: str) -> None:
    game = Game(hunt(clue("c1", answers=["café noir"])))
    ann = game.join("Ann")
    assert game.send(answer(ann, "c1", text)) == {
        "result": "correct", "clue": "c1", "points": 100, "bonus": 0, "score": 100}
    assert game.state.side_of(ann).found["c1"]["by"] == ann


def test_any_of_several_answers_is_accepted() -> None:
    game = Game(hunt(clue("c1", answers=["lighthouse", "beacon"])))
    ann, bob = game.join("Ann"), game.join("Bob")
    assert game.send(answer(ann, "c1", "Lighthouse"))["result"] == "correct"
    assert game.send(answer(bob, "c1", "BEACON"))["result"] == "correct"


@pytest.mark.parametrize("text", ["cafe", "cafenoir", "caffe noir", "cafe noir+", "noir cafe"])
def test_a_wrong_answer_scores_nothing_and_is_counted(text: str) -> None:
    game = Game(hunt(clue("c1", answers=["café noir"])))
    ann = game.join("Ann")
    assert game.send(answer(ann, "c1", text)) == {"result": "wrong", "clue": "c1"}
    assert game.score(ann) == 0 and game.ledger(ann) == []
    assert game.state.players[ann].wrong == {"c1": 1}
    stats = game.state.clue_stats["c1"]
    assert (stats.attempts, stats.wrong, stats.finders) == (1, 1, 0)


def test_answering_a_found_clue_again_is_recorded_as_already_found() -> None:
    game = Game()
    ann = game.join("Ann")
    game.send(answer(ann, "c1", "lighthouse"))
    for text in ("lighthouse", "something else"):
        assert game.send(answer(ann, "c1", text)) == {"result": "already_found", "clue": "c1"}
        assert isinstance(game.log[-1].event, AttemptRepeated)
    assert game.score(ann) == 120
    assert game.state.counts["attempt_repeated"] == 2
    stats = game.state.clue_stats["c1"]
    assert (stats.attempts, stats.wrong, stats.finders) == (1, 0, 1)


# -- check-ins --------------------------------------------------------------------------------


@pytest.mark.parametrize("metres", [0, 20, 29.5])
def test_a_checkin_within_the_radius_finds_a_geo_clue(metres: float) -> None:
    game = Game()
    ann = game.join("Ann")
    assert game.send(checkin(ann, "c2", *north_of(CRANE, metres))) == {
        "result": "checked_in", "clue": "c2", "points": 50, "bonus": 0, "score": 50}


@pytest.mark.parametrize(("metres", "band"), [(30.5, "close"), (99, "close"), (100, "100-500m"),
                                             (499, "100-500m"), (500, "500m-1km"), (2000, "over-1km")])
def test_a_checkin_outside_the_radius_is_too_far_and_says_only_roughly_how_far(metres: float, band: str) -> None:
    game = Game()
    ann = game.join("Ann")
    where = north_of(CRANE, metres)
    ack = game.send(checkin(ann, "c2", *where))
    assert ack == {"result": "too_far", "clue": "c2", "distance": band}
    # The exact distance stays in the log, for admins.
    assert game.log[-1].event.distance_m == pytest.approx(round(haversine_m(*where, *CRANE), 1))
    assert game.score(ann) == 0
    assert game.state.players[ann].wrong == {"c2": 1}


def test_checking_in_at_a_found_clue_again_is_already_found() -> None:
    game = Game()
    ann = game.join("Ann")
    game.send(checkin(ann, "c2", *CRANE))
    assert game.send(checkin(ann, "c2", *CRANE)) == {"result": "already_found", "clue": "c2"}
    assert game.score(ann) == 50


# -- codes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["X7K2", "x7k2", " x7k-2 ", "X 7 K 2"])
def test_a_code_matches_whatever_its_case_spaces_and_dashes(text: str) -> None:
    game = Game(hunt(clue("k", "code", points=30)))
    ann = game.join("Ann")
    assert game.send(code(ann, "k", text)) == {"result": "correct", "clue": "k", "points": 30, "bonus": 0, "score": 30}
    assert game.send(code(ann, "k", text)) == {"result": "already_found", "clue": "k"}


@pytest.mark.parametrize("text", ["X7K3", "X7K", "X7K22"])
def test_a_wrong_code_is_wrong(text: str) -> None:
    game = Game(hunt(clue("k", "code")))
    ann = game.join("Ann")
    assert game.send(code(ann, "k", text)) == {"result": "wrong", "clue": "k"}


# -- which clue and which op ------------------------------------------------------------------

ALL_KINDS = hunt(clue("a"), clue("g", "geo"), clue("k", "code"))


@pytest.mark.parametrize("clue_id", ["nope", "C1", 7, None], ids=repr)
@pytest.mark.parametrize("make", [
    lambda p, c: answer(p, c, "lighthouse"), lambda p, c: checkin(p, c, *CRANE),
    lambda p, c: code(p, c, "X7K2"), hint,
], ids=["answer", "checkin", "code", "hint"])
def test_an_unknown_clue_is_refused(make: Any, clue_id: Any) -> None:
    game = Game()
    ann = game.join("Ann")
    assert game.reject(make(ann, clue_id)).code == "unknown_clue"


@pytest.mark.parametrize(("clue_id", "make"), [
    ("g", lambda p, c: answer(p, c, "lighthouse")),
    ("k", lambda p, c: answer(p, c, "X7K2")),
    ("a", lambda p, c: checkin(p, c, *CRANE)),
    ("k", lambda p, c: checkin(p, c, *CRANE)),
    ("a", lambda p, c: code(p, c, "lighthouse")),
    ("g", lambda p, c: code(p, c, "X7K2")),
])
def test_each_kind_of_clue_has_its_own_op(clue_id: str, make: Any) -> None:
    game = Game(ALL_KINDS)
    ann = game.join("Ann")
    assert game.reject(make(ann, clue_id)).code == "wrong_kind"


# -- order and prerequisites ------------------------------------------------------------------


def test_a_clue_with_prerequisites_is_locked_until_they_are_found() -> None:
    game = Game()
    ann = game.join("Ann")
    for command in (code(ann, "c3", "X7K2"), hint(ann, "c3")):
        refusal = game.reject(command)
        assert refusal.code == "locked" and "Old light" in refusal.message
    game.send(answer(ann, "c1", "lighthouse"))
    assert game.send(code(ann, "c3", "X7K2"))["result"] == "correct"


def test_prerequisites_are_per_player_in_a_solo_hunt() -> None:
    game = Game()
    ann, bob = game.join("Ann"), game.join("Bob")
    game.send(answer(ann, "c1", "lighthouse"))
    assert game.reject(code(bob, "c3", "X7K2")).code == "locked"


def test_in_sequential_order_each_clue_waits_for_every_clue_before_it() -> None:
    game = Game(hunt(clue("a1"), clue("a2", answers=["two"]), clue("a3", answers=["three"]), order="sequential"))
    ann = game.join("Ann")
    refusal = game.reject(answer(ann, "a3", "three"))
    assert refusal.code == "locked" and "“Clue a1”, “Clue a2”" in refusal.message
    assert game.reject(answer(ann, "a2", "two")).code == "locked"
    assert game.reject(hint(ann, "a2")).code == "locked"
    for clue_id, text in (("a1", "lighthouse"), ("a2", "two"), ("a3", "three")):
        assert game.send(answer(ann, clue_id, text))["result"] == "correct"


def test_in_free_order_any_clue_without_prerequisites_comes_first() -> None:
    game = Game(ALL_KINDS)
    ann = game.join("Ann")
    assert game.send(code(ann, "k", "X7K2"))["result"] == "correct"
    assert game.send(checkin(ann, "g", *CRANE))["result"] == "checked_in"
    assert game.send(answer(ann, "a", "lighthouse"))["result"] == "correct"


# -- dynamic scoring --------------------------------------------------------------------------


def test_points_decay_per_earlier_finder_down_to_the_minimum_and_only_the_first_gets_the_bonus() -> None:
    game = Game()  # c1: 100 points, -10 per earlier finder down to 50, +20 for the first
    players = [game.join(f"P{i}") for i in range(7)]
    acks = [game.send(answer(p, "c1", "lighthouse")) for p in players]
    assert [a["points"] for a in acks] == [120, 90, 80, 70, 60, 50, 50]
    assert [a["bonus"] for a in acks] == [20, 0, 0, 0, 0, 0, 0]
    # Points are recorded when awarded: later finders never change an earlier score.
    assert [game.score(p) for p in players] == [120, 90, 80, 70, 60, 50, 50]


def test_without_decay_every_finder_gets_the_full_points() -> None:
    game = Game(hunt(clue("c1", points=40, first_bonus=5)))
    players = [game.join(f"P{i}") for i in range(3)]
    assert [game.send(answer(p, "c1", "lighthouse"))["points"] for p in players] == [45, 40, 40]


def test_wrong_attempts_do_not_make_a_finder() -> None:
    game = Game()
    ann, bob = game.join("Ann"), game.join("Bob")
    game.send(answer(bob, "c1", "candle"))
    assert game.send(answer(ann, "c1", "lighthouse"))["bonus"] == 20


# -- hints ------------------------------------------------------------------------------------

TWO_HINTS = hunt(clue("c1", points=100, hints=[{"text": "First", "cost": 10}, {"text": "Second", "cost": 25}]))


def test_hints_come_in_order_cost_points_and_may_take_the_score_below_zero() -> None:
    game = Game(TWO_HINTS)
    ann = game.join("Ann")
    assert game.send(hint(ann, "c1")) == {
        "result": "hint", "clue": "c1", "index": 0, "text": "First", "cost": 10, "score": -10}
    assert game.send(hint(ann, "c1")) == {
        "result": "hint", "clue": "c1", "index": 1, "text": "Second", "cost": 25, "score": -35}
    assert game.reject(hint(ann, "c1")).code == "no_more_hints"
    assert game.send(answer(ann, "c1", "lighthouse"))["score"] == 65
    assert [entry["points"] for entry in game.ledger(ann)] == [-10, -25, 100]
    assert game.state.side_of(ann).hints == {"c1": 2}


def test_a_clue_without_hints_has_no_more_hints() -> None:
    game = Game()
    ann = game.join("Ann")
    assert game.reject(hint(ann, "c2")).code == "no_more_hints"


def test_a_hint_for_a_found_clue_is_refused() -> None:
    game = Game()
    ann = game.join("Ann")
    game.send(answer(ann, "c1", "lighthouse"))
    assert game.reject(hint(ann, "c1")).code == "already_found"


def test_hints_are_per_player_in_a_solo_hunt() -> None:
    game = Game(TWO_HINTS)
    ann, bob = game.join("Ann"), game.join("Bob")
    game.send(hint(ann, "c1"))
    assert game.send(hint(bob, "c1"))["index"] == 0


# -- rate limit of wrong attempts -------------------------------------------------------------

LIMITED = hunt(clue("c1"), clue("c2"), clue("g", "geo"), attempts={"max": 3, "window_s": 60})


def test_wrong_attempts_beyond_the_limit_wait_until_the_window_slides() -> None:
    game = Game(LIMITED)
    ann = game.join("Ann")
    t = game.now
    for second in (1, 2, 3):
        assert game.send(answer(ann, "c1", "candle"), at=t + second * 1000)["result"] == "wrong"
    # Even the right answer waits: otherwise the limit would not stop guessing.
    refusal = game.reject(answer(ann, "c1", "lighthouse"), at=t + 4000)
    assert (refusal.code, refusal.retry_after_ms) == ("rate_limited", 57_000)
    assert game.reject(answer(ann, "c1", "lighthouse"), at=t + 60_999).retry_after_ms == 1
    # 60 s after the first wrong attempt one slot is free again, and only one.
    assert game.send(answer(ann, "c1", "candle"), at=t + 61_000)["result"] == "wrong"
    assert game.reject(answer(ann, "c1", "lighthouse"), at=t + 61_001).retry_after_ms == 999
    assert game.send(answer(ann, "c1", "lighthouse"), at=t + 62_000)["result"] == "correct"


def test_refused_attempts_do_not_extend_the_window() -> None:
    game = Game(LIMITED)
    ann = game.join("Ann")
    t = game.now
    for ms in (1000, 1001, 1002):
        game.send(answer(ann, "c1", "candle"), at=t + ms)
    for ms in range(2000, 60_000, 5000):
        assert game.reject(answer(ann, "c1", "candle"), at=t + ms).code == "rate_limited"
    assert game.send(answer(ann, "c1", "lighthouse"), at=t + 61_000)["result"] == "correct"


def test_the_limit_is_per_player_and_per_clue() -> None:
    game = Game(LIMITED)
    ann, bob = game.join("Ann"), game.join("Bob")
    for _ in range(3):
        game.send(answer(ann, "c1", "candle"))
    assert game.reject(answer(ann, "c1", "candle")).code == "rate_limited"
    assert game.send(answer(ann, "c2", "lighthouse"))["result"] == "correct"
    assert game.send(answer(bob, "c1", "lighthouse"))["result"] == "correct"


def test_too_far_checkins_count_as_wrong_attempts() -> None:
    game = Game(LIMITED)
    ann = game.join("Ann")
    far = north_of(CRANE, 100)
    for _ in range(3):
        assert game.send(checkin(ann, "g", *far))["result"] == "too_far"
    assert game.reject(checkin(ann, "g", *CRANE)).code == "rate_limited"


def test_hints_are_not_rate_limited() -> None:
    game = Game(hunt(clue("c1", hints=[{"text": "t", "cost": 1}]), attempts={"max": 1, "window_s": 60}))
    ann = game.join("Ann")
    game.send(answer(ann, "c1", "candle"))
    assert game.send(hint(ann, "c1"))["result"] == "hint"


def test_a_found_clue_answers_already_found_even_to_a_limited_player() -> None:
    document = example() | {"mode": "teams", "attempts": {"max": 1, "window_s": 60}}
    game = Game(document)
    ann, bob = game.join("Ann", "Gulls"), game.join("Bob", "Gulls")
    game.send(answer(ann, "c1", "candle"))
    assert game.reject(answer(ann, "c1", "lighthouse")).code == "rate_limited"
    game.send(answer(bob, "c1", "lighthouse"))
    assert game.send(answer(ann, "c1", "candle"))["result"] == "already_found"
