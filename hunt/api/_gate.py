"""The ASGI gate in front of everything: client address, connection caps, websocket Origin.

Every HTTP request and websocket passes :func:`gate` before any route sees it:

- its client address is resolved once (see ``_address``) and kept in the scope under
  :data:`CLIENT_KEY` for every later per-address decision;
- it counts against ``limits.connections`` (all requests in progress and open websockets)
  and ``limits.connections_per_address``; one over either cap is refused at once, before
  any body is read or any hunt is touched: HTTP 503 with ``Retry-After`` (the connection is
  closed), or a websocket handshake answered 503. The count is of what reaches the app;
  TCP connections that never complete a request are closed by hypercorn's keep-alive
  timeout, so they cannot pile up either;
- a websocket whose ``Origin`` header names another site is refused (403) unless that
  origin is in ``server.allowed_origins``: a page elsewhere cannot open sockets in its
  visitors' browsers. Clients that send no Origin (not browsers) are not affected.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import orjson

from ..config import Config
from ._address import ClientAddresses

__all__ = ["CLIENT_KEY", "ConnectionGate", "client_of", "gate"]

log = logging.getLogger("hunt.api")

CLIENT_KEY = "hunt.client"
CAP_RETRY_S = 1

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Asgi = Callable[[Scope, Receive, Send], Awaitable[None]]


def client_of(scope: Scope) -> str:
    """The client address the gate resolved for this scope ("unknown" for a peer without one)."""
    return str(scope.get(CLIENT_KEY) or (scope.get("client") or ("unknown",))[0])


class ConnectionGate:
    """Counts what is in progress, in total and per client address (no entry for an idle address)."""

    def __init__(self, total: int, per_address: int) -> None:
        self.total_max = total
        self.per_address_max = per_address
        self.total = 0
        self.by_address: Counter[str] = Counter()
        self.refused = 0

    def enter(self, address: str) -> bool:
        if self.total >= self.total_max or self.by_address[address] >= self.per_address_max:
            self.refused += 1
            if not self.by_address[address]:
                del self.by_address[address]
            return False
        self.total += 1
        self.by_address[address] += 1
        return True

    def leave(self, address: str) -> None:
        self.total -= 1
        self.by_address[address] -= 1
        if self.by_address[address] <= 0:
            del self.by_address[address]


def gate(app: Asgi, config: Config, connections: ConnectionGate) -> Asgi:
    """``app`` behind the address resolution, the connection caps and the Origin check."""
    addresses = ClientAddresses(config.server.trusted_proxies)
    allowed = {origin.rstrip("/").lower() for origin in config.server.allowed_origins}

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await app(scope, receive, send)
            return
        address = addresses.of_scope(scope)
        scope[CLIENT_KEY] = address
        if kind == "websocket" and not _origin_allowed(scope, allowed):
            await _deny_websocket(send, 403, "forbidden", "this origin may not open websockets here")
            return
        if not connections.enter(address):
            message = "too many connections; retry later"
            if kind == "websocket":
                await _deny_websocket(send, 503, "overloaded", message)
            else:
                await _deny_http(send, message)
            return
        left = False

        def leave() -> None:
            nonlocal left
            if not left:
                left = True
                connections.leave(address)

        async def send_then_leave(message: dict[str, Any]) -> None:
            # A response is over with its last body chunk, and the client may send its next
            # request on the same connection as soon as it has it (even before this send
            # returns): that one must find the place free.
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                leave()
            await send(message)

        try:
            await app(scope, receive, send_then_leave if kind == "http" else send)
        finally:
            leave()

    return asgi


def _origin_allowed(scope: Scope, allowed: set[str]) -> bool:
    headers = {name.lower(): value.decode("latin-1") for name, value in scope.get("headers", ())}
    origin = headers.get(b"origin")
    if origin is None or "*" in allowed:
        return True
    origin = origin.rstrip("/").lower()
    if origin in allowed:
        return True
    # Same origin: the page that opens the socket was served by this host.
    host = headers.get(b"host", "").lower()
    return bool(host) and urlsplit(origin).netloc == host


def _body(code: str, message: str) -> bytes:
    return orjson.dumps({"error": code, "message": message})


async def _deny_http(send: Send, message: str) -> None:
    await send({"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", b"application/json"), (b"retry-after", str(CAP_RETRY_S).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": _body("overloaded", message)})


async def _deny_websocket(send: Send, status: int, code: str, message: str) -> None:
    headers = [(b"content-type", b"application/json")]
    if status == 503:
        headers.append((b"retry-after", str(CAP_RETRY_S).encode()))
    await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": _body(code, message)})
