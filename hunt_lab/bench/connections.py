"""How many idle player connections one server process holds: RSS per connection.

A ``hunt serve`` child is started; ``count`` players join, then as many websocket
connections open in waves, each greets its player (``hello`` with the token) and then stays
idle, draining whatever the server pushes. The server's RSS (psutil on its pid) is read before the first connection and
after the last one has settled; the difference divided by ``count`` is the cost of one idle
connection, and ``(1 GiB - baseline) / per connection`` the number that fit in 1 GiB.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
import trio

from ..clients.admin import create_hunt
from ..clients.player import open_websocket
from ..servers.process import ServerProcess, raise_fd_limit

__all__ = ["bench_connections"]

GIB = 2**30


@dataclass
class _Tally:
    joined: int = 0
    failed: int = 0
    pushes: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def fail(self, err: BaseException) -> None:
        self.failed += 1
        name = type(err).__name__
        self.errors[name] = self.errors.get(name, 0) + 1


async def _join_all(url: str, count: int, joiners: int, window: int, timeout: float) -> list[str]:
    """Join ``count`` players through ``joiners`` connections (pipelined); return their tokens."""
    tokens: list[str] = [""] * count

    async def joiner(first: int) -> None:
        async with open_websocket(url, connect_timeout=timeout) as ws:
            indexes = list(range(first, count, joiners))
            join_ids = {secrets.token_urlsafe(16): index for index in indexes}  # join ids are secrets
            by_index = {index: join_id for join_id, index in join_ids.items()}
            sent = 0
            answered = 0
            with trio.fail_after(timeout + count / 50):
                while answered < len(indexes):
                    while sent < len(indexes) and sent - answered < window:
                        index = indexes[sent]
                        await ws.send_message(orjson.dumps({"op": "join", "id": by_index[index],
                                                            "name": f"idle {index}"}).decode())
                        sent += 1
                    reply = orjson.loads(await ws.get_message())
                    if reply.get("op") == "ack" and reply.get("id") in join_ids:
                        tokens[join_ids[reply["id"]]] = reply["token"]
                        answered += 1
                    elif reply.get("op") == "error":
                        raise RuntimeError(f"join refused: {reply}")

    async with trio.open_nursery() as nursery:
        for first in range(joiners):
            nursery.start_soon(joiner, first)
    return tokens


async def _player(url: str, token: str, index: int, tally: _Tally, greeted: trio.Event, stop: trio.Event,
                  timeout: float) -> None:
    """One idle player: connect, say hello with its token, then only read what is pushed."""
    try:
        async with open_websocket(url, connect_timeout=timeout) as ws:
            await ws.send_message(orjson.dumps({"op": "hello", "id": f"hello-{index}", "token": token}).decode())
            with trio.fail_after(timeout):
                while True:
                    reply = orjson.loads(await ws.get_message())
                    if reply.get("op") in ("welcome", "error"):
                        break
            if reply["op"] != "welcome":
                raise ConnectionRefusedError(str(reply.get("code")))
            tally.joined += 1
            greeted.set()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_drain, ws, tally)
                await stop.wait()
                nursery.cancel_scope.cancel()
    except Exception as err:  # counted and reported: one failed connection must not end the run
        tally.fail(err)
        greeted.set()


async def _drain(ws: Any, tally: _Tally) -> None:
    while True:
        await ws.get_message()
        tally.pushes += 1


async def bench_connections(data_dir: Path, log_dir: Path, *, count: int, wave: int = 250, settle_s: float = 3.0,
                            timeout: float = 60.0, report: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Open ``count`` idle greeted connections to a fresh server child; return the RSS figures.

    The players join first, through a few connections (each join is a commit, and a commit
    wakes every greeted connection of the hunt: joining over the idle connections themselves
    would measure that fan-out, not idle connections). Then each idle connection says
    ``hello`` with its player's token, which commits nothing. The server's idle timeout is
    raised to an hour (the protocol closes a connection that sends nothing for two minutes).
    """
    limit = raise_fd_limit(count + 1024)
    if limit < count + 64:
        raise RuntimeError(f"the open-files limit is {limit}: too low for {count} connections")
    hunt = "idle"
    env = {"HUNT_LIMITS_WS_IDLE_TIMEOUT_S": "3600"}
    async with ServerProcess(data_dir, log_dir, env=env, fd_limit=count + 1024) as server:
        await server.start()
        process = psutil.Process(server.pid)
        async with httpx.AsyncClient(base_url=server.url, headers=server.admin_headers, timeout=30) as http:
            await create_hunt(http, hunt, 5)
            started = time.monotonic()
            tokens = await _join_all(server.ws_url(hunt), count, joiners=8, window=64, timeout=timeout)
            report(f"{count:,} players joined in {time.monotonic() - started:.1f} s (through 8 connections)")
            await trio.sleep(1.0)
            baseline = process.memory_info().rss
            report(f"server pid {server.pid}: RSS {baseline / 2**20:.1f} MB before the idle connections")
            tally = _Tally()
            stop = trio.Event()
            started = time.monotonic()
            peak = baseline
            async with trio.open_nursery() as nursery:
                for first in range(0, count, wave):
                    waits = []
                    for index in range(first, min(first + wave, count)):
                        greeted = trio.Event()
                        waits.append(greeted)
                        nursery.start_soon(_player, server.ws_url(hunt), tokens[index], index, tally, greeted, stop,
                                           timeout)
                    for greeted in waits:
                        await greeted.wait()
                    peak = max(peak, process.memory_info().rss)
                    if (first // wave) % 8 == 7 or first + wave >= count:
                        report(f"  {tally.joined:,} greeted, {tally.failed} failed, server RSS "
                               f"{process.memory_info().rss / 2**20:.0f} MB, {time.monotonic() - started:.0f} s")
                connect_s = time.monotonic() - started
                await trio.sleep(settle_s)
                loaded = process.memory_info().rss
                peak = max(peak, loaded)
                health = (await http.get("/health")).json()
                metrics = (await http.get("/metrics")).text
                client_rss = psutil.Process().memory_info().rss
                cpu = process.cpu_percent(interval=None)
                await trio.sleep(1.0)
                idle_cpu = process.cpu_percent(interval=None)
                stop.set()
                nursery.cancel_scope.cancel()
        await server.stop()
    per_connection = (loaded - baseline) / max(tally.joined, 1)
    fit = int((GIB - baseline) / per_connection) if per_connection > 0 else 0
    del cpu
    return {
        "count": count, "greeted": tally.joined, "failed": tally.failed, "errors": tally.errors,
        "server_open_connections": _metric(metrics, "hunt_ws_connections"), "health": health.get("status"),
        "connect_s": round(connect_s, 1), "pushes_received": tally.pushes,
        "server_rss_baseline_mb": round(baseline / 2**20, 1), "server_rss_loaded_mb": round(loaded / 2**20, 1),
        "server_rss_peak_mb": round(peak / 2**20, 1), "server_idle_cpu_percent": idle_cpu,
        "per_connection_kib": round(per_connection / 1024, 1), "fit_in_1_gib": fit,
        "client_rss_mb": round(client_rss / 2**20, 1), "fd_limit": limit,
    }


def _metric(text: str, name: str) -> int:
    """Sum of a metric's samples in Prometheus text (0 if absent)."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)
