"""Rate limits on the player websocket: token buckets per connection, player and address.

Each request a connection reads is of one kind (see :func:`kind_of`) and draws one token from
every bucket that applies to it:

============  =========================================  ==============================
kind          buckets                                     defends against
============  =========================================  ==============================
``command``   connection, player, address (commands)      one socket writing events flat out
``ping``      the command buckets + player, address       pings: each a durable event
              (pings)
``join``      the command buckets + connection, address   mass-creating players
              (joins)
============  =========================================  ==============================

The player bucket follows the player across connections and the address bucket gathers
every connection of one client address (``_address``), so neither a new socket nor a new
name resets a limit. When any bucket is empty the request is refused with ``rate_limited``
and ``retry_after_ms`` (the longest wait among them), and no bucket is charged. Refusing
costs no engine work. Player and address buckets live in bounded tables (``rates.tracked``).
"""

from __future__ import annotations

from collections import Counter

import trio

from ..config import RatesConfig
from ..protocol import BatchOp, ErrorCode, JoinOp, PingOp, Request
from ._buckets import BucketTable, TokenBucket, retry_after_ms
from ._errors import RetryLater

__all__ = ["ConnectionRates", "Rates", "kind_of"]

COMMAND, PING, JOIN = "command", "ping", "join"


def kind_of(request: Request) -> str:
    match request:
        case JoinOp():
            return JOIN
        case PingOp():
            return PING
    return COMMAND


class Rates:
    """The per-player and per-address buckets of one server, and what they refused."""

    def __init__(self, config: RatesConfig) -> None:
        self.config = config
        tracked = config.tracked
        self.player_commands = BucketTable(config.player_commands_per_s, config.player_commands_burst, tracked)
        self.player_pings = BucketTable(config.player_pings_per_s, config.player_pings_burst, tracked)
        self.address_commands = BucketTable(config.address_commands_per_s, config.address_commands_burst, tracked)
        self.address_pings = BucketTable(config.address_pings_per_s, config.address_pings_burst, tracked)
        self.address_joins = BucketTable(config.address_joins_per_s, config.address_joins_burst, tracked)
        self.refused: Counter[str] = Counter()  # by the scope whose bucket was empty (for /metrics)

    def for_connection(self, address: str, now: float) -> ConnectionRates:
        return ConnectionRates(self, address, now)


class ConnectionRates:
    """The buckets one connection draws from: its own, its player's and its address's."""

    def __init__(self, rates: Rates, address: str, now: float) -> None:
        config = rates.config
        self.rates = rates
        self.address = address
        self.commands = TokenBucket(config.connection_commands_per_s, config.connection_commands_burst, now)
        self.joins = TokenBucket(config.connection_joins_per_s, config.connection_joins_burst, now)

    def admit(self, request: Request, hunt_id: str, player: str | None) -> None:
        """Take a token from every bucket of the request's kind, or raise RetryLater (``rate_limited``).

        A batch itself takes nothing: its items are admitted one by one.
        """
        if isinstance(request, BatchOp):
            return
        kind, now = kind_of(request), trio.current_time()
        rates, address = self.rates, self.address
        buckets: list[tuple[str, TokenBucket]] = [
            ("connection", self.commands), ("address", rates.address_commands.get(address, now))]
        if player is not None:
            buckets.append(("player", rates.player_commands.get((hunt_id, player), now)))
        if kind == PING:
            buckets.append(("address", rates.address_pings.get(address, now)))
            if player is not None:
                buckets.append(("player", rates.player_pings.get((hunt_id, player), now)))
        elif kind == JOIN:
            buckets.append(("connection", self.joins))
            buckets.append(("address", rates.address_joins.get(address, now)))
        worst, scope = 0.0, ""
        for name, bucket in buckets:
            wait = bucket.wait_s(now)
            if wait > worst:
                worst, scope = wait, name
        if worst > 0:
            rates.refused[scope] += 1
            raise RetryLater(retry_after_ms(worst), code=ErrorCode.RATE_LIMITED,
                             message=f"too many {kind}s from this {scope}; retry after retry_after_ms")
        for _, bucket in buckets:
            bucket.tokens -= 1  # wait_s refilled each one up to now just above
