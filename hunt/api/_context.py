"""What every part of the API shares: config, engine, secrets and the live connections.

One :class:`ApiContext` per app, created by ``create_app`` and handed to each blueprint
factory explicitly (no module globals).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..config import Config, RatesConfig
from ..engine import Engine
from ._buckets import BucketTable
from ._gate import ConnectionGate
from ._guard import Guard
from ._load import LoopLag
from ._rates import Rates
from ._shares import Shares
from ._tokens import PlayerTokens

if TYPE_CHECKING:
    from quart_trio import QuartTrio

ADDRESSES_TRACKED = 10_000  # client addresses whose admin failures are remembered at once

__all__ = ["ApiContext", "ConnectionStatistics", "Connections", "app_context"]


class _Connection(Protocol):
    hunt_id: str
    greeted: bool
    wakeups: int

    def shutdown(self) -> None: ...

    def outbox_used(self) -> int: ...


@dataclass(frozen=True, slots=True)
class ConnectionStatistics:
    """A snapshot of the websocket connections."""

    open: int
    greeted: int
    accepted: int
    by_hunt: dict[str, int]
    outbox_used_max: int  # the fullest outbox right now (never above limits.outbox_capacity)
    wakeups: int  # times the open connections woke for a commit (never one without a player)


class Connections:
    """The open websocket connections, for metrics and for closing them all at shutdown."""

    def __init__(self) -> None:
        self._live: set[_Connection] = set()
        self.accepted = 0
        self.overload_closes = 0  # closed with 1013 for sending while told to wait
        self.closing = False

    def add(self, connection: _Connection) -> None:
        self._live.add(connection)
        self.accepted += 1
        if self.closing:
            connection.shutdown()

    def discard(self, connection: _Connection) -> None:
        self._live.discard(connection)

    def close_all(self) -> None:
        """Ask every connection to close (1001, going away); new ones are closed at once."""
        self.closing = True
        for connection in list(self._live):
            connection.shutdown()

    def statistics(self) -> ConnectionStatistics:
        live = list(self._live)
        return ConnectionStatistics(
            open=len(live),
            greeted=sum(1 for c in live if c.greeted),
            accepted=self.accepted,
            by_hunt=dict(Counter(c.hunt_id for c in live)),
            outbox_used_max=max((c.outbox_used() for c in live), default=0),
            wakeups=sum(c.wakeups for c in live),
        )


@dataclass(slots=True)
class ApiContext:
    config: Config
    engine: Engine
    tokens: PlayerTokens
    admin_token: str = field(repr=False)
    admin_token_path: Path | None
    guard: Guard  # wrong attempts and bans per connection and address
    connections: Connections = field(default_factory=Connections)
    # Requests and websockets in progress, per client address (limits.connections*).
    gate: ConnectionGate = field(default_factory=lambda: ConnectionGate(1 << 30, 1 << 30))
    rates: Rates = field(default_factory=lambda: Rates(RatesConfig()))  # per player and address buckets
    # Wrong admin tokens per client address (limits.admin_failures_*), for require_admin.
    admin_failures: BucketTable = field(default_factory=lambda: BucketTable(10 / 60, 10, ADDRESSES_TRACKED))
    shares: Shares = field(init=False)  # fair shares of each hunt's capacity (flow control)
    # hunt id -> its incarnation, as last seen: a forged token is refused without loading the hunt
    incarnations: dict[str, str | None] = field(default_factory=dict)
    load: LoopLag = field(default_factory=LoopLag)  # sampled while `serve` runs
    # Extra Prometheus collectors (e.g. the outbox relay's lag), registered beside the engine's.
    collectors: tuple[Any, ...] = ()
    # analytics(hunt_id) -> the organiser's projection (blocking; run off the event loop), or None
    analytics: Callable[[str], dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        self.shares = Shares(self.config.limits, self.config.engine.mailbox_capacity)

    def now_ms(self) -> int:
        return self.engine.clock()


def app_context(app: QuartTrio) -> ApiContext:
    """The context of an app made by ``create_app``."""
    context: ApiContext = app.extensions["hunt"]
    return context
