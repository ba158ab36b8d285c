"""The relay inside the server: a supervised child process, and the cursors through the actors.

Start it in the server's nursery, inside ``open_engine``, when ``config.broker.url`` is set::

    relay = await nursery.start(run_relay, config, engine)
    relay.statistics()  # -> RelayStatistics, for /metrics (see hunt.relay.RelayCollector)

The relay loop runs in a child process (``python -m hunt.relay``; why a process and not a
thread is in :mod:`hunt.relay._relay`). This Trio side only restarts it when it dies, reads
its statistics line by line, and writes each hunt's cursor through the hunt's actor (the only
writer of the file; ``Engine.save_relay_cursor``), at most once per ``broker.cursor_interval_s``
and only while the hunt is active: a passivated hunt is not woken up for its cursor, which
then trails until the hunt is active again (reconciliation makes that harmless).

Players never wait for any of it: their acks depend on SQLite only, and the child reads the
committed events through read-only connections of its own.
"""

from __future__ import annotations

import dataclasses
import logging
import subprocess
import sys

import orjson
import trio

from actors import ActorError

from ..config import Config
from ..engine import Engine
from ..store import StoreError
from ._process import child_config
from ._stats import RelayStatistics

__all__ = ["EmbeddedRelay", "run_relay"]

log = logging.getLogger("hunt.relay")

MIN_RESTART_S = 0.5
STOP_TIMEOUT_S = 5.0
MAX_LINE = 1 << 24


class EmbeddedRelay:
    """The server's handle on its relay process. Create it with :func:`run_relay`."""

    def __init__(self, config: Config, engine: Engine) -> None:
        self.config = config
        self.engine = engine
        self._stats = RelayStatistics.initial(config.broker.url, config.broker.stream)
        self._running = False
        self._saved: dict[str, int] = {}
        self.restarts = 0

    def statistics(self) -> RelayStatistics:
        """The relay's last report (per-hunt lag included); state ``stopped`` while no process runs."""
        if self._running or self._stats.state == "disabled":
            return self._stats
        return dataclasses.replace(self._stats, state="stopped")

    async def run(self, *, task_status: trio.TaskStatus[EmbeddedRelay] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started(self)
        backoff = MIN_RESTART_S
        while True:
            started = trio.current_time()
            try:
                code = await self._run_child()
                log.warning("the relay process exited with code %s; restarting", code)
            except OSError as err:
                log.warning("cannot start the relay process: %s", err)
            if trio.current_time() - started > 60:
                backoff = MIN_RESTART_S
            self.restarts += 1
            await trio.sleep(backoff)
            backoff = min(backoff * 2, max(self.config.broker.retry_backoff_max_s, MIN_RESTART_S))

    async def _run_child(self) -> int:
        process = await trio.lowlevel.open_process(
            [sys.executable, "-m", "hunt.relay"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            start_new_session=True)  # a Ctrl-C for the server must not reach it: we stop it ourselves
        assert process.stdin is not None and process.stdout is not None
        self._running = True
        try:
            await process.stdin.send_all(child_config(self.config) + b"\n")
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._save_cursors_forever)
                await self._read_reports(process.stdout)
                nursery.cancel_scope.cancel()
            return await process.wait()
        finally:
            self._running = False
            with trio.CancelScope(shield=True):
                await self._stop(process)
                await self._save_cursors()

    async def _stop(self, process: trio.Process) -> None:
        """End of file on its stdin: the child saves its status and exits; kill it if it does not."""
        assert process.stdin is not None and process.stdout is not None
        try:
            await process.stdin.aclose()
        except trio.BrokenResourceError:
            pass
        with trio.move_on_after(STOP_TIMEOUT_S):
            await self._read_reports(process.stdout)  # the last report, and no full pipe
            await process.wait()
        if process.returncode is None:
            log.warning("the relay process did not stop within %s s: killed", STOP_TIMEOUT_S)
            process.kill()
            await process.wait()

    async def _read_reports(self, stdout: trio.abc.ReceiveStream) -> None:
        pending = b""
        try:
            async for chunk in stdout:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                if lines:
                    self._take(lines[-1])
                if len(pending) > MAX_LINE:
                    raise ValueError("the relay process wrote an overlong line")
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            pass

    def _take(self, line: bytes) -> None:
        try:
            self._stats = RelayStatistics.from_dict(orjson.loads(line))
        except (orjson.JSONDecodeError, TypeError, ValueError):
            log.warning("unreadable report from the relay process: %r", line[:200])

    async def _save_cursors_forever(self) -> None:
        while True:
            await trio.sleep(self.config.broker.cursor_interval_s)
            await self._save_cursors()

    async def _save_cursors(self) -> None:
        for lag in self._stats.hunts:
            saved = max(self._saved.get(lag.hunt, 0), lag.cursor)
            if lag.published <= saved:
                continue
            try:
                if not await self.engine.save_relay_cursor(lag.hunt, lag.published):
                    continue  # not loaded: not woken up for its cursor
            except (ActorError, StoreError) as err:
                log.debug("hunt %s: relay cursor not saved this time: %r", lag.hunt, err)
                continue
            self._saved[lag.hunt] = lag.published


async def run_relay(config: Config, engine: Engine, *,
                    task_status: trio.TaskStatus[EmbeddedRelay] = trio.TASK_STATUS_IGNORED) -> None:
    """Run the outbox relay for ``engine``'s hunts until cancelled; ``started()`` hands back its handle.

    ``relay = await nursery.start(run_relay, config, engine)``, inside ``open_engine`` (so the
    last cursors still reach the actors on shutdown). Never raises for broker trouble. With no
    ``broker.url`` it hands back a handle whose state is ``disabled`` and returns at once.
    """
    relay = EmbeddedRelay(config, engine)
    if not config.broker.url:
        relay._stats = dataclasses.replace(relay._stats, state="disabled")
        log.info("no broker.url: the outbox relay is off")
        task_status.started(relay)
        return
    await relay.run(task_status=task_status)
