"""A crowd of simulated websocket players that keeps a :class:`Ledger` of every answer.

Built on :class:`hunt_lab.sim.SimPlayer` (which resends unanswered commands with the same ids
after reconnecting). The crowd adds what a fault harness needs: a bounded number of commands
in flight per player, resending after a retryable error (``overloaded``, ``unavailable``)
once ``retry_after_ms`` has passed, and a drain that waits until every command has a final
answer. Commands are keyed by (player id, command id), as the server dedups them.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import trio

from ..audit import RETRYABLE, Ledger
from .player import Pending, SimPlayer

__all__ = ["Crowd", "command_mix"]

log = logging.getLogger("hunt_lab.faults")


def command_mix(rng: random.Random, clues: int, cmd: str) -> dict[str, Any]:
    """A command of the standard mix: mostly pings, some answers (a third right), some hints."""
    roll = rng.random()
    clue = f"c{rng.randrange(clues)}"
    if roll < 0.75:
        return {"op": "ping", "id": cmd, "lat": round(53.5441 + rng.uniform(-0.01, 0.01), 6),
                "lon": round(9.9667 + rng.uniform(-0.01, 0.01), 6)}
    if roll < 0.95:
        answer = f"answer-{clue[1:]}" if rng.random() < 0.34 else "wrong"
        return {"op": "answer", "id": cmd, "clue": clue, "answer": answer}
    return {"op": "hint", "id": cmd, "clue": clue}


@dataclass
class Crowd:
    """``players`` simulated players of one hunt; run :meth:`run` in a nursery."""

    url: str
    players: int
    clues: int = 5
    in_flight: int = 4
    seed: int = 1
    ledger: Ledger = field(default_factory=Ledger)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (sent at, seconds to final answer)
    client_errors: list[str] = field(default_factory=list)
    members: list[SimPlayer] = field(init=False)
    _retry: list[tuple[float, SimPlayer, dict[str, Any]]] = field(default_factory=list, init=False)
    _load: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        self.members = [SimPlayer(self.url, f"player {i}", self._on_reply) for i in range(self.players)]

    def _on_reply(self, player: SimPlayer, pending: Pending, reply: dict[str, Any]) -> None:
        key = (player.player or "", pending.frame["id"])
        self.ledger.answer(key, reply)
        if reply.get("op") == "error" and reply.get("code") in RETRYABLE:
            delay = max(int(reply.get("retry_after_ms") or 0), 1) / 1000
            self._retry.append((trio.current_time() + delay, player, pending.frame))
        else:
            self.latencies.append((pending.scheduled, trio.current_time() - pending.scheduled))

    def in_doubt(self) -> set[tuple[str, str]]:
        """The commands sent and not yet answered (their fate is unknown to the client)."""
        return {(p.player or "", cmd) for p in self.members for cmd in p.pending} | {
            (p.player or "", frame["id"]) for _, p, frame in self._retry}

    def connected(self) -> int:
        return sum(p.ws is not None for p in self.members)

    def stop_load(self) -> None:
        """Send no new commands (retries and resends still go out)."""
        self._load = False

    async def run(self, stop: trio.Event, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Connect every player, report started once all joined, then drive until ``stop``."""
        async with trio.open_nursery() as nursery:
            for player in self.members:
                nursery.start_soon(self._keep_connected, player, stop)
            for player in self.members:
                await player.connected.wait()
            task_status.started()
            for i, player in enumerate(self.members):
                nursery.start_soon(self._drive, i, player, stop)
            await stop.wait()
            nursery.cancel_scope.cancel()

    async def _keep_connected(self, player: SimPlayer, stop: trio.Event) -> None:
        while not stop.is_set():
            try:
                await player.run(team=None, stop=stop)
            except Exception as err:  # the websocket client can raise more than SimPlayer expects
                self.client_errors.append(repr(err)[:200])
                player.ws = None
                if player.connected.is_set():
                    player.connected = trio.Event()
                await trio.sleep(0.05)

    async def _drive(self, index: int, player: SimPlayer, stop: trio.Event) -> None:
        rng = random.Random(self.seed * 100_003 + index)
        counter = 0
        while not stop.is_set():
            now = trio.current_time()
            for entry in [e for e in self._retry if e[1] is player and e[0] <= now]:
                self._retry.remove(entry)
                await player.send(entry[2], now)
            if self._load and player.ws is not None and len(player.pending) < self.in_flight:
                counter += 1
                frame = command_mix(rng, self.clues, f"c{index}-{counter}")
                self.ledger.send((player.player or "", frame["id"]))
                await player.send(frame, now)
            else:
                await trio.sleep(0.005)

    async def wait_answered(self, timeout: float) -> bool:
        """Wait until every command has a final answer; False if ``timeout`` ran out first."""
        with trio.move_on_after(timeout):
            while self.in_doubt():
                await trio.sleep(0.02)
            return True
        return False

    def latency_summary(self, since: float = 0.0) -> dict[str, float]:
        from ..measure import percentile

        values = sorted(latency for at, latency in self.latencies if at >= since)
        return {"answers": len(values), "p50_ms": round(percentile(values, 50) * 1000, 2),
                "p99_ms": round(percentile(values, 99) * 1000, 2)}


Reporter = Callable[[str], None]
