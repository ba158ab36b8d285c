"""The gate before every route: client addresses behind trusted proxies, connection caps,
the websocket Origin check, and no websocket compression (a compressed frame is never inflated).
"""

from __future__ import annotations

import os
import resource
import struct
import zlib
from contextlib import AsyncExitStack

import httpx
import pytest
import trio
from trio_websocket import ConnectionRejected

from hunt.api._address import ClientAddresses
from tests.support.api import OpenServer, open_socket

# Connection caps, rate buckets and the admin throttle are kept per process (with --workers N,
# per gateway), and these tests look inside that process (docs/security.md).
pytestmark = pytest.mark.one_process

WS_PATH = "/ws/hunts/harbor"


def forwarded(address: str) -> list[tuple[bytes, bytes]]:
    return [(b"X-Forwarded-For", address.encode())]


async def refusal(port: int, headers: list[tuple[bytes, bytes]] | None = None) -> ConnectionRejected:
    """The server's refusal of a websocket handshake (the test fails if it accepts)."""
    refused: list[ConnectionRejected] = []
    try:
        async with open_socket(port, WS_PATH, extra_headers=headers or []):
            pass
    except* ConnectionRejected as group:  # trio-websocket raises it from its nursery
        refused.extend(e for e in group.exceptions if isinstance(e, ConnectionRejected))
    assert refused, "the handshake was accepted"
    return refused[0]


# -- client addresses ------------------------------------------------------------------------

@pytest.mark.parametrize(("peer", "header", "expected"), [
    ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # an untrusted peer: its header is not believed
    ("127.0.0.1", "198.51.100.1", "198.51.100.1"),  # the proxy speaks for its client
    ("127.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client wrote the left hop: ignored
    ("127.0.0.1", "198.51.100.1, 10.0.0.2", "198.51.100.1"),  # an inner trusted proxy is skipped
    ("127.0.0.1", "", "127.0.0.1"),  # no header: the proxy itself
    ("127.0.0.1", "not-an-ip, 10.0.0.2", "10.0.0.2"),  # a hop we cannot read: the last trusted one
    ("127.0.0.1", "[2001:db8::1]:443", "2001:db8::1"),
    ("127.0.0.1", "198.51.100.1:5000", "198.51.100.1"),
])
def test_the_client_is_the_right_most_hop_that_is_not_a_trusted_proxy(peer: str, header: str, expected: str,
                                                                       ) -> None:
    addresses = ClientAddresses(["127.0.0.1", "10.0.0.0/8"])
    assert addresses.resolve(peer, header) == expected


def test_without_trusted_proxies_the_header_is_never_believed() -> None:
    scope = {"client": ("127.0.0.1", 5000), "headers": [(b"x-forwarded-for", b"198.51.100.1")]}
    assert ClientAddresses([]).of_scope(scope) == "127.0.0.1"
    assert ClientAddresses(["127.0.0.1"]).of_scope(scope) == "198.51.100.1"


# -- connection caps -------------------------------------------------------------------------

async def test_one_address_gets_at_most_connections_per_address(open_server: OpenServer) -> None:
    async with open_server(limits={"connections_per_address": 2}) as server, AsyncExitStack() as stack:
        await server.create_hunt()
        for _ in range(2):
            await stack.enter_async_context(open_socket(server.port, WS_PATH))
        assert (await refusal(server.port)).status_code == 503
        async with httpx.AsyncClient(base_url=server.base) as anonymous:
            response = await anonymous.get("/health")
        assert response.status_code == 503
        assert response.json()["error"] == "overloaded" and response.headers["Retry-After"] == "1"
        assert server.ctx.gate.refused == 2
        await stack.aclose()  # the two leave: the address may connect again
        async with open_socket(server.port, WS_PATH) as player:
            assert (await player.join())["op"] == "ack"


async def test_behind_a_trusted_proxy_each_client_has_its_own_cap_and_all_share_the_global_one(
        open_server: OpenServer) -> None:
    async with open_server(server={"trusted_proxies": ["127.0.0.1"]},
                           limits={"connections_per_address": 1, "connections": 3}) as server, \
            AsyncExitStack() as stack:
        await server.create_hunt()
        await stack.enter_async_context(open_socket(server.port, WS_PATH, extra_headers=forwarded("198.51.100.1")))
        await refusal(server.port, forwarded("198.51.100.1"))  # the same client again, through the proxy
        for client in ("198.51.100.2", "198.51.100.3"):  # other clients of the same proxy are not held back
            await stack.enter_async_context(open_socket(server.port, WS_PATH, extra_headers=forwarded(client)))
        await refusal(server.port, forwarded("198.51.100.4"))  # ... until the global cap


async def test_without_trusted_proxies_a_forged_header_does_not_escape_the_cap(open_server: OpenServer) -> None:
    async with open_server(limits={"connections_per_address": 1}) as server, AsyncExitStack() as stack:
        await server.create_hunt()
        await stack.enter_async_context(open_socket(server.port, WS_PATH, extra_headers=forwarded("198.51.100.1")))
        await refusal(server.port, forwarded("198.51.100.2"))


# -- Origin ----------------------------------------------------------------------------------

async def test_a_page_of_another_site_cannot_open_a_player_socket(open_server: OpenServer) -> None:
    async with open_server() as server:
        await server.create_hunt()
        refused = await refusal(server.port, [(b"Origin", b"https://evil.example")])
        assert refused.status_code == 403
        assert b"forbidden" in (refused.body or b"")
        # The same origin (the player page of this server), and clients without an Origin, may.
        async with open_socket(server.port, WS_PATH, extra_headers=[(b"Origin", b"http://127.0.0.1")]) as player:
            assert (await player.join())["op"] == "ack"


async def test_allowed_origins_lets_other_sites_in(open_server: OpenServer) -> None:
    async with open_server(server={"allowed_origins": ["https://play.example.org"]}) as server:
        await server.create_hunt()
        headers = [(b"Origin", b"https://play.example.org")]
        async with open_socket(server.port, WS_PATH, extra_headers=headers) as player:
            assert (await player.join())["op"] == "ack"


# -- compression -----------------------------------------------------------------------------

def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def test_compression_is_not_offered_and_a_compressed_bomb_is_never_inflated(open_server: OpenServer) -> None:
    # 256 MB of spaces deflate to about 250 KB: inflated in full, it would show in the peak RSS.
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = compressor.compress(b" " * (256 << 20)) + compressor.flush(zlib.Z_SYNC_FLUSH)
    bomb = bomb[:-4]  # permessage-deflate drops the sync flush's tail
    async with open_server() as server:
        await server.create_hunt()
        stream = await trio.open_tcp_stream("127.0.0.1", server.port)
        async with stream:
            await stream.send_all(
                b"GET " + WS_PATH.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
            response = b""
            while b"\r\n\r\n" not in response:
                response += await stream.receive_some(4096)
            head = response.split(b"\r\n\r\n")[0].lower()
            assert head.startswith(b"http/1.1 101")
            assert b"sec-websocket-extensions" not in head
            before = peak_rss_mb()
            mask = os.urandom(4)
            header = bytes([0xC1, 0x80 | 127]) + struct.pack(">Q", len(bomb)) + mask  # FIN, RSV1, text
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(bomb))
            with trio.move_on_after(10):
                try:
                    await stream.send_all(header + payload)
                    while await stream.receive_some(4096):
                        pass  # the close frame, then the end of the stream
                except trio.BrokenResourceError:
                    pass
            assert peak_rss_mb() - before < 64
