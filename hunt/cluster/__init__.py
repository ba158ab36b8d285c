"""``--workers N`` and cluster mode: gateways that hold the connections, owners that hold the
hunts, over NATS; across nodes, each hunt owned by the node holding its lease (docs/cluster.md).

Beside the engine, below the API: a gateway gives the API a :class:`GatewayEngine` (writes
forwarded to the hunt's owner in batches, live reads from a replica the owner's pushes keep
current, history from the hunt file), and the owner serves its engine's hunts on the bus
(:func:`serve_owner`). :class:`Bus` runs nats-py for Trio code. How it fits together:
docs/workers.md.

Cluster mode's log of record (docs/cluster.md): :func:`open_record_log` connects to the
replicated stream, and :class:`LoggedHuntStores` is the store seam that appends every batch to
it before the local commit, fences a stale owner and catches a hunt's file up before it serves.

Its own exceptions (the engine's and the runtime's cross the bus as themselves):

    BusTimeout    Raised when a request on the bus got no reply within its timeout.
    WireFailure   Raised when a message from the other side cannot be read.
    OwnerOnly     Raised when a gateway is asked for what only the hunt's owner can do.
    LogFenced     (a WriteFailed) Raised when the stream refused an append: another node owns the hunt.
    LogUnavailable (a WriteFailed) Raised when the stream did not acknowledge in time.
    LogDiverged   (a CorruptStore) Raised when a hunt file and the stream disagree.
"""

from ._bus import Bus, BusTimeout, open_bus
from ._forward import Forwarder
from ._gateway import GatewayEngine, HashPlacement, OwnerOnly, OwnerView, Placement, open_gateway_engine
from ._leases import Leases, NodeInfo
from ._log import LogDiverged, LogFenced, LogUnavailable, RecordLog, open_record_log
from ._logstores import CaughtUp, LoggedHuntStore, LoggedHuntStores, open_logged_engine
from ._nats import find_nats_server, open_local_nats
from ._node import ClusterEngine, ClusterNode, LeasePlacement, open_cluster_node, open_node
from ._owner import OwnerStatistics, serve_owner
from ._replica import Replica
from ._wire import Subjects, WireFailure

__all__ = [
    "Bus",
    "BusTimeout",
    "CaughtUp",
    "ClusterEngine",
    "ClusterNode",
    "Forwarder",
    "GatewayEngine",
    "HashPlacement",
    "LeasePlacement",
    "Leases",
    "LogDiverged",
    "LogFenced",
    "LogUnavailable",
    "LoggedHuntStore",
    "LoggedHuntStores",
    "NodeInfo",
    "OwnerOnly",
    "OwnerStatistics",
    "OwnerView",
    "Placement",
    "RecordLog",
    "Replica",
    "Subjects",
    "WireFailure",
    "find_nats_server",
    "open_bus",
    "open_cluster_node",
    "open_gateway_engine",
    "open_local_nats",
    "open_logged_engine",
    "open_node",
    "open_record_log",
    "serve_owner",
]
