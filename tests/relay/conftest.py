"""Fixtures of the relay tests: a real nats-server, and configs pointing at it.

Where ``nats-server`` is not installed these tests skip, saying so; with
``HUNT_TEST_REQUIRE_NATS=1`` (CI sets it) they fail instead, so CI cannot go green by skipping.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hunt.config import Config, load_config
from hunt_lab.servers.nats import LocalNatsServer, find_nats_server


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[LocalNatsServer]:
    binary = find_nats_server()
    if binary is None:
        message = "nats-server is not installed (apt-get install nats-server)"
        if os.environ.get("HUNT_TEST_REQUIRE_NATS"):
            pytest.fail(f"{message}, and HUNT_TEST_REQUIRE_NATS is set")
        pytest.skip(f"{message}: relay tests need a real broker")
    server = LocalNatsServer(binary, tmp_path / "jetstream", tmp_path / "nats-server.log")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def make_config(data_dir: Path) -> Callable[..., Config]:
    """``make_config(broker={...}, engine={...})`` over the test's data dir."""

    def make(**sections: dict[str, Any]) -> Config:
        server = {"data_dir": str(data_dir), **sections.pop("server", {})}
        return load_config(None, env={}, overrides={"server": server, **sections})

    return make
