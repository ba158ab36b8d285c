"""A fix for hypercorn 0.18's websocket pinger, which outlives its connection.

Hypercorn spawns ``WSStream._send_pings`` in the connection's task group when a websocket is
accepted; it loops ``while not self.closed`` around a sleep of the whole ping interval. When
the client leaves, the stream is marked closed but the pinger sleeps on, and the task group
(hence the TCP handler, its socket and every object of the connection) waits for it: each
closed websocket lingers up to ``websocket_ping_interval`` (20 s), so a reconnect storm piles
up file descriptors, and a graceful shutdown waits out its whole timeout.

:func:`install` wraps the pinger in a cancel scope that ``WSStream.handle`` cancels as soon
as the stream is closed. It also waits one interval before the first ping: hypercorn pings at
once on accept, a frame (and a send) per connection that tells nothing about a peer that just
completed its handshake, and when a hunt starts and everyone connects at once those pings
compete with the joins. Idempotent.
"""

from __future__ import annotations

from typing import Any

import trio
from hypercorn.protocol.ws_stream import WSStream

__all__ = ["install"]

_SCOPE = "_hunt_ping_scope"


def install() -> None:
    if getattr(WSStream, "_hunt_pings_fixed", False):
        return
    send_pings = WSStream._send_pings
    handle = WSStream.handle

    async def _send_pings(self: Any) -> None:
        with trio.CancelScope() as scope:
            setattr(self, _SCOPE, scope)
            await trio.sleep(self.config.websocket_ping_interval)
            await send_pings(self)

    async def _handle(self: Any, event: Any) -> None:
        try:
            await handle(self, event)
        finally:
            scope = getattr(self, _SCOPE, None)
            if self.closed and scope is not None:
                scope.cancel()

    WSStream._send_pings = _send_pings  # type: ignore[method-assign]
    WSStream.handle = _handle  # type: ignore[method-assign]
    WSStream._hunt_pings_fixed = True  # type: ignore[attr-defined]
