"""``decide``: a command and the current state become one event, or a :class:`Rejected`.

Pure and synchronous: time (``now_ms``) comes in as an argument, and new player ids are drawn
from the state, so deciding the same command against the same state always gives the same
answer. Nothing here changes the state; the caller applies the event.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ._definition import Clue
from ._edits import check_version, decide_edit_command, reward
from ._edits import known_player as _known_player
from ._errors import Rejected
from ._media import decide_add_media, decide_set_map, decide_set_media
from ._media_messages import AddMedia, MapSet, MediaAdded, MediaSet, SetMap, SetMedia
from ._messages import (
    AddClue,
    AdjustScore,
    Announce,
    Announced,
    AnswerClue,
    AttemptFailed,
    AttemptPartial,
    AttemptRepeated,
    BanPlayer,
    BoardFrozen,
    BoardRevealed,
    ChangeTimes,
    CheckIn,
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
    HuntEnded,
    HuntPaused,
    HuntReopened,
    HuntStarted,
    JoinHunt,
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
    SubmitCode,
    SubmitEntry,
    TakeHint,
    TimesChanged,
    UnbanPlayer,
    UnlockClue,
)
from ._missions import decide_judge, decide_submit
from ._names import clean_name
from ._notices import decide_announce
from ._schedules import check_clue_time, check_window, decide_freeze, decide_reveal, decide_schedule
from ._state import HuntState, Player, Side
from ._team_messages import TEAM_COMMAND_CLASSES, TEAM_EVENT_CLASSES
from ._teams import decide_team, join_division, join_team, team_outcome
from ._text import haversine_m, normalize_answer, normalize_code

__all__ = ["DISTANCE_BANDS", "MAX_ANSWER", "MAX_NAME", "decide", "distance_band", "outcome"]

MAX_NAME = 64
MAX_ANSWER = 500
MAX_REASON = 500
MAX_ADJUST = 1_000_000
# What a wrong check-in tells the player: a coarse band, never the distance. Exact distances
# from three places give the clue's position away (trilateration).
DISTANCE_BANDS = ((100.0, "close"), (500.0, "100-500m"), (1000.0, "500m-1km"))
FAR_BAND = "over-1km"


def decide(state: HuntState, command: Command, now_ms: int) -> Event:
    """Return the one event that ``command`` causes, or raise Rejected (nothing changes)."""
    match command:
        case PingLocation(lat=lat, lon=lon):
            _active_player(state, command.principal, now_ms)
            _check_position(lat, lon)
            return Pinged(command.principal, float(lat), float(lon))
        case AnswerClue(clue=clue_id, answer=answer):
            return _guess(state, command.principal, clue_id, answer, "answer", now_ms)
        case SubmitCode(clue=clue_id, code=code):
            return _guess(state, command.principal, clue_id, code, "code", now_ms)
        case CheckIn(clue=clue_id, lat=lat, lon=lon):
            _check_position(lat, lon)
            player, side, clue = _attempt(state, command.principal, clue_id, "geo", now_ms)
            if clue_id in side.found:
                return AttemptRepeated(player.id, clue_id, "checkin")
            _check_rate(state, player, clue, now_ms)
            distance = haversine_m(lat, lon, clue.lat, clue.lon)
            if distance <= clue.radius_m:
                return _found(state, player, side, clue, "checkin")
            return AttemptFailed(player.id, clue_id, "checkin", "too_far", round(distance, 1))
        case TakeHint(clue=clue_id):
            player = _active_player(state, command.principal, now_ms)
            side = state.sides[player.side]
            clue = _open_clue(state, side, clue_id, now_ms)
            if clue.id in side.found:
                raise Rejected("already_found", f"“{clue.title}” is already found")
            index = side.hints.get(clue.id, 0)
            if index >= len(clue.hints):
                raise Rejected("no_more_hints", f"“{clue.title}” has no more hints")
            return _hint(state.definition.hint_policy, player, side, clue, index)
        case JoinHunt(name=name, team=team, team_code_ok=team_code_ok, division=division):
            return _join(state, name, team, team_code_ok, now_ms, division)
        case _ if isinstance(command, TEAM_COMMAND_CLASSES):
            return decide_team(state, command, now_ms)  # type: ignore[arg-type]
        case StartHunt():
            status = state.status_at(now_ms)
            if status == "active":
                raise Rejected("invalid_state", "the hunt is already active")
            if status == "ended":
                raise Rejected("invalid_state", "the hunt has ended")
            return HuntStarted(resumed=status == "paused")
        case PauseHunt():
            if state.status_at(now_ms) != "active":
                raise Rejected("invalid_state", "only an active hunt can be paused")
            return HuntPaused()
        case EndHunt():
            if state.status_at(now_ms) == "ended":
                raise Rejected("invalid_state", "the hunt has already ended")
            return HuntEnded()
        case AdjustScore(player=player_id, delta=delta, reason=reason):
            check_version(state, command.version)
            player = _known_player(state, player_id)
            if not isinstance(delta, int) or isinstance(delta, bool) or delta == 0 or abs(delta) > MAX_ADJUST:
                raise Rejected("bad_request", f"delta must be a non-zero integer within ±{MAX_ADJUST}")
            _check_reason(reason)
            return ScoreAdjusted(player.id, delta, reason, state.sides[player.side].score + delta)
        case Announce():
            return decide_announce(state, command)
        case FreezeBoard():
            return decide_freeze(state, command, now_ms)
        case RevealBoard():
            return decide_reveal(state, command, now_ms)
        case SetSchedule():
            return decide_schedule(state, command)
        case SubmitEntry():
            return decide_submit(state, command,
                                 lambda player, clue: _attempt(state, player, clue, "mission", now_ms))
        case JudgeEntry():
            return decide_judge(state, command)
        case UnbanPlayer(reason=reason):
            _check_reason(reason)
            return decide_edit_command(state, command, now_ms)
        case EditClue() | AddClue() | RetireClue() | UnlockClue() | ChangeTimes() | ReopenHunt() | CreditClue():
            return decide_edit_command(state, command, now_ms)
        case AddMedia():
            return decide_add_media(state, command)
        case SetMedia():
            return decide_set_media(state, command)
        case SetMap():
            return decide_set_map(state, command)
        case BanPlayer(player=player_id, reason=reason):
            player = _known_player(state, player_id)
            if player.banned:
                raise Rejected("invalid_state", f"player {player_id!r} is already banned")
            _check_reason(reason)
            return PlayerBanned(player.id, reason)
    raise Rejected("unknown_op", f"unknown command {type(command).__name__}")


def outcome(state: HuntState, recorded: Recorded) -> dict[str, Any]:
    """The ack fields of a command, rebuilt from its event alone (so duplicates match)."""
    event = recorded.event
    match event:
        case Pinged():
            return {"result": "ok"}
        case ClueFound(clue=clue, method=method, points=points, bonus=bonus, score=score, hints_cost=hints_cost):
            result = {"checkin": "checked_in", "credit": "credited"}.get(method, "correct")
            found: dict[str, Any] = {"result": result, "clue": clue, "points": points, "bonus": bonus,
                                     "score": score}
            if hints_cost:
                found["hints_cost"] = hints_cost
            if method == "credit":  # an organiser's: say whose
                found["player"] = event.player
            return found
        case AttemptFailed(clue=clue, reason=reason, distance_m=distance):
            fields: dict[str, Any] = {"result": reason, "clue": clue}
            if distance is not None:
                fields["distance"] = distance_band(distance)
            return fields
        case AttemptRepeated(clue=clue):
            return {"result": "already_found", "clue": clue}
        case AttemptPartial(clue=clue, index=index):
            # The clue as it is now: an edit may have changed (or dropped) the reply since.
            partials = state.definition.clue_index[clue].partials
            reply = partials[index].reply if index < len(partials) else "Keep going"
            return {"result": "keep_going", "clue": clue, "reply": reply}
        case HintTaken(clue=clue, index=index, cost=cost, score=score, deferred=deferred):
            hint = state.definition.clue_index[clue].hints[index]  # an edit never drops a hint taken
            fields = {"result": "hint", "clue": clue, "index": index, "text": hint.text, "cost": cost,
                      "score": score}
            if deferred:
                fields["deferred"] = deferred
            return fields
        case PlayerJoined(player=player, name=name, team=team):
            fields = {"result": "joined", "player": player, "name": name, "team": team}
            if team is not None:
                fields["captain"] = state.sides[state.players[player].side].captain == player
            division = state.sides[state.players[player].side].division
            if division is not None:
                fields["division"] = division
            return fields
        case ScoreAdjusted(player=player, delta=delta, score=score):
            return {"result": "ok", "player": player, "points": delta, "score": score}
        case PlayerBanned(player=player):
            return {"result": "ok", "player": player}
        case BoardFrozen(at=at) if at is not None:
            return {"result": "ok", "frozen": False, "freeze_at": at}
        case BoardFrozen():
            return {"result": "ok", "frozen": True}
        case ScheduleSet(side=side, starts_at=starts_at, offset_ms=offset, window_ms=window):
            return {"result": "ok", "side": side, "starts_at": starts_at,
                    "offset_s": None if offset is None else offset // 1000,
                    "window_s": None if window is None else window // 1000}
        case BoardRevealed():
            return {"result": "ok", "frozen": False}
        case Announced(player=player, side=side):
            return {"result": "ok", "to": "player" if player else "team" if side else "all"}
        case EntrySubmitted(clue=clue, kind=kind):
            return {"result": "submitted", "clue": clue, "entry": recorded.seq, "kind": kind}
        case EntryJudged(player=player, clue=clue, entry=entry, approved=approved, points=points, bonus=bonus,
                         score=score):
            return {"result": "approved" if approved else "rejected", "entry": entry, "player": player,
                    "clue": clue, "points": points, "bonus": bonus, "score": score}
        case MediaAdded(hash=digest, size=size, type=media_type):
            return {"result": "ok", "hash": digest, "size": size, "type": media_type}
        case MediaSet(target=target, clue=clue, hint=hint, media=media):
            return {"result": "ok", "target": target, "clue": clue, "hint": hint, "media": [dict(m) for m in media]}
        case MapSet(enabled=enabled):
            return {"result": "ok", "map": enabled}
        case HuntStarted():
            return {"result": "ok", "status": "active"}
        case HuntPaused():
            return {"result": "ok", "status": "paused"}
        case HuntEnded():
            return {"result": "ok", "status": "ended"}
        case HuntReopened():
            return {"result": "ok", "status": "active"}
        case ClueEdited(clue=clue) | ClueAdded(clue=clue) | ClueRetired(clue=clue):
            return {"result": "ok", "clue": clue, "change": event.TYPE}
        case ClueUnlocked(clue=clue, side=side):
            return {"result": "ok", "clue": clue, "side": side}
        case TimesChanged(starts_at=starts_at, ends_at=ends_at):
            return {"result": "ok", "starts_at": starts_at, "ends_at": ends_at}
        case PlayerUnbanned(player=player):
            return {"result": "ok", "player": player, "banned": False}
        case _ if isinstance(event, TEAM_EVENT_CLASSES):
            return team_outcome(event)  # type: ignore[arg-type]
    return {"result": "ok"}


def _guess(state: HuntState, player_id: str, clue_id: Any, text: Any, method: str, now_ms: int) -> Event:
    """An answer or a code: the same rules, compared after the clue kind's own normalisation."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_ANSWER:
        raise Rejected("bad_request", f"{method} must be a non-empty string of at most {MAX_ANSWER} characters")
    player, side, clue = _attempt(state, player_id, clue_id, method, now_ms)
    if clue.id in side.found:
        return AttemptRepeated(player.id, clue.id, method)
    _check_rate(state, player, clue, now_ms)
    keep = clue.keep_punctuation
    if method == "answer":
        right = clue.check(normalize_answer(text, keep_punctuation=keep))
    else:
        right = normalize_code(text, keep_punctuation=keep) in clue.codes
    if right is True:
        return _found(state, player, side, clue, method)
    if right is not False:  # a partial answer: "keep going", not wrong
        return AttemptPartial(player.id, clue.id, method, right)
    return AttemptFailed(player.id, clue.id, method, "wrong", text=text)


def distance_band(distance_m: float) -> str:
    """The coarse band a player is told for a check-in ``distance_m`` from the clue."""
    for limit, band in DISTANCE_BANDS:
        if distance_m < limit:
            return band
    return FAR_BAND


def _join(state: HuntState, name: Any, team: Any, team_code_ok: bool, now_ms: int, division: Any = None, *,
          clean: Callable[[Any, str, int], str] = clean_name) -> PlayerJoined:
    if state.status_at(now_ms) == "ended":
        raise Rejected("hunt_not_active", "the hunt has ended")
    name = clean(name, "name", MAX_NAME)
    player_id = f"p{len(state.players) + 1}"
    if state.definition.mode != "teams":
        if team is not None:
            raise Rejected("bad_request", "this hunt is played solo: leave out team")
        return PlayerJoined(player_id, name, None, division=join_division(state, division, None))
    team, side_id = join_team(state, team, team_code_ok, now_ms, clean)
    chosen = join_division(state, division, state.team_by_name(team))
    return PlayerJoined(player_id, name, team, side_id, chosen)


def _active_player(state: HuntState, player_id: str, now_ms: int) -> Player:
    player = state.players.get(player_id)
    if player is None:
        raise Rejected("not_joined", "join or say hello first")
    if player.banned:
        raise Rejected("banned", "this player is banned from the hunt")
    if player.removed:
        raise Rejected("removed", f"the organiser took you off team {state.sides[player.side].name!r}: "
                                  "join again to play")
    status = state.status_at(now_ms)
    if status != "active":
        raise Rejected("hunt_not_active", f"the hunt is {status}")
    check_window(state, player.side, now_ms)
    return player


def _attempt(state: HuntState, player_id: str, clue_id: Any, kind: str,
             now_ms: int) -> tuple[Player, Side, Clue]:
    player = _active_player(state, player_id, now_ms)
    side = state.sides[player.side]
    clue = _open_clue(state, side, clue_id, now_ms)
    if clue.kind != kind:
        described, use = {"answer": ("an answer", "use 'answer'"), "geo": ("a check-in", "use 'checkin'"),
                          "code": ("a code", "use 'code'"), "mission": ("a mission", "send an entry")}[clue.kind]
        raise Rejected("wrong_kind", f"“{clue.title}” is {described} clue: {use}")
    return player, side, clue


def _open_clue(state: HuntState, side: Side, clue_id: Any, now_ms: int) -> Clue:
    clue = state.definition.clue(clue_id) if isinstance(clue_id, str) else None
    if clue is None:
        raise Rejected("unknown_clue", f"no clue {clue_id!r} in this hunt")
    if clue.retired:
        raise Rejected("unknown_clue", f"“{clue.title}” was withdrawn by the organisers")
    missing = state.missing_for(side, clue)
    if missing:
        titles = ", ".join(f"“{state.definition.clue_index[needed].title}”" for needed in missing)
        raise Rejected("locked", f"“{clue.title}” opens after {titles}")
    check_clue_time(state, clue, side.id, now_ms)
    return clue


def _check_rate(state: HuntState, player: Player, clue: Clue, now_ms: int) -> None:
    definition = state.definition
    recent = player.recent_wrong.get(clue.id, ())
    window = definition.wrong_attempts_window_ms
    in_window = [ts for ts in recent if now_ms - ts < window]
    if len(in_window) >= definition.wrong_attempts_max:
        retry = in_window[0] + window - now_ms
        raise Rejected("rate_limited", f"too many wrong attempts on “{clue.title}”", retry_after_ms=max(1, retry))


def _hint(policy: str, player: Player, side: Side, clue: Clue, index: int) -> HintTaken:
    """The hint's cost under the hunt's hint policy (what is charged is recorded, never recomputed)."""
    cost = clue.hints[index].cost
    if policy == "deduct_from_reward":
        return HintTaken(player.id, clue.id, index, 0, side.score, deferred=cost)
    if policy == "floor_at_zero":
        cost = min(cost, max(0, side.score))
    return HintTaken(player.id, clue.id, index, cost, side.score - cost)


def _found(state: HuntState, player: Player, side: Side, clue: Clue, method: str) -> ClueFound:
    earlier = state.clue_stats[clue.id].finders
    value, bonus, hints_cost = reward(state, side, clue, earlier)
    points = value - hints_cost
    return ClueFound(player.id, clue.id, method, points, bonus, side.score + points, earlier + 1, hints_cost)


def _check_position(lat: Any, lon: Any) -> None:
    if type(lat) is float and type(lon) is float and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0:
        return  # the common case, cheaply (NaN fails the comparisons, infinities the range)
    for name, value, limit in (("lat", lat, 90), ("lon", lon, 180)):
        # The range check comes first: math.isfinite() overflows on a huge int.
        if (not isinstance(value, (int, float)) or isinstance(value, bool) or abs(value) > limit
                or not math.isfinite(value)):
            raise Rejected("bad_request", f"{name} must be a finite number within ±{limit}")


def _check_reason(reason: Any) -> None:
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise Rejected("bad_request", f"reason must be a string of at most {MAX_REASON} characters")
