"""Feed items of team management and divisions: what a team's players are told when the
organiser changes their team.

A rename, a new captain, a new passcode, a roster lock and a new division go to the team's
members (a lock of every roster to everybody); a removal to the removed player and the team.
A passcode never appears: the captain's page asks again (``hello``) and its ``welcome`` has it.
A new team is no news: nobody is on it yet.
"""

from __future__ import annotations

from typing import Any

from ..domain import (
    CaptainChanged,
    DivisionSet,
    HuntState,
    PlayerRemoved,
    Recorded,
    RosterLocked,
    TeamPasscodeChanged,
    TeamRenamed,
)

__all__ = ["TEAM_FEED_TYPES", "team_feed_item"]

TEAM_FEED_TYPES = ("team_renamed", "captain_changed", "team_passcode_changed", "player_removed", "roster_locked",
                   "division_set")

FeedItem = tuple[int, tuple[str, ...] | None, dict[str, Any]]


def team_feed_item(recorded: Recorded, state: HuntState, base: dict[str, Any]) -> FeedItem | None:
    """The feed item of a team or division event (``base``: its seq and ts), or None."""
    event = recorded.event
    match event:
        case TeamRenamed(side=side_id, name=name):
            base.update(kind="team_renamed", side=side_id, team=name, text=f"Your team is now called {name}")
        case CaptainChanged(side=side_id, player=player_id):
            name = _name(state, player_id)
            base.update(kind="captain_changed", side=side_id, player=player_id, name=name,
                        text=f"{name} is now your team's captain")
        case TeamPasscodeChanged(side=side_id):
            base.update(kind="team_passcode_changed", side=side_id,
                        text="The organiser changed your team's passcode: the captain has the new one")
        case PlayerRemoved(player=player_id, side=side_id, reason=reason):
            name = _name(state, player_id)
            text = f"The organiser took {name} off the team" + (f": {reason}" if reason else "")
            base.update(kind="player_removed", side=side_id, player=player_id, name=name, reason=reason, text=text)
            side = state.sides.get(side_id)
            return recorded.seq, (player_id, *(side.members if side else ())), base
        case RosterLocked(side=side_id, at=at):
            whose = "Every team's roster" if side_id is None else "Your team's roster"
            text = f"{whose} is locked: nobody new may join" if at is not None else f"{whose} is open again"
            base.update(kind="roster_locked", side=side_id, locked=at is not None, at=at, text=text)
            if side_id is None:
                return recorded.seq, None, base
        case DivisionSet(side=side_id, division=division):
            found = state.definition.teams.division(division)
            title = found.title if found else None
            base.update(kind="division_set", side=side_id, division=division, division_title=title,
                        text=f"You now play in the {title} division" if title else "You now play in no division")
        case _:
            return None
    side = state.sides.get(base["side"])
    return recorded.seq, tuple(side.members) if side else (), base


def _name(state: HuntState, player_id: str) -> str:
    player = state.players.get(player_id)
    return player.name if player else player_id
