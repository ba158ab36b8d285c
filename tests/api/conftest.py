"""Fixtures of the API tests: a running server, a started hunt, websocket players.

``server`` is a running server with small limits and an admin client; ``open_server(**sections)``
starts one with other settings. ``hunt`` creates and starts the test hunt and returns its id;
``connect(hunt_id)`` opens a websocket wrapped in a :class:`Player` that matches replies to
requests and keeps the pushes it saw on the way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from tests.support.api import Connect, OpenServer, Player, Server, open_socket, run_server
from tests.support.hunts import HUNT_ID


@pytest.fixture
def open_server(tmp_path: Path) -> OpenServer:
    """``async with open_server(limits={...}) as server``: a server with other settings."""
    counter = iter(range(1000))
    return lambda **sections: run_server(tmp_path / f"data{next(counter)}", **sections)


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
