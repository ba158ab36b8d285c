"""The application layer: hunt actors, the engine that routes to them, and their hubs."""

from ._actor import Ack, HuntActor, SetMeta, Submit, Touch
from ._engine import Engine, Result, open_engine, wall_clock_ms
from ._feed import FEED_TYPES, FeedItem, feed_item
from ._history import import_hunt, verify_hunt
from ._hub import HuntHub

__all__ = [
    "FEED_TYPES",
    "Ack",
    "Engine",
    "FeedItem",
    "HuntActor",
    "HuntHub",
    "Result",
    "SetMeta",
    "Submit",
    "Touch",
    "feed_item",
    "import_hunt",
    "open_engine",
    "verify_hunt",
    "wall_clock_ms",
]
