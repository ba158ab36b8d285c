"""Who the client is: the address every per-address limit counts.

The address is the TCP peer's, unless that peer is a trusted proxy (``server.trusted_proxies``,
IP addresses or networks; none by default). Then it is taken from ``X-Forwarded-For``: the
right-most hop that is not itself a trusted proxy. Hops further left were written by the client
(or by a proxy we do not know) and could say anything, so they are never believed; a hop that
cannot be read stops the walk at the last trusted one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["CLIENT_KEY", "ClientAddresses"]

CLIENT_KEY = "hunt.client"  # where the resolved address is kept in an ASGI scope
UNKNOWN = "unknown"  # a peer without an address (a Unix socket): all such clients count as one

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ClientAddresses:
    """Resolves the client address of an ASGI scope under a fixed list of trusted proxies."""

    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self._trusted: tuple[Network, ...] = tuple(ipaddress.ip_network(p, strict=False) for p in trusted_proxies)

    def of_scope(self, scope: Mapping[str, Any]) -> str:
        """The client address of an ASGI http or websocket scope."""
        client = scope.get("client")
        peer = str(client[0]) if client else UNKNOWN
        forwarded = ",".join(value.decode("latin-1") for name, value in scope.get("headers", ())
                             if name.lower() == b"x-forwarded-for")
        return self.resolve(peer, forwarded)

    def resolve(self, peer: str, forwarded_for: str) -> str:
        """The client behind ``peer`` given its ``X-Forwarded-For`` value (hops comma-separated)."""
        address = peer
        if not self._is_trusted(peer):
            return address
        for hop in reversed(forwarded_for.split(",") if forwarded_for else []):
            try:
                address = str(ipaddress.ip_address(hop.strip()))
            except ValueError:
                return address
            if not self._is_trusted(address):
                return address
        return address

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._trusted)
