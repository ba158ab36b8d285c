"""Websockets served on raw ASGI beside quart (hunt/api/_ws.py), and the echo server built on it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import pytest
import trio
from hypercorn.trio import serve
from quart_trio import QuartTrio
from trio_websocket import ConnectionClosed, ConnectionRejected

from hunt.api import AsgiSocket, hypercorn_config, websocket_route
from hunt.config import load_config
from hunt_lab.bench.echo import create_echo_app
from tests.support.api import close_code, open_socket


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[int]:
    config = load_config(None, env={}, overrides={"server": {"port": 0}})
    async with trio.open_nursery() as nursery:
        # No server pings: trio-websocket 0.12 can fail when one meets its own close (issue #184).
        hconfig = hypercorn_config(config, ws_ping_interval_s=None)
        binds = await nursery.start(partial(serve, app, hconfig, mode="asgi"))
        yield int(binds[0].rsplit(":", 1)[1])
        nursery.cancel_scope.cancel()


def routed() -> Any:
    quart = QuartTrio("test")

    @quart.websocket("/ws/quart")
    async def by_quart() -> None:
        from quart import websocket
        await websocket.accept()
        await websocket.send("quart")

    async def handler(match: re.Match[str], socket: AsgiSocket) -> None:
        what = match["what"]
        if what == "fail":
            raise RuntimeError("boom")
        if what == "echo":
            await socket.send(f"echo {await socket.receive()}")
        # "return": returns without closing

    return websocket_route(quart, re.compile(r"/ws/raw/(?P<what>[a-z]+)"), handler)


async def test_a_matching_path_is_served_by_the_handler_and_others_by_quart() -> None:
    async with serving(routed()) as port:
        async with open_socket(port, "/ws/raw/echo") as raw:
            await raw.send("hi")
            assert (await raw.ws.get_message()) == "echo hi"
            with pytest.raises(ConnectionClosed) as closed:
                await raw.ws.get_message()
            assert close_code(closed.value) == 1000, "a handler that returns closes normally"
        async with open_socket(port, "/ws/quart") as other:
            assert (await other.ws.get_message()) == "quart"
        rejected = False
        try:
            async with open_socket(port, "/ws/raw/echo/more"):
                pass
        except* ConnectionRejected:
            rejected = True  # no route: quart refuses the upgrade
        assert rejected


async def test_a_failing_handler_closes_with_1011() -> None:
    async with serving(routed()) as port, open_socket(port, "/ws/raw/fail") as raw:
        with pytest.raises(ConnectionClosed) as closed:
            await raw.ws.get_message()
        assert close_code(closed.value) == 1011


async def test_the_echo_server_answers_the_protocol_shapes() -> None:
    config = load_config(None, env={}, overrides={"limits": {"max_frame_bytes": 1024}})
    async with serving(create_echo_app(config)) as port, open_socket(port, "/ws/hunts/any") as player:
        joined = await player.request({"op": "join", "id": "j1", "name": "Ann"})
        assert (joined["op"], joined["id"], joined["player"]) == ("ack", "j1", "p1")
        batch = await player.request({"op": "batch", "id": "b1", "items": [{"op": "ping", "id": "g1"}]})
        assert [item["id"] for item in batch["items"]] == ["g1"]
        await player.send({"op": "ping", "id": "big", "pad": "x" * 2000})
        assert (await player.receive())["code"] == "too_large"
