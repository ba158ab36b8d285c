"""Timed play over admin HTTP: sides' own starts and windows, and the scoreboard freeze, now or
at a chosen time.

- ``POST /admin/hunts/<hunt>/schedule``: ``{"team"|"player", "starts_at"?, "offset_s"?,
  "window_s"?, "id"?}`` records a ``schedule_set`` event (all three null: back to the hunt's).
- ``GET /admin/hunts/<hunt>/schedule``: the hunt's clock, every side with its own schedule, and
  the clues that open or close on the clock.
- ``POST /admin/hunts/<hunt>/freeze``: ``{"at"?, "id"?}``: freeze now, or at ``at``.

The times players see (their window, their clues' release times) are in the public hunt view
(``hunt_public``, with ``_clock``).
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response

from ..domain import MAX_OFFSET_S, MAX_WINDOW_S, DefinitionError, FreezeBoard, SetSchedule, parse_time
from ..protocol import BadRequest
from ._admin import client_id, require_admin, submit_admin
from ._clock import schedule_view
from ._context import ApiContext
from ._http import read_json
from ._public import serve_cached

__all__ = ["FREEZE_FIELDS", "SCHEDULE_FIELDS", "timing_blueprint"]

FREEZE_FIELDS = frozenset({"id", "at"})
SCHEDULE_FIELDS = frozenset({"id", "team", "player", "starts_at", "offset_s", "window_s"})


def timing_blueprint(ctx: ApiContext) -> Blueprint:
    blueprint = Blueprint("timing", __name__, url_prefix="/admin/hunts")
    limits = ctx.config.limits

    @blueprint.before_request
    async def authenticate() -> None:
        require_admin(ctx)

    @blueprint.post("/<hunt:hunt_id>/freeze")
    async def freeze(hunt_id: str) -> Response:
        body = await read_json(limits, required=False, fields=FREEZE_FIELDS)
        at = _time(body.get("at"), "at")
        return await submit_admin(ctx, hunt_id, FreezeBoard(cmd=client_id(body), at=at),
                                  same=lambda fields: "frozen" in fields)

    @blueprint.post("/<hunt:hunt_id>/schedule")
    async def schedule(hunt_id: str) -> Response:
        body = await read_json(limits, fields=SCHEDULE_FIELDS)
        team, player = body.get("team"), body.get("player")
        if any(v is not None and not isinstance(v, str) for v in (team, player)) or (team is None) == (player is None):
            raise BadRequest('a schedule is for one team ("team": its name) or one player ("player": its id): '
                             "give exactly one")
        starts_at = _time(body.get("starts_at"), "starts_at")
        offset_s = _seconds(body.get("offset_s"), "offset_s", 0, MAX_OFFSET_S)
        window_s = _seconds(body.get("window_s"), "window_s", 1, MAX_WINDOW_S)
        if starts_at is not None and offset_s is not None:
            raise BadRequest("give starts_at or offset_s, not both")
        command = SetSchedule(cmd=client_id(body), team=team, player=player, starts_at=starts_at,
                              offset_s=offset_s, window_s=window_s)
        return await submit_admin(ctx, hunt_id, command, same=lambda fields: "side" in fields)

    @blueprint.get("/<hunt:hunt_id>/schedule")
    async def schedule_table(hunt_id: str) -> Response:
        return await serve_cached(ctx, hunt_id, ("schedule",), schedule_view)

    return blueprint


def _time(value: Any, name: str) -> int | None:
    """Checked here too (a resent command is not decided again): null, epoch ms or ISO 8601."""
    try:
        return parse_time(value, name)
    except DefinitionError as err:
        raise BadRequest(str(err)) from None


def _seconds(value: Any, name: str, low: int, high: int) -> int | None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high):
        raise BadRequest(f'"{name}" must be null or an integer number of seconds from {low} to {high}')
    return value
