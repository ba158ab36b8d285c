"""One log line per command (``logging.commands = true``): hunt, player, command id, outcome, latency.

Secrets stay out: a join's command id is its bearer secret, so joins are logged with the
player they gave and no id; no command field (an answer, a code, a position) is logged at
all, only the command's kind.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ..domain import Command, JoinHunt, Rejected

__all__ = ["log_commands"]

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
