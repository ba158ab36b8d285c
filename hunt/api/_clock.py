"""The clock of timed play as the views show it: the organiser's schedule table, and what a
player is told of their side's window, their clues' release times and the freeze. Pure."""

from __future__ import annotations

from typing import Any

from ..domain import Clue, HuntState, began, clue_times, own_start, side_window

__all__ = ["clue_clock", "schedule_view", "timing_phase", "timing_public"]


def schedule_view(state: HuntState) -> dict[str, Any]:
    """The organiser's view of the clock: the hunt's start, end, window and freeze; each side
    with its own schedule (its start and window end resolved, epoch ms); the timed clues."""
    definition = state.definition
    sides = []
    for side_id, schedule in state.schedules.items():
        side = state.sides.get(side_id)
        start, end = side_window(state, side_id)
        sides.append({
            "side": side_id, "name": side.name if side else side_id.removeprefix("team:"),
            "joined": side is not None, "members": len(side.members) if side else 0,
            "starts_at": start, "ends_at": end, "schedule": schedule.document(),
            "score": side.score if side else 0, "elapsed_ms": side.elapsed if side else 0})
    clues = []
    for clue in definition.clues:
        if clue.times and not clue.retired:
            times = clue.times
            clues.append({"id": clue.id, "title": clue.title, "opens_at": times.opens_at,
                          "closes_at": times.closes_at,
                          "opens_after_s": None if times.opens_after_ms is None else times.opens_after_ms // 1000,
                          "closes_after_s": None if times.closes_after_ms is None else times.closes_after_ms // 1000})
    start, end = side_window(state, None)
    return {"seq": state.seq, "mode": definition.mode, "began": began(state), "starts_at": definition.starts_at,
            "ends_at": definition.ends_at,
            "window_s": None if definition.window_ms is None else definition.window_ms // 1000,
            "default_window": {"starts_at": start, "ends_at": end},
            "freeze_at": state.freeze_at, "frozen": state.frozen is not None, "sides": sides, "clues": clues}


def timing_public(state: HuntState, side_id: str | None, now_ms: int) -> dict[str, Any]:
    """What a player (or anybody, ``side_id`` None) is told of the clock: their side's window
    (``starts_at``/``ends_at``, epoch ms, null where unbounded or not known yet), the scheduled
    freeze, and whether the scoreboard is frozen for players now."""
    start, end = side_window(state, side_id)
    return {"window": {"starts_at": start, "ends_at": end}, "freeze_at": state.freeze_at,
            "frozen": state.frozen_at(now_ms)}


def clue_clock(state: HuntState, side_id: str | None, clue: Clue, now_ms: int) -> tuple[dict[str, Any], bool]:
    """A timed clue's ``opens_at``/``closes_at`` for a side (and ``closed``), and whether it is
    not released yet (then its prompt stays hidden)."""
    opens, closes = clue_times(state, clue, side_id)
    relative = clue.times.opens_after_ms is not None
    waiting = (opens is not None and now_ms < opens) or (relative and own_start(state, side_id) is None)
    fields: dict[str, Any] = {"opens_at": opens, "closes_at": closes}
    if closes is not None and now_ms >= closes:
        fields["closed"] = True
    return fields, waiting


def timing_phase(state: HuntState, side_id: str | None, now_ms: int) -> int:
    """How many of the times that change a side's public view have passed (its window's edges,
    its clues' release times, the freeze): a cache key part, so a view changes when one passes."""
    times = [*side_window(state, side_id), state.freeze_at]
    for clue in state.definition.clues:
        if clue.times:
            times.extend(clue_times(state, clue, side_id))
    return sum(1 for t in times if t is not None and t <= now_ms)
