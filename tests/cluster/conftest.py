"""Fixtures of the cluster tests: the owner and two gateways in this process over a real
nats-server (``--workers N``), and a 3-node NATS cluster with JetStream (cluster mode). Both skip
without the binary and fail instead with HUNT_TEST_REQUIRE_NATS=1."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from hunt_lab.servers.inprocess import LocalServer, open_local_server
from hunt_lab.servers.nats import LocalNatsServer, find_nats_server
from hunt_lab.servers.nats_cluster import LocalNatsCluster

WorkersServer = Callable[..., AbstractAsyncContextManager[LocalServer]]

SETTINGS: dict[str, dict[str, Any]] = {
    "store": {"synchronous": "OFF"},
    "engine": {"request_timeout_s": 5.0},
    "limits": {"leaderboard_push_interval_ms": 50},
}


@pytest.fixture
def nats_binary() -> str:
    binary = find_nats_server()
    if binary is None:
        message = "nats-server is not installed (apt-get install nats-server)"
        if os.environ.get("HUNT_TEST_REQUIRE_NATS"):
            pytest.fail(f"{message}, and HUNT_TEST_REQUIRE_NATS is set")
        pytest.skip(f"{message}: --workers N needs a broker")
    return binary


@pytest.fixture
def open_workers(tmp_path: Path, nats_binary: str) -> WorkersServer:
    """``async with open_workers(workers={...}) as server``: owner + 2 gateways, one port."""
    counter = iter(range(100))

    def start(**sections: dict[str, Any]) -> AbstractAsyncContextManager[LocalServer]:
        settings = {name: {**SETTINGS.get(name, {}), **sections.get(name, {})} for name in {*SETTINGS, *sections}}
        return open_local_server(tmp_path / f"data{next(counter)}", worker_count=2, **settings)

    return start


@pytest.fixture
async def workers_server(open_workers: WorkersServer) -> AsyncIterator[LocalServer]:
    async with open_workers() as server:
        yield server


@pytest.fixture
def jetstream(tmp_path: Path, nats_binary: str) -> Any:
    """One nats-server with JetStream (cluster mode's leases and catalog on a single server)."""
    server = LocalNatsServer(nats_binary, tmp_path / "js", tmp_path / "nats.log")
    server.start()
    yield server
    server.kill()


@pytest.fixture
def nats_cluster(tmp_path: Path, nats_binary: str) -> Iterator[LocalNatsCluster]:
    """Three nats-server nodes with JetStream, routed on loopback and agreed on a meta leader;
    ``nats_cluster.urls`` for clients, ``kill(i)`` / ``pause(i)`` / ``resume(i)`` / ``restart(i)``
    for faults. Every node is killed after the test."""
    with LocalNatsCluster(nats_binary, tmp_path / "nats-cluster") as cluster:
        yield cluster
