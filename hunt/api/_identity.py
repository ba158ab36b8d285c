"""Who is on a connection: joins and hellos as the player protocol sees them.

- A join's ``id`` is a bearer secret (resending it returns the player's token): the rules see,
  and the log keeps, only its keyed hash (:meth:`PlayerTokens.join_key`).
- Tokens are signed for one incarnation of a hunt (``HuntState.incarnation``).
- A team that exists is joined with its passcode, which this module checks (the rules then
  decide whether the team exists, has room and an open roster); the captain is told the
  team's generated code in the join ack and in every ``welcome`` (a passcode the organiser
  chose is kept only as a keyed hash: nobody can be told it again).
- A player the organiser took off their team may not say hello again (``removed``): they join
  again as a new player.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..domain import MAX_NAME, HuntState, JoinHunt, Player, Rejected, clean_name, team_side_id
from ..engine import Ack
from ..protocol import BadRequest, ErrorCode, RequestError, Unauthorized, frames
from ._context import ApiContext
from ._tokens import PlayerTokens
from ._views import welcome_view

__all__ = ["greeted_player", "join_ack", "keyed_join", "refuse_forged", "team_code_view", "welcome_frame"]


def keyed_join(ctx: ApiContext, hunt_id: str, state: HuntState, command: JoinHunt,
               team_code: str | None) -> JoinHunt:
    """The join the engine gets: the id replaced by its keyed hash, the team code checked."""
    ctx.incarnations[hunt_id] = state.incarnation
    tokens = ctx.tokens
    return replace(command, cmd=tokens.join_key(hunt_id, command.cmd),
                   team_code_ok=_team_code_ok(tokens, hunt_id, state, command.team, team_code))


def join_ack(ctx: ApiContext, hunt_id: str, state: HuntState, join_id: str, ack: Ack) -> frames.Frame:
    """The ack of a join (under the id the client sent): the outcome, the token, and for a
    captain the team code."""
    fields, tokens = ack.fields, ctx.tokens
    extra: dict[str, Any] = {"token": tokens.issue(hunt_id, fields["player"], state.incarnation)}
    player = state.players.get(fields["player"])
    if player is not None and player.team is not None:
        extra.update(_team_view(ctx, hunt_id, state, player))
    return frames.ack(join_id, ack.seq, fields, duplicate=ack.duplicate, **extra, window=ctx.config.limits.window)


def refuse_forged(ctx: ApiContext, hunt_id: str, token: str) -> None:
    """Raise Unauthorized for a token that does not verify against the hunt's incarnation as last
    seen, without loading the hunt (a flood of forged hellos must not load idle hunts)."""
    if hunt_id in ctx.incarnations and ctx.tokens.verify(hunt_id, token, ctx.incarnations[hunt_id]) is None:
        raise Unauthorized("the token is not valid for this hunt")


def greeted_player(ctx: ApiContext, hunt_id: str, state: HuntState, token: str) -> Player:
    """The player a ``hello`` token names; raises Unauthorized if it is not one of this hunt's."""
    ctx.incarnations[hunt_id] = state.incarnation
    player_id = ctx.tokens.verify(hunt_id, token, state.incarnation)
    if player_id is None:
        raise Unauthorized("the token is not valid for this hunt")
    player = state.players.get(player_id)
    if player is None:
        raise Unauthorized("the token's player is not in this hunt")
    if player.removed:
        raise RequestError(f"the organiser took you off team {state.sides[player.side].name!r}: join again to play",
                           code=ErrorCode.REMOVED)
    return player


def welcome_frame(ctx: ApiContext, hunt_id: str, state: HuntState, player: Player, request_id: str) -> frames.Frame:
    """The reply to ``hello``: the player's view, and for a team's captain the team code to hand on."""
    view = welcome_view(state, player, ctx.now_ms())
    if player.team is not None:
        view.update(_team_view(ctx, hunt_id, state, player))
    return frames.welcome(request_id, view, window=ctx.config.limits.window)


def _team_view(ctx: ApiContext, hunt_id: str, state: HuntState, player: Player) -> dict[str, Any]:
    """What a team's player is told of it: its name and captain; the captain also the team code
    (``team_code`` null when the organiser chose the passcode: only its hash is kept)."""
    side = state.sides[player.side]
    view: dict[str, Any] = {"team": side.name, "side": side.id,
                            "captain_name": state.players[side.captain].name if side.captain else None}
    if side.captain == player.id:
        view["team_code"] = ctx.tokens.shown_code(hunt_id, state.incarnation, side)
    return view


def team_code_view(ctx: ApiContext, hunt_id: str, state: HuntState, team: str | None) -> dict[str, Any]:
    """What the organiser is told about a team's code: ``{"team","side","team_code","members"}``
    (``team_code`` null when the organiser chose the team's passcode: only its hash is kept)."""
    if state.definition.mode != "teams":
        # 409, not 400: the request is well formed; the hunt's mode is what refuses it.
        raise RequestError("this hunt is played solo: it has no teams", code=ErrorCode.INVALID_STATE)
    if team is None:
        raise BadRequest('give the team\'s name: "?team=NAME"')
    try:
        name = clean_name(team, "team", MAX_NAME)
    except Rejected as err:
        raise BadRequest(err.message) from None
    side = state.team_by_name(name)
    if side is None:  # a team a player may still create: its code will be the one of its name's side
        side_id = team_side_id(name)
        return {"team": name, "side": side_id, "members": 0,
                "team_code": ctx.tokens.team_code(hunt_id, state.incarnation, side_id)}
    return {"team": side.name, "side": side.id, "members": len(side.members),
            "team_code": ctx.tokens.shown_code(hunt_id, state.incarnation, side)}


def _team_code_ok(tokens: PlayerTokens, hunt_id: str, state: HuntState, team: str | None, code: str | None) -> bool:
    if team is None or code is None:
        return False
    try:
        side = state.team_by_name(clean_name(team, "team", len(team)))
    except Rejected:
        return False  # the rules refuse the name, saying why
    return side is not None and tokens.team_code_matches(hunt_id, state.incarnation, side, code)
