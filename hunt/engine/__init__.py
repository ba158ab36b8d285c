"""The application layer: hunt actors, the engine that routes to them, and their hubs."""

# The errors the engine's operations raise and the public form of an event come from the store;
# re-exported so the API and the CLI depend on the engine, never on the store (docs/architecture.md, Layers).
from ..store import (
    CorruptStore,
    HuntExists,
    HuntNotFound,
    InvalidHuntId,
    InvalidImport,
    StoreError,
    StoreLocked,
    WriteFailed,
    record_to_dict,
)
from ._actor import Ack, HuntActor, Submit, Touch
from ._backups import run_periodic_backups
from ._commandlog import ACK_BUCKETS_S, CommandStatistics
from ._engine import Engine, EngineStatistics, HuntStatistics, Result, TooLarge, open_engine, wall_clock_ms
from ._feed import FEED_TYPES, FeedItem, feed_item
from ._history import import_hunt, verify_hunt
from ._hub import LiveHunt

__all__ = [
    "ACK_BUCKETS_S",
    "FEED_TYPES",
    "Ack",
    "CommandStatistics",
    "CorruptStore",
    "Engine",
    "EngineStatistics",
    "FeedItem",
    "HuntActor",
    "HuntExists",
    "HuntNotFound",
    "HuntStatistics",
    "InvalidHuntId",
    "InvalidImport",
    "LiveHunt",
    "Result",
    "StoreError",
    "StoreLocked",
    "Submit",
    "TooLarge",
    "Touch",
    "WriteFailed",
    "feed_item",
    "import_hunt",
    "open_engine",
    "record_to_dict",
    "run_periodic_backups",
    "verify_hunt",
    "wall_clock_ms",
]
