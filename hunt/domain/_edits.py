"""Editing a hunt while it runs: deciding the edit commands, and planning what an edit does to scores.

Re-scoring is explicit (docs/protocol.md, "Editing a running hunt"):

- Points already awarded stay in the ledger. An edit changes what *later* finds score; what a
  side got is changed only by a correction the organiser chose in the preview, recorded as its
  own ``score_adjusted`` event (a reason naming the clue, the version of the definition it
  belongs to) for the side's finder.
- Changed points (or decay, or first-finder bonus) with ``rescore: "correct"``: each side that
  found the clue gets the difference between what the clue awards a find at that place (its
  n-th find) after the edit and before it.
- A withdrawn clue with ``rescore: "remove"``: each side that found it gives back what it got.
- An answer fix that would have accepted earlier wrong attempts: the preview lists the sides
  (first such attempt of each); those the organiser picks are credited, each a ``clue_found``
  event with method ``credit``, scored as a find now (its place, decay, hint deductions).

:func:`plan_edit` and :func:`plan_retire` compute exactly the corrections and credits; the
preview shows them and applying submits them behind the edit, each guarded by the version of
the definition so none of them can land unless the edit did.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ._definition import CLUE_KEYS, Clue
from ._edit_messages import (
    AddClue,
    ChangeTimes,
    ClueAdded,
    ClueEdited,
    ClueRetired,
    ClueUnlocked,
    CreditClue,
    EditClue,
    HuntReopened,
    PlayerUnbanned,
    ReopenHunt,
    RetireClue,
    TimesChanged,
    UnbanPlayer,
    UnlockClue,
)
from ._errors import DefinitionError, Rejected
from ._messages import AttemptFailed, ClueFound, Event, Recorded
from ._notices import team_of
from ._revise import clue_document, revised
from ._state import HuntState, Player, Side
from ._text import normalize_answer, normalize_code
from ._timing import parse_time

__all__ = ["EDITABLE", "MAX_CREDITS", "Correction", "Credit", "Plan", "accepts_attempt", "check_version",
           "decide_edit_command", "edited_clue", "known_player", "plan_edit", "plan_retire", "reward"]

# What an edit may change in a clue: every field a definition may give it (release times, media
# and any field added later included), but its id, its kind and whether it is withdrawn.
EDITABLE = CLUE_KEYS - {"id", "kind", "retired"}
MAX_CREDITS = 1000  # sides credited by one answer fix (a preview lists at most this many)
_TITLE_IN_REASON = 80

_Edit = TypeVar("_Edit", ClueEdited, ClueAdded, ClueRetired)
EditCommand = EditClue | AddClue | RetireClue | UnlockClue | ChangeTimes | ReopenHunt | UnbanPlayer | CreditClue


def decide_edit_command(state: HuntState, command: EditCommand, now_ms: int) -> Event:
    """The one event of an edit command, or Rejected (nothing changes)."""
    match command:
        case EditClue():
            return _edit(state, command)
        case AddClue():
            return _add(state, command)
        case RetireClue():
            return _retire(state, command)
        case UnlockClue():
            return _unlock(state, command)
        case ChangeTimes():
            return _schedule(state, command, now_ms)
        case ReopenHunt():
            return _reopen(state, now_ms)
        case UnbanPlayer(player=player_id, reason=reason):
            player = known_player(state, player_id)
            if not player.banned:
                raise Rejected("invalid_state", f"player {player.id!r} is not banned")
            return PlayerUnbanned(player.id, reason)
        case CreditClue():
            return _credit(state, command)
    raise Rejected("unknown_op", f"unknown command {type(command).__name__}")


def check_version(state: HuntState, version: Any) -> None:
    """Refuse a command planned against another version of the definition."""
    if version is not None and version != state.version:
        raise Rejected("invalid_state", f"the hunt was edited since (version {state.version}, not {version}): "
                                        "preview again")


def reward(state: HuntState, side: Side, clue: Clue, earlier: int) -> tuple[int, int, int]:
    """(value, first-finder bonus, hint deduction) of a find of ``clue`` by ``side`` after
    ``earlier`` other finds; the find scores value - deduction."""
    value = clue.value(earlier)
    bonus = clue.first_bonus if earlier == 0 else 0
    hints_cost = 0
    if state.definition.hint_policy == "deduct_from_reward":
        # The hints the side took on this clue come off its reward, never below zero.
        hints_cost = min(value, sum(hint.cost for hint in clue.hints[:side.hints.get(clue.id, 0)]))
    return value, bonus, hints_cost


# -- the commands -------------------------------------------------------------------------------


def _edit(state: HuntState, command: EditClue) -> ClueEdited:
    check_version(state, command.version)
    clue = _live_clue(state, command.clue)
    changes = command.changes
    if not isinstance(changes, dict) or not changes:
        raise Rejected("bad_request", "changes must be a non-empty object of clue fields")
    refused = sorted(str(key) for key in changes if key not in EDITABLE)
    if refused:
        raise Rejected("bad_request", f"changes.{refused[0][:64]}: not a field an edit may change (it may change "
                                      f"{', '.join(sorted(EDITABLE))})")
    _same_finders(state, clue, command.finders)
    current = clue_document(state.definition, clue.id)
    document = {key: value for key, value in {**current, **changes}.items() if value is not None}
    if document == current:
        raise Rejected("bad_request", f"the edit changes nothing in “{clue.title}”")
    taken = max((side.hints.get(clue.id, 0) for side in state.sides.values()), default=0)
    hints = document.get("hints", [])
    if isinstance(hints, list) and len(hints) < taken:
        raise Rejected("bad_request", f"hints: {taken} of “{clue.title}”'s hints were taken already; keep at least "
                                      f"{taken}")
    return _checked(state, ClueEdited(clue.id, document))


def _add(state: HuntState, command: AddClue) -> ClueAdded:
    check_version(state, command.version)
    document = command.document
    if not isinstance(document, dict):
        raise Rejected("bad_request", "clue must be an object: a clue as in a definition")
    clue_id = document.get("id")
    if isinstance(clue_id, str) and clue_id in state.definition.clue_index:
        raise Rejected("invalid_state", f"the hunt has a clue {clue_id!r} already (withdrawn clues keep their id)")
    if "retired" in document:
        raise Rejected("bad_request", "clue.retired: a new clue cannot be withdrawn")
    return _checked(state, ClueAdded(str(clue_id), dict(document)))


def _retire(state: HuntState, command: RetireClue) -> ClueRetired:
    check_version(state, command.version)
    clue = _live_clue(state, command.clue)
    _same_finders(state, clue, command.finders)
    if all(other.retired or other.id == clue.id for other in state.definition.clues):
        raise Rejected("invalid_state", f"“{clue.title}” is the hunt's last clue: it cannot be withdrawn")
    return _checked(state, ClueRetired(clue.id))


def _unlock(state: HuntState, command: UnlockClue) -> ClueUnlocked:
    clue = _live_clue(state, command.clue)
    if (command.team is None) == (command.player is None):
        raise Rejected("bad_request", "a clue is unlocked for one team or one player: name exactly one")
    player_id = None
    if command.player is not None:
        player = known_player(state, command.player)
        side, player_id = state.sides[player.side], player.id
    else:
        side = state.sides[team_of(state, command.team)]
    if clue.id in side.found:
        raise Rejected("invalid_state", f"{side.name} found “{clue.title}” already")
    if not state.missing_for(side, clue):
        raise Rejected("invalid_state", f"“{clue.title}” is open to {side.name} already")
    return ClueUnlocked(player_id, clue.id, side.id)


def _schedule(state: HuntState, command: ChangeTimes, now_ms: int) -> TimesChanged:
    changes = command.changes
    if not isinstance(changes, dict) or not changes or not set(changes) <= {"starts_at", "ends_at"}:
        raise Rejected("bad_request", "a change of times sets starts_at, ends_at or both (each epoch ms or null)")
    definition = state.definition
    times = {"starts_at": definition.starts_at, "ends_at": definition.ends_at}
    for key, value in changes.items():
        try:
            times[key] = parse_time(value, key)
        except DefinitionError as err:
            raise Rejected("bad_request", str(err)) from None
    starts, ends = times["starts_at"], times["ends_at"]
    if (starts, ends) == (definition.starts_at, definition.ends_at):
        raise Rejected("invalid_state", "the schedule is that already")
    if starts != definition.starts_at and state.status_at(now_ms) != "pending":
        raise Rejected("invalid_state", "the hunt has begun: its start cannot move")
    if ends is not None and ends != definition.ends_at and ends <= now_ms:
        raise Rejected("invalid_state", "ends_at must be in the future (end the hunt to end it now)")
    if starts is not None and ends is not None and ends <= starts:
        raise Rejected("invalid_state", "ends_at must be after starts_at")
    return TimesChanged(starts, ends)


def _reopen(state: HuntState, now_ms: int) -> HuntReopened:
    if state.status_at(now_ms) != "ended":
        raise Rejected("invalid_state", "only an ended hunt can be reopened")
    ends_at = state.definition.ends_at
    if ends_at is not None and now_ms >= ends_at:
        raise Rejected("invalid_state", "the hunt reached its scheduled end (ends_at): move the end (POST .../times) "
                                        "first")
    return HuntReopened()


def _credit(state: HuntState, command: CreditClue) -> ClueFound:
    check_version(state, command.version)
    player = known_player(state, command.player)
    clue = _live_clue(state, command.clue)
    side = state.sides[player.side]
    if clue.id in side.found:
        raise Rejected("already_found", f"{side.name} found “{clue.title}” already")
    if (side.id, clue.id) in state.pending:
        raise Rejected("entry_pending", f"an entry of {side.name} for “{clue.title}” waits for a judge: judge it")
    earlier = state.clue_stats[clue.id].finders
    value, bonus, hints_cost = reward(state, side, clue, earlier)
    points = value - hints_cost
    return ClueFound(player.id, clue.id, "credit", points, bonus, side.score + points, earlier + 1, hints_cost)


def _checked(state: HuntState, event: _Edit) -> _Edit:
    """``event`` if the definition it makes is valid, else Rejected naming the field."""
    try:
        revised(state.definition, event)
    except DefinitionError as err:
        raise Rejected("bad_request", str(err)) from None
    return event


def _live_clue(state: HuntState, clue_id: Any) -> Clue:
    clue = state.definition.clue(clue_id) if isinstance(clue_id, str) else None
    if clue is None:
        raise Rejected("unknown_clue", f"no clue {str(clue_id)[:64]!r} in this hunt")
    if clue.retired:
        raise Rejected("invalid_state", f"“{clue.title}” was withdrawn")
    return clue


def known_player(state: HuntState, player_id: Any) -> Player:
    """The player ``player_id``, or Rejected("unknown_player")."""
    player = state.players.get(player_id) if isinstance(player_id, str) else None
    if player is None:
        raise Rejected("unknown_player", f"no player {player_id!r} in this hunt")
    return player


def _same_finders(state: HuntState, clue: Clue, finders: Any) -> None:
    if finders is not None and finders != state.clue_stats[clue.id].finders:
        raise Rejected("invalid_state", f"“{clue.title}” was found since the preview: preview again")


# -- planning: what the preview shows and applying submits ---------------------------------------


@dataclass(frozen=True, slots=True)
class Correction:
    side: str
    name: str
    player: str  # who found it for the side: the correction is recorded against them
    got: int  # what the find scored
    delta: int
    reason: str


@dataclass(frozen=True, slots=True)
class Credit:
    side: str
    name: str
    player: str  # who made the attempt: the credit is theirs
    seq: int  # the attempt's event
    text: str  # what they sent (admins only)
    points: int  # what the credit would score, credited in this order


@dataclass(frozen=True, slots=True)
class Plan:
    event: Any  # the edit's event (ClueEdited, ClueRetired)
    version: int  # the definition version it applies to
    finders: int  # sides that had found the clue
    corrections: list[Correction] = field(default_factory=list)
    credits: list[Credit] = field(default_factory=list)


def plan_edit(state: HuntState, clue_id: str, changes: Any, rescore: str,
              attempts: Iterable[Recorded]) -> Plan:
    """What an edit would do: its event, the corrections ``rescore`` ("keep" or "correct") asks
    for, and the sides whose earlier wrong ``attempts`` (the clue's attempt_failed events, in
    seq order) the edited clue would accept. Raises Rejected as the edit itself would."""
    event = _edit(state, EditClue("preview", clue_id, changes))
    old = state.definition.clue_index[clue_id]
    new = revised(state.definition, event).clue_index[clue_id]
    corrections = []
    if rescore == "correct":
        for place, side in enumerate(_finders(state, clue_id)):
            found = side.found[clue_id]
            delta = new.value(place) - old.value(place)
            if delta:
                reason = (f"“{new.title[:_TITLE_IN_REASON]}” edited (version {state.version + 1}): the find scores "
                          f"{old.value(place)} → {new.value(place)}")
                corrections.append(Correction(side.id, side.name, found["by"], found["points"], delta, reason))
    return Plan(event, state.version, state.clue_stats[clue_id].finders, corrections, _credits(state, new, attempts))


def plan_retire(state: HuntState, clue_id: str, rescore: str) -> Plan:
    """What withdrawing a clue would do; ``rescore`` "remove" takes back what each finder got."""
    event = _retire(state, RetireClue("preview", clue_id))
    clue = state.definition.clue_index[clue_id]
    corrections = []
    if rescore == "remove":
        for side in _finders(state, clue_id):
            found = side.found[clue_id]
            if found["points"]:
                reason = f"“{clue.title[:_TITLE_IN_REASON]}” withdrawn (version {state.version + 1}): points taken back"
                corrections.append(Correction(side.id, side.name, found["by"], found["points"], -found["points"],
                                              reason))
    return Plan(event, state.version, state.clue_stats[clue_id].finders, corrections)


def _finders(state: HuntState, clue_id: str) -> list[Side]:
    """The sides that found the clue, in the order they found it."""
    sides = [side for side in state.sides.values() if clue_id in side.found]
    return sorted(sides, key=lambda side: side.found[clue_id]["seq"])


def _credits(state: HuntState, clue: Clue, attempts: Iterable[Recorded]) -> list[Credit]:
    """The first wrong attempt of each side that has not found ``clue`` and that ``clue`` accepts."""
    credits: list[Credit] = []
    seen: set[str] = set()
    earlier = state.clue_stats[clue.id].finders
    for recorded in attempts:
        event = recorded.event
        if not accepts_attempt(clue, event) or len(credits) >= MAX_CREDITS:
            continue
        assert isinstance(event, AttemptFailed) and event.text is not None
        player = state.players.get(event.player)
        if player is None or player.banned or player.side in seen or clue.id in state.sides[player.side].found:
            continue
        side = state.sides[player.side]
        seen.add(side.id)
        value, _, hints_cost = reward(state, side, clue, earlier + len(credits))
        credits.append(Credit(side.id, side.name, player.id, recorded.seq, event.text, value - hints_cost))
    return credits


def edited_clue(state: HuntState, clue_id: str, changes: Any) -> Clue:
    """The clue as an edit with ``changes`` would make it; raises Rejected as the edit would."""
    event = _edit(state, EditClue("preview", clue_id, changes))
    return revised(state.definition, event).clue_index[clue_id]


def accepts_attempt(clue: Clue, event: Any) -> bool:
    """Whether ``clue`` would take the wrong answer or code of an attempt_failed ``event`` (one
    recorded with its text) as right."""
    if not isinstance(event, AttemptFailed) or event.clue != clue.id or event.text is None:
        return False
    keep = clue.keep_punctuation
    if event.method == "answer":
        return clue.kind == "answer" and clue.check(normalize_answer(event.text, keep_punctuation=keep)) is True
    code = normalize_code(event.text, keep_punctuation=keep)
    return event.method == "code" and clue.kind == "code" and code in clue.codes
