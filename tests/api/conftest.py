"""Fixtures of the API tests: a running server, a started hunt, websocket players.

``server`` is a running server with small limits and an admin client; ``open_server(**sections)``
starts one with other settings. ``hunt`` creates and starts the test hunt and returns its id;
``connect(hunt_id)`` opens a websocket wrapped in a :class:`Player` that matches replies to
requests and keeps the pushes it saw on the way.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from hunt_lab.servers.nats import LocalNatsServer, find_nats_server
from tests.support.api import Connect, OpenServer, Player, Server, open_socket, run_server
from tests.support.hunts import HUNT_ID


@pytest.fixture(scope="session")
def shared_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNatsServer | None]:
    """One nats-server for every ``workers=2`` server of the session (each under its own subjects)."""
    binary = find_nats_server()
    if binary is None:
        yield None
        return
    root = tmp_path_factory.mktemp("nats")
    server = LocalNatsServer(binary, root / "store", root / "nats-server.log")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(params=[1, 2], ids=["one-process", "workers2"])
def workers(request: pytest.FixtureRequest) -> int:
    """The server's mode: one process, or the owner and two gateways over NATS (--workers 2)."""
    count: int = request.param
    if count > 1 and request.node.get_closest_marker("one_process"):
        pytest.skip("looks inside the one process's engine or connections")
    return count


@pytest.fixture
def open_server(tmp_path: Path, workers: int, shared_nats: LocalNatsServer | None) -> OpenServer:
    """``async with open_server(limits={...}) as server``: a server with other settings, in the
    mode of ``workers``."""
    counter = iter(range(1000))
    if workers == 1:
        return lambda **sections: run_server(tmp_path / f"data{next(counter)}", **sections)
    if shared_nats is None:
        message = "nats-server is not installed (apt-get install nats-server)"
        if os.environ.get("HUNT_TEST_REQUIRE_NATS"):
            pytest.fail(f"{message}, and HUNT_TEST_REQUIRE_NATS is set")
        pytest.skip(f"{message}: --workers 2 needs a broker")
    url = shared_nats.url

    def open_workers(**sections: Any) -> AbstractAsyncContextManager[Server]:
        n = next(counter)
        bus = {"nats_url": url, "subject_prefix": f"t{next(_PREFIXES)}", **sections.pop("workers", {})}
        return run_server(tmp_path / f"data{n}", workers=workers, **sections, workers_settings=bus)

    return open_workers


_PREFIXES = itertools.count()


@pytest.fixture
async def server(open_server: OpenServer) -> AsyncIterator[Server]:
    async with open_server() as running:
        yield running


@pytest.fixture
async def hunt(server: Server) -> str:
    return await server.create_hunt()


@pytest.fixture
def connect(server: Server) -> Connect:
    """``async with connect(hunt_id) as player``: a websocket to a running server."""

    def open_player(hunt_id: str = HUNT_ID, **options: Any) -> AbstractAsyncContextManager[Player]:
        return open_socket(server.port, f"/ws/hunts/{hunt_id}", **options)

    return open_player
