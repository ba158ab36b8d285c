"""Admin HTTP for teams and divisions (docs/protocol.md, *Teams and divisions*).

Every change is a command through the hunt's actor, recorded as an event like any other admin
command (so audit, time travel, export and ``hunt verify`` cover it). A team is named in paths
by its side id (``team:gulls``, URL-encoded), which a rename never changes.

Passcodes: a passcode the organiser sets is checked here (4-32 letters or digits; case does not
matter) and only its keyed hash reaches the hunt; the answer to that request is the only place
it is shown again. A generated code is derived from the server's key and can be shown to the
organiser (and to the team's captain) at any time.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import orjson
from quart import Blueprint, Response

from ..domain import (
    MAX_TEAM_NAME,
    MAX_TEAM_SIZE,
    CreateTeam,
    DefinitionError,
    HuntState,
    LockRosters,
    RemovePlayer,
    RenameTeam,
    SetCaptain,
    SetDivision,
    SetTeamPasscode,
    SetTeamSize,
    Side,
    parse_time,
    roster_locked,
)
from ..protocol import BadRequest, ErrorCode, RequestError
from ._admin import client_id, require_admin, submit_admin
from ._context import ApiContext
from ._http import json_response, query_int, read_json
from ._openapi_schemas import PASSCODE_PATTERN

__all__ = ["invite_link", "team_admin_blueprint", "teams_view"]

_PASSCODE = re.compile(PASSCODE_PATTERN[1:-1])
MAX_REMOVE_REASON = 500
CREATE_FIELDS = frozenset({"id", "name", "passcode", "size", "division"})
RENAME_FIELDS = frozenset({"id", "name"})
PASSCODE_FIELDS = frozenset({"id", "passcode"})
SIZE_FIELDS = frozenset({"id", "size"})
CAPTAIN_FIELDS = frozenset({"id", "player"})
LOCK_FIELDS = frozenset({"id", "locked", "at"})
REMOVE_FIELDS = frozenset({"id", "reason"})
DIVISION_FIELDS = frozenset({"id", "side", "division"})


def team_admin_blueprint(ctx: ApiContext) -> Blueprint:
    blueprint = Blueprint("team_admin", __name__, url_prefix="/admin/hunts")
    engine, limits = ctx.engine, ctx.config.limits

    @blueprint.before_request
    async def authenticate() -> None:
        require_admin(ctx)

    @blueprint.get("/<hunt:hunt_id>/teams")
    async def teams(hunt_id: str) -> Response:
        limit = query_int("limit", 50, 1, limits.page_limit_max) or 50
        offset = query_int("offset", 0, 0) or 0
        state = await engine.state(hunt_id)
        _teams_mode(state)
        return json_response(teams_view(ctx, hunt_id, state, limit, offset))

    @blueprint.post("/<hunt:hunt_id>/teams")
    async def create(hunt_id: str) -> Response:
        body = await read_json(limits, fields=CREATE_FIELDS)
        name, size, division = body.get("name"), _size(body, required=False), body.get("division")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_TEAM_NAME:
            raise BadRequest(f'"name" must be a non-empty string of at most {MAX_TEAM_NAME} characters')
        if division is not None and not isinstance(division, str):
            raise BadRequest('"division" must be a division id (a string) or null')
        state = await engine.state(hunt_id)
        passcode = _passcode(body)
        hashed = None if passcode is None else ctx.tokens.passcode_hash(hunt_id, state.incarnation, passcode)
        command = CreateTeam(client_id(body), name, hashed, size, division)
        return await _with_code(ctx, hunt_id, await submit_admin(ctx, hunt_id, command, same=_team_result), passcode)

    @blueprint.post("/<hunt:hunt_id>/teams/<team>/rename")
    async def rename(hunt_id: str, team: str) -> Response:
        body = await read_json(limits, fields=RENAME_FIELDS)
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_TEAM_NAME:
            raise BadRequest(f'"name" must be a non-empty string of at most {MAX_TEAM_NAME} characters')
        return await submit_admin(ctx, hunt_id, RenameTeam(client_id(body), team, name), same=_team_result)

    @blueprint.post("/<hunt:hunt_id>/teams/<team>/passcode")
    async def passcode(hunt_id: str, team: str) -> Response:
        body = await read_json(limits, required=False, fields=PASSCODE_FIELDS)
        chosen = _passcode(body)
        state = await engine.state(hunt_id)
        hashed = None if chosen is None else ctx.tokens.passcode_hash(hunt_id, state.incarnation, chosen)
        response = await submit_admin(ctx, hunt_id, SetTeamPasscode(client_id(body), team, hashed), same=_team_result)
        return await _with_code(ctx, hunt_id, response, chosen)

    @blueprint.post("/<hunt:hunt_id>/teams/<team>/size")
    async def size(hunt_id: str, team: str) -> Response:
        body = await read_json(limits, fields=SIZE_FIELDS)
        return await submit_admin(ctx, hunt_id, SetTeamSize(client_id(body), team, _size(body, required=True)),
                                  same=_team_result)

    @blueprint.post("/<hunt:hunt_id>/teams/<team>/captain")
    async def captain(hunt_id: str, team: str) -> Response:
        body = await read_json(limits, fields=CAPTAIN_FIELDS)
        player = body.get("player")
        if not isinstance(player, str):
            raise BadRequest('"player" must be a player id (a string)')
        return await submit_admin(ctx, hunt_id, SetCaptain(client_id(body), team, player), same=_team_result)

    @blueprint.post("/<hunt:hunt_id>/teams/<team>/lock")
    async def lock_team(hunt_id: str, team: str) -> Response:
        body = await read_json(limits, required=False, fields=LOCK_FIELDS)
        locked, at = _lock(body)
        return await submit_admin(ctx, hunt_id, LockRosters(client_id(body), team, locked, at), same=_team_result)

    @blueprint.post("/<hunt:hunt_id>/lock")
    async def lock_all(hunt_id: str) -> Response:
        body = await read_json(limits, required=False, fields=LOCK_FIELDS)
        locked, at = _lock(body)
        return await submit_admin(ctx, hunt_id, LockRosters(client_id(body), None, locked, at), same=_team_result)

    @blueprint.post("/<hunt:hunt_id>/players/<player>/remove")
    async def remove(hunt_id: str, player: str) -> Response:
        body = await read_json(limits, required=False, fields=REMOVE_FIELDS)
        reason = body.get("reason", "")
        if not isinstance(reason, str) or len(reason) > MAX_REMOVE_REASON:
            raise BadRequest(f'"reason" must be a string of at most {MAX_REMOVE_REASON} characters')
        return await submit_admin(ctx, hunt_id, RemovePlayer(client_id(body), player, reason), same=_team_result)

    @blueprint.post("/<hunt:hunt_id>/division")
    async def division(hunt_id: str) -> Response:
        body = await read_json(limits, fields=DIVISION_FIELDS)
        side, chosen = body.get("side"), body.get("division", ...)
        if not isinstance(side, str) or chosen is ... or (chosen is not None and not isinstance(chosen, str)):
            raise BadRequest('division needs "side" (a team\'s side id or a solo player\'s id) and "division" '
                             "(a division id, or null for none)")
        return await submit_admin(ctx, hunt_id, SetDivision(client_id(body), side, chosen), same=_team_result)

    return blueprint


def teams_view(ctx: ApiContext, hunt_id: str, state: HuntState, limit: int, offset: int) -> dict[str, Any]:
    """The organiser's team list, in the order the teams began: each team's name, captain,
    members, size cap, roster lock, division, score and rank, and its code (the generated one;
    null when the organiser chose the passcode) with its invite link."""
    now = ctx.now_ms()
    sides = [side for side in state.sides.values() if side.id.startswith("team:")]
    rows = []
    for side in sides[offset:offset + limit]:
        captain = state.players.get(side.captain) if side.captain else None
        code = ctx.tokens.shown_code(hunt_id, state.incarnation, side)
        rows.append({
            "side": side.id, "name": side.name, "score": side.score, "rank": state.rank_of(side.id),
            "captain": None if captain is None else {"player": captain.id, "name": captain.name},
            "members": [{"player": p, "name": state.players[p].name} for p in side.members],
            "size": side.size, "cap": side.size if side.size is not None else state.definition.team_size,
            "locked_at": side.locked_at, "locked": roster_locked(state, side, now),
            "division": side.division, "passcode": "organiser" if side.passcode else "generated",
            "team_code": code, "invite": None if code is None else invite_link(hunt_id, side, code),
        })
    return {"seq": state.seq, "total": len(sides), "rows": rows, "rosters_locked_at": state.rosters_locked_at,
            "rosters_locked": roster_locked(state, None, now),
            "team_creation": state.definition.teams.team_creation, "team_size": state.definition.team_size,
            "divisions": [{"id": d.id, "title": d.title} for d in state.definition.teams.divisions]}


def invite_link(hunt_id: str, side: Side, code: str) -> str:
    """The player page's link that fills in the team and its passcode: ``/play/{hunt}?team=&invite=``."""
    return f"/play/{hunt_id}?team={quote(side.name)}&invite={quote(code)}"


async def _with_code(ctx: ApiContext, hunt_id: str, response: Response, chosen: str | None) -> Response:
    """A create or passcode answer, with the team's code and invite link: the organiser's own
    passcode (this once: only its hash is kept), or the generated code."""
    if response.status_code != 200:
        return response
    body = orjson.loads(await response.get_data())
    state = await ctx.engine.state(hunt_id, min_seq=body["seq"])  # through a gateway: at least the ack's seq
    side = state.sides.get(body.get("side", ""))
    if side is not None:
        code = chosen if side.passcode is not None else ctx.tokens.shown_code(hunt_id, state.incarnation, side)
        if side.passcode is not None and (chosen is None or not ctx.tokens.team_code_matches(
                hunt_id, state.incarnation, side, chosen)):
            code = None  # a resend whose passcode is not (or no longer) the team's: nothing to show
        body["team_code"] = code
        body["invite"] = None if code is None else invite_link(hunt_id, side, code)
    return json_response(body)


def _team_result(fields: dict[str, Any]) -> bool:
    return "side" in fields


def _teams_mode(state: HuntState) -> None:
    if state.definition.mode != "teams":
        raise RequestError("this hunt is played solo: it has no teams", code=ErrorCode.INVALID_STATE)


def _passcode(body: dict[str, Any]) -> str | None:
    value = body.get("passcode")
    if value is None:
        return None
    if not isinstance(value, str) or _PASSCODE.fullmatch(value) is None:
        raise BadRequest('"passcode" must be 4-32 letters or digits (or null for a generated code)')
    return value


def _size(body: dict[str, Any], *, required: bool) -> int | None:
    if required and "size" not in body:
        raise BadRequest('"size" is required: an integer, or null for the hunt\'s team_size')
    value = body.get("size")
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                              or not 1 <= value <= MAX_TEAM_SIZE):
        raise BadRequest(f'"size" must be an integer from 1 to {MAX_TEAM_SIZE}, or null')
    return value


def _lock(body: dict[str, Any]) -> tuple[bool, int | None]:
    locked, at = body.get("locked", True), body.get("at")
    if not isinstance(locked, bool):
        raise BadRequest('"locked" must be true or false')
    if at is not None and not locked:
        raise BadRequest('"at" is only for a lock: an unlock is at once')
    try:
        return locked, parse_time(at, "at")
    except DefinitionError as err:
        raise BadRequest(str(err)) from None
