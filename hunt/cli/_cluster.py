"""``hunt serve --cluster NATS_URL --node NAME``: this process is one node of a cluster.

The node runs its engine (the hunts whose lease it holds; every batch goes to the log of record,
the replicated stream, before it is acked, and a hunt taken over is caught up from it), answers
the other nodes over NATS, and serves the player websocket, admin HTTP and pages for every hunt
of the cluster through a :class:`hunt.cluster.ClusterEngine` (see docs/cluster.md). SIGINT/SIGTERM: the server stops
accepting and finishes its requests, then the node hands its hunts over (each actor drains,
then its lease is deleted so another node takes it at once), then the engine closes.
"""

from __future__ import annotations

import logging
import signal
from functools import partial

import trio

from ..api import Secrets, create_app, serve
from ..cluster import open_cluster_node
from ..config import Config
from ..relay import read_analytics

__all__ = ["cluster_problem", "main_cluster"]

log = logging.getLogger("hunt.serve.cluster")


def cluster_problem(config: Config) -> str | None:
    """Why this configuration cannot run a cluster node, or None."""
    cluster = config.cluster
    if not cluster.node:
        return "--cluster needs --node NAME (or cluster.node): a name unique in the cluster"
    if not cluster.key_file:
        return ("--cluster needs cluster.key_file (HUNT_CLUSTER_KEY_FILE): the player-token key every node "
                "shares, 64 hex digits in a file")
    if not config.server.admin_token:
        return "--cluster needs the admin token every node shares: HUNT_ADMIN_TOKEN or server.admin_token"
    if config.workers.count != 1:
        return "--cluster and --workers N > 1 do not combine: run one node per process"
    return None


async def main_cluster(config: Config, secrets: Secrets, sample: bool, announce: object) -> None:
    """Run the node until SIGINT or SIGTERM; ``announce(config, secrets, port, sample_id)``
    prints the addresses once it listens."""
    from ._cmd_serve import ensure_sample  # the sample is the same one as in one process

    name = config.cluster.node
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:

        async def stop_on_signal() -> None:
            async for signum in signals:
                log.info("%s: node %s hands its hunts over and stops", signal.Signals(signum).name, name)
                return

        async with open_cluster_node(config) as node:
            gateway = node.gateway
            app = create_app(config, gateway, secrets=secrets, analytics=partial(read_analytics, config.data_path))
            sample_id = await ensure_sample(gateway) if sample else None
            async with trio.open_nursery() as nursery:
                port = await nursery.start(partial(serve, config, gateway, app=app, shutdown_trigger=stop_on_signal))
                announce(config, secrets, port, sample_id)  # type: ignore[operator]
        log.info("node %s stopped: hunts handed over, mailboxes drained, snapshots written", name)
