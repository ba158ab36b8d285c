"""Running the app on hypercorn's trio worker, inside an engine's block.

:func:`serve` binds, reports the port through ``task_status`` (so ``--port 0`` and tests get
the real one), and on the shutdown trigger stops accepting, closes the websockets with 1001
(going away) and lets requests in flight finish within ``server.shutdown_timeout_s``.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable
from functools import partial

import hypercorn.trio
import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.config import Sockets
from quart_trio import QuartTrio

from ..config import Config
from ..engine import Engine
from . import _closing, _compression, _pings
from ._address import is_loopback
from ._app import create_app
from ._context import app_context
from ._drain import InFlight
from ._gate import gate
from ._ws import player_sockets

__all__ = ["WS_PING_INTERVAL_S", "hypercorn_config", "is_loopback", "kernel_backlog_cap", "serve"]

log = logging.getLogger("hunt.api")

# Server pings keep NATs open and make a half-open connection fail its next send.
WS_PING_INTERVAL_S = 20.0
KEEP_ALIVE_TIMEOUT_S = 5.0


class _HypercornConfig(HypercornConfig):
    """Hypercorn's config, whose TCP sockets give up on a peer that stops acknowledging.

    Hypercorn writes to a socket under a cancel shield, with no timeout: a client that stops
    reading (a zero window) or vanishes without a reset holds that write, its connection and
    its file descriptor for as long as the kernel keeps trying, which for a zero window is
    forever. TCP_USER_TIMEOUT (Linux; inherited by accepted sockets) makes the kernel fail
    such a write after ``tcp_user_timeout_s``.
    """

    tcp_user_timeout_s: float | None = None

    def create_sockets(self) -> Sockets:
        sockets = super().create_sockets()
        option = getattr(socket, "TCP_USER_TIMEOUT", None)
        if self.tcp_user_timeout_s and option is not None:
            for sock in sockets.secure_sockets + sockets.insecure_sockets:
                if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
                    sock.setsockopt(socket.IPPROTO_TCP, option, int(self.tcp_user_timeout_s * 1000))
        return sockets


def hypercorn_config(config: Config, *, bind: str | None = None,
                     ws_ping_interval_s: float | None = WS_PING_INTERVAL_S) -> HypercornConfig:
    """Hypercorn's settings from ours. ``ws_ping_interval_s=None`` turns server pings off.

    A peer that acknowledges nothing for ``limits.ws_idle_timeout_s`` is dropped by the kernel
    (see :class:`_HypercornConfig`), as one that sends nothing for that long is by the API.
    """
    server, limits = config.server, config.limits
    hconfig = _HypercornConfig()
    hconfig.tcp_user_timeout_s = limits.ws_idle_timeout_s
    host = f"[{server.host}]" if ":" in server.host else server.host
    hconfig.bind = [bind or f"{host}:{server.port}"]
    hconfig.backlog = server.backlog  # hypercorn's default of 100 overflows when a hunt starts
    # Frames a little over the limit still reach the app, which answers `too_large` and
    # carries on; only far larger ones make hypercorn close the connection (1009).
    hconfig.websocket_max_message_size = limits.max_frame_bytes + max(limits.max_frame_bytes // 4, 4096)
    hconfig.websocket_ping_interval = ws_ping_interval_s
    hconfig.graceful_timeout = server.shutdown_timeout_s
    # A TCP connection with no request in progress (one that has not sent its headers yet, or
    # an idle keep-alive one) is closed after this; bodies have their own timeouts (see _http).
    hconfig.keep_alive_timeout = KEEP_ALIVE_TIMEOUT_S
    hconfig.accesslog = None
    hconfig.errorlog = logging.getLogger("hunt.http")
    return hconfig


def kernel_backlog_cap(path: str = "/proc/sys/net/core/somaxconn") -> int | None:
    """The most connections the kernel queues for a listening socket, where it says."""
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


async def serve(config: Config, engine: Engine, *, app: QuartTrio | None = None,
                shutdown_trigger: Callable[[], Awaitable[object]] | None = None, bind: str | None = None,
                ws_ping_interval_s: float | None = WS_PING_INTERVAL_S,
                task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
    """Serve until ``shutdown_trigger`` returns (or forever); report the bound port via task_status.

    Run it inside ``async with open_engine(config) as engine`` so the engine outlives the server.
    ``bind`` overrides host and port (any hypercorn bind, e.g. ``fd://3``). Hypercorn pings each
    websocket at once on accept and then every ``ws_ping_interval_s``; None turns that off
    (trio-websocket 0.12 clients can fail when a ping meets their own close, issue #184).
    """
    _pings.install()  # else a closed websocket lingers until its next ping (see _pings)
    _compression.install()  # else a small compressed frame can inflate to any size (see _compression)
    _closing.install()  # else a response before the end of its request's body leaves the socket open
    app = app or create_app(config, engine)
    ctx = app_context(app)
    connections = ctx.connections
    inflight = InFlight()
    budget = config.server.shutdown_timeout_s

    async def trigger() -> None:
        if shutdown_trigger is None:
            await trio.sleep_forever()
        else:
            await shutdown_trigger()
        log.info("shutting down: closing websockets, finishing requests")
        connections.close_all()
        nursery.start_soon(stop_once_drained)

    async def stop_once_drained() -> None:
        # Hypercorn would wait out the whole budget for idle keep-alive connections (a browser
        # tab keeps one): stop as soon as no response is under way and every websocket is gone.
        with trio.move_on_after(budget):
            await inflight.wait_idle()
            log.info("shutting down: nothing in flight, dropping idle connections")
            nursery.cancel_scope.cancel()

    hconfig = hypercorn_config(config, bind=bind, ws_ping_interval_s=ws_ping_interval_s)
    asgi = gate(player_sockets(app, ctx), config, ctx.gate)
    cap = kernel_backlog_cap()
    if cap is not None and cap < config.server.backlog:
        log.warning("server.backlog is %d but the kernel queues at most %d connections "
                    "(net.core.somaxconn): a storm of connections may see dropped SYNs", config.server.backlog, cap)
    async with trio.open_nursery() as outer:
        outer.start_soon(ctx.load.run)  # measures the event loop's lag (for /metrics)
        async with trio.open_nursery() as nursery:
            binds = await nursery.start(partial(hypercorn.trio.serve, inflight.wrap(asgi),
                                                hconfig, shutdown_trigger=trigger, mode="asgi"))
            task_status.started(int(binds[0].rsplit(":", 1)[1]))
        outer.cancel_scope.cancel()
