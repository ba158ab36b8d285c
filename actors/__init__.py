"""A small, generic Trio actor runtime: bounded mailboxes, batching, routing, supervision.

Knows nothing about hunts. See ``Router`` for the guarantees.
"""

from ._actor import ActorStatistics, Behaviour, Envelope, Factory
from ._errors import (
    ActivationFailed,
    ActorCrashed,
    ActorError,
    ActorStopped,
    Overloaded,
    RequestTimeout,
)
from ._reply import CallbackReply, Reply, ReplySlot
from ._router import Router, RouterConfig, RouterStatistics, open_router

__all__ = [
    "ActivationFailed",
    "ActorCrashed",
    "ActorError",
    "ActorStatistics",
    "ActorStopped",
    "Behaviour",
    "CallbackReply",
    "Envelope",
    "Factory",
    "Overloaded",
    "Reply",
    "ReplySlot",
    "RequestTimeout",
    "Router",
    "RouterConfig",
    "RouterStatistics",
    "open_router",
]
