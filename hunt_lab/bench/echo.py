"""A bare echo server on the same stack (hypercorn, the player path on raw ASGI like the hunt
server's, quart-trio for the rest, orjson, same limits).

It answers the player protocol's shapes with no engine behind them: ``join`` gets an ack with
a player and token, ``hello`` a welcome, every command an ack, ``batch`` a batch of acks. It
is the ceiling of the stack: ``hunt bench e2e`` drives it with the same client in the same
run and reports the hunt server's throughput as a fraction of it.

    python -m hunt_lab.bench.echo --port 0     # prints "listening on http://127.0.0.1:PORT"
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
from functools import partial
from typing import Any

import orjson
import trio
from hypercorn.trio import serve
from quart_trio import QuartTrio

from hunt.api import PLAYER_PATH, AsgiSocket, hypercorn_config, websocket_route
from hunt.config import Config, load_config

__all__ = ["create_echo_app"]


def create_echo_app(config: Config) -> Any:
    """The echo server's ASGI app."""
    app = QuartTrio("hunt-echo")
    seq = itertools.count(1)
    players = itertools.count(1)

    def answer(frame: dict[str, Any]) -> dict[str, Any]:
        op = frame.get("op")
        if op == "join":
            player = f"p{next(players)}"
            return {"op": "ack", "id": frame.get("id"), "seq": next(seq), "result": "joined", "player": player,
                    "token": f"{player}.echo"}
        if op == "hello":
            return {"op": "welcome", "player": "echo", "seq": next(seq), "progress": {}}
        return {"op": "ack", "id": frame.get("id"), "seq": next(seq), "result": "ok"}

    async def echo(match: re.Match[str], socket: AsgiSocket) -> None:
        limit = config.limits.max_frame_bytes
        while True:
            data = await socket.receive()
            if len(data) > limit:
                await socket.send(orjson.dumps({"op": "error", "code": "too_large"}).decode())
                continue
            frame = orjson.loads(data)
            if frame.get("op") == "batch":
                reply: dict[str, Any] = {"op": "batch", "items": [answer(item) for item in frame.get("items", [])]}
            else:
                reply = answer(frame)
            await socket.send(orjson.dumps(reply).decode())

    @app.post("/admin/hunts")
    async def create() -> tuple[bytes, int]:
        return b"{}", 201

    @app.post("/admin/hunts/<hunt_id>/start")
    async def start(hunt_id: str) -> tuple[bytes, int]:
        return b"{}", 200

    return websocket_route(app, PLAYER_PATH, echo)


async def _main(config: Config) -> None:
    app = create_echo_app(config)
    hconfig = hypercorn_config(config)
    async with trio.open_nursery() as nursery:
        binds = await nursery.start(partial(serve, app, hconfig, mode="asgi"))
        print(f"listening on {binds[0]}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hunt_lab.bench.echo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    config = load_config(None, overrides={"server": {"host": "127.0.0.1", "port": args.port}})
    try:
        trio.run(_main, config)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
