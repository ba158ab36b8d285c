"""Off the critical path: the outbox relay to NATS JetStream, and the analytics consumer.

- :class:`Relay` (asyncio): publishes every committed event of every hunt, in order, exactly
  once, to one JetStream stream (``hunt.<id>.events``); runs as ``hunt relay`` or as the
  server's child process (:func:`run_relay`, Trio side).
- :func:`run_consumer` (asyncio): ``hunt consume``, a durable pull consumer that keeps the
  organiser's analytics projection in ``<data_dir>/analytics.sqlite3``;
  :func:`read_analytics` reads it.

See docs/relay.md for the exactly-once argument and the figures.
"""

from ._analytics import ANALYTICS_FILE, read_analytics
from ._consumer import ConsumerStatistics, run_consumer
from ._embedded import EmbeddedRelay, run_relay
from ._errors import BrokerRejected, BrokerUnavailable, RelayError, StreamMismatch
from ._metrics import RelayCollector
from ._outbox import CURSOR_KEY
from ._process import run_standalone
from ._relay import Relay
from ._stats import HuntLag, RelayStatistics, read_relay_status

__all__ = [
    "ANALYTICS_FILE",
    "CURSOR_KEY",
    "BrokerRejected",
    "BrokerUnavailable",
    "ConsumerStatistics",
    "EmbeddedRelay",
    "HuntLag",
    "Relay",
    "RelayCollector",
    "RelayError",
    "RelayStatistics",
    "StreamMismatch",
    "read_analytics",
    "read_relay_status",
    "run_consumer",
    "run_relay",
    "run_standalone",
]
