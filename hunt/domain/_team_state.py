"""How team-management and division events change a hunt's state, and their snapshot form.

Called by :meth:`HuntState.apply` for the events of :mod:`._team_messages`. A team keeps its
side id for life; a rename changes the name it is shown and joined by (``team_names``). A
player taken off a roster stays a player of the hunt (their finds stay their team's) but is
no longer a member: the team's feed and pushes stop reaching them and the rules refuse them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._team_messages import (
    CaptainChanged,
    DivisionSet,
    PlayerRemoved,
    RosterLocked,
    TeamCreated,
    TeamPasscodeChanged,
    TeamRenamed,
    TeamSizeSet,
)

if TYPE_CHECKING:
    from ._messages import Recorded
    from ._state import HuntState

__all__ = ["apply_team_event", "team_extras", "team_extras_from_dict"]

_SIDE_EXTRAS = ("captain", "passcode", "code_gen", "size", "locked_at", "division")


def apply_team_event(state: HuntState, recorded: Recorded, event: Any) -> None:
    from ._state import Side, fold_team_name  # a cycle at import time otherwise: _state imports this module

    match event:
        case TeamCreated(side=side_id, name=name, passcode=passcode, size=size, division=division):
            side = Side(id=side_id, name=name, members=[], order_seq=recorded.seq, passcode=passcode, size=size,
                        division=division)
            state.sides[side_id] = side
            state.board_add(side)
            state.team_names[fold_team_name(name)] = side_id
        case TeamRenamed(side=side_id, name=name):
            side = state.sides[side_id]
            del state.team_names[fold_team_name(side.name)]
            side.name = name
            state.team_names[fold_team_name(name)] = side_id
        case TeamPasscodeChanged(side=side_id, passcode=passcode, generation=generation):
            side = state.sides[side_id]
            side.passcode, side.code_gen = passcode, generation
        case TeamSizeSet(side=side_id, size=size):
            state.sides[side_id].size = size
        case CaptainChanged(side=side_id, player=player_id):
            state.sides[side_id].captain = player_id
        case PlayerRemoved(player=player_id, side=side_id):
            player, side = state.players[player_id], state.sides[side_id]
            player.removed = True
            side.members.remove(player_id)
            if side.captain == player_id:  # the next member in joining order takes over
                side.captain = side.members[0] if side.members else None
        case RosterLocked(side=None, at=at):
            state.rosters_locked_at = at
        case RosterLocked(side=str(side_id), at=at):
            state.sides[side_id].locked_at = at
        case DivisionSet(side=side_id, division=division):
            side = state.sides[side_id]
            if side.active:
                state.board_remove(side)
            side.division = division
            if side.active:
                state.board_add(side)


def team_extras(state: HuntState) -> dict[str, Any]:
    """The snapshot's part for teams and divisions (empty for a hunt that uses neither)."""
    extras: dict[str, Any] = {}
    sides = {}
    for side in state.sides.values():
        values = {name: getattr(side, name) for name in _SIDE_EXTRAS}
        kept = {name: value for name, value in values.items() if value not in (None, 0)}
        if kept:
            sides[side.id] = kept
    if sides:
        extras["team_sides"] = sides
    removed = [player.id for player in state.players.values() if player.removed]
    if removed:
        extras["removed"] = removed
    if state.rosters_locked_at is not None:
        extras["rosters_locked_at"] = state.rosters_locked_at
    return extras


def team_extras_from_dict(state: HuntState, data: dict[str, Any]) -> None:
    """Restore :func:`team_extras` (absent in snapshots written before teams were managed: then a
    team's captain is its first member, as it always was)."""
    from ._state import fold_team_name

    for side_id, values in data.get("team_sides", {}).items():
        side = state.sides[side_id]
        for name in _SIDE_EXTRAS:
            if name in values:
                setattr(side, name, values[name])
    for player_id in data.get("removed", ()):
        state.players[player_id].removed = True
    state.rosters_locked_at = data.get("rosters_locked_at")
    for side in state.sides.values():
        if side.id.startswith("team:"):
            state.team_names[fold_team_name(side.name)] = side.id
            if "team_sides" not in data and side.members and side.captain is None:
                side.captain = side.members[0]
