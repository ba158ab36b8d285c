"""``hunt bench engine``: the figures it promises are there, for fresh and for preloaded hunts."""

from __future__ import annotations

import math
from pathlib import Path

import trio

from hunt.config import load_config
from hunt.engine import open_engine
from hunt.store import SqliteHuntStore
from hunt_lab.bench.append_cost import measure
from hunt_lab.bench.engine import EngineTarget, run_benchmark
from hunt_lab.bench.preload import preload_hunt
from hunt_lab.bench.profile import buckets
from hunt_lab.workload import Workload


async def test_a_preloaded_hunt_holds_the_events_and_loads_from_its_snapshot(tmp_path: Path) -> None:
    config = load_config(None, env={}, overrides={"server": {"data_dir": str(tmp_path)}})
    async with open_engine(config) as engine:
        await EngineTarget(engine).setup(Workload(["long"], players=5))
        before = (await engine.state("long")).seq
    await trio.to_thread.run_sync(preload_hunt, tmp_path, "long", 1234, 5)
    reader = SqliteHuntStore.open_reader(tmp_path, "long")
    try:
        state, replayed = reader.load()
        keys = sum(1 for _ in reader.command_keys())
    finally:
        reader.close()
    assert state is not None and state.seq == before + 1234 and replayed == 0
    assert sum(player.pings for player in state.players.values()) == 1234
    assert keys >= 1234  # each with its idempotency key


async def test_the_json_has_the_promised_keys_for_fresh_and_preloaded_hunts() -> None:
    config = load_config(None, env={}, overrides={"store": {"synchronous": "OFF"}})
    result = await run_benchmark(config, hunts=1, players=10, seconds=0.3, repeat=1, rate=200.0,
                                 report=lambda line: None, preload=500)
    for key in ("events_per_s", "p99_ms", "throughput_ratio", "p99_reduction", "cpu_us_per_command",
                "baseline_cpu_us_per_command", "preloaded_events_per_s", "preloaded_ratio",
                "preloaded_peak_rss_mb", "rss_growth_mb"):
        assert isinstance(result[key], float | int) and not math.isnan(result[key]), key
    assert result["cpu_us_per_command"] > 0 and result["preload_events"] == 500
    assert len(result["runs"]["engine_preloaded_max"]) == 1


def test_profile_samples_go_to_the_innermost_matching_bucket(tmp_path: Path) -> None:
    raw = tmp_path / "engine.raw"
    raw.write_text(
        "run (trio/_run.py:1);HuntActor.handle (hunt/engine/_actor.py:9);decide (hunt/domain/_rules.py:3) 6\n"
        "run (trio/_run.py:1);HuntActor.handle (hunt/engine/_actor.py:9) 2\n"
        "run (trio/_run.py:1);get_events (trio/_io_epoll.py:5) 2\n"
        "_find_and_load (<frozen importlib._bootstrap>:1) 90\n")
    shares = dict(buckets(raw))
    assert shares == {"rules: decide": 0.6, "actor: decide loop (Ack, outcome)": 0.2,
                      "trio scheduler, I/O, other": 0.2}


def test_append_cost_measures_a_fresh_and_a_long_log_with_two_caches() -> None:
    rows = measure(preload=300, batches=2, size=5, cache_kib=4000)
    assert [(row["log"], row["cache"]) for row in rows] == [
        ("fresh", "default"), ("fresh", "4 MB"), ("300 events", "default"), ("300 events", "4 MB")]
    assert all(isinstance(row["wall_ms"], float) and row["wall_ms"] > 0 for row in rows)
