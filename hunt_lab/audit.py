"""What a client was told, checked against what the hunt file holds.

A :class:`Ledger` collects every reply a harness's clients received, keyed by the
idempotency key (player, command id). :func:`audit_log` reads the hunt's log through a
read-only connection (safe beside a running server) and lists every broken promise:

- an acked command that is not in the log, or not at the seq its ack named;
- an idempotency key twice in the log, or a gap in the seqs;
- a command whose last answer was a final refusal, yet in the log (a rejected input changed state);
- a command that never got a final answer.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hunt.domain import Recorded
from hunt.store import SqliteHuntStore

__all__ = ["RETRYABLE", "Ledger", "audit_log", "read_log"]

# Error codes after which a client should resend the same command (same id) later.
RETRYABLE = frozenset({"overloaded", "unavailable"})


@dataclass
class Ledger:
    """Every command a harness sent and every answer it got, by (player, command id)."""

    acks: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # seqs named by its acks
    duplicates: int = 0  # acks that said "duplicate": true (a resubmission of a durable command)
    refused: dict[tuple[str, str], str] = field(default_factory=dict)  # last answer an error: its code
    sent: set[tuple[str, str]] = field(default_factory=set)
    codes: Counter[str] = field(default_factory=Counter)

    def send(self, key: tuple[str, str]) -> None:
        self.sent.add(key)

    def answer(self, key: tuple[str, str], reply: dict[str, Any]) -> None:
        """Record one ack or error frame for ``key``."""
        if reply.get("op") == "ack":
            self.acks.setdefault(key, []).append(reply["seq"])
            self.refused.pop(key, None)
            self.duplicates += bool(reply.get("duplicate"))
            self.codes["ack"] += 1
        else:
            code = str(reply.get("code"))
            self.codes[code] += 1
            if key not in self.acks:
                self.refused[key] = code

    def unanswered(self) -> set[tuple[str, str]]:
        """Commands with no final answer (a retryable error is not final)."""
        final = set(self.acks) | {key for key, code in self.refused.items() if code not in RETRYABLE}
        return self.sent - final


def read_log(data_dir: Path, hunt_id: str) -> list[Recorded]:
    """The whole log of a hunt, through a read-only connection. Blocking."""
    reader = SqliteHuntStore.open_reader(data_dir, hunt_id)
    try:
        return list(reader.read())
    finally:
        reader.close()


def audit_log(log: list[Recorded], ledger: Ledger) -> list[str]:
    """Every broken promise of ``ledger`` against ``log`` (empty when all is well)."""
    problems: list[str] = []
    seqs = [record.seq for record in log]
    if seqs != list(range(1, len(seqs) + 1)):
        gaps = [b for a, b in zip([0, *seqs], seqs, strict=False) if b != a + 1]
        problems.append(f"seqs are not contiguous from 1 (first break at {gaps[:3]})")
    keys = Counter((record.principal or "", record.cmd) for record in log if record.cmd is not None)
    twice = [key for key, count in keys.items() if count > 1]
    if twice:
        problems.append(f"{len(twice)} idempotency keys are in the log more than once, e.g. {twice[:3]}")
    at = {(record.principal or "", record.cmd): record.seq for record in log if record.cmd is not None}
    lost = [(key, named) for key, named in ledger.acks.items() if any(at.get(key) != seq for seq in named)]
    if lost:
        problems.append(f"{len(lost)} acked commands are not in the log at their acked seq, e.g. {lost[:3]}")
    # After a retryable error the outcome is unknown (a timed-out command may still commit):
    # only a final refusal promises that nothing was recorded.
    applied = [key for key, code in ledger.refused.items() if code not in RETRYABLE and key in at]
    if applied:
        problems.append(f"{len(applied)} refused commands are in the log, e.g. {applied[:3]}")
    unanswered = ledger.unanswered()
    if unanswered:
        problems.append(f"{len(unanswered)} commands never got a final answer, e.g. {sorted(unanswered)[:3]}")
    return problems
