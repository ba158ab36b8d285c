"""The standard workload of the benchmarks, as a deterministic (seeded) command generator.

One hunt with 20 answer clues and 1,000 players (or several hunts); commands mixed as 80%
pings, 15% answers (a third of them correct), 4% hints, 1% joins. The same generator feeds
the engine benchmark, its baseline, and the websocket simulator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CENTER", "Op", "Workload", "hunt_definition"]

CENTER = (53.5441, 9.9667)
MIX = (("ping", 0.80), ("answer", 0.15), ("hint", 0.04), ("join", 0.01))


def hunt_definition(hunt_id: str, clues: int = 20) -> dict[str, Any]:
    """A hunt of ``clues`` answer clues ("answer-<i>" is right), free order, one hint each."""
    return {
        "id": hunt_id,
        "title": f"Benchmark hunt {hunt_id}",
        "mode": "solo",
        "order": "free",
        "clues": [
            {"id": f"c{i}", "title": f"Clue {i}", "prompt": f"Say answer-{i}", "kind": "answer",
             "answers": [f"answer-{i}"], "points": 100, "decay": {"per_finder": 1, "min": 50},
             "first_bonus": 10, "hints": [{"text": f"It is answer-{i}", "cost": 5}]}
            for i in range(clues)
        ],
    }


@dataclass(frozen=True, slots=True)
class Op:
    """One command of the workload, independent of how it is sent (engine or websocket)."""

    kind: str  # ping | answer | hint | join
    hunt: str
    player: int  # index of the player within the hunt (for join: the new index)
    cmd: str
    clue: str | None = None
    answer: str | None = None
    lat: float = 0.0
    lon: float = 0.0


@dataclass
class Workload:
    hunts: list[str]
    players: int = 1000
    clues: int = 20
    seed: int = 1
    _rng: random.Random = field(init=False)
    _joined: dict[str, int] = field(init=False)
    _counter: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._joined = {hunt: self.players for hunt in self.hunts}
        self._kinds = [kind for kind, _ in MIX]
        self._weights = [weight for _, weight in MIX]

    def setup(self, hunt: str) -> list[Op]:
        """The joins that come before the measured run."""
        return [Op("join", hunt, i, f"setup-join-{i}") for i in range(self.players)]

    def next_ops(self, n: int) -> list[Op]:
        rng = self._rng
        kinds = rng.choices(self._kinds, self._weights, k=n)
        ops = []
        for kind in kinds:
            self._counter += 1
            hunt = self.hunts[self._counter % len(self.hunts)]
            cmd = f"w{self.seed}-{self._counter}"
            if kind == "join":
                index = self._joined[hunt]
                self._joined[hunt] = index + 1
                ops.append(Op("join", hunt, index, cmd))
                continue
            player = rng.randrange(self.players)
            if kind == "ping":
                ops.append(Op("ping", hunt, player, cmd, lat=CENTER[0] + rng.uniform(-0.01, 0.01),
                              lon=CENTER[1] + rng.uniform(-0.01, 0.01)))
            else:
                clue = rng.randrange(self.clues)
                answer = f"answer-{clue}" if rng.random() < 1 / 3 else f"guess-{rng.randrange(1000)}"
                ops.append(Op(kind, hunt, player, cmd, clue=f"c{clue}", answer=answer))
        return ops
