"""The player websocket ``/ws/hunts/<hunt_id>``, served straight on ASGI.

:func:`player_sockets` wraps the quart-trio app: a websocket request for the player path is
handed to a :class:`~._connection.Connection` over :class:`AsgiSocket`, and everything else
(every HTTP route, other websocket paths, lifespan) goes to quart. Quart's own websocket
layer adds a task and a hop through a channel (and a signal) to every frame received; the
protocol needs none of what it offers, so the player path skips it: hypercorn, wsproto and
trio still carry every frame. See docs/protocol.md for the protocol.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from ..protocol import frames
from ._connection import CLOSE_POLICY, Connection, Disconnected
from ._context import ApiContext
from ._errors import wire_error
from ._gate import client_of

__all__ = ["PLAYER_PATH", "AsgiSocket", "player_sockets", "websocket_route"]

log = logging.getLogger("hunt.api.ws")

PLAYER_PATH = re.compile(r"/ws/hunts/(?P<hunt_id>[^/]+)")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]


class AsgiSocket:
    """What a Connection needs of a websocket (receive, send, close) on ASGI's two callables."""

    def __init__(self, receive: Receive, send: Send, client: str = "unknown") -> None:
        self._receive = receive
        self._send = send
        self.client = client  # the client's address, that per-address limits and bans count
        self.closed = False

    async def accept(self) -> bool:
        """Accept the upgrade; False if the client left first."""
        if (await self._receive())["type"] != "websocket.connect":
            return False
        await self._send({"type": "websocket.accept"})
        return True

    async def receive(self) -> str | bytes:
        event = await self._receive()
        if event["type"] == "websocket.receive":
            text = event.get("text")
            return text if text is not None else (event.get("bytes") or b"")
        raise Disconnected

    async def send(self, text: str) -> None:
        await self._send({"type": "websocket.send", "text": text})

    async def close(self, code: int, reason: str = "") -> None:
        self.closed = True
        await self._send({"type": "websocket.close", "code": code, "reason": reason})


def websocket_route(app: Asgi, path: re.Pattern[str], handler: Callable[[re.Match[str], AsgiSocket], Awaitable[None]],
                    ) -> Asgi:
    """``app`` with websocket requests whose path matches ``path`` served by ``handler``.

    The upgrade is accepted first; a client that leaves ends the handler (``Disconnected``),
    a handler that fails is logged and the socket closed with 1011, and one that returns
    without closing closes with 1000 (else hypercorn would answer a finished app with 1011).
    """

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        match = path.fullmatch(scope["path"]) if scope["type"] == "websocket" else None
        if match is None:
            await app(scope, receive, send)
            return
        socket = AsgiSocket(receive, send, peer_address(scope))
        try:
            if await socket.accept():
                await handler(match, socket)
                if not socket.closed:
                    await socket.close(1000)
        except Disconnected:
            pass
        except Exception:
            log.exception("websocket handler failed")
            if not socket.closed:
                await socket.close(1011, "internal error")

    return asgi


def peer_address(scope: Scope) -> str:
    """The client's address: the gate's resolution (``_address``: the TCP peer, or behind a
    trusted proxy the client it names), so every per-address limit and ban counts the same."""
    return client_of(scope)


def player_sockets(app: Asgi, ctx: ApiContext) -> Asgi:
    """The ASGI app to serve: ``app`` with the player websocket path taken over."""

    async def play(match: re.Match[str], socket: AsgiSocket) -> None:
        hunt_id = match["hunt_id"]
        try:
            ctx.engine.require(hunt_id)
        except Exception as err:
            await socket.send(frames.text(frames.error(wire_error(err))))
            await socket.close(CLOSE_POLICY, "unknown hunt")
            return
        connection = Connection(ctx, hunt_id, socket)
        await connection.run()
        if not socket.closed and connection.close_request is not None:
            # Its flush budget ran out before the close frame: still say why, not 1000.
            code, reason = connection.close_request
            await socket.close(code, reason[:120])

    return websocket_route(app, PLAYER_PATH, play)
