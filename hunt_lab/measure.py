"""Measurement helpers: latency percentiles, an open-loop pacer, and a peak-RSS sampler."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psutil
import trio

__all__ = ["Recorder", "percentile", "rss_sampler"]


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of already sorted values, nearest-rank."""
    if not sorted_values:
        return math.nan
    rank = max(0, min(len(sorted_values) - 1, math.ceil(q / 100 * len(sorted_values)) - 1))
    return sorted_values[rank]


@dataclass
class Recorder:
    """Counts outcomes and latencies (seconds) of one run."""

    latencies: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    sent: int = 0

    def record(self, outcome: str, latency: float | None) -> None:
        self.outcomes[outcome] += 1
        if latency is not None:
            self.latencies.append(latency)

    @property
    def completed(self) -> int:
        return sum(self.outcomes.values())

    def summary(self, seconds: float) -> dict[str, Any]:
        values = sorted(self.latencies)
        acked = self.outcomes["ack"] + self.outcomes["duplicate"]
        errors = {k: v for k, v in self.outcomes.items() if k.startswith("error:")}
        return {
            "seconds": round(seconds, 3),
            "sent": self.sent,
            "completed": self.completed,
            "acked": acked,
            "rejected": self.outcomes["rejected"],
            "errors": sum(errors.values()),
            "errors_by_code": {k[6:]: v for k, v in sorted(errors.items())},
            "events_per_s": round(acked / seconds, 1) if seconds > 0 else 0.0,
            "replies_per_s": round(self.completed / seconds, 1) if seconds > 0 else 0.0,
            "p50_ms": round(percentile(values, 50) * 1000, 3),
            "p99_ms": round(percentile(values, 99) * 1000, 3),
            "p999_ms": round(percentile(values, 99.9) * 1000, 3),
            "max_ms": round(values[-1] * 1000, 3) if values else math.nan,
        }


def median_of(runs: list[dict[str, Any]], key: str) -> float:
    values = [run[key] for run in runs if isinstance(run.get(key), int | float) and not math.isnan(run[key])]
    return statistics.median(values) if values else math.nan


@contextmanager
def rss_sampler(nursery: trio.Nursery, interval: float = 0.05) -> Iterator[dict[str, float]]:
    """Sample this process's RSS while the block runs; ``result["peak_rss_mb"]`` at the end
    (and ``start_rss_mb``, the RSS when the block began)."""
    process = psutil.Process()
    result = {"peak_rss_mb": process.memory_info().rss / 2**20}
    result["start_rss_mb"] = round(result["peak_rss_mb"], 1)
    scope = trio.CancelScope()

    async def sample() -> None:
        with scope:
            while True:
                result["peak_rss_mb"] = max(result["peak_rss_mb"], process.memory_info().rss / 2**20)
                await trio.sleep(interval)

    nursery.start_soon(sample)
    try:
        yield result
    finally:
        scope.cancel()
        result["peak_rss_mb"] = round(max(result["peak_rss_mb"], process.memory_info().rss / 2**20), 1)
