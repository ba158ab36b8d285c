"""Knowing when a graceful shutdown has nothing left to wait for.

Hypercorn's graceful shutdown stops accepting, then waits for every TCP connection to end,
up to ``server.shutdown_timeout_s``. A browser tab keeps an idle HTTP keep-alive connection
open, and Quart's handler of its last request lives until the client disconnects, so that
wait ran out the whole timeout although nothing was in flight. :class:`InFlight` counts the
work that matters: HTTP requests whose response is not complete yet, and open websockets.
Once both are done the server stops at once (dropping idle keep-alive connections).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import trio

__all__ = ["InFlight"]

Asgi = Callable[[MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                Awaitable[None]]


class InFlight:
    """Counts HTTP responses under way and websockets open, through :meth:`wrap`."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = trio.Event()
        self._idle.set()

    def wrap(self, app: Asgi) -> Asgi:
        """``app`` with its HTTP requests (until the last body chunk is sent) and websockets
        (until the handler returns) counted."""

        async def counted(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] not in ("http", "websocket"):
                await app(scope, receive, send)
                return
            done = False

            def finish() -> None:
                nonlocal done
                if not done:
                    done = True
                    self._leave()

            async def watched_send(message: MutableMapping[str, Any]) -> None:
                try:
                    await send(message)
                finally:
                    if message.get("type") == "http.response.body" and not message.get("more_body", False):
                        finish()

            self._enter()
            try:
                await app(scope, receive, watched_send if scope["type"] == "http" else send)
            finally:
                finish()

        return counted

    def _enter(self) -> None:
        self.count += 1
        if self._idle.is_set():
            self._idle = trio.Event()

    def _leave(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def wait_idle(self) -> None:
        """Block until no HTTP response is under way and no websocket is open."""
        while self.count:
            await self._idle.wait()
