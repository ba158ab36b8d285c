"""Announcements and errata: the organisers' messages to everybody, a team or one player."""

from __future__ import annotations

from typing import Any

from ._errors import Rejected
from ._messages import Announce, Announced
from ._names import clean_name
from ._state import HuntState

__all__ = ["MAX_ANNOUNCEMENT", "decide_announce", "team_of"]

MAX_ANNOUNCEMENT = 1000


def decide_announce(state: HuntState, command: Announce) -> Announced:
    """Any time (before the start, during, after the end); at most one of ``team`` and ``player``."""
    text = command.text
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_ANNOUNCEMENT:
        raise Rejected("bad_request", f"text must be a non-empty string of at most {MAX_ANNOUNCEMENT} characters")
    if command.team is not None and command.player is not None:
        raise Rejected("bad_request", "an announcement goes to everybody, one team or one player: not both")
    if command.player is not None:
        if not isinstance(command.player, str) or command.player not in state.players:
            raise Rejected("unknown_player", f"no player {_shown(command.player)} in this hunt")
        return Announced(command.player, None, text.strip())
    if command.team is not None:
        side = team_of(state, command.team)
        return Announced(None, side, text.strip())
    return Announced(None, None, text.strip())


def team_of(state: HuntState, team: Any) -> str:
    """The side id of the team named ``team``, or Rejected (a solo hunt, no such team)."""
    if state.definition.mode != "teams":
        raise Rejected("bad_request", "this hunt is played solo: it has no teams")
    name = clean_name(team, "team", 64) if isinstance(team, str) else None
    side = state.team_by_name(name) if name else None  # by its name now (a renamed team keeps its id)
    if side is None:
        raise Rejected("unknown_team", f"no team {_shown(team)} in this hunt")
    return side.id


def _shown(value: Any) -> str:
    return repr(value)[:80]
