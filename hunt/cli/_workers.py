"""``hunt serve --workers N`` (N > 1): N gateway processes on one port, this process the owner.

The parent (this process) owns every hunt: it runs the engine, the relay, and
:func:`hunt.cluster.serve_owner` on a NATS connection. It binds N listening sockets to the same
address with SO_REUSEPORT (the kernel spreads new connections over them) and starts one gateway
per socket, ``python -m hunt.cli._workers``, which inherits its socket and serves the player
websocket, admin HTTP and pages through a :class:`hunt.cluster.GatewayEngine`. Without
``workers.nats_url`` it starts ``nats-server`` on loopback as a child first, and stops it last.

A gateway that dies is started again (its socket stays open in the parent meanwhile, so the
connections the kernel queued on it wait instead of failing). The protocol with a gateway:
one JSON line on its stdin (config, NATS URL, owners, socket fd, name); it answers ``ready`` on
stdout once it accepts connections; end of its stdin, SIGINT or SIGTERM stop it gracefully.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import trio
from quart_trio import QuartTrio

from ..api import WS_PING_INTERVAL_S, Secrets, create_app, load_secrets, serve
from ..cluster import GatewayEngine, HashPlacement, open_bus, open_gateway_engine, open_local_nats
from ..config import Config, load_config
from ..relay import read_analytics
from ._logging import configure_logging

__all__ = ["OWNER", "Gateway", "open_nats", "reuseport_sockets", "run_gateway", "spawn_gateways"]

log = logging.getLogger("hunt.workers")

OWNER = "owner-0"  # one owner process today; HashPlacement spreads hunts when there are more
READY = b"ready\n"
START_TIMEOUT_S = 30.0
MIN_RESTART_S = 0.5


def reuseport_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` TCP sockets bound to one address with SO_REUSEPORT (not listening yet).

    With port 0 the first one picks a free port and the others take the same.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets
            sock.bind((host.strip("[]"), port))
            port = sock.getsockname()[1]
            sock.set_inheritable(True)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


@asynccontextmanager
async def open_nats(config: Config, scratch: Path) -> AsyncIterator[str]:
    """The NATS URL: ``workers.nats_url``, or a nats-server started on loopback for the block."""
    if config.workers.nats_url:
        yield config.workers.nats_url
        return
    async with open_local_nats(scratch) as url:
        log.info("nats-server started on %s", url)
        yield url


@dataclass
class Gateway:
    """A gateway running in this process (tests, the in-process harness)."""

    engine: GatewayEngine
    app: QuartTrio
    port: int


async def run_gateway(config: Config, secrets: Secrets | None, sock: socket.socket, nats_url: str,
                      owners: Sequence[str], name: str, *, shutdown_trigger: Callable[[], Awaitable[object]],
                      ws_ping_interval_s: float | None = WS_PING_INTERVAL_S,
                      task_status: trio.TaskStatus[Gateway] = trio.TASK_STATUS_IGNORED) -> None:
    """Serve the API on ``sock`` (taken over: it is closed with the server) until the trigger returns."""
    async with open_bus(nats_url, name) as bus, \
            open_gateway_engine(config, bus, HashPlacement(owners)) as engine:
        app = create_app(config, engine, secrets=secrets, analytics=partial(read_analytics, config.data_path))
        async with trio.open_nursery() as nursery:
            port = await nursery.start(partial(serve, config, engine, app=app, bind=f"fd://{sock.detach()}",
                                               shutdown_trigger=shutdown_trigger,
                                               ws_ping_interval_s=ws_ping_interval_s))
            task_status.started(Gateway(engine, app, port))


def config_line(config: Config, nats_url: str, owners: Sequence[str], fd: int, name: str) -> bytes:
    """What a gateway process reads on stdin (the admin token included: a pipe, never argv)."""
    return orjson.dumps({"config": dataclasses.asdict(config), "nats_url": nats_url, "owners": list(owners),
                         "fd": fd, "name": name}) + b"\n"


async def spawn_gateways(config: Config, sockets: Sequence[socket.socket], nats_url: str,
                         stopping: trio.Event, *, task_status: trio.TaskStatus[list[int]] = trio.TASK_STATUS_IGNORED,
                         ) -> None:
    """Run one gateway process per socket, restarted when it dies, until ``stopping`` is set;
    then stop them (SIGTERM, SIGKILL after the shutdown budget). Reports their pids once all
    are ready."""
    pids: list[int] = [0] * len(sockets)
    async with trio.open_nursery() as nursery:
        async with trio.open_nursery() as starting:  # they start side by side (a start takes seconds)
            for index, sock in enumerate(sockets):
                starting.start_soon(nursery.start, partial(_supervise, config, sock, nats_url, f"gateway-{index}",
                                                           stopping, pids, index))
        task_status.started(pids)


async def _supervise(config: Config, sock: socket.socket, nats_url: str, name: str, stopping: trio.Event,
                     pids: list[int], index: int, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
                     ) -> None:
    backoff, first = MIN_RESTART_S, True
    while not stopping.is_set():
        started = trio.current_time()
        code = await _run_one(config, sock, nats_url, name, stopping, pids, index,
                              task_status if first else trio.TASK_STATUS_IGNORED)
        first = False
        if stopping.is_set():
            return
        log.warning("%s exited with code %s; starting it again", name, code)
        backoff = MIN_RESTART_S if trio.current_time() - started > 60 else min(backoff * 2, 10.0)
        with trio.move_on_after(backoff):
            await stopping.wait()


async def _run_one(config: Config, sock: socket.socket, nats_url: str, name: str, stopping: trio.Event,
                   pids: list[int], index: int, task_status: Any) -> int | None:
    fd = sock.fileno()
    process = await trio.lowlevel.open_process(
        [sys.executable, "-m", "hunt.cli._workers"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        pass_fds=(fd,))
    pids[index] = process.pid
    assert process.stdin is not None and process.stdout is not None
    try:
        await process.stdin.send_all(config_line(config, nats_url, [OWNER], fd, name))
        with trio.fail_after(START_TIMEOUT_S):
            said = b""
            while READY not in said:
                chunk = await process.stdout.receive_some(256)
                if not chunk:
                    raise RuntimeError(f"{name} exited before it was ready (code {await process.wait()})")
                said += chunk
        task_status.started()
        async with trio.open_nursery() as nursery:
            async def stop_when_asked() -> None:
                await stopping.wait()
                await process.stdin.aclose()  # end of stdin: a graceful stop
                process.send_signal(signal.SIGTERM)
                with trio.move_on_after(config.server.shutdown_timeout_s + 5):
                    await process.wait()
                    return
                log.warning("%s did not stop in time; killing it", name)
                process.kill()

            nursery.start_soon(stop_when_asked)
            code = await process.wait()
            nursery.cancel_scope.cancel()
            return code
    finally:
        if process.returncode is None:
            with trio.CancelScope(shield=True):
                process.kill()
                await process.wait()


async def _gateway_main(line: dict[str, Any]) -> None:
    config = load_config(None, env={}, overrides=line["config"])
    secrets = load_secrets(config)
    sock = socket.socket(fileno=line["fd"])
    stop = trio.Event()

    async def watch(signals: Any) -> None:
        async for _ in signals:
            stop.set()
            return

    async def watch_stdin() -> None:
        stdin = trio.lowlevel.FdStream(os.dup(0))
        async with stdin:
            while await stdin.receive_some(1024):
                pass
        stop.set()  # the parent closed it, or died

    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            async def serve_then_stop(task_status: trio.TaskStatus[Gateway]) -> None:
                await run_gateway(config, secrets, sock, line["nats_url"], line["owners"], line["name"],
                                  shutdown_trigger=stop.wait, task_status=task_status)
                nursery.cancel_scope.cancel()  # the watchers too

            nursery.start_soon(watch, signals)
            nursery.start_soon(watch_stdin)
            await nursery.start(serve_then_stop)
            sys.stdout.buffer.write(READY)
            sys.stdout.flush()
            await stop.wait()
            nursery.cancel_scope.deadline = trio.current_time() + config.server.shutdown_timeout_s + 2


def main() -> None:
    line = orjson.loads(sys.stdin.buffer.readline())
    configure_logging(load_config(None, env={}, overrides=line["config"]).logging)
    trio.run(_gateway_main, line)


if __name__ == "__main__":
    main()

