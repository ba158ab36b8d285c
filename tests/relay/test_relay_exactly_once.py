"""Exactly once, in order, per hunt: through relay crashes, broker restarts and foreign publishes.

The stream is created with a duplicate window of 0.2 s, so the broker's dedup cannot hide a
relay that publishes twice: what these tests see is the relay's own reconciliation and chain.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import nats
import orjson
import pytest

from hunt.domain import Pinged, Recorded
from hunt.relay import CURSOR_KEY, read_relay_status
from hunt.store import SqliteHuntStore, record_to_dict
from hunt_lab.servers.nats import LocalNatsServer
from tests.support.relay import (
    Writer,
    assert_exactly_once_in_order,
    create_hunt_file,
    relay_process,
    run_async,
    stream_count,
    stream_messages,
    wait_for,
)

pytestmark = pytest.mark.nats

HUNTS = ["alpha", "bravo", "charlie"]
SHORT_DEDUP = {"duplicate_window_s": 0.2, "retry_backoff_max_s": 0.5}


def _cursor(data_dir: Path, hunt: str) -> int:
    reader = SqliteHuntStore.open_reader(data_dir, hunt)
    try:
        return int(reader.get_meta(CURSOR_KEY) or 0)
    finally:
        reader.close()


def _stop(process: object) -> None:
    process.terminate()  # type: ignore[attr-defined]
    process.wait(timeout=10)  # type: ignore[attr-defined]


def test_relay_killed_mid_batch_publishes_every_event_once_in_order(
        nats_server: LocalNatsServer, data_dir: Path, tmp_path: Path) -> None:
    for hunt in HUNTS:
        create_hunt_file(data_dir, hunt, 3000)
    # The writer holds every hunt's lock (as a server would), so the relay can store no
    # cursor: each restart must find its place from the stream alone.
    writer = Writer(data_dir, HUNTS, per_tick=10)
    writer.start()
    try:
        seen = 0
        for _ in range(3):
            relay = relay_process(data_dir, nats_server.url, tmp_path, batch=100, **SHORT_DEDUP)
            target = seen + 1500
            seen = wait_for(lambda t=target: (n := stream_count(nats_server.url)) >= t and n, 20,
                            "the relay to publish")
            os.kill(relay.pid, signal.SIGKILL)  # while it publishes: almost surely mid-batch
            relay.wait(timeout=10)
            time.sleep(0.3)  # past the duplicate window
        assert all(_cursor(data_dir, hunt) == 0 for hunt in HUNTS)
    finally:
        last = writer.stop()
    relay = relay_process(data_dir, nats_server.url, tmp_path, batch=100, **SHORT_DEDUP)
    try:
        wait_for(lambda: stream_count(nats_server.url) >= sum(last.values()), 30, "the relay to catch up")
        time.sleep(0.5)  # a relay that publishes twice would do it now
    finally:
        _stop(relay)
    assert_exactly_once_in_order(stream_messages(nats_server.url), last)
    # Unlocked now, the relay stored the cursors on its way out.
    assert {hunt: _cursor(data_dir, hunt) for hunt in HUNTS} == last


def test_broker_killed_and_restarted_while_events_flow(
        nats_server: LocalNatsServer, data_dir: Path, tmp_path: Path) -> None:
    for hunt in HUNTS:
        create_hunt_file(data_dir, hunt, 500)
    relay = relay_process(data_dir, nats_server.url, tmp_path, batch=100, **SHORT_DEDUP)
    writer = Writer(data_dir, HUNTS, per_tick=10)
    writer.start()
    try:
        for _ in range(2):
            base = stream_count(nats_server.url)
            wait_for(lambda b=base: stream_count(nats_server.url) > b + 300, 20, "events to flow")
            nats_server.kill()
            time.sleep(0.7)  # events keep being committed meanwhile
            nats_server.start()
        wait_for(lambda: stream_count(nats_server.url) > 0, 20, "the relay to reconnect")
    finally:
        last = writer.stop()
    try:
        wait_for(lambda: stream_count(nats_server.url) >= sum(last.values()), 30, "the relay to catch up")
        time.sleep(0.5)
    finally:
        _stop(relay)
    assert_exactly_once_in_order(stream_messages(nats_server.url), last)


def test_a_stale_tail_is_refused_without_the_duplicate_window(
        nats_server: LocalNatsServer, data_dir: Path, tmp_path: Path) -> None:
    """Events 101..110 reach the stream behind the running relay's back (a past relay's late
    messages, say), longer ago than the duplicate window, before the relay reads them from the
    log: the chain refuses the relay's copies, it reconciles and goes on after them."""
    create_hunt_file(data_dir, "alpha", 100)
    relay = relay_process(data_dir, nats_server.url, tmp_path, **SHORT_DEDUP)
    try:
        wait_for(lambda: stream_count(nats_server.url) == 100, 20, "the first 100 events")
        now = int(time.time() * 1000)
        coming = [Recorded(seq, now, Pinged("p1", 53.5, 9.9), f"late{seq}", "p1") for seq in range(101, 121)]
        run_async(_publish_behind_the_relays_back, nats_server.url, coming[:10])
        time.sleep(0.5)  # past the duplicate window: the broker's dedup cannot help now
        store = SqliteHuntStore.open(data_dir, "alpha", synchronous="OFF")
        try:
            store.append(coming)
        finally:
            store.close()
        wait_for(lambda: stream_count(nats_server.url) >= 120, 20, "the relay to go on")
        time.sleep(0.5)  # a relay that publishes twice would do it now
    finally:
        _stop(relay)
    assert_exactly_once_in_order(stream_messages(nats_server.url), {"alpha": 120})
    status = read_relay_status(data_dir)
    assert status is not None and status.duplicates == 0 and status.errors == 0


async def _publish_behind_the_relays_back(url: str, records: list[Recorded]) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for record in records:
            body = orjson.dumps({**record_to_dict(record), "hunt": "alpha"})
            await js.publish("hunt.alpha.events", body, headers={"Nats-Msg-Id": f"alpha:{record.seq}"})
    finally:
        await nc.close()
