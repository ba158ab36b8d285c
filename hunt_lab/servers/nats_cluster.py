"""A throwaway 3-node ``nats-server`` cluster with JetStream on loopback (blocking calls).

Each node is a :class:`~hunt_lab.servers.nats.LocalNatsServer` with its own store dir, client
port, cluster (route) port and monitoring port, all on 127.0.0.1 and chosen free before the
first start, so a node restarted by index comes back on the same ports with its data and
rejoins. :meth:`LocalNatsCluster.start` returns once every node has routes to the others and
agrees on a JetStream meta leader (read from each node's ``/jsz`` monitoring page), which is
when a replicated stream can be created.

Faults by node index: :meth:`kill` (SIGKILL), :meth:`pause` (SIGSTOP) and :meth:`resume`
(SIGCONT), :meth:`restart` (start again after a kill). :meth:`close` (also the ``with`` exit)
ends every node by its pid, paused ones included.

    with LocalNatsCluster(binary, tmp_path / "nats") as cluster:
        cluster.urls          # ["nats://127.0.0.1:p0", ...] for nats.connect(servers=...)
        cluster.kill(1)       # appends to an R3 stream go on with the other two
        cluster.restart(1)
"""

from __future__ import annotations

import os
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

from .nats import LocalNatsServer, free_port

__all__ = ["LocalNatsCluster"]

CLUSTER_NAME = "hunt-lab"
READY_TIMEOUT_S = 30.0
START_ATTEMPTS = 3
HTTP_TIMEOUT_S = 1.0


class LocalNatsCluster:
    """``size`` nats-server processes routed to each other, JetStream on every one (``size`` 1:
    one plain JetStream server, for a benchmark's R1 baseline)."""

    def __init__(self, binary: str, root: Path, size: int = 3) -> None:
        if size < 1:
            raise ValueError("a cluster needs at least one node")
        self.binary = binary
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.size = size
        self.paused: set[int] = set()
        self.nodes: list[LocalNatsServer] = []
        self.monitor_ports: list[int] = []
        self._builds = 0
        self._build()

    def _build(self) -> None:
        """Choose free ports for every node (client, route, monitoring) and describe the nodes."""
        size = self.size
        folder = self.root if self._builds == 0 else self.root / f"retry{self._builds}"  # no stale meta state
        folder.mkdir(exist_ok=True)
        self._builds += 1
        route_ports = [free_port() for _ in range(size)]
        self.monitor_ports = [free_port() for _ in range(size)]
        self.nodes = []
        for index in range(size):
            args = ["-n", self.node_name(index), "-m", str(self.monitor_ports[index])]
            if size > 1:  # one server alone is plain JetStream (a cluster of one would wait for peers)
                routes = ",".join(f"nats://127.0.0.1:{port}" for i, port in enumerate(route_ports) if i != index)
                args += ["--cluster_name", CLUSTER_NAME, "--cluster", f"nats://127.0.0.1:{route_ports[index]}",
                         "--routes", routes]
            self.nodes.append(LocalNatsServer(self.binary, folder / f"store{index}", folder / f"n{index}.log",
                                              extra_args=args))

    @staticmethod
    def node_name(index: int) -> str:
        return f"n{index}"

    @property
    def urls(self) -> list[str]:
        """Every node's client URL, in index order (give them all to a client: it fails over)."""
        return [node.url for node in self.nodes]

    @property
    def url(self) -> str:
        """The client URLs joined by commas (the form a config value takes)."""
        return ",".join(self.urls)

    def running(self) -> list[int]:
        """Indexes of the nodes that are started and not paused."""
        return [i for i, node in enumerate(self.nodes) if node.process is not None and i not in self.paused]

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Start every node; return when they are routed and agree on a meta leader.

        A node that exits at once (most likely a port another process took between our choice
        and its start: the machine is shared) makes it start again on fresh ports, 3 times at most.
        """
        for attempt in range(START_ATTEMPTS):
            try:
                for node in self.nodes:
                    node.start()
                self.wait_ready(timeout)
                return
            except RuntimeError:
                self.close()
                if attempt == START_ATTEMPTS - 1:
                    raise
                self._build()
            except BaseException:
                self.close()
                raise

    def kill(self, index: int) -> None:
        """SIGKILL node ``index`` (by pid) and wait for it to go."""
        self.paused.discard(index)
        self.nodes[index].kill()

    def pause(self, index: int) -> None:
        """SIGSTOP node ``index``: it holds its sockets but answers nothing until :meth:`resume`."""
        self._signal(index, signal.SIGSTOP)
        self.paused.add(index)

    def resume(self, index: int) -> None:
        """SIGCONT node ``index`` after :meth:`pause`."""
        self._signal(index, signal.SIGCONT)
        self.paused.discard(index)

    def restart(self, index: int, timeout: float = READY_TIMEOUT_S) -> None:
        """Start node ``index`` again (killed first if it still runs), same ports and store; return
        when the running nodes agree on a meta leader again."""
        self.kill(index)
        self.nodes[index].start()
        self.wait_ready(timeout)

    def close(self) -> None:
        """End every node by its pid (a paused one is killed too: SIGKILL needs no SIGCONT)."""
        for index in range(len(self.nodes)):
            self.kill(index)

    def __enter__(self) -> LocalNatsCluster:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- readiness ----------------------------------------------------------------------------

    def meta_leader(self, index: int) -> str | None:
        """The JetStream meta leader node ``index`` knows of (None: none yet, or it does not answer)."""
        jsz = self._monitor(index, "jsz")
        meta = (jsz or {}).get("meta_cluster") or {}
        leader = meta.get("leader")
        return str(leader) if leader else None

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> str:
        """Wait until every running node has a route to each other running node and all name the
        same meta leader; return its name. Raises RuntimeError after ``timeout`` seconds."""
        if len(self.nodes) == 1:
            return self.node_name(0)  # started means ready (LocalNatsServer waited for it)
        deadline = time.monotonic() + timeout
        while True:
            running = self.running()
            leaders = {self.meta_leader(i) for i in running}
            routed = all(self._route_count(i) >= len(running) - 1 for i in running)
            if running and routed and len(leaders) == 1 and None not in leaders:
                return str(leaders.pop())
            if time.monotonic() > deadline:
                logs = ", ".join(str(node.log_path) for node in self.nodes)
                raise RuntimeError(f"NATS cluster not ready within {timeout} s (leaders {leaders}); see {logs}")
            time.sleep(0.05)

    def _route_count(self, index: int) -> int:
        routez = self._monitor(index, "routez")
        return int((routez or {}).get("num_routes", 0))

    def _monitor(self, index: int, page: str) -> dict[str, Any] | None:
        url = f"http://127.0.0.1:{self.monitor_ports[index]}/{page}"
        try:
            with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as response:
                data: dict[str, Any] = orjson.loads(response.read())
                return data
        except (OSError, urllib.error.URLError, orjson.JSONDecodeError):
            return None

    def _signal(self, index: int, sig: signal.Signals) -> None:
        pid = self.nodes[index].pid
        if pid is None:
            raise RuntimeError(f"node {index} is not running")
        os.kill(pid, sig)
