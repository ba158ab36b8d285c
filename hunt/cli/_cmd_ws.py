"""``hunt ws URL``: talk to a hunt's player websocket from a terminal (no websocat needed).

Sends a join (``--join NAME``), then each JSON frame of standard input (one a line, when it is
not a terminal) one at a time, waiting for its reply; prints every frame the server sends as
one JSON line. A frame without ``"id"`` gets a random one (128 bits, as a join needs).
"""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import Any

import orjson
import trio

from ._wsclient import WsClosed, open_ws

__all__ = ["register"]

REPLY_OPS = ("ack", "error", "welcome", "batch")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ws", help="send frames to a hunt's player websocket and print what comes back",
        description="Connect to ws://HOST:PORT/ws/hunts/HUNT, send a join (--join) and the JSON frames of "
                    "standard input (one a line; a frame without \"id\" gets a random one), each after the "
                    "reply to the one before, and print every frame received as a JSON line. "
                    "Example: hunt ws ws://127.0.0.1:8080/ws/hunts/harbor-2026 --join Ann")
    parser.add_argument("url", metavar="URL", help="the player websocket, ws://HOST:PORT/ws/hunts/HUNT")
    parser.add_argument("--join", metavar="NAME", help="join the hunt as NAME first")
    parser.add_argument("--team", help="the team to join (hunts played in teams)")
    parser.add_argument("--wait", type=float, default=2.0,
                        help="seconds to wait for each reply, and for pushes at the end (default %(default)s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.url.startswith(("ws://", "wss://")):
        print("hunt ws: URL must start with ws:// or wss://", file=sys.stderr)
        return 2
    frames: list[dict[str, Any]] = []
    if args.join:
        join: dict[str, Any] = {"op": "join", "name": args.join}
        if args.team:
            join["team"] = args.team
        frames.append(join)
    if not sys.stdin.isatty():
        for number, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            try:
                frame = orjson.loads(line)
            except orjson.JSONDecodeError as err:
                print(f"hunt ws: line {number} is not JSON: {err}", file=sys.stderr)
                return 2
            if not isinstance(frame, dict):
                print(f"hunt ws: line {number} is not a JSON object", file=sys.stderr)
                return 2
            frames.append(frame)
    try:
        return trio.run(_talk, args.url, frames, args.wait)
    except (OSError, WsClosed) as err:
        print(f"hunt ws: {args.url}: {err}", file=sys.stderr)
        return 1


async def _talk(url: str, frames: list[dict[str, Any]], wait: float) -> int:
    failed = False
    async with open_ws(url) as ws:
        for frame in frames:
            if "id" not in frame and frame.get("op") != "batch":
                frame = {**frame, "id": secrets.token_hex(16)}
            await ws.send(orjson.dumps(frame).decode())
            with trio.move_on_after(wait) as waiting:
                while True:
                    reply = orjson.loads(await ws.receive())
                    print(orjson.dumps(reply).decode(), flush=True)
                    if reply.get("op") in REPLY_OPS and reply.get("id") in (frame.get("id"), None):
                        failed = failed or reply["op"] == "error"
                        break
            if waiting.cancelled_caught:
                print(f"hunt ws: no reply to {frame.get('op')!r} within {wait} s", file=sys.stderr)
                failed = True
        with trio.move_on_after(wait):  # the pushes that follow (feed, leaderboard, status)
            while True:
                print(await ws.receive(), flush=True)
    return 1 if failed else 0
