"""The relay inside the server (``run_relay`` beside a live engine), and the analytics consumer."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trio

from hunt.config import Config
from hunt.domain import PingLocation, replay
from hunt.engine import Ack, Engine, open_engine
from hunt.relay import CURSOR_KEY, EmbeddedRelay, RelayStatistics, read_analytics, run_consumer, run_relay
from hunt.store import SqliteHuntStore
from hunt_lab.servers.nats import LocalNatsServer
from tests.support.hunts import sample_hunt
from tests.support.relay import assert_exactly_once_in_order, joins_and_start, random_play, stream_messages

pytestmark = pytest.mark.nats


def _config(make_config: Callable[..., Config], nats_server: LocalNatsServer, **broker: Any) -> Config:
    return make_config(broker={"url": nats_server.url, "retry_backoff_max_s": 0.5, "cursor_interval_s": 0.2,
                               "duplicate_window_s": 0.2, **broker})


async def _wait_stats(relay: EmbeddedRelay, ok: Callable[[RelayStatistics], bool], timeout: float, what: str) -> None:
    with trio.move_on_after(timeout):
        while not ok(relay.statistics()):
            await trio.sleep(0.05)
        return
    raise AssertionError(f"timed out after {timeout} s waiting for {what}: {relay.statistics()}")


def _caught_up(hunts: dict[str, int]) -> Callable[[RelayStatistics], bool]:
    def ok(stats: RelayStatistics) -> bool:
        return all((lag := stats.hunt(h)) is not None and lag.published == seq for h, seq in hunts.items())

    return ok


def _stored_cursor(data_dir: Path, hunt: str) -> int:
    reader = SqliteHuntStore.open_reader(data_dir, hunt)
    try:
        return int(reader.get_meta(CURSOR_KEY) or 0)
    finally:
        reader.close()


async def _pings(engine: Engine, hunt: str, n: int, tag: str) -> float:
    """Submit ``n`` pings; return how long the slowest durable ack took."""
    commands = [PingLocation(f"p{i % 5 + 1}", f"{tag}-{i}", 53.54, 9.96) for i in range(n)]
    start = trio.current_time()
    results = await engine.submit(hunt, commands)
    assert all(isinstance(result, Ack) for result in results)
    return trio.current_time() - start


async def test_play_goes_on_while_the_broker_is_down_and_the_relay_catches_up(
        nats_server: LocalNatsServer, make_config: Callable[..., Config], data_dir: Path) -> None:
    config = _config(make_config, nats_server)
    async with open_engine(config) as engine:
        await engine.create_hunt(sample_hunt("alpha"))
        await engine.submit("alpha", joins_and_start(5))
        async with trio.open_nursery() as nursery:
            relay: EmbeddedRelay = await nursery.start(run_relay, config, engine)
            await _pings(engine, "alpha", 50, "before")
            await _wait_stats(relay, _caught_up({"alpha": engine.live("alpha").seq}), 15, "the relay")

            await trio.to_thread.run_sync(nats_server.kill)
            slowest = 0.0
            for round_ in range(15):  # 1.5 s of play without a broker
                slowest = max(slowest, await _pings(engine, "alpha", 10, f"down{round_}"))
                await trio.sleep(0.1)
            assert slowest < 0.5, "player acks must not wait for the broker"
            # The relay's report (every 0.25 s) shows the hunt falling behind, in events and seconds.
            await _wait_stats(relay, lambda s: (lag := s.hunt("alpha")) is not None and lag.lag_events == 150,
                              5, "the lag to show")
            lag = relay.statistics().hunt("alpha")
            assert lag is not None and lag.lag_s >= 1.0 and relay.statistics().state == "backoff"

            await trio.to_thread.run_sync(nats_server.start)
            last = engine.live("alpha").seq
            await _wait_stats(relay, _caught_up({"alpha": last}), 15, "the relay to catch up")
            # The cursor reached the hunt file through the hunt's actor.
            with trio.fail_after(5):
                while _stored_cursor(data_dir, "alpha") != last:
                    await trio.sleep(0.05)
            nursery.cancel_scope.cancel()
    messages = await trio.to_thread.run_sync(stream_messages, nats_server.url)
    assert_exactly_once_in_order(messages, {"alpha": last})


async def test_the_consumers_projection_equals_the_one_computed_from_the_log(
        nats_server: LocalNatsServer, make_config: Callable[..., Config], data_dir: Path) -> None:
    config = _config(make_config, nats_server)
    rng = random.Random(7)
    hunts = ["alpha", "bravo"]
    async with open_engine(config) as engine:
        async with trio.open_nursery() as nursery:
            relay: EmbeddedRelay = await nursery.start(run_relay, config, engine)
            for hunt in hunts:
                await engine.create_hunt(sample_hunt(hunt))
                await engine.submit(hunt, joins_and_start(12))
            for chunk in range(10):
                for hunt in hunts:
                    await engine.submit(hunt, random_play(rng, 12, 40, f"{chunk}-"))
            last = {hunt: engine.live(hunt).seq for hunt in hunts}
            await _wait_stats(relay, _caught_up(last), 20, "the relay")
            nursery.cancel_scope.cancel()
        logs = {hunt: await engine.read_events(hunt) for hunt in hunts}

    first = await trio.to_thread.run_sync(lambda: asyncio.run(run_consumer(config, idle_exit_s=1.0)))
    assert first.applied == sum(last.values()) and first.duplicates == 0
    for hunt in hunts:
        assert await trio.to_thread.run_sync(read_analytics, data_dir, hunt) == _expected(hunt, logs[hunt])

    # A second consumer (another durable) sees every message again: all skipped, nothing changes.
    again = config.replace(broker={"consumer_durable": "second-look"})
    second = await trio.to_thread.run_sync(lambda: asyncio.run(run_consumer(again, idle_exit_s=1.0)))
    assert second.applied == 0 and second.duplicates == sum(last.values())
    for hunt in hunts:
        assert await trio.to_thread.run_sync(read_analytics, data_dir, hunt) == _expected(hunt, logs[hunt])


def _expected(hunt: str, log: list[Any]) -> dict[str, Any]:
    """The projection, computed independently: the domain's replay and a counter over the log."""
    state = replay(log)
    per_minute: dict[int, Counter[str]] = {}
    for record in log:
        per_minute.setdefault(record.ts // 60_000, Counter())[record.event.TYPE] += 1
    assert sum(s.finders for s in state.clue_stats.values()) > 0, "the play should solve something"
    from datetime import UTC, datetime

    return {
        "hunt": hunt, "last_seq": state.seq, "last_ts": state.last_ts,
        "activity": [
            {"minute": datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "minute_ts": minute * 60_000, "events": sum(counts.values()), "by_type": dict(sorted(counts.items()))}
            for minute, counts in sorted(per_minute.items())
        ],
        "clues": [
            {"clue": clue.id, "attempts": stats.attempts, "solves": stats.finders, "wrong": stats.wrong,
             "hints": stats.hints_taken, "median_solve_s": stats.median_solve_s()}
            for clue in state.definition.clues for stats in [state.clue_stats[clue.id]]
        ],
    }
