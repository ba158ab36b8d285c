"""The rules of teams and divisions: who may join which team, and the organiser's team commands.

- A team is created by the organiser (``CreateTeam``) or, unless the hunt's ``team_creation``
  is ``"organiser"``, by the first player who joins under a new name: its captain. The first
  player to join a team without a captain becomes it; the organiser may hand it on.
- Joining a team that exists needs its passcode (checked by the API, which holds the key:
  ``code_ok``), room under its size cap (its own, else the hunt's ``team_size``) and an open
  roster (neither every roster nor this one locked at the time of the join).
- A side picks a division at join when the hunt has divisions and ``division_choice`` is
  ``"join"``; a team's division is its creator's, and later joiners may only repeat it. The
  organiser sets or changes any side's division.

Every refusal says what to do, and changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from ._definition import MAX_TEAM_SIZE
from ._errors import Rejected
from ._names import clean_name
from ._state import HuntState, Player, Side, team_side_id
from ._team_messages import (
    CaptainChanged,
    CreateTeam,
    DivisionSet,
    LockRosters,
    PlayerRemoved,
    RemovePlayer,
    RenameTeam,
    RosterLocked,
    SetCaptain,
    SetDivision,
    SetTeamPasscode,
    SetTeamSize,
    TeamCreated,
    TeamEvent,
    TeamPasscodeChanged,
    TeamRenamed,
    TeamSizeSet,
)

__all__ = [
    "MAX_TEAMS",
    "MAX_TEAM_NAME",
    "TeamCommand",
    "decide_team",
    "join_division",
    "join_team",
    "new_side_id",
    "roster_locked",
]

MAX_TEAM_NAME = 64
MAX_TEAMS = 100_000  # teams the organiser may create in one hunt (players' teams are bounded by players)
MAX_REMOVE_REASON = 500
_PASSCODE_HASH = re.compile(r"[0-9a-f]{64}")

TeamCommand = (CreateTeam | RenameTeam | SetTeamPasscode | SetTeamSize | SetCaptain | RemovePlayer | LockRosters
               | SetDivision)


def join_team(state: HuntState, team: Any, code_ok: bool, now_ms: int,
              clean: Any = clean_name) -> tuple[str, str | None]:
    """The (cleaned name, side id unless the name gives it) of the team a player joins,
    or Rejected: the team exists and the code is wrong, it is full, its roster is locked; or it
    does not exist and players may not create teams (or every roster is locked)."""
    if team is None:
        raise Rejected("bad_request", "this hunt is played in teams: team must be a non-empty string")
    name = clean(team, "team", MAX_TEAM_NAME)
    side = state.team_by_name(name)
    if side is None:
        if state.definition.teams.team_creation == "organiser":
            raise Rejected("unknown_team", f"there is no team {name!r}: the organiser makes the teams, ask them "
                                           "for your team's name and passcode (or its invite link)")
        if roster_locked(state, None, now_ms):
            raise Rejected("roster_locked", "the rosters are locked: no new teams may be made")
        return name, new_side_id(state, name)
    if not code_ok:
        raise Rejected("unauthorized", f"team {side.name!r} exists: joining it needs its team code "
                                       "(its passcode, from its captain or the organiser)")
    if roster_locked(state, side, now_ms):
        raise Rejected("roster_locked", f"the roster of team {side.name!r} is locked: nobody new may join it")
    cap = side.size if side.size is not None else state.definition.team_size
    if cap is not None and len(side.members) >= cap:
        raise Rejected("team_full", f"team {side.name!r} already has {cap} players")
    # The name as the joiner wrote it (the log kept it so before renames existed), and the side
    # id when that name does not give it.
    return name, None if side.id == team_side_id(name) else side.id


def join_division(state: HuntState, division: Any, side: Side | None) -> str | None:
    """The division a joining side plays in (``side``: the team it joins, if it exists)."""
    if division is None:
        return None
    options = state.definition.teams
    if not options.divisions:
        raise Rejected("bad_request", "this hunt has no divisions: leave out division")
    if options.division_choice != "join":
        raise Rejected("bad_request", "the organiser sets the divisions of this hunt: leave out division")
    if options.division(division) is None:
        raise Rejected("unknown_division", f"no division {_shown(division)} in this hunt; it has "
                                           + ", ".join(d.id for d in options.divisions))
    if side is not None:
        if side.division != division:
            raise Rejected("bad_request", f"team {side.name!r} plays in "
                                          f"{_division_title(state, side.division)}: leave out division")
        return None  # the team's already
    return str(division)


def roster_locked(state: HuntState, side: Side | None, now_ms: int) -> bool:
    """Whether joins to ``side`` (None: new teams) are refused at ``now_ms``."""
    at = [t for t in (state.rosters_locked_at, side.locked_at if side else None) if t is not None]
    return any(now_ms >= t for t in at)


def decide_team(state: HuntState, command: TeamCommand, now_ms: int) -> TeamEvent:
    """The event of an organiser's team or division command, or Rejected."""
    if isinstance(command, SetDivision):
        return _set_division(state, command)
    if state.definition.mode != "teams":
        raise Rejected("invalid_state", "this hunt is played solo: it has no teams")
    match command:
        case CreateTeam(name=name, passcode=passcode, size=size, division=division):
            if len(state.team_names) >= MAX_TEAMS:
                raise Rejected("invalid_state", f"this hunt already has {MAX_TEAMS} teams")
            name = clean_name(name, "name", MAX_TEAM_NAME)
            if state.team_by_name(name) is not None:
                raise Rejected("invalid_state", f"there is already a team {name!r}")
            if division is not None and state.definition.teams.division(division) is None:
                raise Rejected("unknown_division", f"no division {_shown(division)} in this hunt")
            return TeamCreated(new_side_id(state, name) or team_side_id(name), name, _passcode(passcode),
                               _size(size), division)
        case RenameTeam(team=team_id, name=name):
            side = _team(state, team_id)
            name = clean_name(name, "name", MAX_TEAM_NAME)
            other = state.team_by_name(name)
            if other is not None and other.id != side.id:
                raise Rejected("invalid_state", f"there is already a team {other.name!r}")
            if name == side.name:
                raise Rejected("invalid_state", f"the team is already called {name!r}")
            return TeamRenamed(side.id, name)
        case SetTeamPasscode(team=team_id, passcode=passcode):
            side = _team(state, team_id)
            return TeamPasscodeChanged(side.id, _passcode(passcode), side.code_gen + 1)
        case SetTeamSize(team=team_id, size=size):
            side = _team(state, team_id)
            return TeamSizeSet(side.id, _size(size))
        case SetCaptain(team=team_id, player=player_id):
            side = _team(state, team_id)
            if not isinstance(player_id, str) or player_id not in side.members:
                raise Rejected("unknown_player", f"{_shown(player_id)} is not on team {side.name!r}")
            if side.captain == player_id:
                raise Rejected("invalid_state", f"{state.players[player_id].name!r} is already the captain")
            return CaptainChanged(side.id, player_id)
        case RemovePlayer(player=player_id, reason=reason):
            player = _member(state, player_id)
            if not isinstance(reason, str) or len(reason) > MAX_REMOVE_REASON:
                raise Rejected("bad_request", f"reason must be a string of at most {MAX_REMOVE_REASON} characters")
            return PlayerRemoved(player.id, player.side, reason)
        case LockRosters(team=team_id, locked=locked, at=at):
            one = None if team_id is None else _team(state, team_id)
            if not isinstance(locked, bool):
                raise Rejected("bad_request", "locked must be true or false")
            if not locked:
                if at is not None:
                    raise Rejected("bad_request", "an unlock takes no time: it is at once")
                current = state.rosters_locked_at if one is None else one.locked_at
                if current is None:
                    raise Rejected("invalid_state", "that roster is not locked")
                return RosterLocked(None if one is None else one.id, None)
            if at is None:
                at = now_ms
            elif not isinstance(at, int) or isinstance(at, bool) or at < 0:
                raise Rejected("bad_request", "at must be a time (epoch milliseconds)")
            return RosterLocked(None if one is None else one.id, at)
    raise Rejected("unknown_op", f"unknown command {type(command).__name__}")


def _set_division(state: HuntState, command: SetDivision) -> DivisionSet:
    side = state.sides.get(command.side) if isinstance(command.side, str) else None
    if side is None:
        raise Rejected("unknown_team", f"no team or solo player {_shown(command.side)} in this hunt")
    division = command.division
    if division is not None and state.definition.teams.division(division) is None:
        raise Rejected("unknown_division", f"no division {_shown(division)} in this hunt")
    if division == side.division:
        raise Rejected("invalid_state", f"{side.name!r} already plays in {_division_title(state, division)}")
    return DivisionSet(side.id, division)


def _team(state: HuntState, team_id: Any) -> Side:
    side = state.sides.get(team_id) if isinstance(team_id, str) and team_id.startswith("team:") else None
    if side is None:
        raise Rejected("unknown_team", f"no team {_shown(team_id)} in this hunt")
    return side


def _member(state: HuntState, player_id: Any) -> Player:
    player = state.players.get(player_id) if isinstance(player_id, str) else None
    if player is None:
        raise Rejected("unknown_player", f"no player {_shown(player_id)} in this hunt")
    if player.removed:
        raise Rejected("invalid_state", f"{player.name!r} is not on a team's roster any more")
    return player


def _passcode(value: Any) -> str | None:
    # A keyed hash made by the API (64 hex digits): its form is checked, never its meaning.
    if value is None:
        return None
    if not isinstance(value, str) or _PASSCODE_HASH.fullmatch(value) is None:
        raise Rejected("bad_request", "passcode must be the API's keyed hash of a passcode")
    return value


def _size(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_TEAM_SIZE:
        raise Rejected("bad_request", f"size must be an integer from 1 to {MAX_TEAM_SIZE}, or null")
    return value


def new_side_id(state: HuntState, name: str) -> str | None:
    """The side id of a new team called ``name``: its name's own, unless a renamed team has that
    one (then the first free ``team:<name>~N``); None when it is the name's own."""
    base = team_side_id(name)
    if base not in state.sides:
        return None
    n = 2
    while f"{base}~{n}" in state.sides:
        n += 1
    return f"{base}~{n}"


def _division_title(state: HuntState, division: str | None) -> str:
    found = state.definition.teams.division(division)
    return "no division" if found is None else f"division {found.title!r}"


def _shown(value: Any) -> str:
    return repr(value)[:80]



def team_outcome(event: TeamEvent) -> dict[str, Any]:
    """The ack fields of a team or division command, rebuilt from its event alone."""
    match event:
        case TeamCreated(side=side, name=name, size=size, division=division):
            return {"result": "ok", "side": side, "team": name, "size": size, "division": division}
        case TeamRenamed(side=side, name=name):
            return {"result": "ok", "side": side, "team": name}
        case TeamPasscodeChanged(side=side, passcode=passcode, generation=generation):
            return {"result": "ok", "side": side, "generation": generation, "passcode_set": passcode is not None}
        case TeamSizeSet(side=side, size=size):
            return {"result": "ok", "side": side, "size": size}
        case CaptainChanged(side=side, player=player):
            return {"result": "ok", "side": side, "captain": player}
        case PlayerRemoved(player=player, side=side):
            return {"result": "ok", "side": side, "player": player, "removed": True}
        case RosterLocked(side=side, at=at):
            return {"result": "ok", "side": side, "locked": at is not None, "at": at}
        case DivisionSet(side=side, division=division):
            return {"result": "ok", "side": side, "division": division}


def team_command(cmd: str, event: TeamEvent) -> TeamCommand:
    """The organiser's command that gives ``event`` (for ``check``: it is decided again and the
    two events must be equal)."""
    match event:
        case TeamCreated(name=name, passcode=passcode, size=size, division=division):
            return CreateTeam(cmd, name, passcode, size, division)
        case TeamRenamed(side=side, name=name):
            return RenameTeam(cmd, side, name)
        case TeamPasscodeChanged(side=side, passcode=passcode):
            return SetTeamPasscode(cmd, side, passcode)
        case TeamSizeSet(side=side, size=size):
            return SetTeamSize(cmd, side, size)
        case CaptainChanged(side=side, player=player):
            return SetCaptain(cmd, side, player)
        case PlayerRemoved(player=player, reason=reason):
            return RemovePlayer(cmd, player, reason)
        case RosterLocked(side=side, at=at):
            return LockRosters(cmd, side, at is not None, at)
        case DivisionSet(side=side, division=division):
            return SetDivision(cmd, side, division)
