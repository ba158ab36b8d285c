"""Routes without a token: the public hunt view and leaderboard, health, metrics, the
OpenAPI document, and the two pages (player and admin) with their static files.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import orjson
from quart import Blueprint, Response, request, send_file

from ..domain import HuntState, valid_id
from ..engine import HuntNotFound
from ..protocol import BadRequest, ErrorCode, NotFound, frames
from ._clock import timing_phase
from ._context import ApiContext
from ._http import json_response, query_int
from ._metrics import check_metrics_access, metrics_registry, metrics_response
from ._openapi import openapi_document
from ._views import hunt_public, is_published, leaderboard_page

__all__ = ["DEFAULT_PAGE", "STATIC_DIR", "division_query", "public_blueprint", "serve_cached"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# The only names /static/ serves, fixed at start-up: a request's filename is looked up here and
# never joined to a path, so no name (too long, odd bytes, "..") reaches the filesystem.
STATIC_FILES = {path.name: path for path in STATIC_DIR.iterdir() if path.is_file() and path.suffix in
                {".css", ".js", ".html"}}
_STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".html": "text/html"}
DEFAULT_PAGE = 50


async def serve_cached(ctx: ApiContext, hunt_id: str, key: Hashable, build: Callable[[HuntState], Any]) -> Response:
    """A view of the live state, encoded once per committed version, with its ETag (304 on a match).

    Reads memory only: the hunt is loaded if needed, then nothing touches SQL.
    """
    body, etag = await ctx.engine.view(hunt_id, key, build, orjson.dumps)
    return json_response(body=body, etag=etag)


async def leaderboard_response(ctx: ApiContext, hunt_id: str, *, public: bool = False) -> Response:
    """The leaderboard page; ``public``: as players may see it (while frozen, as of the freeze);
    ``?division=``: that division's board."""
    limit = query_int("limit", DEFAULT_PAGE, 1, ctx.config.limits.page_limit_max)
    offset = query_int("offset", 0, 0)
    assert limit is not None and offset is not None
    now_ms = ctx.now_ms()
    state = await ctx.engine.state(hunt_id)
    frozen = state.frozen_at(now_ms)  # a scheduled freeze may come due between events
    division = division_query(state, request.args.get("division"))
    return await serve_cached(ctx, hunt_id, ("leaderboard", limit, offset, public, frozen, division),
                              lambda state: leaderboard_page(state, limit, offset, public=public, now_ms=now_ms,
                                                             division=division))


def division_query(state: HuntState, raw: str | None) -> str | None:
    """``?division=`` of a leaderboard: None when absent; 400 when empty, 404 when the hunt has
    no such division."""
    if raw is None:
        return None
    if raw == "":
        raise BadRequest("division must be a division id (leave it out for the overall board)")
    if state.definition.teams.division(raw) is None:
        raise NotFound(f"no division {raw[:64]!r} in this hunt", code=ErrorCode.UNKNOWN_DIVISION)
    return raw


async def published_state(ctx: ApiContext, hunt_id: str) -> HuntState:
    """The hunt's state if it is published (see is_published); an unpublished hunt is unknown here."""
    state = await ctx.engine.state(hunt_id)
    if not is_published(state, ctx.now_ms()):
        raise HuntNotFound(hunt_id)
    return state


def with_tiles(ctx: ApiContext, view: dict[str, Any]) -> dict[str, Any]:
    """The public view, with ``map_tiles`` ({"url", "attribution"}) while the map is on and a tile
    server is configured (``map.tile_url``)."""
    if "map" in view and ctx.config.map.tile_url:
        view["map_tiles"] = {"url": ctx.config.map.tile_url, "attribution": ctx.config.map.tile_attribution}
    return view


def public_blueprint(ctx: ApiContext) -> Blueprint:
    blueprint = Blueprint("public", __name__)
    registry = metrics_registry(ctx)

    @blueprint.get("/health")
    async def health() -> Response:
        stopping = ctx.connections.closing
        body = {"status": "stopping" if stopping else "ok", "hunts": len(ctx.engine.hunt_ids()),
                "active": ctx.engine.active_count()}
        return json_response(body, 503 if stopping else 200)

    @blueprint.get("/metrics")
    async def metrics() -> Response:
        check_metrics_access(ctx)
        return metrics_response(registry)

    @blueprint.get("/openapi.json")
    async def openapi() -> Response:
        return json_response(openapi_document())

    @blueprint.get("/hunts/<hunt_id>")
    async def hunt(hunt_id: str) -> Response:
        state = await published_state(ctx, hunt_id)
        status = state.status_at(ctx.now_ms())
        # A player's token (the player page sends it) shows the clues open to their side too.
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        player_id = ctx.tokens.verify(hunt_id, token.strip(), state.incarnation) if scheme.lower() == "bearer" else None
        player = state.players.get(player_id) if player_id is not None else None
        side = player.side if player is not None else None
        phase = timing_phase(state, side, ctx.now_ms())  # a release time or the freeze passed: a new view
        return await serve_cached(ctx, hunt_id, ("public", status, side, phase),
                                  lambda s: with_tiles(ctx, hunt_public(s, ctx.now_ms(), player)))

    @blueprint.get("/hunts/<hunt_id>/leaderboard")
    async def leaderboard(hunt_id: str) -> Response:
        await published_state(ctx, hunt_id)
        return await leaderboard_response(ctx, hunt_id, public=True)

    @blueprint.get("/hunts/<hunt_id>/feed")
    async def public_feed(hunt_id: str) -> Response:
        """The latest feed items for everybody (at most ``engine.join_feed``), oldest first."""
        await published_state(ctx, hunt_id)  # a draft is unknown here, as on every public route
        items = await ctx.engine.recent_public_feed(hunt_id)
        return json_response({"items": [frames.feed(item) for _, _, item in items]})

    @blueprint.get("/screen/<hunt_id>")
    async def screen_page(hunt_id: str) -> Response:
        if not valid_id(hunt_id):
            raise NotFound("no such page")
        return await _page("screen.html")

    @blueprint.get("/play/<hunt_id>")
    async def play_page(hunt_id: str) -> Response:
        if not valid_id(hunt_id):
            raise NotFound("no such page")
        return await _page("play.html")

    @blueprint.get("/admin")
    async def admin_page() -> Response:
        return await _page("admin.html")

    @blueprint.get("/static/<path:filename>")
    async def static_file(filename: str) -> Response:
        path = STATIC_FILES.get(filename)
        if path is None:
            raise NotFound("no such file")
        response = await send_file(path, mimetype=_STATIC_TYPES[path.suffix], conditional=True)
        response.headers["Cache-Control"] = "no-cache"
        return response

    return blueprint


async def _page(name: str) -> Response:
    response = await send_file(STATIC_DIR / name, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response
