"""A websocket client at the byte level, to misbehave on purpose.

:class:`RawSocket` does the opening handshake with wsproto over a trio socket whose receive
buffer can be shrunk, then lets a harness write frames without ever reading (a reader that
never reads), go silent with the socket open (a half-open peer), vanish with a TCP reset (no
close frame, no FIN), or send frames no well-behaved client library would (invalid UTF-8 in
a text frame, a frame over any limit).
"""

from __future__ import annotations

import socket
import struct

import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, BytesMessage, RejectConnection, Request, TextMessage

__all__ = ["RawSocket"]


class RawSocket:
    """One client websocket; create it with :meth:`connect`."""

    def __init__(self, sock: trio.socket.SocketType, stream: trio.SocketStream, ws: WSConnection) -> None:
        self.sock = sock
        self.stream = stream
        self.ws = ws

    @classmethod
    async def connect(cls, port: int, resource: str, *, receive_buffer: int | None = None,
                      timeout: float = 10.0) -> RawSocket:
        """Connect and complete the handshake. ``receive_buffer`` shrinks SO_RCVBUF first, so a
        client that stops reading stops the server's sends after a few kilobytes."""
        sock = trio.socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        stream = trio.SocketStream(sock)
        try:
            with trio.fail_after(timeout):
                await sock.connect(("127.0.0.1", port))
                ws = WSConnection(ConnectionType.CLIENT)
                await stream.send_all(ws.send(Request(host=f"127.0.0.1:{port}", target=resource)))
                while True:
                    data = await stream.receive_some(65536)
                    if not data:
                        raise ConnectionError("closed during the handshake")
                    ws.receive_data(data)
                    for event in ws.events():
                        if isinstance(event, AcceptConnection):
                            return cls(sock, stream, ws)
                        if isinstance(event, RejectConnection):
                            raise ConnectionError(f"handshake rejected: {event.status_code}")
        except BaseException:
            sock.close()
            raise

    async def send_text(self, text: str) -> None:
        await self.stream.send_all(self.ws.send(TextMessage(data=text)))

    async def send_bytes(self, data: bytes) -> None:
        await self.stream.send_all(self.ws.send(BytesMessage(data=data)))

    async def send_raw_text_frame(self, payload: bytes) -> None:
        """A final text frame with any payload (wsproto would refuse invalid UTF-8), masked."""
        mask = b"\x01\x02\x03\x04"
        header = bytearray([0x81])
        size = len(payload)
        if size < 126:
            header.append(0x80 | size)
        elif size < 2**16:
            header.append(0x80 | 126)
            header += struct.pack("!H", size)
        else:
            header.append(0x80 | 127)
            header += struct.pack("!Q", size)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        await self.stream.send_all(bytes(header) + mask + masked)

    async def receive_text(self, timeout: float = 5.0) -> str | None:
        """The next text message, or None if the server closed the connection."""
        with trio.fail_after(timeout):
            while True:
                for event in self.ws.events():
                    if isinstance(event, TextMessage):
                        return str(event.data)
                data = await self.stream.receive_some(65536)
                if not data:
                    return None
                self.ws.receive_data(data)

    def reset(self) -> None:
        """Vanish: close with a TCP reset (SO_LINGER 0), no close frame, no FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self) -> None:
        self.sock.close()
