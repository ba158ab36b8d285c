"""Helpers of the API tests: a real server on an ephemeral port, and real clients.

:func:`run_server` runs an engine and the server on 127.0.0.1 with small limits; the
:class:`Server` it yields has an httpx client that carries the admin token. A :class:`Player`
wraps a trio-websocket connection, matches replies to requests and keeps every frame it saw.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, wrap_client_stream

from hunt.config import Config
from hunt.store import HuntStores
from hunt_lab.servers.inprocess import LocalServer, open_local_server

from .hunts import HUNT_ID, harbor

ADMIN_TOKEN = "test-admin-token"

TEST_SETTINGS: dict[str, dict[str, Any]] = {
    "server": {"port": 0, "admin_token": ADMIN_TOKEN, "shutdown_timeout_s": 2.0},
    "store": {"synchronous": "OFF", "snapshot_every": 20},
    "engine": {"request_timeout_s": 5.0},
    "limits": {"max_frame_bytes": 4096, "max_body_bytes": 65536, "max_import_bytes": 1_000_000,
               "max_batch_items": 50, "outbox_capacity": 8, "leaderboard_push_interval_ms": 50,
               "page_limit_max": 100,
               "admin_failures_max": 1000},  # tests that knock on every admin route with a wrong token
}




class Server(LocalServer):
    """A server of these tests: the in-process server with the test hunt at hand."""

    @property
    def base(self) -> str:
        return self.url

    async def create_hunt(self, hunt_id: str = HUNT_ID, *, start: bool = True, **changes: Any) -> str:
        response = await self.http.post("/admin/hunts", json=harbor(hunt_id, **changes))
        assert response.status_code == 201, response.text
        if start:
            response = await self.http.post(f"/admin/hunts/{hunt_id}/start")
            assert response.status_code == 200, response.text
        return hunt_id


def join_id(seed: str) -> str:
    """A join id as a client makes it, 128 random-looking bits, but the same for the same seed."""
    return base64.urlsafe_b64encode(hashlib.sha256(seed.encode()).digest()[:16]).rstrip(b"=").decode()


@asynccontextmanager
async def run_server(data_dir: Path, *, ws_ping_interval_s: float | None = None, workers: int = 1,
                     workers_settings: dict[str, Any] | None = None,
                     stores: Callable[[Config], HuntStores] | None = None,
                     **sections: dict[str, Any]) -> AsyncIterator[Server]:
    """:func:`open_local_server` with the small limits of :data:`TEST_SETTINGS` under ``sections``.

    ``stores`` as there, e.g. ``FaultPlan().stores`` for a server on a faulty disk;
    ``workers_settings``: the [workers] section, for ``workers`` > 1.
    """
    settings = {name: {**TEST_SETTINGS.get(name, {}), **sections.get(name, {})}
                for name in {*TEST_SETTINGS, *sections}}
    if workers_settings:
        settings["workers"] = workers_settings
    async with open_local_server(data_dir, ws_ping_interval_s=ws_ping_interval_s, worker_count=workers, stores=stores,
                                 **settings) as local:
        assert local.config.data_path == data_dir  # never the working directory's data/
        yield Server(**vars(local))


REPLY_OPS = ("ack", "error", "welcome", "batch")


@dataclass
class Player:
    """A websocket client that matches replies to the request that caused them."""

    ws: WebSocketConnection
    seen: list[dict[str, Any]] = field(default_factory=list)  # every frame received, in order
    player: str | None = None
    token: str | None = None

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.ws.send_message(frame if isinstance(frame, str) else orjson.dumps(frame).decode())

    async def receive(self, timeout: float = 5) -> dict[str, Any]:
        with trio.fail_after(timeout):
            message = await self.ws.get_message()
        frame: dict[str, Any] = orjson.loads(message)
        self.seen.append(frame)
        return frame

    async def wait_for(self, match: Callable[[dict[str, Any]], bool], timeout: float = 5) -> dict[str, Any]:
        """The next frame that matches (frames before it stay in ``seen``)."""
        with trio.fail_after(timeout):
            while True:
                frame = await self.receive()
                if match(frame):
                    return frame

    async def request(self, frame: dict[str, Any] | str, timeout: float = 5) -> dict[str, Any]:
        """Send a frame and return its reply: the next ack, error, welcome or batch that
        carries the frame's id or no id at all (tests send one request at a time)."""
        await self.send(frame)
        if isinstance(frame, str):
            try:
                frame = orjson.loads(frame)
            except orjson.JSONDecodeError:
                frame = {}
        request_id = frame.get("id") if isinstance(frame, dict) else None

        def is_reply(reply: dict[str, Any]) -> bool:
            return reply.get("op") in REPLY_OPS and reply.get("id") in (None, request_id)

        return await self.wait_for(is_reply, timeout)

    async def join(self, name: str = "Ann", cmd: str | None = None, **extra: Any) -> dict[str, Any]:
        """Join (the command id is per name, so two players must have two names)."""
        ack = await self.request({"op": "join", "id": cmd or join_id(name), "name": name, **extra})
        assert ack["op"] == "ack", ack
        self.player, self.token = ack["player"], ack["token"]
        return ack

    def pushes(self, op: str) -> list[dict[str, Any]]:
        return [frame for frame in self.seen if frame.get("op") == op]




@asynccontextmanager
async def open_socket(port: int, resource: str, **options: Any) -> AsyncIterator[Player]:
    """A websocket over a TCP stream this helper owns and always closes (trio-websocket 0.12 leaves
    the socket open when the server closes first). ``options`` go to trio-websocket."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    try:
        async with trio.open_nursery() as nursery:
            ws = await wrap_client_stream(nursery, stream, "127.0.0.1", resource, **options)
            try:
                yield Player(ws)
            finally:
                await ws.aclose()
    finally:
        await stream.aclose()


OpenServer = Callable[..., AbstractAsyncContextManager[Server]]
Connect = Callable[..., AbstractAsyncContextManager[Player]]


def close_code(closed: ConnectionClosed) -> int:
    """The close code a ConnectionClosed carries."""
    assert closed.reason is not None
    return closed.reason.code


async def trickle(port: int, path: str, token: str, body: bytes, *, content_type: str = "application/json",
                  at_once: int = 0, every_s: float = 0.1, budget_s: float = 6.0) -> tuple[bytes, float]:
    """POST ``body`` over a raw socket: its first ``at_once`` bytes with the head, then the rest one
    byte every ``every_s``; return what the server said (within ``budget_s``) and how long it took."""
    start = trio.current_time()
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    received = b""
    async with stream:
        await stream.send_all(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                              f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                              + body[:at_once])
        with trio.move_on_after(budget_s):

            async def drip() -> None:
                for byte in body[at_once:]:
                    await stream.send_all(bytes([byte]))
                    await trio.sleep(every_s)

            async with trio.open_nursery() as nursery:
                nursery.start_soon(drip)
                try:
                    while data := await stream.receive_some(4096):
                        received += data
                except trio.BrokenResourceError:
                    pass
                nursery.cancel_scope.cancel()
    return received, trio.current_time() - start
