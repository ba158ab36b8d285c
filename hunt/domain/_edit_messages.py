"""The commands and events of editing a hunt while it runs (``_edits.py`` decides them).

A definition edit (``clue_edited``, ``clue_added``, ``clue_retired``, ``times_changed``)
carries what the definition becomes, never a difference to recompute: applying it replaces
the definition, so the definition in memory after the edit is the one a replay of the log
gives, and time travel to a seq before it shows the old one. The definition's *version* is the
number of such edits applied; an edit or a correction may name the version it was planned
against and is refused when the hunt was edited since.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFINITION_EDITS",
    "AddClue",
    "ChangeTimes",
    "ClueAdded",
    "ClueEdited",
    "ClueRetired",
    "ClueUnlocked",
    "CreditClue",
    "EditClue",
    "HuntReopened",
    "PlayerUnbanned",
    "ReopenHunt",
    "RetireClue",
    "TimesChanged",
    "UnbanPlayer",
    "UnlockClue",
]

# -- commands (all by the organisers) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EditClue:
    """Change fields of a clue's document (``changes``: field -> new value, null removes it)."""

    cmd: str
    clue: str
    changes: dict[str, Any]
    version: int | None = None  # the definition version the edit was previewed at
    finders: int | None = None  # with corrections: how many sides had found the clue when they were planned
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class AddClue:
    cmd: str
    document: dict[str, Any]  # the new clue, as in a definition; it goes last
    version: int | None = None
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class RetireClue:
    """Withdraw a clue: nobody may find it any more; points already awarded stay unless corrected."""

    cmd: str
    clue: str
    version: int | None = None
    finders: int | None = None
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class UnlockClue:
    """Open a clue to one side (a team by name, or a player's side) whatever its prerequisites."""

    cmd: str
    clue: str
    team: str | None = None
    player: str | None = None
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class ChangeTimes:
    """``changes``: ``starts_at`` and/or ``ends_at``, each epoch milliseconds or None (no time)."""

    cmd: str
    changes: dict[str, Any]
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class ReopenHunt:
    cmd: str
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class UnbanPlayer:
    cmd: str
    player: str
    reason: str = ""
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class CreditClue:
    """Count a clue as found by a player's side (an answer fix that would have accepted an earlier
    attempt): recorded as ``clue_found`` with method ``credit``, scored as a find now."""

    cmd: str
    player: str
    clue: str
    version: int | None = None
    principal: str = "admin"


# -- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClueEdited:
    TYPE = "clue_edited"
    clue: str
    document: dict[str, Any]  # the clue's whole new document (answers included: admins only)


@dataclass(frozen=True, slots=True)
class ClueAdded:
    TYPE = "clue_added"
    clue: str
    document: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ClueRetired:
    TYPE = "clue_retired"
    clue: str


@dataclass(frozen=True, slots=True)
class TimesChanged:
    TYPE = "times_changed"
    starts_at: int | None
    ends_at: int | None


@dataclass(frozen=True, slots=True)
class ClueUnlocked:
    TYPE = "clue_unlocked"
    player: str | None  # the player it was unlocked for (None: a team)
    clue: str
    side: str


@dataclass(frozen=True, slots=True)
class HuntReopened:
    TYPE = "hunt_reopened"


@dataclass(frozen=True, slots=True)
class PlayerUnbanned:
    TYPE = "player_unbanned"
    player: str
    reason: str


# The events that change the definition: each one is a new version of it.
DEFINITION_EDITS = (ClueEdited.TYPE, ClueAdded.TYPE, ClueRetired.TYPE, TimesChanged.TYPE)
