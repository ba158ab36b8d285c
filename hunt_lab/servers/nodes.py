"""Cluster nodes for tests and the benchmark: in this process, or as ``hunt serve`` children.

- :func:`open_local_node` runs one node (its bus, engine, leases and server on an ephemeral
  port) in this Trio process, for tests that look inside it;
- :func:`node_process` makes a :class:`~.process.ServerProcess` that runs
  ``hunt serve --cluster URL --node NAME`` with its own data dir, for tests that SIGKILL,
  SIGSTOP or SIGTERM a node.

Every node of one cluster needs the same player-token key (:func:`write_cluster_key`) and
admin token.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import trio

from hunt.api import create_app, load_secrets, serve
from hunt.cluster import ClusterNode, open_cluster_node
from hunt.config import Config, load_config

from .process import ServerProcess

__all__ = ["ADMIN_TOKEN", "LocalNode", "node_env", "node_process", "open_local_node", "write_cluster_key"]

ADMIN_TOKEN = "cluster-admin-token"


def write_cluster_key(path: Path) -> Path:
    """A fresh player-token key for one cluster's nodes (mode 0600)."""
    path.write_text(secrets.token_hex(32) + "\n")
    path.chmod(0o600)
    return path


def node_env(nats_url: str, key_file: Path, *, lease_s: float = 2.0, replicas: int = 1,
             **extra: str) -> dict[str, str]:
    """The environment of a node child: the cluster, the shared key and token, a fast lease."""
    return {"HUNT_CLUSTER_NATS_URL": nats_url, "HUNT_CLUSTER_KEY_FILE": str(key_file),
            "HUNT_CLUSTER_LEASE_S": str(lease_s), "HUNT_CLUSTER_ACK_GUARD_S": str(round(lease_s / 5, 3)),
            "HUNT_CLUSTER_REPLICAS": str(replicas), "HUNT_STORE_SYNCHRONOUS": "NORMAL", **extra}


def node_process(root: Path, name: str, env: dict[str, str]) -> ServerProcess:
    """``hunt serve --node NAME`` with data in ``root/NAME/data`` and logs in ``root/NAME/logs``."""
    (root / name / "logs").mkdir(parents=True, exist_ok=True)
    return ServerProcess(root / name / "data", root / name / "logs", env=env, admin_token=ADMIN_TOKEN,
                         extra_args=("--node", name))


@dataclass
class LocalNode:
    name: str
    node: ClusterNode
    port: int
    http: httpx.AsyncClient  # carries the admin token
    stopping: trio.Event

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, hunt_id: str) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/hunts/{hunt_id}"


def local_node_config(data_dir: Path, nats_url: str, name: str, key_file: Path, **sections: dict[str, Any],
                      ) -> Config:
    cluster = {"nats_url": nats_url, "node": name, "key_file": str(key_file), "replicas": 1, "lease_s": 2.0,
               "ack_guard_s": 0.4, **sections.pop("cluster", {})}
    settings: dict[str, dict[str, Any]] = {
        "server": {"data_dir": str(data_dir), "port": 0, "admin_token": ADMIN_TOKEN},
        "store": {"synchronous": "OFF"}, "engine": {"request_timeout_s": 5.0}, "cluster": cluster}
    for section, values in sections.items():
        settings.setdefault(section, {}).update(values)
    return load_config(None, env={}, overrides=settings)


@asynccontextmanager
async def open_local_node(data_dir: Path, nats_url: str, name: str, key_file: Path,
                          **sections: dict[str, Any]) -> AsyncIterator[LocalNode]:
    """Node ``name`` in this process until the block ends (then it hands its hunts over)."""
    config = local_node_config(data_dir, nats_url, name, key_file, **sections)
    node_secrets = load_secrets(config)
    stopping = trio.Event()
    async with open_cluster_node(config) as node, trio.open_nursery() as nursery:
        app = create_app(config, node.gateway, secrets=node_secrets)
        port = await nursery.start(partial(serve, config, node.gateway, app=app, shutdown_trigger=stopping.wait,
                                           ws_ping_interval_s=None))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10,
                                     headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}) as http:
            try:
                yield LocalNode(name, node, port, http, stopping)
            finally:
                stopping.set()
