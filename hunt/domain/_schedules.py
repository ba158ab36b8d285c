"""The rules of timed play: a side's window and a clue's release times refuse commands outside
them, organisers set a side's own start and window, and freeze the scoreboard now or at a time.

Every decision takes ``now_ms`` as an argument (see ``_timing`` for the times themselves).
"""

from __future__ import annotations

from typing import Any

from ._definition import Clue
from ._errors import Rejected
from ._messages import BoardFrozen, BoardRevealed, FreezeBoard, RevealBoard, ScheduleSet, SetSchedule
from ._names import clean_name
from ._state import HuntState, team_side_id
from ._teams import MAX_TEAM_NAME, new_side_id
from ._timing import (
    MAX_OFFSET_S,
    MAX_SCHEDULES,
    MAX_TIME_MS,
    MAX_WINDOW_S,
    clue_times,
    format_time,
    own_start,
    side_window,
)

__all__ = ["check_clue_time", "check_window", "decide_freeze", "decide_reveal", "decide_schedule"]


def check_window(state: HuntState, side_id: str, now_ms: int) -> None:
    """Refuse (``outside_window``) a command of a side before its own start or after its window."""
    start, end = side_window(state, side_id)
    if start is not None and now_ms < start:
        raise Rejected("outside_window", f"your start is at {format_time(start)}: wait for it")
    if end is not None and now_ms >= end:
        raise Rejected("outside_window", f"your time is up: your window closed at {format_time(end)}")


def check_clue_time(state: HuntState, clue: Clue, side_id: str, now_ms: int) -> None:
    """Refuse (``outside_window``) a clue that is not released yet, or has closed, for this side."""
    if not clue.times:
        return
    opens, closes = clue_times(state, clue, side_id)
    relative = clue.times.opens_after_ms is not None or clue.times.closes_after_ms is not None
    if relative and own_start(state, side_id) is None:
        raise Rejected("outside_window", f"“{clue.title}” opens after your start")
    if opens is not None and now_ms < opens:
        raise Rejected("outside_window", f"“{clue.title}” opens at {format_time(opens)}")
    if closes is not None and now_ms >= closes:
        raise Rejected("outside_window", f"“{clue.title}” closed at {format_time(closes)}")


def decide_schedule(state: HuntState, command: SetSchedule) -> ScheduleSet:
    """One side's own start and window: a team by name in a team hunt (it need not exist yet),
    a player in a solo hunt. All of starts_at, offset_s and window_s None: back to the hunt's."""
    if state.manual_status == "ended":
        raise Rejected("invalid_state", "the hunt has ended")
    team, player = command.team, command.player
    if (team is None) == (player is None):
        raise Rejected("bad_request", "a schedule is for one team or one player: give exactly one")
    starts_at = _bounded(command.starts_at, "starts_at", 0, MAX_TIME_MS, 1)
    offset = _bounded(command.offset_s, "offset_s", 0, MAX_OFFSET_S, 1000)
    window = _bounded(command.window_s, "window_s", 1, MAX_WINDOW_S, 1000)
    if starts_at is not None and offset is not None:
        raise Rejected("bad_request", "give starts_at or offset_s, not both")
    if team is not None:
        if state.definition.mode != "teams":
            raise Rejected("bad_request", "this hunt is played solo: a schedule is for a player")
        name = clean_name(team, "team", MAX_TEAM_NAME)
        existing = state.team_by_name(name)  # a renamed team keeps its side id
        # A team not there yet gets the id it will have when it begins, as joins and the organiser
        # give it: not a renamed team's old one.
        side_id = existing.id if existing else new_side_id(state, name) or team_side_id(name)
        event = ScheduleSet(None, side_id, name, starts_at, offset, window)
    elif state.definition.mode == "teams":
        raise Rejected("bad_request", "this hunt is played in teams: a schedule is for a team (its players "
                                      "share its clock)")
    elif not isinstance(player, str) or player not in state.players:
        raise Rejected("unknown_player", f"no player {repr(player)[:80]} in this hunt")
    else:
        event = ScheduleSet(player, state.players[player].side, None, starts_at, offset, window)
    if event.side not in state.schedules and len(state.schedules) >= MAX_SCHEDULES:
        raise Rejected("invalid_state", f"at most {MAX_SCHEDULES} sides may have their own schedule")
    return event


def decide_freeze(state: HuntState, command: FreezeBoard, now_ms: int) -> BoardFrozen:
    """Freeze now (``at`` None or past), or schedule the freeze for ``at`` (a later schedule
    replaces an earlier one)."""
    at = _bounded(command.at, "at", 0, MAX_TIME_MS, 1)
    if state.frozen_at(now_ms):
        raise Rejected("invalid_state", "the scoreboard is already frozen")
    if state.manual_status == "ended" and at is not None and at > now_ms:
        raise Rejected("invalid_state", "the hunt has ended: freeze now or not at all")
    return BoardFrozen(at if at is not None and at > now_ms else None)


def decide_reveal(state: HuntState, command: RevealBoard, now_ms: int) -> BoardRevealed:
    """Reveal frozen standings, or call off a freeze that is scheduled."""
    if not state.frozen_at(now_ms) and state.freeze_at is None:
        raise Rejected("invalid_state", "the scoreboard is not frozen")
    return BoardRevealed()


def _bounded(value: Any, name: str, low: int, high: int, scale: int) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise Rejected("bad_request", f"{name} must be null or an integer from {low} to {high}")
    return value * scale
