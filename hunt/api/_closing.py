"""A fix for hypercorn 0.18 with quart-trio: a response sent before the request's body has
fully arrived never closes its connection.

After such a response (a 401 before the body is read, a 408 for a slow body, a 413)
hypercorn cannot reuse the connection and closes it, from the task that sent the response.
But the same step tells the app that the client is gone (``http.disconnect``), and
quart-trio answers that by cancelling the request's nursery, which holds that very task: the
close is cancelled at its first checkpoint, before the socket is shut. The connection then
stays open as long as the client keeps trickling bytes, with its descriptor. An audit held
70 of them open and the server stopped accepting connections and opening hunt files.

:func:`install` shields ``TCPServer._close`` from cancellation. It only shuts and closes the
socket (no waiting on the peer), so the shield cannot hold anything up. Idempotent.
"""

from __future__ import annotations

from typing import Any

import trio
from hypercorn.trio.tcp_server import TCPServer

__all__ = ["install"]


def install() -> None:
    if getattr(TCPServer, "_hunt_close_shielded", False):
        return
    close = TCPServer._close

    async def _close(self: Any) -> None:
        with trio.CancelScope(shield=True):
            await close(self)

    TCPServer._close = _close  # type: ignore[method-assign]
    TCPServer._hunt_close_shielded = True  # type: ignore[attr-defined]
