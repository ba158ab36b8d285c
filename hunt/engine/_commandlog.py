"""What became of each command: its log line (``logging.commands = true``) and the statistics
``/metrics`` reports (ack latency histogram, refusals by code).

The log line says hunt, player, command id, outcome and latency.

Secrets stay out: a join's command id is its bearer secret, so joins are logged with the
player they gave and no id; no command field (an answer, a code, a position) is logged at
all, only the command's kind.
"""

from __future__ import annotations

import bisect
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..domain import Command, JoinHunt, Rejected

__all__ = ["ACK_BUCKETS_S", "CommandStatistics", "CommandStats", "log_commands"]

# Upper bounds (seconds) of the ack latency histogram's buckets; the last one is +Inf.
ACK_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

log = logging.getLogger("hunt.commands")


def log_commands(hunt_id: str, commands: Sequence[Command], results: Sequence[Any], latency_s: float) -> None:
    """Log each command with its outcome (an Ack or a Rejected); ``latency_s`` from submit to ack."""
    latency_ms = round(latency_s * 1000, 3)
    for command, result in zip(commands, results, strict=False):
        joined = isinstance(command, JoinHunt)
        fields: dict[str, Any] = {"hunt": hunt_id, "op": type(command).__name__, "latency_ms": latency_ms,
                                  "player": None if joined else command.principal,
                                  "cmd": None if joined else command.cmd}
        if isinstance(result, Rejected):
            fields["result"] = result.code
        else:
            fields["seq"] = result.seq
            fields["result"] = result.fields.get("result")
            fields["duplicate"] = result.duplicate
            if joined:
                fields["player"] = result.fields.get("player")
        log.info("%s %s %s: %s in %.1f ms", hunt_id, fields["player"], fields["op"], fields["result"], latency_ms,
                 extra={"fields": fields})


@dataclass(frozen=True, slots=True)
class CommandStatistics:
    """A snapshot: ack latency buckets (not cumulative; one more than ACK_BUCKETS_S, for +Inf),
    their sum and count, and refusals by error code."""

    buckets: tuple[int, ...]
    latency_sum_s: float
    count: int
    refusals: dict[str, int]


class CommandStats:
    """Counts settled submissions: a few integer increments per command, read at scrape time."""

    def __init__(self) -> None:
        self._buckets = [0] * (len(ACK_BUCKETS_S) + 1)
        self._sum = 0.0
        self._count = 0
        self._refusals: Counter[str] = Counter()

    def settled(self, results: Sequence[Any], latency_s: float) -> None:
        """One submission answered after ``latency_s``: every command in it waited that long."""
        n = len(results)
        self._buckets[bisect.bisect_left(ACK_BUCKETS_S, latency_s)] += n
        self._sum += latency_s * n
        self._count += n
        for result in results:
            if isinstance(result, Rejected):
                self._refusals[result.code] += 1

    def refused(self, code: str, n: int = 1) -> None:
        """Commands refused before a decision (e.g. ``timeout``: no durable ack in time)."""
        self._refusals[code] += n

    def statistics(self) -> CommandStatistics:
        return CommandStatistics(tuple(self._buckets), self._sum, self._count, dict(self._refusals))
