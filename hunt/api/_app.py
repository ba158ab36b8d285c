"""``create_app(config, engine)``: the quart-trio app with its blueprints and error handling."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from quart import Response, request
from quart_trio import QuartTrio
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..config import Config, tile_origin
from ..engine import Engine
from ..protocol import TooLarge
from ._admin import HuntIdConverter, admin_blueprint
from ._buckets import BucketTable
from ._clue_media import MEDIA_UPLOAD_SUFFIX, clue_media_blueprint
from ._cluster import cluster_blueprint
from ._context import ADDRESSES_TRACKED, ApiContext
from ._edits import edits_blueprint
from ._entries import ENTRIES_PATH, entries_blueprint
from ._errors import wire_error
from ._gate import ConnectionGate
from ._guard import Guard
from ._http import error_response
from ._load import LoopLag
from ._media import MediaStore
from ._public import public_blueprint
from ._rates import Rates
from ._team_admin import team_admin_blueprint
from ._timing import timing_blueprint
from ._tokens import PlayerTokens, Secrets, load_secrets

__all__ = ["create_app"]

log = logging.getLogger("hunt.api")

IMPORT_PATH = "/admin/hunts/import"
# On every response: a browser never guesses a type other than the one declared.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
# On the pages: scripts, styles and connections only from this origin (the websocket too), no
# plugins, and no other site may frame them (clickjacking). Images and videos may also come from
# blob: URLs, which only this origin's own scripts can make (the judge's queue fetches a
# mission photo with the admin token and shows it from a blob).
PAGE_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
                                "media-src 'self' blob:; "
                                "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "X-Frame-Options": "DENY",
}


def page_headers_for(config: Config) -> dict[str, str]:
    """PAGE_HEADERS, with the map's tile server (``map.tile_url``) allowed as a source of images
    when one is configured (and only then)."""
    origin = tile_origin(config)
    if origin is None:
        return PAGE_HEADERS
    policy = PAGE_HEADERS["Content-Security-Policy"].replace("img-src 'self' data: blob:",
                                                             f"img-src 'self' data: blob: {origin}")
    return {**PAGE_HEADERS, "Content-Security-Policy": policy}


def create_app(config: Config, engine: Engine, *, secrets: Secrets | None = None, collectors: tuple[Any, ...] = (),
               analytics: Callable[[str], dict[str, Any]] | None = None) -> QuartTrio:
    """Build the app. Creates the data directory and its secrets on first use (see load_secrets).

    ``collectors`` are extra Prometheus collectors for ``/metrics``; ``analytics(hunt_id)``
    (blocking) serves ``GET /admin/hunts/<id>/analytics``, which answers 404 without it.
    """
    secrets = secrets or load_secrets(config)
    ctx = ApiContext(config=config, engine=engine, tokens=PlayerTokens(secrets.player_key),
                     admin_token=secrets.admin_token, admin_token_path=secrets.admin_token_path,
                     guard=Guard(config.game),
                     collectors=collectors, analytics=analytics, load=LoopLag(),
                     gate=ConnectionGate(config.limits.connections, config.limits.connections_per_address),
                     rates=Rates(config.rates),
                     admin_failures=BucketTable(
                         config.limits.admin_failures_max / config.limits.admin_failures_window_s,
                         config.limits.admin_failures_max, ADDRESSES_TRACKED))
    limits = config.limits
    app = QuartTrio("hunt", static_folder=None)  # public_blueprint serves /static/ from a fixed list
    # "/admin/hunts//start" is a 404 like any unknown path, not an HTML redirect to another route.
    app.url_map.merge_slashes = False
    app.url_map.converters["hunt"] = HuntIdConverter
    # Quart's own cap is the largest body any route takes (an import); the others check
    # limits.max_body_bytes themselves, and `refuse_large_bodies` refuses declared sizes early.
    app.config.update(MAX_CONTENT_LENGTH=max(limits.max_import_bytes, limits.max_body_bytes,
                                             limits.max_photo_bytes, limits.max_video_bytes),
                      BODY_TIMEOUT=60, JSON_SORT_KEYS=False)
    app.extensions["hunt"] = ctx
    app.register_blueprint(public_blueprint(ctx))
    app.register_blueprint(admin_blueprint(ctx))
    app.register_blueprint(team_admin_blueprint(ctx))
    app.register_blueprint(cluster_blueprint(ctx))
    media = MediaStore(config.data_path, limits.uploads_in_flight)
    app.register_blueprint(entries_blueprint(ctx, media))
    app.register_blueprint(clue_media_blueprint(ctx, media))
    app.register_blueprint(timing_blueprint(ctx))
    app.register_blueprint(edits_blueprint(ctx))
    page_headers = page_headers_for(config)

    @app.before_request
    async def refuse_large_bodies() -> None:
        limit = limits.max_import_bytes if request.path == IMPORT_PATH else limits.max_body_bytes
        if request.method == "POST" and request.path.startswith("/hunts/") and request.path.endswith(ENTRIES_PATH):
            limit = max(limits.max_photo_bytes, limits.max_video_bytes)  # checked per kind while streaming
        if request.method == "POST" and request.path.startswith("/admin/hunts/") \
                and request.path.endswith(MEDIA_UPLOAD_SUFFIX):
            limit = max(limits.max_clue_image_bytes, limits.max_clue_audio_bytes)
        if request.content_length is not None and request.content_length > limit:
            raise TooLarge(f"the body may have at most {limit} bytes")

    @app.after_request
    async def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html":
            for name, value in page_headers.items():
                response.headers.setdefault(name, value)
        return response

    @app.after_request
    async def close_after_an_unread_body(response: Response) -> Response:
        # A request may be answered before its body is read: an error (401, 405, 413, ...) or a
        # route that takes no body (a GET sent with one). The connection would then wait for that
        # body and the client's next request on it would hang: close it instead (the client opens
        # a new one). Only a POST route that succeeded has read its whole body.
        has_body = request.content_length or request.headers.get("Transfer-Encoding")
        if has_body and (response.status_code >= 400 or request.method != "POST"):
            response.headers["Connection"] = "close"
        return response

    @app.errorhandler(HTTPException)
    async def http_error(error: HTTPException) -> Response:
        response = error_response(wire_error(error))
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            # RFC 9110: a 405 names the methods the route has.
            response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
        return response

    @app.errorhandler(Exception)
    async def any_error(error: Exception) -> Response:
        return error_response(wire_error(error))

    return app
