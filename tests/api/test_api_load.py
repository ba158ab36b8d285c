"""The event loop's lag (hunt/api/_load.py): a standing queue shows, and is reported in /metrics."""

from __future__ import annotations

import time

import trio

from hunt.api._load import WINDOW_S, LoopLag
from tests.support.api import Server


async def test_a_busy_loop_shows_as_lag_and_a_single_spike_does_not_stay() -> None:
    lag = LoopLag()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lag.run)
        await trio.sleep(3 * WINDOW_S)
        assert lag.lag_s < 0.02
        # A standing queue: every pass over the runnable tasks takes 30 ms, for several windows.
        until = trio.current_time() + 4 * WINDOW_S
        while trio.current_time() < until:
            time.sleep(0.03)
            await trio.lowlevel.checkpoint()
        assert lag.lag_s >= 0.02 and lag.max_lag_s >= 0.03
        await trio.sleep(3 * WINDOW_S)
        assert lag.lag_s < 0.02, "the lag of an idle loop is back near zero"
        time.sleep(0.05)  # one spike
        await trio.sleep(2 * WINDOW_S)
        assert lag.lag_s < 0.02 and lag.max_lag_s >= 0.05
        nursery.cancel_scope.cancel()


async def test_metrics_report_the_lag(server: Server) -> None:
    metrics = (await server.http.get("/metrics")).text
    for name in ("hunt_event_loop_lag_seconds", "hunt_event_loop_lag_max_seconds", "hunt_ws_overload_closes_total"):
        assert f"\n{name} " in metrics
