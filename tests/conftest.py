"""Fixtures every test folder may use; a folder's own conftest.py adds only what is its alone.

The tests are a package (``tests.<folder>``), so no folder shadows a real package (``tests/actors``
is ``tests.actors``, never ``actors``); their shared helpers live in ``tests/support/``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hunt.config import Config, load_config
from hunt_lab.servers.nats import LocalNatsServer, find_nats_server
from tests.support.hunts import harbor


@pytest.fixture
def hunt_document() -> dict[str, Any]:
    """A fresh copy of the standard test hunt (tests/support/hunts.py)."""
    return harbor()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty data dir, ``tmp_path/data``."""
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def make_config(data_dir: Path) -> Callable[..., Config]:
    """``make_config(engine={...}, store={...})``: a config over the test's data dir, no file, no HUNT_*."""

    def make(**sections: dict[str, Any]) -> Config:
        server = {"data_dir": str(data_dir), **sections.pop("server", {})}
        return load_config(None, env={}, overrides={"server": server, **sections})

    return make


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[LocalNatsServer]:
    """A throwaway ``nats-server`` with JetStream.

    Where ``nats-server`` is not installed the test skips, saying so; with
    ``HUNT_TEST_REQUIRE_NATS=1`` (CI sets it) it fails instead, so CI cannot go green by skipping.
    """
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
