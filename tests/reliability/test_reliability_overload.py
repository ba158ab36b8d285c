"""Overload (docs/reliability.md; "overload is per command", docs/protocol.md): twice the measured capacity, sustained.

Capacity is measured closed loop, then commands are offered open loop (latency from each
command's scheduled time) at 0.5x, 2x and 0.5x of it. Commits run on a simulated slow disk
(each sleeps 5 ms in its worker thread, after which the real SQLite commit runs): capacity is
then set by the "disk" rather than by how busy this shared 2-core machine is, and the load
generator, in the same process, keeps the processor it needs to really offer 2x.

The promises: no mailbox ever holds more than its capacity; every command gets a durable ack
or an explicit `overloaded` with `retry_after_ms` (nothing unanswered, no other error); the
latency of admitted commands does not grow during the peak and, in the engine, stays bounded
by the admission timeout plus the batches ahead of it in a full mailbox (plus a margin for
this noisy machine) -- an unbounded queue would reach seconds; memory stays flat; latency is
back to normal within seconds after the peak.

Over websockets flow control comes first (docs/protocol.md, *Flow control*): a hunt's share of
unanswered commands is at most its mailbox, so the excess of the peak waits in the clients and
in TCP, and the mailbox never fills: every command is acked, none is refused `overloaded`, and
goodput at the peak stays at least at capacity's half (here it is above the capacity the
closed-loop probe measured).
The figures at realistic settings come from `hunt bench overload` (docs/reliability.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hunt.domain import StartHunt
from hunt_lab.bench.overload import Phase, engine_overload
from hunt_lab.bench.overload_ws import HELD_BACK, engine_probe, ws_phases
from hunt_lab.faults.store import FaultPlan
from hunt_lab.servers.inprocess import open_local_server
from hunt_lab.workload import hunt_definition

COMMIT_S = 0.005
MARGIN_MS = 500.0  # scheduling noise on a loaded 2-core machine; an unbounded queue would add seconds
PHASES = [Phase("before", 0.5, 1.0), Phase("peak", 2.0, 2.0), Phase("after", 0.5, 2.5)]


def bound_ms(settings: dict[str, Any]) -> float:
    """Admission timeout + the batches a full mailbox holds + one in progress + the own one."""
    batches_ahead = settings["mailbox_capacity"] / settings["max_batch"] + 1
    return settings["admission_timeout_ms"] + batches_ahead * COMMIT_S * 1000 * 2 + MARGIN_MS


def assert_overload_promises(result: dict[str, Any], settings: dict[str, Any]) -> None:
    _, peak, after = result["phases"]
    context = str(result)
    assert result["depth_samples"] > 100, context
    assert result["samples_over_capacity"] == 0 and result["max_mailbox_depth"] <= settings["mailbox_capacity"], context
    assert result["max_mailbox_depth"] == settings["mailbox_capacity"], "the mailbox never filled: no overload"
    assert result["unanswered"] == 0, context
    for phase in result["phases"]:
        assert set(phase["answers"]) <= {"ack", "overloaded", HELD_BACK}, context
        assert phase["retry_after_missing"] == 0, context
    assert peak["sent"] >= 1.6 * result["capacity_per_s"] * 2.0, "the harness did not offer 2x: " + context
    assert peak["answers"].get("overloaded", 0) > 0, context
    # Bounded, not growing: an unbounded queue at 2x would add a second of wait per second of peak.
    assert peak["second_half_p99_ms"] <= 2 * peak["first_half_p99_ms"] + 250, context
    assert result["recovery_s"] is not None and result["recovery_s"] <= 2.0, context
    assert after["answers"].get("ack", 0) >= 0.5 * after["sent"], context


async def test_engine_at_twice_its_capacity_refuses_the_excess_and_bounds_the_rest(tmp_path: Path) -> None:
    settings = {"mailbox_capacity": 16, "max_batch": 8, "admission_timeout_ms": 20}
    result = await engine_overload(tmp_path / "data", engine=settings, phases=PHASES, commit_delay_s=COMMIT_S)
    assert_overload_promises(result, settings)
    assert result["phases"][1]["service_p99_ms"] <= bound_ms(settings), result
    assert result["peak_rss_mb"] < 400, result  # the harness's own records included


def assert_flow_promises(result: dict[str, Any], settings: dict[str, Any], *, queueing: bool) -> None:
    """Websocket players at 2x behind flow control: bounded, all answered, nothing refused.

    ``queueing`` players keep the peak's excess in their own queue (latency from each
    command's scheduled time then grows through the peak, by design); the others hold it back.
    """
    before, peak, after = result["phases"]
    context = repr(result)
    assert result["depth_samples"] > 100, context
    assert result["samples_over_capacity"] == 0 and result["max_mailbox_depth"] < settings["mailbox_capacity"], context
    assert result["unanswered"] == 0 and result["reconnects"] == 0, context
    for phase in (before, peak, after):
        assert set(phase["answers"]) <= {"ack", HELD_BACK}, "refused at the mailbox: " + context
    assert peak["sent"] >= 1.6 * result["capacity_per_s"] * 2.0, "the harness did not offer 2x: " + context
    # Goodput does not collapse into refusals (the probe's capacity is itself noisy here).
    assert peak["acks_per_s"] >= 0.4 * result["capacity_per_s"], context
    assert peak["service_p99_ms"] <= 1500, context
    if not queueing:
        assert peak["second_half_p99_ms"] <= 2 * peak["first_half_p99_ms"] + 250, context
    assert result["recovery_s"] is not None and result["recovery_s"] <= 2.0, context
    assert after["answers"].get("ack", 0) >= 0.5 * after["sent"], context


async def websocket_overload(tmp_path: Path, settings: dict[str, Any], *, polite: bool,
                             limits: dict[str, Any] | None = None) -> dict[str, Any]:
    disk = FaultPlan()
    disk.slow(COMMIT_S)
    async with open_local_server(tmp_path / "data", engine=settings, store={"synchronous": "FULL"},
                                 limits=limits or {}, stores=disk.stores) as server:
        assert (await server.http.post("/admin/hunts", json=hunt_definition("peak", 3))).status_code == 201
        await server.engine.submit("peak", [StartHunt(cmd="start")])
        result = await ws_phases(server.ws_url("peak"), players=48, phases=PHASES,
                                 probe=engine_probe(server.engine, "peak"), pid=os.getpid(), capacity_s=1.0,
                                 capacity_workers=2 * settings["mailbox_capacity"], polite=polite)
        result["overload_closes"] = server.ctx.connections.overload_closes
    return result


WS_SETTINGS = {"mailbox_capacity": 8, "max_batch": 4, "admission_timeout_ms": 20, "admission_queue": 8}


async def test_websocket_players_that_honour_retry_after_keep_goodput_and_the_latency_bound(tmp_path: Path) -> None:
    result = await websocket_overload(tmp_path, WS_SETTINGS, polite=True)
    assert_flow_promises(result, WS_SETTINGS, queueing=False)
    assert result["overload_closes"] == 0, "a polite client keeps its connection"


async def test_websocket_players_that_ignore_retry_after_still_get_an_answer_each(tmp_path: Path) -> None:
    # Refused at once while they should wait; not shed here (closing them with 1013 after
    # limits.overload_strikes is tests/api/test_api_ws_overload.py's), so nothing waits on a
    # reconnect: every command is answered on its connection, the bounds still hold.
    result = await websocket_overload(tmp_path, WS_SETTINGS, polite=False, limits={"overload_strikes": 1_000_000})
    assert_flow_promises(result, WS_SETTINGS, queueing=True)
    assert result["overload_closes"] == 0, result
