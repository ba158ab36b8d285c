"""``hunt bench storm``: everyone connects at once when a hunt starts.

A ``hunt serve`` child is started with a started hunt. ``connections`` players then open a
websocket and join, their arrivals spread evenly over ``seconds`` (open loop: a slow server
does not slow the arrivals), and each stays connected until the storm is over, so later
joins meet everyone already there (and the pushes they get). A join's latency runs from the
moment it was due to its ack: TCP connect, the websocket handshake and the join's commit
(the handshake alone is reported too).
Reported: joins acked, failures by kind, join p50/p99/max, the server's CPU per join
(psutil on its pid) and the kernel's listen-queue overflows (``TcpExtListenOverflows`` in
/proc/net/netstat; the whole machine's, so other load on it shows up too).
"""

from __future__ import annotations

import secrets
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
import trio

from ..clients.admin import create_hunt
from ..clients.raw import RawSocket
from ..measure import percentile
from ..servers.process import ServerProcess, raise_fd_limit

__all__ = ["bench_storm", "listen_overflows"]


def listen_overflows(path: str = "/proc/net/netstat") -> int | None:
    """The kernel's count of connections dropped because a listen queue was full (Linux)."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:], strict=False))
            return int(table.get("ListenOverflows", 0))
    return None


async def _player(port: int, hunt: str, due: float, timeout: float, latencies: list[float],
                  handshakes: list[float], failures: Counter[str], keep: list[RawSocket]) -> None:
    """Connect and join at ``due`` (trio time); record the latency or the kind of failure."""
    await trio.sleep_until(due)
    try:
        with trio.fail_after(timeout):
            raw = await RawSocket.connect(port, f"/ws/hunts/{hunt}", timeout=timeout)
            handshakes.append(trio.current_time() - due)
            keep.append(raw)
            await raw.send_text(orjson.dumps({"op": "join", "id": secrets.token_urlsafe(16),
                                              "name": f"storm {len(keep)}"}).decode())
            while True:
                text = await raw.receive_text(timeout=timeout)
                if text is None:
                    raise ConnectionError("closed before the join was acked")
                reply = orjson.loads(text)
                if reply.get("op") == "ack":
                    latencies.append(trio.current_time() - due)
                    return
                if reply.get("op") == "error":
                    failures[f"refused:{reply.get('code')}"] += 1
                    return
    except trio.TooSlowError:
        failures["timeout"] += 1
    except (OSError, ConnectionError, trio.BrokenResourceError) as err:
        failures[type(err).__name__] += 1


async def _storm(server: ServerProcess, hunt: str, connections: int, seconds: float, timeout: float,
                 ) -> dict[str, Any]:
    """One storm against a started server; the figures of it."""
    process = psutil.Process(server.pid)
    latencies: list[float] = []
    handshakes: list[float] = []
    failures: Counter[str] = Counter()
    keep: list[RawSocket] = []
    cpu_before = sum(process.cpu_times()[:2])
    client_before = sum(psutil.Process().cpu_times()[:2])
    overflows_before = listen_overflows()
    start = trio.current_time() + 0.2
    try:
        async with trio.open_nursery() as nursery:
            for i in range(connections):
                nursery.start_soon(_player, server.port, hunt, start + i * seconds / connections, timeout,
                                   latencies, handshakes, failures, keep)
        storm_s = trio.current_time() - start
        cpu = sum(process.cpu_times()[:2]) - cpu_before
        client_cpu = sum(psutil.Process().cpu_times()[:2]) - client_before
        overflows_after = listen_overflows()
    finally:
        for raw in keep:
            raw.close()
    values, opened = sorted(latencies), sorted(handshakes)
    return {
        "joined": len(latencies), "failed": sum(failures.values()), "failures": dict(failures),
        "join_p50_ms": round(percentile(values, 50) * 1000, 1), "join_p99_ms": round(percentile(values, 99) * 1000, 1),
        "join_max_ms": round(values[-1] * 1000, 1) if values else None,
        "handshake_p50_ms": round(percentile(opened, 50) * 1000, 1),
        "handshake_p99_ms": round(percentile(opened, 99) * 1000, 1),
        "storm_s": round(storm_s, 2), "server_cpu_s": round(cpu, 2),
        "server_cpu_ms_per_join": round(cpu * 1000 / max(len(latencies), 1), 2),
        "client_cpu_s": round(client_cpu, 2),
        "listen_overflows": (None if overflows_before is None or overflows_after is None
                             else overflows_after - overflows_before),
    }


async def bench_storm(data_dir: Path, log_dir: Path, *, connections: int, seconds: float, timeout: float = 30.0,
                      echo: bool = True, env: dict[str, str] | None = None,
                      report: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Open ``connections`` joining websockets over ``seconds`` against a fresh server child;
    then (``echo``) the same storm against the bare echo server on the same stack, the floor
    of what a connection and a join cost before any hunt work."""
    limit = raise_fd_limit(connections + 1024)
    if limit < connections + 64:
        raise RuntimeError(f"the open-files limit is {limit}: too low for {connections} connections")
    hunt = "storm"
    async with ServerProcess(data_dir, log_dir, env=env, fd_limit=connections + 1024) as server:
        await server.start()
        async with httpx.AsyncClient(base_url=server.url, headers=server.admin_headers, timeout=30) as http:
            await create_hunt(http, hunt, 5)
            await trio.sleep(0.5)
            started = time.monotonic()
            result = await _storm(server, hunt, connections, seconds, timeout)
            stats = (await http.get(f"/admin/hunts/{hunt}")).json()
        report(f"{result['joined']:,} of {connections:,} joined in {time.monotonic() - started:.1f} s")
        await server.stop()
    result = {"connections": connections, "seconds": seconds, **result,
              "players_in_hunt": stats.get("stats", {}).get("players")}
    if echo:
        async with ServerProcess(None, log_dir / "echo", program=("hunt_lab.bench.echo",),
                                 fd_limit=connections + 1024) as server:
            await server.start()
            await trio.sleep(0.5)
            floor = await _storm(server, hunt, connections, seconds, timeout)
            report(f"echo server: {floor['joined']:,} of {connections:,} joined")
            await server.stop()
        result["echo"] = {key: floor[key] for key in ("joined", "failed", "join_p50_ms", "join_p99_ms",
                                                      "server_cpu_ms_per_join")}
    return result
