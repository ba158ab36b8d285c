"""A small websocket client over a trio stream with wsproto (which hypercorn brings along), so
the product's ``hunt ws`` needs no client library of its own.

:func:`open_ws` connects and completes the handshake; :meth:`WsClient.receive` returns the next
text message (answering pings), and raises :class:`WsClosed` when the server closes.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)

__all__ = ["WsClient", "WsClosed", "open_ws"]

RECEIVE_BYTES = 65536


class WsClosed(Exception):
    """Raised when the server refuses the handshake or closes the websocket."""


class WsClient:
    def __init__(self, stream: trio.abc.Stream, connection: WSConnection) -> None:
        self._stream = stream
        self._ws = connection
        self._parts: list[str] = []

    async def send(self, text: str) -> None:
        await self._stream.send_all(self._ws.send(TextMessage(data=text)))

    async def receive(self) -> str:
        """The next text (or UTF-8 binary) message; raises WsClosed once the server closes."""
        while True:
            for event in self._ws.events():
                match event:
                    case TextMessage(data=data) | BytesMessage(data=data):
                        self._parts.append(data if isinstance(data, str) else bytes(data).decode())
                        if event.message_finished:
                            text, self._parts = "".join(self._parts), []
                            return text
                    case Ping():
                        await self._stream.send_all(self._ws.send(event.response()))
                    case CloseConnection(code=code, reason=reason):
                        raise WsClosed(f"closed by the server: {code} {reason or ''}".strip())
            data = await self._stream.receive_some(RECEIVE_BYTES)
            if not data:
                raise WsClosed("the server went away")
            self._ws.receive_data(data)


@asynccontextmanager
async def open_ws(url: str) -> AsyncIterator[WsClient]:
    """Connect to ``ws://`` or ``wss://`` ``url``; raises OSError or WsClosed (refused handshake)."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise WsClosed(f"not a ws:// or wss:// URL: {url}")
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    stream: trio.abc.Stream = await trio.open_tcp_stream(parts.hostname, port)
    try:
        if parts.scheme == "wss":
            stream = trio.SSLStream(stream, ssl.create_default_context(), server_hostname=parts.hostname)
            await stream.do_handshake()
        connection = WSConnection(ConnectionType.CLIENT)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc.rpartition("@")[2]
        await stream.send_all(connection.send(Request(host=host, target=target)))
        await _handshake(stream, connection)
        client = WsClient(stream, connection)
        yield client
        with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            await stream.send_all(connection.send(CloseConnection(code=1000)))  # the server may be gone
    finally:
        await stream.aclose()


async def _handshake(stream: trio.abc.Stream, connection: WSConnection) -> None:
    while True:
        data = await stream.receive_some(RECEIVE_BYTES)
        if not data:
            raise WsClosed("the server closed the connection during the handshake")
        connection.receive_data(data)
        for event in connection.events():
            if isinstance(event, AcceptConnection):
                return
            if isinstance(event, RejectConnection):
                raise WsClosed(f"the server refused the websocket: HTTP {event.status_code}")
