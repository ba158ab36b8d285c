"""Editing a running hunt: each edit is an event, replays to the same definition, and re-scores
only what the organiser chose (corrections and credits are events of their own)."""

from __future__ import annotations

from typing import Any

import pytest

from hunt.domain import (
    AddClue,
    AdjustScore,
    ChangeTimes,
    ClueFound,
    CreditClue,
    EditClue,
    HuntState,
    Recorded,
    ReopenHunt,
    RetireClue,
    UnbanPlayer,
    UnlockClue,
    check,
    plan_edit,
    plan_retire,
    replay,
)
from tests.support.domain import T0, Game, answer, ban, clue, code, end, hint, hunt, stored


def verified(log: list[Recorded]) -> HuntState:
    """Replay ``log`` asking the import check about each event first (as an import and `hunt verify` do)."""
    state = replay(log[:1])
    for recorded in log[1:]:
        check(state, recorded)
        state.apply(recorded)
    return state


def same_as_replay(game: Game) -> None:
    assert replay([stored(r) for r in game.log]).to_dict() == game.state.to_dict()
    assert HuntState.from_dict(game.state.to_dict()).to_dict() == game.state.to_dict()
    assert verified([stored(r) for r in game.log]).to_dict() == game.state.to_dict()


def audit_sums(game: Game) -> None:
    for side in game.state.sides.values():
        assert side.score == sum(entry["points"] for entry in side.ledger), side.id


def apply_plan(game: Game, plan: Any, cmd: str, credit: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """What the admin API submits for a plan: the edit, then its corrections and credits, version-guarded."""
    event = plan.event
    if type(event).__name__ == "ClueEdited":
        changes = {k: v for k, v in event.document.items() if k not in ("id", "kind")}
        first: Any = EditClue(cmd, event.clue, changes, plan.version, plan.finders if plan.corrections else None)
    else:
        first = RetireClue(cmd, event.clue, plan.version, plan.finders if plan.corrections else None)
    acks = [game.send(first)]
    for fix in plan.corrections:
        acks.append(game.send(AdjustScore(f"{cmd}:fix:{fix.side}", fix.player, fix.delta, fix.reason,
                                          version=plan.version + 1)))
    for chosen in plan.credits:
        if chosen.player in credit:
            acks.append(game.send(CreditClue(f"{cmd}:credit:{chosen.player}", chosen.player, event.clue,
                                             plan.version + 1)))
    return acks


def test_an_edited_prompt_and_points_replay_to_the_same_definition_and_time_travel_shows_the_old() -> None:
    game = Game()
    ann, bob = game.join("Ann"), game.join("Bob")
    game.send(answer(ann, "c1", "lighthouse"))  # 100 + 20 first bonus
    before = game.state.seq
    ack = game.send(EditClue("e1", "c1", {"prompt": "What blinks at the pier?", "points": 200}))
    assert ack == {"result": "ok", "clue": "c1", "change": "clue_edited"}
    edited = game.state.definition.clue_index["c1"]
    assert (edited.prompt, edited.points, game.state.version) == ("What blinks at the pier?", 200, 1)
    assert game.score(ann) == 120  # kept: points already awarded stay in the ledger
    game.send(answer(bob, "c1", "lighthouse"))
    assert game.score(bob) == 190  # the new points, decayed once
    old = replay(game.log[:before])
    assert (old.definition.clue_index["c1"].points, old.version) == (100, 0)
    same_as_replay(game)
    audit_sums(game)


def test_a_points_change_with_corrections_gives_each_finder_the_difference_as_its_own_event() -> None:
    game = Game()
    ann, bob = game.join("Ann"), game.join("Bob")
    game.send(answer(ann, "c1", "lighthouse"))  # 120
    game.send(answer(bob, "c1", "lighthouse"))  # 90
    plan = plan_edit(game.state, "c1", {"points": 150}, "correct", [])
    assert [(c.player, c.got, c.delta) for c in plan.corrections] == [(ann, 120, 50), (bob, 90, 50)]
    assert plan_edit(game.state, "c1", {"points": 150}, "keep", []).corrections == []
    acks = apply_plan(game, plan, "e1")
    assert [a["result"] for a in acks] == ["ok", "ok", "ok"]
    assert (game.score(ann), game.score(bob)) == (170, 140)
    assert game.ledger(ann)[-1]["type"] == "score_adjusted" and "edited" in game.ledger(ann)[-1]["reason"]
    same_as_replay(game)
    audit_sums(game)


def test_corrections_land_only_behind_their_edit() -> None:
    game = Game()
    ann = game.join("Ann")
    game.send(answer(ann, "c1", "lighthouse"))
    plan = plan_edit(game.state, "c1", {"points": 150}, "correct", [])
    late = AdjustScore("fix", ann, 50, "late", version=plan.version + 1)
    assert game.reject(late).code == "invalid_state"  # the edit has not landed: nor may its correction
    bob = game.join("Bob")
    game.send(answer(bob, "c1", "lighthouse"))  # found since the preview
    stale = EditClue("e1", "c1", {"points": 150}, plan.version, plan.finders)
    assert "found since the preview" in str(game.reject(stale))
    game.send(EditClue("e2", "c1", {"prompt": "Changed"}))
    assert "edited since" in str(game.reject(EditClue("e3", "c1", {"points": 1}, plan.version)))


def test_an_answer_fix_lists_who_it_would_have_accepted_and_credits_only_whom_the_organiser_picks() -> None:
    game = Game()
    ann, bob, cat, dan = (game.join(n) for n in ("Ann", "Bob", "Cat", "Dan"))
    game.send(answer(ann, "c1", "light house"))  # wrong now
    game.send(answer(bob, "c1", "Light House!"))  # wrong now
    game.send(answer(bob, "c1", "light house"))  # a second one: Bob is listed once
    game.send(answer(cat, "c1", "beacon"))  # wrong before and after
    game.send(answer(dan, "c1", "lighthouse"))  # found: 120
    attempts = [r for r in game.log if r.event.TYPE == "attempt_failed"]
    plan = plan_edit(game.state, "c1", {"answers": ["lighthouse", "light house"]}, "keep", attempts)
    assert [(c.player, c.text, c.points) for c in plan.credits] == [(ann, "light house", 90),
                                                                      (bob, "Light House!", 80)]
    assert plan.corrections == []
    acks = apply_plan(game, plan, "fix1", credit=(ann,))
    assert acks[-1]["result"] == "credited" and acks[-1]["points"] == 90
    assert (game.score(ann), game.score(bob), game.score(cat)) == (90, 0, 0)
    assert game.ledger(ann)[-1]["credited"] is True
    assert "c1" in game.state.sides[ann].found
    assert game.reject(CreditClue("again", ann, "c1")).code == "already_found"
    assert game.send(answer(bob, "c1", "light house"))["result"] == "correct"  # the fix holds for everybody now
    same_as_replay(game)
    audit_sums(game)


def test_a_withdrawn_clue_cannot_be_found_holds_nothing_back_and_keeps_points_unless_removed() -> None:
    game = Game()
    ann, bob = game.join("Ann"), game.join("Bob")
    game.send(answer(ann, "c1", "lighthouse"))  # 120
    assert game.reject(code(bob, "c3", "X7K2")).code == "locked"  # c3 opens after c1
    assert [c.delta for c in plan_retire(game.state, "c1", "keep").corrections] == []
    plan = plan_retire(game.state, "c1", "remove")
    assert [(c.player, c.delta) for c in plan.corrections] == [(ann, -120)]
    apply_plan(game, plan, "r1")
    assert game.score(ann) == 0 and game.state.definition.clue_index["c1"].retired
    refusal = game.reject(answer(bob, "c1", "lighthouse"))
    assert refusal.code == "unknown_clue" and "withdrawn" in str(refusal)
    assert game.send(code(bob, "c3", "X7K2"))["result"] == "correct"  # nothing waits for a withdrawn clue
    assert game.reject(RetireClue("r2", "c1")).code == "invalid_state"
    assert game.reject(EditClue("e1", "c1", {"points": 5})).code == "invalid_state"
    same_as_replay(game)
    audit_sums(game)


def test_a_clue_added_during_the_hunt_is_playable_at_once() -> None:
    game = Game()
    ann = game.join("Ann")
    game.send(AddClue("a1", clue("c4", points=40, answers=["anchor"])))
    assert game.send(answer(ann, "c4", "Anchor"))["points"] == 40
    assert game.reject(AddClue("a2", clue("c4"))).code == "invalid_state"
    assert game.reject(AddClue("a3", {**clue("c5"), "retired": True})).code == "bad_request"
    same_as_replay(game)


def test_a_clue_unlocked_for_one_player_opens_for_them_only() -> None:
    game = Game()
    ann, bob = game.join("Ann"), game.join("Bob")
    assert game.send(UnlockClue("u1", "c3", player=ann)) == {"result": "ok", "clue": "c3", "side": ann}
    assert game.send(code(ann, "c3", "X7K2"))["result"] == "correct"
    assert game.reject(code(bob, "c3", "X7K2")).code == "locked"
    assert game.reject(UnlockClue("u2", "c3", player=ann)).code == "invalid_state"  # found already
    assert game.reject(UnlockClue("u3", "c1", player=bob)).code == "invalid_state"  # open already
    assert game.reject(UnlockClue("u4", "c3", team="Gulls")).code == "bad_request"  # a solo hunt
    assert game.reject(UnlockClue("u5", "c3")).code == "bad_request"
    same_as_replay(game)


def test_a_clue_unlocked_for_a_team_opens_for_every_member() -> None:
    game = Game(hunt(clue("c1"), clue("c2", "code", after=["c1"]), mode="teams"))
    ann, bob = game.join("Ann", "Gulls"), game.join("Bob", "Gulls")
    game.send(UnlockClue("u1", "c2", team="gulls"))
    assert game.send(code(bob, "c2", "x7k2"))["result"] == "correct"
    assert game.score(ann) == 100
    same_as_replay(game)


def test_the_end_moves_an_ended_hunt_reopens_and_a_ban_is_lifted() -> None:
    game = Game(hunt(clue("c1"), ends_at=T0 + 60_000))
    ann = game.join("Ann")
    game.send(ban(ann))
    assert not any(row["player"] == ann for row in game.state.top(10))
    game.send(UnbanPlayer("ub1", ann, "appeal granted"))
    assert any(row["player"] == ann for row in game.state.top(10))
    assert game.reject(UnbanPlayer("ub2", ann)).code == "invalid_state"
    assert game.state.status_at(T0 + 61_000) == "ended"
    assert game.reject(ReopenHunt("ro1"), at=T0 + 61_000).code == "invalid_state"  # the schedule ended it
    game.send(ChangeTimes("s1", {"ends_at": T0 + 3_600_000}))
    assert game.state.status_at(T0 + 61_000) == "active"
    game.send(end())
    assert game.send(ReopenHunt("ro2")) == {"result": "ok", "status": "active"}
    assert game.send(answer(ann, "c1", "lighthouse"))["result"] == "correct"
    assert game.reject(ReopenHunt("ro3")).code == "invalid_state"
    same_as_replay(game)


def test_a_schedule_change_refuses_a_moved_start_once_begun_and_an_end_in_the_past() -> None:
    game = Game(active=False)
    game.send(ChangeTimes("s1", {"starts_at": T0 + 10_000, "ends_at": "2026-05-29T00:00:00Z"}))
    assert (game.state.definition.starts_at, game.state.definition.ends_at) == (T0 + 10_000, 1_780_012_800_000)
    for changes, code_ in [({"starts_at": T0 + 20_000}, "invalid_state"), ({"ends_at": T0}, "invalid_state"),
                           ({"ends_at": "tomorrow"}, "bad_request"), ({}, "bad_request"),
                           ({"ends_at": 1_780_012_800_000}, "invalid_state"), ({"begins": 1}, "bad_request")]:
        assert game.reject(ChangeTimes("s2", changes), at=T0 + 11_000).code == code_, changes
    same_as_replay(game)


@pytest.mark.parametrize(("command", "code_", "says"), [
    (EditClue("x", "c9", {"points": 1}), "unknown_clue", "no clue"),
    (EditClue("x", "c1", {}), "bad_request", "non-empty"),
    (EditClue("x", "c1", {"kind": "code"}), "bad_request", "changes.kind"),
    (EditClue("x", "c1", {"id": "c7"}), "bad_request", "changes.id"),
    (EditClue("x", "c1", {"points": 100}), "bad_request", "changes nothing"),
    (EditClue("x", "c1", {"points": -5}), "bad_request", "points"),
    (EditClue("x", "c1", {"points": 10}), "bad_request", "decay.min"),
    (EditClue("x", "c1", {"patterns": ["(unclosed"]}), "bad_request", "patterns"),
    (EditClue("x", "c1", {"answers": None}), "bad_request", "answers"),
    (EditClue("x", "c1", {"after": ["c3"]}), "bad_request", "cycle"),
    (EditClue("x", "c1", {"hints": []}), "bad_request", "taken already"),
    (EditClue("x", "c1", ["points"]), "bad_request", "non-empty object"),  # type: ignore[arg-type]
    (AddClue("x", {"id": "c9", "title": "No kind"}), "bad_request", "kind"),
    (AddClue("x", "c9"), "bad_request", "object"),  # type: ignore[arg-type]
    (CreditClue("x", "p9", "c1"), "unknown_player", "no player"),
    (UnlockClue("x", "c1", team="A", player="p1"), "bad_request", "exactly one"),
])
def test_bad_edits_are_clear_errors_and_change_nothing(command: Any, code_: str, says: str) -> None:
    game = Game()
    ann = game.join("Ann")
    game.send(hint(ann, "c1"))
    refusal = game.reject(command)
    assert refusal.code == code_ and says in str(refusal), str(refusal)


def test_the_last_clue_cannot_be_withdrawn() -> None:
    game = Game(hunt(clue("c1")))
    assert game.reject(RetireClue("r1", "c1")).code == "invalid_state"


def test_the_import_check_refuses_an_edit_no_command_could_make() -> None:
    game = Game()
    game.send(EditClue("e1", "c1", {"points": 150}))
    forged = game.log[-1]
    doc = {**forged.event.document, "kind": "code"}  # type: ignore[union-attr]
    state = replay(game.log[:-1])
    with pytest.raises(ValueError, match="id or kind"):
        check(state, Recorded(forged.seq, forged.ts, type(forged.event)("c1", doc), "e1", "admin"))
    with pytest.raises(ValueError, match="admin"):
        check(state, Recorded(forged.seq, forged.ts, forged.event, "e1", "p1"))
    credit = ClueFound("p1", "c1", "credit", 5, 0, 5)
    with pytest.raises(ValueError):
        check(state, Recorded(forged.seq, forged.ts, credit, "c", "admin"))
