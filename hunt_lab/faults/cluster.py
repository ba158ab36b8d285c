"""A cluster on loopback to break: hunt nodes as processes over a NATS URL, players on every node.

:class:`ClusterLab` starts ``hunt serve --cluster URL --node NAME`` children (each its own data
dir, one shared player-token key and admin token, a short lease), creates and starts hunts
(each placed on the least-loaded node), reads who owns what from ``GET /admin/cluster``, and
takes nodes away by pid: SIGKILL, SIGSTOP/SIGCONT, SIGTERM. :meth:`ClusterLab.play` runs
:class:`~hunt_lab.clients.failover.FailoverPlayer` s (each resends an unanswered command with the
same id through another node) and :meth:`ClusterLab.audit` checks every hunt's final log
(exported from a live node, so from the log of record) against what the players were told:
every acked command exactly once, at its seq, and no gap.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import trio

from hunt.domain import Recorded
from hunt.store import dict_to_record

from ..audit import Ledger, audit_log
from ..clients.failover import FailoverPlayer
from ..servers.nodes import ADMIN_TOKEN, node_env, node_process, write_cluster_key
from ..servers.process import ServerProcess

__all__ = ["ClusterLab", "ping_at"]

HUNT = {"title": "Cluster", "mode": "solo", "order": "free",
        "clues": [{"id": "c1", "title": "Light", "kind": "answer", "answers": ["lighthouse"], "points": 100}]}
# Players of a lab share one address and ping fast: lift the per-player and per-address rates.
LAB_RATES = {"HUNT_RATES_PLAYER_PINGS_PER_S": "1000", "HUNT_RATES_PLAYER_PINGS_BURST": "1000",
             "HUNT_RATES_ADDRESS_PINGS_PER_S": "100000", "HUNT_RATES_ADDRESS_PINGS_BURST": "100000",
             "HUNT_RATES_ADDRESS_COMMANDS_PER_S": "100000", "HUNT_RATES_ADDRESS_COMMANDS_BURST": "100000",
             "HUNT_RATES_ADDRESS_JOINS_PER_S": "1000", "HUNT_RATES_ADDRESS_JOINS_BURST": "1000",
             "HUNT_RATES_CONNECTION_JOINS_PER_S": "100", "HUNT_RATES_CONNECTION_JOINS_BURST": "100"}


def ping_at(index: int) -> dict[str, Any]:
    """A location ping (one event each), a little apart each time."""
    return {"op": "ping", "lat": 53.5 + (index % 100) * 1e-4, "lon": 9.9}


@dataclass
class ClusterLab:
    root: Path
    nats_url: str
    names: Sequence[str] = ("a", "b", "c")
    lease_s: float = 2.0
    replicas: int = 3
    env: dict[str, str] = field(default_factory=dict)
    nodes: dict[str, ServerProcess] = field(default_factory=dict)
    ledgers: dict[str, Ledger] = field(default_factory=dict)

    async def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        key = write_cluster_key(self.root / "cluster.key")
        env = node_env(self.nats_url, key, lease_s=self.lease_s, replicas=self.replicas, **LAB_RATES,
                       HUNT_ENGINE_REQUEST_TIMEOUT_S="4", **self.env)
        self.nodes = {name: node_process(self.root, name, env) for name in self.names}
        async with trio.open_nursery() as nursery:
            for node in self.nodes.values():
                nursery.start_soon(node.start)
        await self.wait(lambda status: len(status["nodes"]) == len(self.names), timeout=self.lease_s * 3)

    def close(self) -> None:
        for node in self.nodes.values():
            if node.running():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(node.pid, signal.SIGCONT)  # a paused node must be able to die
            node.close()

    def live(self, *, besides: Sequence[str] = ()) -> list[str]:
        return [name for name, node in self.nodes.items() if node.running() and name not in besides]

    def http(self, name: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.nodes[name].url, timeout=10,
                                 headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})

    async def status(self, via: str) -> dict[str, Any]:
        async with self.http(via) as http:
            response = await http.get("/admin/cluster")
            response.raise_for_status()
            return dict(response.json())

    async def owners(self, via: str) -> dict[str, str | None]:
        return {hunt["id"]: hunt["owner"] for hunt in (await self.status(via))["hunts"]}

    async def wait(self, done: Callable[[dict[str, Any]], bool], *, via: str | None = None,
                   timeout: float = 10.0) -> float:
        """Poll ``/admin/cluster`` on ``via`` (or the first live node) until ``done(status)``;
        return how long it took. Raises TooSlowError."""
        started = trio.current_time()
        with trio.fail_after(timeout):
            while True:
                try:
                    if done(await self.status(via or self.live()[0])):
                        return trio.current_time() - started
                except httpx.HTTPError:
                    pass
                await trio.sleep(0.05)

    async def create_hunts(self, hunt_ids: Sequence[str]) -> dict[str, str | None]:
        """Create and start the hunts one after the other (each goes to the least-loaded node)."""
        via = self.live()[0]
        async with self.http(via) as http:
            for hunt_id in hunt_ids:
                created = await http.post("/admin/hunts", json={**HUNT, "id": hunt_id})
                assert created.status_code == 201, created.text
                started = await http.post(f"/admin/hunts/{hunt_id}/start")
                assert started.status_code == 200, started.text
                await trio.sleep(self.lease_s / 3 + 0.1)  # the new load travels with the next heartbeat
        return await self.owners(via)

    def players(self, hunt_id: str, count: int, *, answer_timeout_s: float = 3.0) -> list[FailoverPlayer]:
        """``count`` players of the hunt, spread over the nodes, recording into its ledger."""
        ledger = self.ledgers.setdefault(hunt_id, Ledger())
        urls = [node.ws_url(hunt_id) for node in self.nodes.values()]
        return [FailoverPlayer(urls, f"{hunt_id}-p{index}", node=index, ledger=ledger,
                               answer_timeout_s=answer_timeout_s) for index in range(count)]

    async def play(self, players: Sequence[FailoverPlayer], commands: int, *, interval_s: float = 0.02,
                   timeout: float = 60.0) -> None:
        """Every player sends ``commands`` pings; returns once all are answered. Raises TooSlowError."""
        with trio.fail_after(timeout):
            async with trio.open_nursery() as nursery:
                for player in players:
                    nursery.start_soon(lambda p=player: p.run(ping_at, commands, interval_s=interval_s))

    def signal(self, name: str, signum: int) -> None:
        os.kill(self.nodes[name].pid, signum)

    def kill(self, name: str) -> None:
        self.nodes[name].kill()

    async def final_log(self, hunt_id: str, timeout: float = 30.0) -> list[Recorded]:
        """The hunt's whole log, exported through a live node (from the owner's caught-up file),
        once the hunt has an owner; an export cut short (the hunt moved meanwhile) is read again."""
        with trio.fail_after(timeout):
            while True:
                await self.wait(lambda s: all(h["owner"] for h in s["hunts"] if h["id"] == hunt_id), timeout=timeout)
                try:
                    async with self.http(self.live()[0]) as http:
                        response = await http.get(f"/admin/hunts/{hunt_id}/export")
                    if response.status_code == 200:
                        return [dict_to_record(orjson.loads(line)) for line in response.text.splitlines() if line]
                except httpx.HTTPError:
                    pass
                await trio.sleep(0.2)

    async def audit(self, hunt_id: str) -> list[str]:
        """Every broken promise for the hunt (empty when all is well)."""
        return audit_log(await self.final_log(hunt_id), self.ledgers.get(hunt_id, Ledger()))

