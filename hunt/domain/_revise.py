"""What a definition becomes after an edit event: the one function both deciding and applying use.

The new definition is parsed from the old document with the event's change in it, so the
definition in memory is always one that :func:`parse_definition` accepts and a replay of the
log rebuilds exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._definition import HuntDefinition, RuleDefaults, parse_definition
from ._edit_messages import (
    ClueAdded,
    ClueEdited,
    ClueRetired,
    ClueUnlocked,
    HuntReopened,
    PlayerUnbanned,
    TimesChanged,
)

if TYPE_CHECKING:
    from ._state import HuntState

__all__ = ["SECRET_CLUE_FIELDS", "apply_edit", "clue_document", "public_clue_document", "revised"]

# What a clue's document holds that players must not learn (and the broker never carries).
SECRET_CLUE_FIELDS = frozenset({"answers", "codes", "patterns", "partial", "lat", "lon"})

DefinitionEdit = ClueEdited | ClueAdded | ClueRetired | TimesChanged


def clue_document(definition: HuntDefinition, clue_id: str) -> dict[str, Any]:
    """A copy of the document of clue ``clue_id`` as the definition holds it (KeyError if none)."""
    for document in definition.document["clues"]:
        if document.get("id") == clue_id:
            return dict(document)
    raise KeyError(clue_id)


def public_clue_document(document: Any) -> Any:
    """A clue's document without its secrets: answers, codes, patterns, partial answers, the
    position of a geo clue, and hint texts (a hint keeps its cost). Anything else comes back as is."""
    if not isinstance(document, dict):
        return document
    public = {key: value for key, value in document.items() if key not in SECRET_CLUE_FIELDS}
    if isinstance(public.get("hints"), list):
        public["hints"] = [{"cost": hint.get("cost", 0)} if isinstance(hint, dict) else None
                           for hint in public["hints"]]
    return public


def revised(definition: HuntDefinition, event: DefinitionEdit) -> HuntDefinition:
    """The definition after ``event``; raises DefinitionError if the result is not a valid hunt.

    Builds new containers only: the old definition (and any snapshot holding its document) is
    left as it was.
    """
    document = dict(definition.document)
    clues: list[Any] = list(document["clues"])
    match event:
        case ClueEdited(clue=clue_id, document=new):
            clues = [dict(new) if c.get("id") == clue_id else c for c in clues]
        case ClueAdded(document=new):
            clues.append(dict(new))
        case ClueRetired(clue=clue_id):
            clues = [{**c, "retired": True} if c.get("id") == clue_id else c for c in clues]
        case TimesChanged(starts_at=starts_at, ends_at=ends_at):
            document["starts_at"], document["ends_at"] = starts_at, ends_at
    document["clues"] = clues
    return parse_definition(document, RuleDefaults())


def apply_edit(state: HuntState, event: ClueUnlocked | HuntReopened | PlayerUnbanned) -> None:
    """Fold in the edits that leave the definition alone (``HuntState.apply`` calls this)."""
    match event:
        case ClueUnlocked(clue=clue_id, side=side_id):
            state.sides[side_id].unlocked.append(clue_id)
        case HuntReopened():
            state.manual_status = "active"
        case PlayerUnbanned(player=player_id):
            player = state.players[player_id]
            player.banned = False
            side = state.sides[player.side]
            if not side.active:  # a solo player's side left the leaderboard with the ban: it comes back
                side.active = True
                state.board_add(side)
