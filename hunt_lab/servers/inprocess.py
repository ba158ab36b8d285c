"""An engine and the server in this process, on an ephemeral loopback port.

For harnesses that need to look inside the server while clients load it over real sockets
(the router's mailboxes, the connection statistics) or to inject a fault into the store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import trio
from quart_trio import QuartTrio

from hunt.api import ApiContext, app_context, create_app, serve
from hunt.cli._workers import Gateway
from hunt.config import Config, load_config
from hunt.engine import Engine, open_engine
from hunt.store import HuntStores

from .load import ONE_ADDRESS
from .workers import open_local_workers

__all__ = ["LocalServer", "open_local_server"]

ADMIN_TOKEN = "reliability-admin-token"
# A crowd of simulated players on one machine shares one address: its wrong guesses would meet the
# per-address limit at once (a test of that limit passes its own value).
LAB_GAME: dict[str, Any] = {"address_wrong_attempts_max": 1_000_000}


@dataclass
class LocalServer:
    config: Config
    engine: Engine  # with workers > 1: the owner's engine
    app: QuartTrio  # with workers > 1: the first gateway's app
    port: int
    http: httpx.AsyncClient  # carries the configured admin token
    stopping: trio.Event  # set it (or call stop) for the graceful shutdown
    gateways: tuple[Gateway, ...] = ()  # with workers > 1, every gateway (they share the port)

    @property
    def ctx(self) -> ApiContext:
        return app_context(self.app)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, hunt_id: str) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/hunts/{hunt_id}"

    def stop(self) -> None:
        """Trigger the graceful shutdown (the server stops accepting and closes websockets)."""
        self.stopping.set()


@asynccontextmanager
async def open_local_server(data_dir: Path, *, ws_ping_interval_s: float | None = None, worker_count: int = 1,
                            stores: Callable[[Config], HuntStores] | None = None,
                            **sections: dict[str, Any]) -> AsyncIterator[LocalServer]:
    """Run an engine and the server until the block ends (then a graceful stop).

    ``sections`` override settings, e.g. ``engine={"mailbox_capacity": 8}``; the data
    directory is always ``data_dir``. Server pings are off by default (trio-websocket 0.12
    clients can fail when one meets their own close). The wrong-attempt limit per address is
    lifted (:data:`LAB_GAME`; ``load.ONE_ADDRESS`` lifts the per-address caps and rates):
    every harness client comes from 127.0.0.1. ``stores(config)``
    gives the engine other hunt stores than the SQLite files (e.g. ``FaultPlan().stores``). ``worker_count=N``
    (N > 1) runs the owner and N gateways in this process, on one port, over a nats-server it
    starts (see workers.py).
    """
    settings: dict[str, dict[str, Any]] = {
        "server": {"port": 0, "admin_token": ADMIN_TOKEN, "shutdown_timeout_s": 2.0}, "game": dict(LAB_GAME),
        **{name: dict(values) for name, values in ONE_ADDRESS.items()}}
    for name, values in [*sections.items(), ("server", {"data_dir": str(data_dir)})]:
        settings.setdefault(name, {}).update(values)
    config = load_config(None, env={}, overrides=settings)
    engine_stores = None if stores is None else stores(config)
    if worker_count > 1:
        async with open_local_workers(config, worker_count, ws_ping_interval_s, engine_stores) as server:
            yield server
        return
    async with open_engine(config, stores=engine_stores) as engine:
        app = create_app(config, engine)
        stopping = trio.Event()
        async with trio.open_nursery() as nursery:
            port = await nursery.start(partial(serve, config, engine, app=app, shutdown_trigger=stopping.wait,
                                               ws_ping_interval_s=ws_ping_interval_s))
            headers = {"Authorization": f"Bearer {config.server.admin_token}"}
            try:
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers,
                                             timeout=10) as http:
                    yield LocalServer(config, engine, app, port, http, stopping)
            finally:
                stopping.set()
