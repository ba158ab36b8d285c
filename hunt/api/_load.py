"""The event loop's lag: how late a task that asked to wake up is woken.

Every websocket frame, HTTP request and hunt actor shares one thread's event loop. When work
arrives faster than that thread gets through it, tasks queue for it, and the time one pass
over the runnable tasks takes (the lag) grows; a hunt's mailbox can look empty meanwhile.
:class:`LoopLag` samples it every ``TICK_S`` and keeps, like CoDel, the *smallest* lag of
each ``WINDOW_S`` window (a spike such as a garbage collection raises a few samples, a
standing queue raises all of them) and the largest single sample. ``/metrics`` reports both.
"""

from __future__ import annotations

import math

import trio

__all__ = ["TICK_S", "WINDOW_S", "LoopLag"]

TICK_S = 0.01  # how often the lag is sampled (each sample is a timer: keep them few)
WINDOW_S = 0.1  # the standing lag is the smallest sample of a window this long


class LoopLag:
    """Run :meth:`run` in a nursery; read :attr:`lag_s` and :attr:`max_lag_s`."""

    def __init__(self) -> None:
        self.lag_s = 0.0  # the smallest lag of the last full window
        self.max_lag_s = 0.0  # the largest single sample so far

    async def run(self) -> None:
        window_end, window_min = trio.current_time() + WINDOW_S, math.inf
        while True:
            before = trio.current_time()
            await trio.sleep(TICK_S)
            now = trio.current_time()
            lag = max(0.0, now - before - TICK_S)
            self.max_lag_s = max(self.max_lag_s, lag)
            window_min = min(window_min, lag)
            if now >= window_end:
                self.lag_s = window_min
                window_end, window_min = now + WINDOW_S, math.inf
