"""Who the client is: the one place that turns a request into the address every per-address
limit counts (connections, login failures, rates) and that ``/metrics`` checks for loopback.

The address is the TCP peer's, unless that peer is a trusted proxy (``server.trusted_proxies``,
IP addresses or networks; none by default). Then it is taken from ``X-Forwarded-For``: the
right-most hop that is not itself a trusted proxy. Hops further left were written by the
client (or a proxy we do not know) and could say anything, so they are never believed. A
header that is missing or malformed leaves the last trusted hop as the address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ClientAddresses", "is_loopback"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"  # a peer without an address (a Unix socket): all such clients count as one


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ClientAddresses:
    """Resolves the client address of an ASGI scope under a fixed list of trusted proxies."""

    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self._trusted: tuple[Network, ...] = tuple(ipaddress.ip_network(p, strict=False) for p in trusted_proxies)

    def _is_trusted(self, address: str) -> bool:
        if not self._trusted:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self._trusted)

    def of_scope(self, scope: Mapping[str, Any]) -> str:
        """The client address of an ASGI http or websocket scope."""
        client = scope.get("client")
        peer = str(client[0]) if client else UNKNOWN
        if not self._is_trusted(peer):
            return peer
        forwarded = [value.decode("latin-1") for name, value in scope.get("headers", ()) if
                     name.lower() == b"x-forwarded-for"]
        return self.resolve(peer, ",".join(forwarded))

    def resolve(self, peer: str, forwarded_for: str) -> str:
        """The client behind ``peer`` given its ``X-Forwarded-For`` value (hops comma-separated)."""
        if not self._is_trusted(peer):
            return peer
        address = peer
        for hop in reversed(forwarded_for.split(",") if forwarded_for else []):
            hop = _bare(hop.strip())
            try:
                hop = str(ipaddress.ip_address(hop))
            except ValueError:
                return address  # a hop we cannot read: stop at the last one we trusted
            address = hop
            if not self._is_trusted(hop):
                return hop
        return address


def _bare(hop: str) -> str:
    """An address without brackets or port: ``[::1]:80`` -> ``::1``, ``1.2.3.4:80`` -> ``1.2.3.4``."""
    if hop.startswith("["):
        return hop[1:].partition("]")[0]
    if hop.count(":") == 1:
        return hop.partition(":")[0]
    return hop
