"""One simulated player: a real websocket connection that speaks the public protocol.

A player joins once, then (re)connects with ``hello`` + its token + the last feed seq it
saw. Commands are sent with client ids; every ack or error is matched to its id. Commands
still unanswered when a connection drops are resent with the same ids after reconnecting, so
the server's exactly-once promise is exercised, not assumed.

A player honours the server's flow control: it never has more commands unanswered than the
``window`` the join ack or ``welcome`` granted (a batch counts its items); the rest wait here,
in order, and their latency counts from when they were due (open loop).
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson
import trio
from trio_websocket import ConnectionClosed, HandshakeError, WebSocketConnection, wrap_client_stream

RECONNECT_PAUSE_S = 0.05  # before reconnecting after a dropped connection
CLOSE_TRY_LATER = 1013  # the server shed this connection (sent while told to wait) ...
TRY_LATER_PAUSE_S = 1.0  # ... so reconnect only after this long

__all__ = ["Pending", "SimPlayer", "open_websocket"]


@asynccontextmanager
async def open_websocket(url: str, *, max_message_size: int = 2**20,
                         connect_timeout: float = 60.0) -> AsyncIterator[WebSocketConnection]:
    """A websocket client (``ws://`` or ``wss://``) over a TCP stream this helper always closes.

    trio-websocket's own ``open_websocket_url`` leaves its socket open when the server goes
    away first (killed, or closing without the handshake): a client that reconnects through a
    server restart would leak a file descriptor each time.
    """
    parts = urlsplit(url)
    secure = parts.scheme == "wss"
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if secure else 80)
    resource = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    with trio.fail_after(connect_timeout):
        stream: trio.SSLStream[trio.SocketStream] | trio.SocketStream = (
            await trio.open_ssl_over_tcp_stream(host, port) if secure else await trio.open_tcp_stream(host, port))
    try:
        failure: Exception | None = None
        async with trio.open_nursery() as nursery:  # the websocket's reader task
            try:
                with trio.fail_after(connect_timeout):
                    ws = await wrap_client_stream(nursery, stream, host, resource,  # type: ignore[arg-type]
                                                  max_message_size=max_message_size)
                try:
                    yield ws
                finally:
                    with trio.move_on_after(1):
                        await ws.aclose()
            except Exception as err:  # re-raised below as itself, not inside the nursery's ExceptionGroup
                failure = err
            nursery.cancel_scope.cancel()
        if failure is not None:
            raise failure
    finally:
        await stream.aclose()


@dataclass(slots=True)
class Pending:
    frame: dict[str, Any]
    scheduled: float  # trio.current_time() when the command was due (open loop)


@dataclass
class SimPlayer:
    url: str
    name: str
    on_reply: Callable[[SimPlayer, Pending, dict[str, Any]], None]
    player: str | None = None
    token: str | None = None
    since: int = 0
    pending: dict[str, Pending] = field(default_factory=dict)
    ws: WebSocketConnection | None = None
    connected: trio.Event = field(default_factory=trio.Event)
    reconnects: int = 0
    pushes: int = 0
    # A join id is a secret that gives the player back: random, and the same for every resend.
    join_id: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    window: int | None = None  # commands the server lets this connection have unanswered (None: not said)
    in_flight: int = 0  # commands sent on this connection and not answered yet
    waiting: deque[list[dict[str, Any]]] = field(default_factory=deque)  # frames' items waiting for the window

    async def run(self, *, team: str | None, stop: trio.Event, max_message_size: int = 2**20) -> None:
        """Connect, join or greet, and read replies; reconnect on a dropped connection until ``stop``.

        Runs until cancelled (the simulation cancels its nursery when done).
        """
        while not stop.is_set():
            pause = RECONNECT_PAUSE_S
            try:
                async with open_websocket(self.url, max_message_size=max_message_size) as ws:
                    await self._greet(ws, self.join_id, team)
                    self.ws = ws
                    self.connected.set()
                    # Resend what was never answered, then what waited, all within the window.
                    self.in_flight = 0
                    self.waiting = deque([[p.frame] for p in self.pending.values()])
                    await self._pump()
                    await self._read(ws)
            except ConnectionClosed as closed:
                if closed.reason is not None and closed.reason.code == CLOSE_TRY_LATER:
                    pause = TRY_LATER_PAUSE_S  # shed for sending while told to wait: do wait
            except (HandshakeError, OSError, trio.BrokenResourceError, trio.TooSlowError):
                pass
            finally:
                self.ws = None
                if self.connected.is_set():  # a waiter for the first connection keeps its event
                    self.connected = trio.Event()
            if not stop.is_set():
                self.reconnects += 1
                await trio.sleep(pause)

    async def _greet(self, ws: WebSocketConnection, join_id: str, team: str | None) -> None:
        if self.token is None:
            frame: dict[str, Any] = {"op": "join", "id": join_id, "name": self.name}
            if team is not None:
                frame["team"] = team
        else:
            frame = {"op": "hello", "id": f"hello-{self.reconnects}", "token": self.token, "since": self.since}
        await ws.send_message(orjson.dumps(frame).decode())
        while True:
            reply = orjson.loads(await ws.get_message())
            op = reply.get("op")
            if op == "ack" and reply.get("id") == join_id:
                self.player, self.token = reply["player"], reply["token"]
                self.since = max(self.since, reply.get("seq", 0))
                self.window = reply.get("window")
                return
            if op == "welcome":
                self.window = reply.get("window")
                return
            if op == "error" and reply.get("id") in (join_id, frame["id"]):
                raise ConnectionRefusedError(f"{self.name}: {reply.get('code')}: {reply.get('message')}")
            self._push(reply)

    async def _read(self, ws: WebSocketConnection) -> None:
        while True:  # ends with ConnectionClosed, or when the simulation cancels its nursery
            self._dispatch(orjson.loads(await ws.get_message()))
            if self.waiting:
                await self._pump()

    def _dispatch(self, reply: dict[str, Any]) -> None:
        op = reply.get("op")
        if op == "batch":
            for item in reply.get("items", []):
                self._dispatch(item)
            return
        if op in ("ack", "error"):
            pending = self.pending.pop(reply.get("id"), None)  # type: ignore[arg-type]
            if pending is not None:
                self.in_flight = max(0, self.in_flight - 1)
                self.on_reply(self, pending, reply)
            return
        self._push(reply)

    def _push(self, reply: dict[str, Any]) -> None:
        self.pushes += 1
        if reply.get("op") == "feed" and isinstance(reply.get("seq"), int):
            self.since = max(self.since, reply["seq"])

    async def send(self, frame: dict[str, Any], scheduled: float) -> bool:
        """Send a command (remembered until answered) as soon as the window has room; False if
        it waits (for room, or for a connection: then it is sent on reconnect)."""
        return await self.send_batch([frame], scheduled)

    async def send_batch(self, frames: list[dict[str, Any]], scheduled: float) -> bool:
        """Send commands as one frame (a ``batch`` if more than one); as :meth:`send`."""
        for frame in frames:
            self.pending[frame["id"]] = Pending(frame, scheduled)
        self.waiting.append(frames)
        return await self._pump() and not self.waiting

    async def _pump(self) -> bool:
        """Send waiting frames, in order, while the window has room; False if not connected."""
        ws = self.ws
        if ws is None:
            return False
        while self.waiting and (self.window is None or self.in_flight + len(self.waiting[0]) <= self.window
                                or self.in_flight == 0):
            items = self.waiting.popleft()
            self.in_flight += len(items)
            frame = items[0] if len(items) == 1 else {"op": "batch", "items": items}
            try:
                await ws.send_message(orjson.dumps(frame).decode())
            except (ConnectionClosed, trio.BrokenResourceError, trio.ClosedResourceError):
                return False  # all of it is resent on reconnect
        return True

    async def drop(self) -> None:
        """Close the connection abruptly (to exercise resume)."""
        ws = self.ws
        if ws is not None:
            await ws.aclose(code=4000, reason="simulated drop")
