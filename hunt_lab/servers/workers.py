"""``--workers N`` in one process: the owner and N gateways, on one port, over a real nats-server.

The same owner and gateway code as ``hunt serve --workers N``, talking over NATS and sharing
the port with SO_REUSEPORT; only the process boundaries are missing, so tests can look inside
the owner's engine (``server.engine``) while clients use the gateways.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import trio

from hunt.api import load_secrets
from hunt.cli._workers import OWNER, open_nats, reuseport_sockets, run_gateway
from hunt.cluster import open_bus, serve_owner
from hunt.config import Config
from hunt.engine import open_engine
from hunt.store import HuntStores

if TYPE_CHECKING:
    from .inprocess import LocalServer

__all__ = ["open_local_workers"]


@asynccontextmanager
async def open_local_workers(config: Config, workers: int, ws_ping_interval_s: float | None,
                             stores: HuntStores | None = None) -> AsyncIterator[LocalServer]:
    from .inprocess import LocalServer

    secrets = load_secrets(config)
    with tempfile.TemporaryDirectory(prefix="hunt-workers-") as scratch:
        sockets = reuseport_sockets("127.0.0.1", 0, workers)
        port = sockets[0].getsockname()[1]
        stopping = trio.Event()
        async with open_nats(config, Path(scratch)) as nats_url, open_bus(nats_url, OWNER) as bus, \
                open_engine(config, stores=stores) as engine, trio.open_nursery() as nursery:
            await nursery.start(serve_owner, config, engine, bus, OWNER)
            gateways = []
            for index, sock in enumerate(sockets):
                gateways.append(await nursery.start(
                    lambda task_status, sock=sock, index=index: run_gateway(
                        config, secrets, sock, nats_url, [OWNER], f"gateway-{index}",
                        shutdown_trigger=stopping.wait, ws_ping_interval_s=ws_ping_interval_s,
                        task_status=task_status)))
            headers = {"Authorization": f"Bearer {config.server.admin_token}"}
            try:
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers,
                                             timeout=10) as http:
                    yield LocalServer(config, engine, gateways[0].app, port, http, stopping, tuple(gateways))
            finally:
                stopping.set()
            nursery.cancel_scope.cancel()
