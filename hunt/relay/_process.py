"""The relay as a process: standalone (``hunt relay``) or the server's child (``python -m hunt.relay``).

Standalone, the relay writes cursors itself, for hunts whose writer lock it can take (no
server has them); for the others it keeps the cursor in memory and relies on reconciliation.

As the server's child it writes no cursor (the server's hunt actors do, see
:mod:`hunt.relay._embedded`). The protocol with the parent is three lines of text:

- parent -> child, stdin: one line, the JSON of ``{"server": {"data_dir"}, "store", "broker"}``;
  then nothing. End of file (the parent closed it, or died) means: save, report, exit.
- child -> parent, stdout: one JSON line of :class:`RelayStatistics` about every 0.25 s.
- stderr: the child's log, passed through to the server's.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import sys
from functools import partial
from typing import Any

import orjson

from ..config import Config
from ._outbox import save_cursor_if_unlocked
from ._relay import Relay
from ._stats import RelayStatistics

__all__ = ["child_config", "child_main", "run_standalone"]

log = logging.getLogger("hunt.relay")


def child_config(config: Config) -> bytes:
    """What a child needs of the server's config (no admin token, no listen address)."""
    return orjson.dumps({"server": {"data_dir": str(config.data_path.resolve())},
                         "store": dataclasses.asdict(config.store),
                         "broker": dataclasses.asdict(config.broker)})


async def run_standalone(config: Config) -> None:
    """``hunt relay``: run until SIGINT or SIGTERM, then save the cursors it may and return."""
    save = partial(_save, config)
    relay = Relay(config, save_cursor=save, name="hunt-relay")
    await _until_signal(relay.run())


def _save(config: Config, hunt_id: str, seq: int) -> bool:
    return save_cursor_if_unlocked(config.data_path, hunt_id, seq, config.store)


async def _until_signal(work: Any) -> None:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    assert task is not None
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    try:
        await work
    except asyncio.CancelledError:
        log.info("relay stopped")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def child_main() -> int:
    """``python -m hunt.relay``: the server's relay process."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s[relay]: %(message)s")
    line = sys.stdin.buffer.readline()
    if not line:
        return 0
    sections = orjson.loads(line)
    config = Config().replace(**sections)
    with contextlib.suppress(KeyboardInterrupt):  # a Ctrl-C meant for the server; stdin's EOF follows
        asyncio.run(_child(config))
    return 0


async def _child(config: Config) -> None:
    out = sys.stdout.buffer

    async def report(stats: RelayStatistics) -> None:
        out.write(orjson.dumps(stats.to_dict()) + b"\n")
        out.flush()

    relay = Relay(config, save_cursor=None, report=report, name="hunt-server-relay")
    async with asyncio.TaskGroup() as tasks:
        running = tasks.create_task(relay.run())
        await asyncio.to_thread(sys.stdin.buffer.read)  # returns at end of file
        running.cancel()
