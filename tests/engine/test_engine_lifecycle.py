"""Passivation and shutdown leave a snapshot to reload from; verify checks replay == snapshots == live."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
import trio

from hunt.domain import AnswerClue, CheckIn, PingLocation, TakeHint, replay
from hunt.engine import Ack, Engine
from hunt.store import SqliteHuntStore, hunt_path
from hunt_lab.faults.store import FaultPlan
from tests.support.engine import OpenHunt, disk_replay, wait_until
from tests.support.hunts import CRANE, HUNT_ID


async def play(engine: Engine, rounds: int = 4) -> None:
    for n in range(rounds):
        await engine.submit(HUNT_ID, [PingLocation(f"p{n % 3 + 1}", f"g{n}", 53.5 + n / 100, 9.9)])
    await engine.submit(HUNT_ID, [TakeHint("p1", "h1", "c1"), AnswerClue("p1", "a1", "c1", "lighthouse"),
                                  CheckIn("p2", "k1", "c2", *CRANE), AnswerClue("p3", "a1", "c1", "nope")])


def store_counts(engine: Engine) -> dict[str, Any]:
    reader = SqliteHuntStore.open_reader(engine.data_dir, HUNT_ID)
    try:
        return {**reader.counts(), "last_seq": reader.last_seq(), "replayed": reader.load()[1]}
    finally:
        reader.close()


async def test_an_idle_hunt_is_passivated_with_a_final_snapshot(open_hunt: OpenHunt) -> None:
    async with open_hunt(engine={"idle_passivate_s": 0.1}) as engine:
        await play(engine)
        before = (await engine.state(HUNT_ID)).to_dict()
        await wait_until(lambda: not engine.is_active(HUNT_ID))
        await engine.wait_unloaded(HUNT_ID)
        counts = store_counts(engine)
        assert counts["last_snapshot_seq"] == counts["last_seq"] == before["seq"]
        assert counts["replayed"] == 0
        # The next use reloads it from that snapshot, to the same state.
        assert (await engine.state(HUNT_ID)).to_dict() == before
        assert engine.statistics().router.passivations == 1
        assert (await engine.verify(HUNT_ID))["ok"]


async def test_shutdown_writes_a_final_snapshot_and_a_restart_reloads_it(open_hunt: OpenHunt) -> None:
    async with open_hunt() as engine:
        await play(engine)
        before = (await engine.state(HUNT_ID)).to_dict()
        assert store_counts(engine)["snapshots"] == 0  # snapshot_every is far away
    async with open_hunt() as engine:
        counts = store_counts(engine)
        assert (counts["last_snapshot_seq"], counts["replayed"]) == (before["seq"], 0)
        assert (await engine.state(HUNT_ID)).to_dict() == before


async def test_snapshots_land_every_n_events(open_hunt: OpenHunt) -> None:
    async with open_hunt(store={"snapshot_every": 3}) as engine:
        await play(engine, rounds=10)
        counts = store_counts(engine)
        assert counts["last_seq"] - 3 < counts["last_snapshot_seq"] <= counts["last_seq"]
        assert counts["snapshots"] >= counts["last_seq"] // 3 - 2  # a batch may cross several marks
        report = await engine.verify(HUNT_ID)
        assert report["ok"] and report["live_checked"], report
        assert report["snapshots_checked"] == counts["snapshots"]


async def test_verify_passes_on_a_healthy_hunt(open_hunt: OpenHunt) -> None:
    async with open_hunt(store={"snapshot_every": 4}) as engine:
        await play(engine)
        report = await engine.verify(HUNT_ID)
        assert report == {"hunt": HUNT_ID, "ok": True, "events": report["events"], "snapshots_checked": 3,
                          "live_checked": True, "problems": []}
        assert report["events"] == (await engine.state(HUNT_ID)).seq


def rewrite_latest_snapshot(engine: Engine, change: Any) -> int:
    """Overwrite the newest snapshot's bytes (behind the store's back); returns its seq."""
    with sqlite3.connect(hunt_path(engine.data_dir, HUNT_ID)) as conn:
        seq, blob = conn.execute("SELECT seq, state FROM snapshots ORDER BY seq DESC LIMIT 1").fetchone()
        conn.execute("UPDATE snapshots SET state = ? WHERE seq = ?", (change(blob), seq))
    conn.close()
    return seq


def more_points(blob: bytes) -> bytes:
    data = orjson.loads(blob)
    data["sides"][0][3] += 1000  # a side's score
    return orjson.dumps(data)


async def test_verify_reports_a_tampered_snapshot(open_hunt: OpenHunt) -> None:
    async with open_hunt() as engine:
        await play(engine)
    seq = rewrite_latest_snapshot(engine, more_points)
    async with open_hunt() as engine:
        report = await engine.verify(HUNT_ID)  # the hunt is not loaded: replay against the snapshots
        assert not report["ok"]
        assert report["problems"] == [f"snapshot at seq {seq} differs from the replay"]


async def test_an_undecodable_snapshot_is_reported_and_skipped_on_load(open_hunt: OpenHunt) -> None:
    async with open_hunt() as engine:
        await play(engine)
        before = (await engine.state(HUNT_ID)).to_dict()
    seq = rewrite_latest_snapshot(engine, lambda blob: b"\x00garbage")
    async with open_hunt() as engine:
        report = await engine.verify(HUNT_ID)
        assert not report["ok"]
        assert report["problems"][0].startswith(f"snapshot at seq {seq} cannot be decoded")
        # Recovery does not trust it: a full replay gives the same state as before.
        assert (await engine.state(HUNT_ID)).to_dict() == before == disk_replay(engine).to_dict()


async def test_state_at_travels_back_to_any_seq(open_hunt: OpenHunt) -> None:
    async with open_hunt(store={"snapshot_every": 4}) as engine:
        await play(engine)
        reader = SqliteHuntStore.open_reader(engine.data_dir, HUNT_ID)
        try:
            log = list(reader.read())
        finally:
            reader.close()
        assert await engine.state_at(HUNT_ID, 0) is None
        for seq in range(1, len(log) + 1):
            past = await engine.state_at(HUNT_ID, seq)
            assert past is not None and past.to_dict() == replay(log[:seq]).to_dict(), seq
        now = await engine.state(HUNT_ID)
        assert (await engine.state_at(HUNT_ID, 10_000)).to_dict() == now.to_dict()


async def test_verify_reports_a_snapshot_beyond_the_log(open_hunt: OpenHunt) -> None:
    async with open_hunt() as engine:
        await play(engine)
        seq = (await engine.state(HUNT_ID)).seq
    with sqlite3.connect(hunt_path(engine.data_dir, HUNT_ID)) as conn:
        conn.execute("UPDATE snapshots SET seq = seq + 100")
    conn.close()
    async with open_hunt() as engine:
        report = await engine.verify(HUNT_ID)
        assert report["problems"] == [f"snapshots beyond the end of the log: [{seq + 100}]"]


async def test_responses_are_cached_per_committed_version(open_hunt: OpenHunt) -> None:
    async with open_hunt() as engine:
        builds: list[int] = []

        def build(state: Any) -> Any:
            builds.append(state.seq)
            return state.top(10)

        body, etag = await engine.view(HUNT_ID, "top", build, orjson.dumps)
        assert await engine.view(HUNT_ID, "top", build, orjson.dumps) == (body, etag) and len(builds) == 1
        await engine.submit(HUNT_ID, [AnswerClue("p1", "a1", "c1", "lighthouse")])
        changed, new_etag = await engine.view(HUNT_ID, "top", build, orjson.dumps)
        assert len(builds) == 2 and new_etag != etag and b'"score":120' in changed


async def test_the_file_lock_is_released_when_closing_a_hunt_outlasts_the_stop_timeout(
        open_hunt: OpenHunt, faults: FaultPlan) -> None:
    """A final snapshot slower than the stop timeout: the router gives up waiting for the close,
    yet the hunt file's lock is released once the write ends, and the hunt answers again (it
    used to say ``unavailable`` until the server restarted)."""
    async with open_hunt(engine={"idle_passivate_s": 0.1}, server={"shutdown_timeout_s": 0.2}) as engine:
        await play(engine, rounds=1)
        stall = faults.stall(HUNT_ID)
        await trio.to_thread.run_sync(stall.entered.wait, 5.0)  # the final snapshot waits at the gate
        await trio.sleep(0.5)  # well past the stop timeout
        stall.release()
        del faults.stalls[HUNT_ID]
        await wait_until(lambda: not engine.is_active(HUNT_ID))
        await engine.wait_unloaded(HUNT_ID)
        [ack] = await engine.submit(HUNT_ID, [PingLocation("p1", "after", 1.0, 2.0)])
        assert isinstance(ack, Ack) and not ack.duplicate
