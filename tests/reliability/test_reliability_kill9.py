"""No acked event is lost and every effect happens once (docs/reliability.md), end to end.

A real `hunt serve` child (synchronous=FULL) under websocket players is SIGKILLed three times
at random moments and restarted on the same data directory; players reconnect and resend
their unanswered commands with the same ids. The harness (hunt_lab.faults.run_crash) then
audits the log against every answer the players got, the restarted server's live state
against a replay, and runs `hunt verify`. The engine-level twin is tests/engine/test_engine_crash.py.

The audit itself is tested on forged ledgers below, so a broken promise cannot pass unseen.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from hunt.domain import Pinged, PlayerJoined, Recorded
from hunt_lab.faults import CrashConfig, Ledger, audit_log, run_crash

SEED = int(os.environ.get("HUNT_RELIABILITY_SEED", random.randrange(1_000_000)))


async def test_sigkill_under_load_loses_no_ack_and_applies_resent_commands_once(tmp_path: Path) -> None:
    lines: list[str] = []
    config = CrashConfig(data_dir=tmp_path / "data", log_dir=tmp_path / "logs", players=12, kills=3, seed=SEED)
    result = await run_crash(config, lines.append)
    context = f"seed {SEED} (rerun with HUNT_RELIABILITY_SEED={SEED}); {result}; logs in {tmp_path / 'logs'}"
    assert result["problems"] == [], context
    assert len(result["kills"]) == 3, context
    assert sum(kill["in_doubt"] > 0 for kill in result["kills"]) >= 2, "kills must land while commands fly"
    assert result["in_doubt_applied_once"] > 0, context
    assert result["acked"] >= 200, context


def _log(*keys: tuple[str, str]) -> list[Recorded]:
    records = [Recorded(1, 1, PlayerJoined("p1", "Ann", None), "join-1", "")]
    for seq, (player, cmd) in enumerate(keys, start=2):
        records.append(Recorded(seq, seq, Pinged(player, 53.5, 9.9), cmd, player))
    return records


def _ledger(acks: dict[tuple[str, str], int], refused: dict[tuple[str, str], str] | None = None) -> Ledger:
    ledger = Ledger()
    for key, seq in acks.items():
        ledger.send(key)
        ledger.answer(key, {"op": "ack", "id": key[1], "seq": seq})
    for key, code in (refused or {}).items():
        ledger.send(key)
        ledger.answer(key, {"op": "error", "id": key[1], "code": code})
    return ledger


def test_the_audit_passes_an_honest_log() -> None:
    log = _log(("p1", "a"), ("p1", "b"))
    assert audit_log(log, _ledger({("p1", "a"): 2, ("p1", "b"): 3}, {("p1", "c"): "rate_limited"})) == []


def test_the_audit_finds_every_kind_of_broken_promise() -> None:
    ledger = _ledger({("p1", "a"): 2, ("p1", "lost"): 4, ("p1", "moved"): 9}, {("p1", "b"): "already_found"})
    ledger.send(("p1", "silent"))
    ledger.send(("p1", "retry"))
    ledger.answer(("p1", "retry"), {"op": "error", "code": "unavailable", "retry_after_ms": 5})
    log = _log(("p1", "a"), ("p1", "b"), ("p1", "moved"), ("p1", "twice"), ("p1", "twice"))
    log.append(Recorded(9, 9, Pinged("p1", 1.0, 1.0), "gap", "p1"))
    problems = " | ".join(audit_log(log, ledger))
    assert "not contiguous" in problems
    assert "more than once" in problems
    assert "2 acked commands are not in the log" in problems  # "lost" and "moved"
    assert "1 refused commands are in the log" in problems
    assert "2 commands never got a final answer" in problems  # "silent", and "retry" (never resent)
