"""JSON views of a hunt's state: what the endpoints and pushes send. Pure, synchronous.

Each function reads a settled :class:`HuntState` and returns plain data; the caller encodes
it (once per state version where it is cached). Nothing here reveals answers, codes,
coordinates or hint texts except where a view is explicitly for admins.
"""

from __future__ import annotations

from typing import Any

from ..domain import HuntState, Player, map_areas, map_on, shown_media, visible_targets
from ._clock import clue_clock, timing_public

__all__ = [
    "clue_table",
    "clue_values",
    "dynamic_values",
    "hunt_detail",
    "hunt_public",
    "is_published",
    "leaderboard_page",
    "player_detail",
    "player_progress",
    "side_progress",
    "welcome_view",
    "you_row",
]


def is_published(state: HuntState, now_ms: int) -> bool:
    """Whether anybody may see the hunt: any hunt but a draft (``"draft": true`` in its
    definition) that has not started yet. Players may wait for a hunt that is not a draft."""
    return not state.definition.draft or state.status_at(now_ms) != "pending"


def hunt_public(state: HuntState, now_ms: int, player: Player | None = None) -> dict[str, Any]:
    """What anybody may see of a hunt: no answers, codes, coordinates or hint texts, and the
    prompt only of the clues that are open: to everybody, or to ``player``'s side when given.

    Before the start no clue is open; once the hunt ended every clue is. A clue that is not
    open shows ``"locked": true`` and no prompt. Each clue carries ``value``: the points it
    would award its next finder now (decay and first-finder bonus applied; before any hint costs).
    Timed play: ``window`` is the side's own window (or the hunt's), a timed clue carries its
    ``opens_at``/``closes_at`` for the side (``closed`` once past) and stays locked until it opens.
    """
    definition = state.definition.public()
    values = clue_values(state)
    status = state.status_at(now_ms)
    side = state.sides[player.side] if player is not None else None
    side_id = player.side if player is not None else None
    shown = set(visible_targets(state, side, now_ms))  # whose media this viewer may see
    clues = []
    for clue, view in zip(state.definition.clues, definition["clues"], strict=True):
        if clue.retired:  # withdrawn by the organisers: gone from the players' view
            continue
        view["value"] = values[view["id"]]
        waiting = False
        if clue.times:
            times, waiting = clue_clock(state, side_id, clue, now_ms)
            view.update(times)
        if status == "pending" or (status != "ended" and (waiting or state.missing_for(side, clue))):
            view = {key: value for key, value in view.items() if key != "prompt"}
            view["locked"] = True
        _add_media(state, view, shown)
        clues.append(view)
    return {
        "id": definition["id"], "title": definition["title"], "description": definition["description"],
        "mode": definition["mode"], "order": definition["order"], "status": status,
        "starts_at": definition["starts_at"], "ends_at": definition["ends_at"],
        "hint_policy": definition["hint_policy"], "allow_typed_position": definition["allow_typed_position"],
        "team_size": definition["team_size"], "divisions": definition["divisions"],
        "division_choice": definition["division_choice"], "team_creation": definition["team_creation"],
        **timing_public(state, side_id, now_ms), "clues": clues,
        **_notices_and_map(state, shown, side, now_ms),
    }


def _add_media(state: HuntState, view: dict[str, Any], shown: set[str]) -> None:
    """The media of a clue's prompt and of its hints, where the viewer may see them (``shown``)."""
    key = f"clue:{view['id']}"
    if key in shown and (media := shown_media(state, key)):
        view["media"] = media
    for index, hint in enumerate(view["hints"]):
        key = f"hint:{view['id']}:{index}"
        if key in shown and (media := shown_media(state, key)):
            hint["media"] = media


def _notices_and_map(state: HuntState, shown: set[str], side: Any, now_ms: int) -> dict[str, Any]:
    """``intro`` and ``outro`` ({"text", "media"}) where the viewer may see them and they say
    something, and ``map`` ({"areas"}: the side's) while the map is on."""
    fields: dict[str, Any] = {}
    for name in ("intro", "outro"):
        notice = getattr(state.definition, name)
        text, media = (notice.text if notice else ""), shown_media(state, name)
        if name in shown and (text or media):
            fields[name] = {"text": text, "media": media}
    if map_on(state):
        fields["map"] = {"areas": map_areas(state, side, now_ms) if side is not None else []}
    return fields


def clue_values(state: HuntState) -> dict[str, int]:
    """What each clue would award its next finder now: ``{clue id: points}``."""
    return {clue.id: clue.value(state.clue_stats[clue.id].finders) for clue in state.definition.clues}


def dynamic_values(state: HuntState) -> dict[str, int]:
    """:func:`clue_values` of the clues whose value changes as they are found (pushed live)."""
    return {clue.id: clue.value(state.clue_stats[clue.id].finders) for clue in state.definition.clues
            if clue.decay is not None or clue.first_bonus}


def leaderboard_page(state: HuntState, limit: int, offset: int, *, public: bool = False,
                     now_ms: int | None = None, division: str | None = None) -> dict[str, Any]:
    """``{"seq", "total", "rows": [{"rank", "player", "name", "score", "captain"?, "division"?}],
    "frozen"?: true, "division"?: id}``; ``public``: as players may see it (while the scoreboard is
    frozen, the standings as of the freeze). ``frozen`` is there while the scoreboard is frozen
    (for organisers too, who see it live); with ``now_ms``, also once a scheduled freeze is due
    (the standings then are still the live ones). ``division``: that division's board (ranks within it)."""
    page: dict[str, Any] = {"seq": state.seq}
    if public and state.frozen is not None:
        page.update(total=len(state.frozen_board(division)), rows=state.public_top(limit, offset, division))
    else:
        page.update(total=len(state.board(division)), rows=state.top(limit, offset, division))
    if state.frozen is not None or (now_ms is not None and state.frozen_at(now_ms)):
        page["frozen"] = True
    if division is not None:
        page["division"] = division
    return page


def you_row(state: HuntState, player_id: str) -> dict[str, Any] | None:
    """A player's own line of the leaderboard (their team's score and rank in team hunts)."""
    player = state.players.get(player_id)
    if player is None:
        return None
    side = state.sides[player.side]
    rank, score = state.public_standing(side.id)  # while frozen, as of the freeze
    row: dict[str, Any] = {"player": player.id, "name": player.name, "score": score, "rank": rank}
    if player.team is not None:
        row["team"] = side.name
        row["side"] = side.id
    if side.division is not None:
        row["division"] = side.division
        row["division_rank"] = state.public_division_rank(side.id)
    return row


def player_progress(state: HuntState, player: Player) -> dict[str, Any]:
    side = state.sides[player.side]
    return {
        "found": {clue: dict(found) for clue, found in side.found.items()},
        "hints": dict(side.hints),
        "wrong": dict(player.wrong),
        "location": list(player.location) if player.location else None,
        "pings": player.pings,
    }


def side_progress(state: HuntState, player: Player) -> dict[str, Any]:
    """A player's progress as their side stands: found clues, hints with their texts, score, rank.

    The progress carries the texts of the hints the player's side has paid for (they may see
    them again on a new device): ``"hints": {clue: [{"index", "text", "cost"}, ...]}``. It is
    sent in ``welcome`` and in the ``join`` ack (a player joining a team that has already
    played sees what the team found at once).
    """
    side = state.sides[player.side]
    progress = player_progress(state, player)
    hint_texts: dict[str, list[dict[str, Any]]] = {}
    for clue_id, taken in side.hints.items():
        clue = state.definition.clue(clue_id)
        if clue is not None:
            hint_texts[clue_id] = [{"index": i, "text": hint.text, "cost": hint.cost}
                                   for i, hint in enumerate(clue.hints[:taken])]
    progress["hints"] = hint_texts
    # Mission entries: the side's latest per clue, with its verdict once judged.
    entries: dict[str, dict[str, Any]] = {}
    for clue_id, seq in state.side_entries.get(side.id, {}).items():
        entry = state.entries[seq]
        entries[clue_id] = {"entry": seq, "status": entry["status"], "kind": entry["kind"],
                            "message": (entry.get("judged") or {}).get("message", "")}
    progress["entries"] = entries
    progress["score"] = side.score
    progress["rank"] = state.public_standing(side.id)[0]  # while frozen, the rank as of the freeze
    return progress


def welcome_view(state: HuntState, player: Player, now_ms: int) -> dict[str, Any]:
    """What ``welcome`` (the reply to ``hello``) says: who you are, where the hunt is, and your progress."""
    side = state.sides[player.side]
    progress = side_progress(state, player)
    rank = progress["rank"]
    return {
        "player": player.id, "seq": state.seq, "name": player.name,
        "team": player.team, "status": state.status_at(now_ms), "banned": player.banned,
        "score": side.score, "rank": rank, "progress": progress, "division": side.division,
    }


def player_detail(state: HuntState, player: Player) -> dict[str, Any]:
    """The admin view of a player: progress, and the audit (every point of their score)."""
    side = state.sides[player.side]
    return {
        "player": player.id, "name": player.name, "team": player.team, "side": side.id,
        "score": side.score, "rank": state.rank_of(side.id), "banned": player.banned,
        "joined": {"seq": player.joined_seq, "ts": player.joined_ts},
        "progress": player_progress(state, player),
        "audit": [dict(entry) for entry in side.ledger],
    }


def clue_table(state: HuntState) -> dict[str, Any]:
    rows = []
    for clue in state.definition.clues:
        stats = state.clue_stats[clue.id]
        rows.append({
            "id": clue.id, "title": clue.title, "kind": clue.kind, "points": clue.points, "retired": clue.retired,
            "attempts": stats.attempts, "wrong": stats.wrong, "finders": stats.finders,
            "first_finder": stats.first_finder, "median_solve_s": stats.median_solve_s(),
            "hints_taken": stats.hints_taken,
        })
    return {"seq": state.seq, "clues": rows}


def hunt_detail(state: HuntState, now_ms: int) -> dict[str, Any]:
    """The admin view of a hunt, without the actor's live numbers (the caller adds them)."""
    cell = state.definition.heatmap_cell_deg
    cells = [[round(lat * cell, 9), round(lon * cell, 9), count]
             for (lat, lon), count in sorted(state.heatmap.items())]
    return {
        "id": state.definition.id, "title": state.definition.title, "status": state.status_at(now_ms),
        "seq": state.seq,
        "definition": dict(state.definition.document),
        "stats": {"events": state.seq, "by_type": dict(sorted(state.counts.items())),
                  "players": len(state.players), "sides": len(state.sides)},
        "heatmap": {"cell_deg": cell, "cells": cells, "max_cells": state.definition.heatmap_max_cells,
                    "overflow": state.heatmap_overflow},
    }
