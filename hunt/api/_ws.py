"""The player websocket route ``/ws/hunts/<hunt_id>``: each socket is served by a Connection."""

from __future__ import annotations

from quart import Blueprint, websocket

from ._connection import CLOSE_POLICY, Connection
from ._context import ApiContext
from ._errors import wire_error
from ._protocol import encode

__all__ = ["ws_blueprint"]


def ws_blueprint(ctx: ApiContext) -> Blueprint:
    blueprint = Blueprint("player", __name__)

    @blueprint.websocket("/ws/hunts/<hunt_id>")
    async def play(hunt_id: str) -> None:
        await websocket.accept()
        try:
            ctx.engine.require(hunt_id)
        except Exception as err:
            await websocket.send(encode(wire_error(err).frame()))
            await websocket.close(CLOSE_POLICY, "unknown hunt")
            return
        await Connection(ctx, hunt_id, websocket).run()

    return blueprint
