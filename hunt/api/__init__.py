"""The network API: the player websocket, admin HTTP, public reads, metrics and pages.

``create_app(config, engine)`` builds the quart-trio app; ``serve(config, engine)`` runs it
on hypercorn inside an engine's block. The wire forms are in docs/protocol.md.
"""

from ._app import create_app
from ._context import ApiContext, ConnectionStatistics, app_context
from ._errors import wire_error
from ._openapi import openapi_document
from ._server import WS_PING_INTERVAL_S, hypercorn_config, is_loopback, serve
from ._tokens import PlayerTokens, Secrets, load_secrets
from ._ws import PLAYER_PATH, AsgiSocket, websocket_route

__all__ = [
    "PLAYER_PATH",
    "WS_PING_INTERVAL_S",
    "ApiContext",
    "AsgiSocket",
    "ConnectionStatistics",
    "PlayerTokens",
    "Secrets",
    "app_context",
    "create_app",
    "hypercorn_config",
    "is_loopback",
    "load_secrets",
    "openapi_document",
    "serve",
    "websocket_route",
    "wire_error",
]
