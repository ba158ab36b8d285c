"""``check``: could the rules have produced this recorded event from this state?

An imported log (or a doctored hunt file) can hold events no command would ever have caused:
a score of 2x10^15, a locked clue found, a hint that does not exist, a player id that the next
live joiner will be given too. ``apply`` trusts its events, so an import and ``hunt verify``
ask this first. Where the command can be rebuilt from its event (a ping, a hint, a join, the
admin commands) it is decided again at the event's time and the two events must be equal;
where it cannot (the answer text of a correct guess is not recorded) the event is checked
against the same rules piece by piece: the player may act, the clue is open, the points are
the ones the rules award.

Pure, like the rules: nothing here changes the state.
"""

from __future__ import annotations

from typing import Any

from ._definition import Clue
from ._errors import Rejected
from ._media_messages import AddMedia, MapSet, MediaAdded, MediaSet, SetMap, SetMedia
from ._messages import (
    AddClue,
    AdjustScore,
    Announce,
    Announced,
    AttemptFailed,
    AttemptPartial,
    AttemptRepeated,
    BanPlayer,
    BoardFrozen,
    BoardRevealed,
    ChangeTimes,
    ClueAdded,
    ClueEdited,
    ClueFound,
    ClueRetired,
    ClueUnlocked,
    Command,
    CreditClue,
    EditClue,
    EndHunt,
    EntryJudged,
    EntrySubmitted,
    Event,
    FreezeBoard,
    HintTaken,
    HuntCreated,
    HuntEnded,
    HuntPaused,
    HuntReopened,
    HuntStarted,
    JudgeEntry,
    PauseHunt,
    Pinged,
    PingLocation,
    PlayerBanned,
    PlayerJoined,
    PlayerUnbanned,
    Recorded,
    ReopenHunt,
    RetireClue,
    RevealBoard,
    ScheduleSet,
    ScoreAdjusted,
    SetSchedule,
    StartHunt,
    SubmitEntry,
    TakeHint,
    TimesChanged,
    UnbanPlayer,
    UnlockClue,
)
from ._names import clean_name
from ._revise import clue_document
from ._rules import _attempt, _check_rate, _found, _join, decide
from ._state import HuntState
from ._team_messages import TEAM_EVENT_CLASSES
from ._teams import team_command

__all__ = ["NotProduced", "check"]

_KIND_OF_METHOD = {"answer": "answer", "code": "code", "checkin": "geo"}


class NotProduced(ValueError):
    """Raised when a recorded event is not one the rules could have produced from the state."""


def check(state: HuntState, recorded: Recorded) -> None:
    """Raise NotProduced (saying why) unless the rules could have produced ``recorded`` next."""
    event, ts = recorded.event, recorded.ts
    if recorded.seq != state.seq + 1:
        raise NotProduced(f"seq {recorded.seq} does not follow {state.seq}")
    if isinstance(event, HuntCreated):
        raise NotProduced("hunt_created may only be the first event")
    if not isinstance(recorded.cmd, str) or not recorded.cmd:
        raise NotProduced(f"a {event.TYPE} event must carry the id of the command that caused it")
    try:
        _check(state, recorded, event, ts)
    except Rejected as rejected:
        raise NotProduced(f"the rules refuse it: {rejected.code}: {rejected}") from None
    except (KeyError, TypeError, AttributeError) as err:  # e.g. a player or clue id that is not a string
        raise NotProduced(f"malformed {event.TYPE} event: {err!r}") from None


def _check(state: HuntState, recorded: Recorded, event: Event, ts: int) -> None:
    cmd = recorded.cmd or ""
    match event:
        case PlayerJoined(name=name, team=team, division=division):
            _principal(recorded, "join")
            # A join to a team that exists was made with its code; names as earlier rules kept them.
            _same(_join(state, name, team, True, ts, division, clean=_kept_name), event)
        case Pinged(player=player, lat=lat, lon=lon):
            _principal(recorded, player)
            _same(decide(state, PingLocation(player, cmd, lat, lon), ts), event)
        case HintTaken(player=player, clue=clue):
            _principal(recorded, player)
            _same(decide(state, TakeHint(player, cmd, clue), ts), event)
        case ClueFound(player=player, clue=clue, method="credit"):
            _admin(state, recorded, CreditClue(cmd, player, clue), ts)
        case ClueFound(player=player, clue=clue, method=method):
            _principal(recorded, player)
            who, side, found = _attempt(state, player, clue, _kind(method), ts)
            if clue in side.found:
                raise NotProduced(f"clue {clue!r} was already found by this side")
            _check_rate(state, who, found, ts)
            _same(_found(state, who, side, found, method), event)
        case AttemptFailed(player=player, clue=clue, method=method, reason=reason):
            _unfound_attempt(state, recorded, player, clue, method, ts)
            if reason != ("too_far" if method == "checkin" else "wrong"):
                raise NotProduced(f"a failed {method} cannot have the reason {reason!r}")
        case AttemptPartial(player=player, clue=clue, method=method, index=index):
            attempted = _unfound_attempt(state, recorded, player, clue, method, ts)
            if not isinstance(index, int) or not 0 <= index < len(attempted.partials):
                raise NotProduced(f"clue {clue!r} has no partial answer {index!r}")
        case AttemptRepeated(player=player, clue=clue, method=method):
            _principal(recorded, player)
            _, side, _ = _attempt(state, player, clue, _kind(method), ts)
            if clue not in side.found:
                raise NotProduced(f"clue {clue!r} was not found before: it cannot be repeated")
        case ScoreAdjusted(player=player, delta=delta, reason=reason):
            _admin(state, recorded, AdjustScore(cmd, player, delta, reason), ts)
        case PlayerBanned(player=player, reason=reason):
            _admin(state, recorded, BanPlayer(cmd, player, reason), ts)
        case HuntStarted():
            _admin(state, recorded, StartHunt(cmd), ts)
        case HuntPaused():
            _admin(state, recorded, PauseHunt(cmd), ts)
        case HuntEnded():
            _admin(state, recorded, EndHunt(cmd), ts)
        case BoardFrozen(at=at):
            _admin(state, recorded, FreezeBoard(cmd, at=at), ts)
        case ScheduleSet(player=player, team=team, starts_at=starts_at, offset_ms=offset, window_ms=window):
            # Seconds in the command, ms in the event: a doctored event off the second differs.
            _admin(state, recorded, SetSchedule(cmd, team, player, starts_at, _seconds(offset), _seconds(window)), ts)
        case BoardRevealed():
            _admin(state, recorded, RevealBoard(cmd), ts)
        case EntrySubmitted(player=player, clue=clue, kind=kind, text=text):
            _principal(recorded, player)
            _same(decide(state, SubmitEntry(player, cmd, clue, kind, text, event.media_hash, event.media_size,
                                            event.media_type), ts), event)
        case EntryJudged(entry=entry, approved=approved, bonus=bonus, message=message):
            _admin(state, recorded, JudgeEntry(cmd, entry, approved, bonus, message), ts)
        case _ if isinstance(event, TEAM_EVENT_CLASSES):
            _admin(state, recorded, team_command(cmd, event), ts)  # type: ignore[arg-type]
        case ClueEdited(clue=clue, document=document):
            _admin(state, recorded, EditClue(cmd, clue, _changes(state, clue, document)), ts)
        case ClueAdded(document=document):
            _admin(state, recorded, AddClue(cmd, document), ts)
        case ClueRetired(clue=clue):
            _admin(state, recorded, RetireClue(cmd, clue), ts)
        case TimesChanged(starts_at=starts_at, ends_at=ends_at):
            _admin(state, recorded, ChangeTimes(cmd, {"starts_at": starts_at, "ends_at": ends_at}), ts)
        case ClueUnlocked(player=player, clue=clue, side=side):
            team = None if player is not None else state.sides[side].name
            _admin(state, recorded, UnlockClue(cmd, clue, team, player), ts)
        case HuntReopened():
            _admin(state, recorded, ReopenHunt(cmd), ts)
        case PlayerUnbanned(player=player, reason=reason):
            _admin(state, recorded, UnbanPlayer(cmd, player, reason), ts)
        case MediaAdded(hash=digest, size=size, type=media_type):
            _admin(state, recorded, AddMedia(cmd, digest, size, media_type), ts)
        case MediaSet(target=target, clue=clue, hint=hint, media=media):
            _admin(state, recorded, SetMedia(cmd, target, media, clue, hint), ts)
        case MapSet(enabled=enabled):
            _admin(state, recorded, SetMap(cmd, enabled), ts)
        case Announced(player=player, side=side, text=text):
            team = state.sides[side].name if side is not None and side in state.sides else side
            _admin(state, recorded, Announce(cmd, text, team, player), ts)


def _changes(state: HuntState, clue: str, document: dict[str, Any]) -> dict[str, Any]:
    """The changes an edit to ``document`` was made of (fields it dropped as None); the id and kind stay."""
    current = clue_document(state.definition, clue)
    if any(document.get(key) != current.get(key) for key in ("id", "kind")):
        raise NotProduced(f"an edit of clue {clue!r} cannot change its id or kind")
    dropped = {key: None for key in current if key not in document}
    return {**dropped, **{key: value for key, value in document.items() if key not in ("id", "kind")}}


def _kept_name(value: Any, what: str, max_chars: int) -> str:
    """A name as the rules keep it now, or as they kept it before names were normalised (trimmed,
    1 to ``max_chars`` characters): hunt files written then must still verify."""
    if isinstance(value, str) and value and value == value.strip() and len(value) <= max_chars:
        return value
    return clean_name(value, what, max_chars)


def _unfound_attempt(state: HuntState, recorded: Recorded, player: str, clue: str, method: str, ts: int) -> Clue:
    """The checks of a guess that found nothing: the player may try this clue now, and has not found it."""
    _principal(recorded, player)
    who, side, attempted = _attempt(state, player, clue, _kind(method), ts)
    if clue in side.found:
        raise NotProduced(f"clue {clue!r} was already found: a repeat is attempt_repeated")
    _check_rate(state, who, attempted, ts)
    return attempted


def _seconds(ms: Any) -> Any:  # a doctored event may hold anything: the rules judge it
    return ms // 1000 if isinstance(ms, int) and not isinstance(ms, bool) else ms


def _kind(method: object) -> str:
    kind = _KIND_OF_METHOD.get(method) if isinstance(method, str) else None
    if kind is None:
        raise NotProduced(f"unknown method {method!r}")
    return kind


def _principal(recorded: Recorded, expected: str) -> None:
    if recorded.principal != expected:
        raise NotProduced(f"a {recorded.event.TYPE} event of {expected!r} was recorded for {recorded.principal!r}")


def _admin(state: HuntState, recorded: Recorded, command: Command, ts: int) -> None:
    _principal(recorded, "admin")
    _same(decide(state, command, ts), recorded.event)


def _same(expected: Event, found: Event) -> None:
    if expected != found:
        raise NotProduced(f"the rules give {expected}, the log has {found}")
