"""Timed and staggered play: each side's own start and time window, clue release times, and the
scheduled scoreboard freeze.

A **side** (a player in a solo hunt, a team in a team hunt) starts when the hunt starts, or at
its own time: an absolute ``starts_at``, or ``offset_s`` after the hunt's start. From its start
it plays for ``window_s`` (its own, else the hunt's), or to the hunt's end. A clue may open and
close at absolute times (``opens_at``/``closes_at``) or at times after the side's own start
(``opens_after_s``/``closes_after_s``). Everything here is a pure function of the state and a
time, so live play, replay and time travel agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ._errors import DefinitionError

if TYPE_CHECKING:
    from ._definition import Clue
    from ._messages import ScheduleSet
    from ._state import HuntState

__all__ = [
    "CLUE_TIME_KEYS",
    "MAX_OFFSET_S",
    "MAX_SCHEDULES",
    "MAX_TIME_MS",
    "MAX_WINDOW_S",
    "ClueTimes",
    "Schedule",
    "apply_freeze",
    "apply_schedule",
    "began",
    "clue_times",
    "elapsed_ms",
    "format_time",
    "freeze_standings",
    "own_start",
    "parse_clue_times",
    "parse_schedule",
    "parse_time",
    "parse_window",
    "restore_timing",
    "side_window",
    "timing_snapshot",
]

MAX_TIME_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z: a later time is a typo
MAX_OFFSET_S = 7 * 86_400  # a side starts at most a week after the hunt
MAX_WINDOW_S = 7 * 86_400
MAX_SCHEDULES = 10_000  # sides with their own schedule (a hunt's state stays bounded)
CLUE_TIME_KEYS = ("opens_at", "closes_at", "opens_after_s", "closes_after_s")
_SCHEDULE_KEYS = {"starts_at", "offset_s", "window_s"}


@dataclass(frozen=True, slots=True)
class Schedule:
    """A side's own start (``starts_at``, or ``offset_ms`` after the hunt's start; neither: the
    hunt's start) and its window (``window_ms`` from its own start; None: the hunt's ``window_s``)."""

    starts_at: int | None = None
    offset_ms: int | None = None
    window_ms: int | None = None

    def document(self) -> dict[str, int]:
        """The definition's form (seconds), without the fields not set."""
        form: dict[str, int] = {}
        if self.starts_at is not None:
            form["starts_at"] = self.starts_at
        if self.offset_ms is not None:
            form["offset_s"] = self.offset_ms // 1000
        if self.window_ms is not None:
            form["window_s"] = self.window_ms // 1000
        return form


@dataclass(frozen=True, slots=True)
class ClueTimes:
    """When a clue opens and closes: absolute (epoch ms) or after the side's own start (ms)."""

    opens_at: int | None = None
    closes_at: int | None = None
    opens_after_ms: int | None = None
    closes_after_ms: int | None = None

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.opens_at, self.closes_at, self.opens_after_ms, self.closes_after_ms))


# -- parsing (definitions and admin commands) -------------------------------------------------


def parse_time(value: Any, where: str) -> int | None:
    """None, epoch milliseconds, or an ISO 8601 time with a zone; raise DefinitionError."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TIME_MS:
        return value
    if isinstance(value, str) and len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None and 0 <= parsed.timestamp() * 1000 <= MAX_TIME_MS:
                return int(parsed.timestamp() * 1000)
    raise DefinitionError(f"{where}: must be null, epoch milliseconds, or an ISO 8601 time with a zone")


def _seconds(value: Any, where: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise DefinitionError(f"{where}: must be an integer number of seconds from {low} to {high}")
    return value * 1000


def parse_schedule(data: Any, where: str) -> Schedule:
    """``{"starts_at"?, "offset_s"?, "window_s"?}`` (not both starts_at and offset_s)."""
    if not isinstance(data, Mapping):
        raise DefinitionError(f"{where}: must be an object")
    unknown = sorted(set(data) - _SCHEDULE_KEYS)
    if unknown:
        raise DefinitionError(f"{where}.{unknown[0]}: unknown field")
    starts_at = parse_time(data.get("starts_at"), f"{where}.starts_at")
    offset = _seconds(data.get("offset_s"), f"{where}.offset_s", 0, MAX_OFFSET_S)
    if starts_at is not None and offset is not None:
        raise DefinitionError(f"{where}: give starts_at or offset_s, not both")
    return Schedule(starts_at, offset, _seconds(data.get("window_s"), f"{where}.window_s", 1, MAX_WINDOW_S))


def parse_window(value: Any, where: str) -> int | None:
    """The hunt's ``window_s``: each side's time to play from its own start (ms), or None."""
    return _seconds(value, where, 1, MAX_WINDOW_S)


def parse_clue_times(data: Mapping[str, Any], where: str) -> ClueTimes:
    """A clue's ``opens_at``/``closes_at`` (absolute) or ``opens_after_s``/``closes_after_s``
    (after the side's own start); an edge is one or the other, and a clue closes after it opens."""
    times = ClueTimes(
        parse_time(data.get("opens_at"), f"{where}.opens_at"), parse_time(data.get("closes_at"), f"{where}.closes_at"),
        _seconds(data.get("opens_after_s"), f"{where}.opens_after_s", 0, MAX_WINDOW_S),
        _seconds(data.get("closes_after_s"), f"{where}.closes_after_s", 1, MAX_WINDOW_S))
    for edge in ("opens", "closes"):
        if data.get(f"{edge}_at") is not None and data.get(f"{edge}_after_s") is not None:
            raise DefinitionError(f"{where}: give {edge}_at or {edge}_after_s, not both")
    for opens, closes in ((times.opens_at, times.closes_at), (times.opens_after_ms, times.closes_after_ms)):
        if opens is not None and closes is not None and closes <= opens:
            raise DefinitionError(f"{where}: a clue must close after it opens")
    return times


def format_time(ms: int) -> str:
    """``2026-12-07T10:15:00Z``: how messages name a time (the pages show it in local time)."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- reading the state --------------------------------------------------------------------------


def began(state: HuntState) -> int | None:
    """When the hunt began: the earlier of its first manual start and its scheduled start (a
    resume after a pause is not a beginning); None before either is known."""
    starts = [t for t in (state.started_ts, state.definition.starts_at) if t is not None]
    return min(starts, default=None)


def own_start(state: HuntState, side_id: str | None) -> int | None:
    """When a side's play starts (epoch ms): its own ``starts_at``, else the hunt's start plus its
    ``offset``; None while the hunt's start is not known. ``side_id`` None: the hunt's start."""
    schedule = state.schedules.get(side_id) if side_id is not None else None
    if schedule is not None and schedule.starts_at is not None:
        return schedule.starts_at
    start = began(state)
    if start is None:
        return None
    offset = schedule.offset_ms if schedule is not None else None
    return start + (offset or 0)


def side_window(state: HuntState, side_id: str | None) -> tuple[int | None, int | None]:
    """(start, end) of a side's window: end is its start plus its window (its own, else the
    hunt's ``window_s``); None where there is no such bound (the hunt's own status still applies)."""
    start = own_start(state, side_id)
    schedule = state.schedules.get(side_id) if side_id is not None else None
    window = schedule.window_ms if schedule is not None and schedule.window_ms is not None else None
    if window is None:
        window = state.definition.window_ms
    return start, (start + window if start is not None and window is not None else None)


def clue_times(state: HuntState, clue: Clue, side_id: str | None) -> tuple[int | None, int | None]:
    """(opens, closes) of a clue for a side, in epoch ms; None: no such bound (or not known yet:
    a relative time before the side's start is known)."""
    times = clue.times
    if not times:
        return None, None
    start = own_start(state, side_id)
    opens, closes = times.opens_at, times.closes_at
    if times.opens_after_ms is not None:
        opens = None if start is None else start + times.opens_after_ms
    if times.closes_after_ms is not None:
        closes = None if start is None else start + times.closes_after_ms
    return opens, closes


def elapsed_ms(state: HuntState, side_id: str, last_ts: int) -> int:
    """The leaderboard's tie-break: how long after its own start a side reached its score (at
    ``last_ts``); 0 before its start is known or for what it had before it."""
    start = own_start(state, side_id)
    return 0 if start is None else max(0, last_ts - start)


# -- changing the state (called by HuntState.apply and its snapshots) -----------------------------


def apply_schedule(state: HuntState, event: ScheduleSet) -> None:
    """A side's new schedule (all None: back to the hunt's); its tie-break counts from its new start."""
    if event.starts_at is None and event.offset_ms is None and event.window_ms is None:
        state.schedules.pop(event.side, None)
    else:
        state.schedules[event.side] = Schedule(event.starts_at, event.offset_ms, event.window_ms)
    side = state.sides.get(event.side)
    if side is not None:
        if side.active:
            state.board_remove(side)
        side.elapsed = elapsed_ms(state, side.id, side.last_ts)
        if side.active:
            state.board_add(side)


def freeze_standings(state: HuntState) -> None:
    """Keep the standings as they are now for players (organisers go on seeing them live)."""
    state.freeze_at = None
    state.frozen_rows = [key[-1] for key in state.leaderboard]
    state.frozen = {side_id: [rank, state.sides[side_id].score] for rank, side_id in enumerate(state.frozen_rows, 1)}


def apply_freeze(state: HuntState, at: int | None, ts: int) -> None:
    """A board_frozen event at ``ts``: a freeze scheduled for a later ``at``, else one at once."""
    if at is not None and at > ts:
        state.freeze_at = at
    elif state.frozen is None:
        freeze_standings(state)


def timing_snapshot(state: HuntState) -> dict[str, Any]:
    """The snapshot's ``timing`` part: the scheduled freeze, the schedules, each side's tie-break."""
    return {"freeze_at": state.freeze_at,
            "schedules": [[side, s.starts_at, s.offset_ms, s.window_ms] for side, s in state.schedules.items()],
            "sides": {side.id: [side.last_ts, side.elapsed] for side in state.sides.values()}}


def restore_timing(state: HuntState, data: dict[str, Any] | None) -> dict[str, list[int]]:
    """Restore :func:`timing_snapshot` (None: a snapshot from before timed play); return the
    sides' ``[last_ts, elapsed]`` for the caller to build the sides with."""
    if data is None:
        return {}
    state.freeze_at = data["freeze_at"]
    state.schedules = {side: Schedule(start, offset, window) for side, start, offset, window in data["schedules"]}
    sides: dict[str, list[int]] = data["sides"]
    return sides
