"""`hunt bench record-log` runs the workload with and without the log stream and reports both."""

from __future__ import annotations

import trio

from hunt.config import Config
from hunt_lab.bench.record_log import run_record_log_benchmark


def test_the_record_log_benchmark_measures_both_engines_in_one_run(nats_binary: str) -> None:
    lines: list[str] = []
    result = trio.run(lambda: run_record_log_benchmark(
        Config().replace(store={"synchronous": "OFF"}), players=20, seconds=0.3, repeat=1, servers=1, rate=200,
        report=lines.append))
    assert result["workload"]["replicas"] == 1
    assert result["plain_events_per_s"] > 0 and result["logged_events_per_s"] > 0
    assert result["offered_per_s"] == 200 and result["logged_errors"] == 0
    assert result["throughput_ratio"] == round(result["logged_events_per_s"] / result["plain_events_per_s"], 2)
    assert [line.split()[2] for line in lines] == ["plain", "logged"]
