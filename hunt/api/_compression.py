"""Websockets without compression: hypercorn 0.18 always accepts permessage-deflate.

A compressed frame is inflated in full before any size check sees it, so ~100 KB sent can
become hundreds of megabytes in the server (a compression bomb; an audit measured peak RSS
going from 192 to 425 MB with one frame, no join needed). The protocol's frames are small
JSON, and compressing each one costs the server CPU per frame, so compression is simply not
offered: :func:`install` makes hypercorn's handshake ignore the client's
``Sec-WebSocket-Extensions`` offer. The client then sends uncompressed frames, and one that
sends a compressed frame anyway (RSV1 set) is closed by wsproto with 1002 (protocol error)
before any byte is inflated. Idempotent.
"""

from __future__ import annotations

from typing import Any

from hypercorn.protocol.ws_stream import Handshake

__all__ = ["install"]


def install() -> None:
    if getattr(Handshake, "_hunt_no_deflate", False):
        return
    accept = Handshake.accept

    def _accept(self: Any, *args: Any, **kwargs: Any) -> Any:
        self.extensions = None  # no extension offered -> none negotiated
        return accept(self, *args, **kwargs)

    Handshake.accept = _accept  # type: ignore[method-assign]
    Handshake._hunt_no_deflate = True  # type: ignore[attr-defined]
