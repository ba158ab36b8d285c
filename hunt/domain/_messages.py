"""The closed sets of commands and events. The JSON tag is added only at the wire and the store.

A command is what somebody asks for; ``cmd`` is its client id, the idempotency key within its
``principal`` (the player id, ``"join"`` for joins, ``"admin"`` for admin commands). Deciding
an accepted command yields exactly one event, so a command's outcome can be rebuilt from its
event alone: that is what makes resubmissions answer with the original outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from . import _team_messages as teams
from ._edit_messages import (
    DEFINITION_EDITS,
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
from ._media_messages import AddMedia, MapSet, MediaAdded, MediaSet, SetMap, SetMedia

__all__ = [
    "DEFINITION_EDITS",
    "EVENT_TYPES",
    "AddClue",
    "AddMedia",
    "AdjustScore",
    "Announce",
    "Announced",
    "AnswerClue",
    "AttemptFailed",
    "AttemptPartial",
    "AttemptRepeated",
    "BanPlayer",
    "BoardFrozen",
    "BoardRevealed",
    "ChangeTimes",
    "CheckIn",
    "ClueAdded",
    "ClueEdited",
    "ClueFound",
    "ClueRetired",
    "ClueUnlocked",
    "Command",
    "CreditClue",
    "EditClue",
    "EndHunt",
    "EntryJudged",
    "EntrySubmitted",
    "Event",
    "FreezeBoard",
    "HintTaken",
    "HuntCreated",
    "HuntEnded",
    "HuntPaused",
    "HuntReopened",
    "HuntStarted",
    "JoinHunt",
    "JudgeEntry",
    "MapSet",
    "MediaAdded",
    "MediaSet",
    "PauseHunt",
    "PingLocation",
    "Pinged",
    "PlayerBanned",
    "PlayerJoined",
    "PlayerUnbanned",
    "Recorded",
    "ReopenHunt",
    "RetireClue",
    "RevealBoard",
    "ScheduleSet",
    "ScoreAdjusted",
    "SetMap",
    "SetMedia",
    "SetSchedule",
    "StartHunt",
    "SubmitCode",
    "SubmitEntry",
    "TakeHint",
    "TimesChanged",
    "UnbanPlayer",
    "UnlockClue",
    "event_from_fields",
    "event_to_fields",
]

# -- commands -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JoinHunt:
    """Join as a new player. In teams mode, joining a team that exists needs its passcode:
    ``team_code_ok`` is the caller's word that the joiner gave the right one (the passcode is a
    secret of the server, so the API checks it; the rules decide whether the team exists)."""

    cmd: str
    name: str
    team: str | None = None
    principal: str = "join"
    team_code_ok: bool = False
    division: str | None = None  # the division the new side plays in (hunts with divisions)


@dataclass(frozen=True, slots=True)
class AnswerClue:
    principal: str  # the player
    cmd: str
    clue: str
    answer: str


@dataclass(frozen=True, slots=True)
class CheckIn:
    principal: str
    cmd: str
    clue: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class SubmitCode:
    principal: str
    cmd: str
    clue: str
    code: str


@dataclass(frozen=True, slots=True)
class TakeHint:
    principal: str
    cmd: str
    clue: str


@dataclass(frozen=True, slots=True)
class PingLocation:
    principal: str
    cmd: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class StartHunt:
    cmd: str
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class PauseHunt:
    cmd: str
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class EndHunt:
    cmd: str
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class AdjustScore:
    cmd: str
    player: str
    delta: int
    reason: str
    principal: str = "admin"
    version: int | None = None  # a correction after an edit: refused unless the definition is at this version


@dataclass(frozen=True, slots=True)
class BanPlayer:
    cmd: str
    player: str
    reason: str
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class Announce:
    """A message from the organisers: to everybody, to one team (by name) or to one player."""

    cmd: str
    text: str
    team: str | None = None
    player: str | None = None
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class SubmitEntry:
    """An entry for a mission clue: a photo or video (stored beside the log, named by its
    SHA-256) or a text, to be judged by the organisers."""

    principal: str  # the player
    cmd: str
    clue: str
    kind: str  # "photo" | "video" | "text"
    text: str = ""
    media_hash: str | None = None
    media_size: int = 0
    media_type: str | None = None


@dataclass(frozen=True, slots=True)
class JudgeEntry:
    cmd: str
    entry: int  # the seq of its entry_submitted event
    approve: bool
    bonus: int = 0
    message: str = ""
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class FreezeBoard:
    """Hide the standings from players (they see them as of now, or as of ``at``: epoch ms in
    the future) until RevealBoard."""

    cmd: str
    principal: str = "admin"
    at: int | None = None


@dataclass(frozen=True, slots=True)
class SetSchedule:
    """Give one side (a team by name, or a solo player) its own start and window: ``starts_at``
    (epoch ms) or ``offset_s`` after the hunt's start, and ``window_s``; all None: the hunt's."""

    cmd: str
    team: str | None = None
    player: str | None = None
    starts_at: int | None = None
    offset_s: int | None = None
    window_s: int | None = None
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class RevealBoard:
    cmd: str
    principal: str = "admin"


Command = (JoinHunt | AnswerClue | CheckIn | SubmitCode | TakeHint | PingLocation | StartHunt
           | PauseHunt | EndHunt | AdjustScore | BanPlayer | Announce | SubmitEntry | JudgeEntry
           | FreezeBoard | RevealBoard | SetSchedule | EditClue | AddClue | RetireClue | UnlockClue | ChangeTimes
           | ReopenHunt | UnbanPlayer | CreditClue | teams.CreateTeam | teams.RenameTeam | teams.SetTeamPasscode
           | teams.SetTeamSize | teams.SetCaptain | teams.RemovePlayer | teams.LockRosters | teams.SetDivision
           | AddMedia | SetMedia | SetMap)

# -- events ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HuntCreated:
    TYPE = "hunt_created"
    definition: dict[str, Any]
    # Random, drawn when the hunt is created: player tokens are bound to it, so a hunt deleted
    # and created again under the same id does not accept the old hunt's tokens. None in hunt
    # files written before it existed.
    incarnation: str | None = None


@dataclass(frozen=True, slots=True)
class PlayerJoined:
    TYPE = "player_joined"
    player: str
    name: str
    team: str | None
    # The team's side id, when it is not the one its name gives (a renamed team, or a new team
    # whose name folds to a renamed team's old id); None in every event written before.
    side: str | None = None
    division: str | None = None  # the division a new side chose at join


@dataclass(frozen=True, slots=True)
class ClueFound:
    TYPE = "clue_found"
    player: str
    clue: str
    method: str  # "answer" | "checkin" | "code" | "credit" (by the organisers, see CreditClue)
    points: int  # awarded, bonus included: the ledger never recomputes it
    bonus: int
    score: int  # the scoring side's score after this event
    nth: int = 1  # this was the clue's nth find (1: the first finder)
    hints_cost: int = 0  # taken off the reward for hints (hint_policy "deduct_from_reward")


@dataclass(frozen=True, slots=True)
class AttemptFailed:
    TYPE = "attempt_failed"
    player: str
    clue: str
    method: str
    reason: str  # "wrong" | "too_far"
    distance_m: float | None = None  # for admins only: players get a coarse band (rules.distance_band)
    # The wrong answer or code as sent (admins only): an answer fix says whom it would have accepted.
    text: str | None = None


@dataclass(frozen=True, slots=True)
class AttemptRepeated:
    TYPE = "attempt_repeated"
    player: str
    clue: str
    method: str


@dataclass(frozen=True, slots=True)
class AttemptPartial:
    """A partial answer: the player is told to keep going; it does not count as wrong."""

    TYPE = "attempt_partial"
    player: str
    clue: str
    method: str
    index: int  # which of the clue's partial answers it matched


@dataclass(frozen=True, slots=True)
class HintTaken:
    TYPE = "hint_taken"
    player: str
    clue: str
    index: int
    cost: int  # taken off the score now
    score: int
    deferred: int = 0  # to come off the clue's reward once found (hint_policy "deduct_from_reward")


@dataclass(frozen=True, slots=True)
class Pinged:
    TYPE = "pinged"
    player: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class HuntStarted:
    TYPE = "hunt_started"
    resumed: bool = False  # started again after a pause


@dataclass(frozen=True, slots=True)
class HuntPaused:
    TYPE = "hunt_paused"


@dataclass(frozen=True, slots=True)
class HuntEnded:
    TYPE = "hunt_ended"


@dataclass(frozen=True, slots=True)
class ScoreAdjusted:
    TYPE = "score_adjusted"
    player: str
    delta: int
    reason: str
    score: int


@dataclass(frozen=True, slots=True)
class PlayerBanned:
    TYPE = "player_banned"
    player: str
    reason: str


@dataclass(frozen=True, slots=True)
class Announced:
    TYPE = "announced"
    player: str | None  # the one player it is for (None: a team, or everybody)
    side: str | None  # the team it is for (its side id; None: a player, or everybody)
    text: str


@dataclass(frozen=True, slots=True)
class EntrySubmitted:
    TYPE = "entry_submitted"
    player: str
    clue: str
    kind: str
    text: str
    media_hash: str | None
    media_size: int
    media_type: str | None


@dataclass(frozen=True, slots=True)
class EntryJudged:
    TYPE = "entry_judged"
    player: str  # who submitted it
    clue: str
    entry: int
    approved: bool
    points: int  # awarded (0 when rejected), bonus included
    bonus: int
    message: str
    score: int  # the side's score after this event
    nth: int = 0  # approved: this was the clue's nth find


@dataclass(frozen=True, slots=True)
class BoardFrozen:
    TYPE = "board_frozen"
    at: int | None = None  # a freeze scheduled for this time (epoch ms); None: frozen at once


@dataclass(frozen=True, slots=True)
class ScheduleSet:
    TYPE = "schedule_set"
    player: str | None  # the solo player whose schedule it is (None: a team's)
    side: str
    team: str | None  # the team's name (None: a solo player's)
    starts_at: int | None
    offset_ms: int | None
    window_ms: int | None


@dataclass(frozen=True, slots=True)
class BoardRevealed:
    TYPE = "board_revealed"


Event = (HuntCreated | PlayerJoined | ClueFound | AttemptFailed | AttemptRepeated | HintTaken
         | Pinged | HuntStarted | HuntPaused | HuntEnded | ScoreAdjusted | PlayerBanned | Announced
         | EntrySubmitted | EntryJudged | AttemptPartial | BoardFrozen | BoardRevealed | ScheduleSet | ClueEdited
         | ClueAdded | ClueRetired | TimesChanged | ClueUnlocked | HuntReopened | PlayerUnbanned | teams.TeamEvent
         | MediaAdded | MediaSet | MapSet)

_EVENT_CLASSES: dict[str, type] = {
    cls.TYPE: cls  # type: ignore[attr-defined]
    for cls in (HuntCreated, PlayerJoined, ClueFound, AttemptFailed, AttemptRepeated, HintTaken,
                Pinged, HuntStarted, HuntPaused, HuntEnded, ScoreAdjusted, PlayerBanned, Announced,
                EntrySubmitted, EntryJudged, AttemptPartial, BoardFrozen, BoardRevealed, ScheduleSet, ClueEdited,
                ClueAdded, ClueRetired, TimesChanged, ClueUnlocked, HuntReopened, PlayerUnbanned,
                *teams.TEAM_EVENT_CLASSES, MediaAdded, MediaSet, MapSet)
}
EVENT_TYPES = tuple(_EVENT_CLASSES)
_FIELD_NAMES = {name: tuple(f.name for f in fields(cls)) for name, cls in _EVENT_CLASSES.items()}


@dataclass(frozen=True, slots=True)
class Recorded:
    """An event with its place in the log: sequence number, time (epoch ms), command id."""

    seq: int
    ts: int
    event: Event
    cmd: str | None = None
    principal: str | None = None


def event_to_fields(event: Event) -> tuple[str, str | None, str | None, dict[str, Any]]:
    """Split an event into (type, player, clue, data) — the indexed columns and the rest."""
    data = {name: getattr(event, name) for name in _FIELD_NAMES[event.TYPE]}
    player = data.pop("player", None)
    clue = data.pop("clue", None)
    return event.TYPE, player, clue, data


def event_from_fields(type_: str, player: str | None, clue: str | None, data: dict[str, Any]) -> Event:
    """The inverse of :func:`event_to_fields`; raises KeyError/TypeError on a malformed record."""
    cls = _EVENT_CLASSES[type_]
    names = _FIELD_NAMES[type_]
    values = dict(data)
    if "player" in names:
        values["player"] = player
    if "clue" in names:
        values["clue"] = clue
    event: Event = cls(**values)
    return event
