"""Who is on a connection: joins and hellos as the player protocol sees them.

- A join's ``id`` is a bearer secret (resending it returns the player's token): the rules see,
  and the log keeps, only its keyed hash (:meth:`PlayerTokens.join_key`).
- Tokens are signed for one incarnation of a hunt (``HuntState.incarnation``).
- A team that exists is joined with its team code, which this module checks (the rules then
  decide whether the team exists and has room); the captain, its first player, is told the
  code in the join ack and in every ``welcome``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..domain import HuntState, JoinHunt, Player, Rejected, clean_name, team_side_id
from ..protocol import Unauthorized
from ._tokens import PlayerTokens

__all__ = ["greeted_player", "join_extras", "keyed_join", "welcome_extras"]


def keyed_join(tokens: PlayerTokens, hunt_id: str, state: HuntState, command: JoinHunt,
               team_code: str | None) -> JoinHunt:
    """The join the engine gets: the id replaced by its keyed hash, the team code checked."""
    return replace(command, cmd=tokens.join_key(hunt_id, command.cmd),
                   team_code_ok=_team_code_ok(tokens, hunt_id, state.incarnation, command.team, team_code))


def join_extras(tokens: PlayerTokens, hunt_id: str, state: HuntState, fields: dict[str, Any]) -> dict[str, Any]:
    """What a join ack adds to the outcome: the token, and the team code for a captain."""
    extra = {"token": tokens.issue(hunt_id, fields["player"], state.incarnation)}
    if fields.get("captain"):
        extra["team_code"] = tokens.team_code(hunt_id, state.incarnation, team_side_id(fields["team"]))
    return extra


def greeted_player(tokens: PlayerTokens, hunt_id: str, state: HuntState, token: str) -> Player:
    """The player a ``hello`` token names; raises Unauthorized if it is not one of this hunt's."""
    player_id = tokens.verify(hunt_id, token, state.incarnation)
    if player_id is None:
        raise Unauthorized("the token is not valid for this hunt")
    player = state.players.get(player_id)
    if player is None:
        raise Unauthorized("the token's player is not in this hunt")
    return player


def welcome_extras(tokens: PlayerTokens, hunt_id: str, state: HuntState, player: Player) -> dict[str, Any]:
    """What a ``welcome`` adds for a team's captain: the team code to hand on."""
    if player.team is None or state.sides[player.side].members[0] != player.id:
        return {}
    return {"team_code": tokens.team_code(hunt_id, state.incarnation, player.side)}


def _team_code_ok(tokens: PlayerTokens, hunt_id: str, incarnation: str | None, team: str | None,
                  code: str | None) -> bool:
    if team is None or code is None:
        return False
    try:
        side_id = team_side_id(clean_name(team, "team", len(team)))
    except Rejected:
        return False  # the rules refuse the name, saying why
    return tokens.team_code_matches(hunt_id, incarnation, side_id, code)
