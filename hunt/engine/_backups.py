"""Periodic backups inside ``hunt serve`` (``[backup] dir``, ``every_s``, ``keep``).

Each round copies every hunt into ``<dir>/hunt-backup-<UTC time>/`` (e.g. hunt-backup-20261207T120000.000Z) with
``hunt.store.backup`` on a worker thread of its own (one at a time: a backup never takes a
thread the hunts' commits need, and never overlaps the next), then keeps the newest ``keep``.
A failed round is logged and the next one is tried on schedule.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import trio

from ..config import Config
from ..store import BACKUP_PREFIX, StoreError, backup, prune_backups

__all__ = ["run_periodic_backups"]

log = logging.getLogger("hunt.backup")


async def run_periodic_backups(config: Config, *,
                               task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    """Back up every ``backup.every_s`` until cancelled; returns at once if ``backup.dir`` is empty."""
    settings = config.backup
    task_status.started()
    if not settings.dir:
        return
    limiter = trio.CapacityLimiter(1)
    folder = Path(settings.dir)
    while True:
        await trio.sleep(settings.every_s)
        now = time.time()
        stamp = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(now))}.{int(now * 1000) % 1000:03d}Z"
        dest = folder / f"{BACKUP_PREFIX}{stamp}"

        try:
            hunts, removed = await trio.to_thread.run_sync(_round, config, dest, limiter=limiter)
        except (StoreError, OSError) as err:
            log.error("periodic backup into %s failed: %s", dest, err)
            continue
        log.info("backed up %d hunt(s) into %s; removed %d old backup(s)", hunts, dest, len(removed))


def _round(config: Config, dest: Path) -> tuple[int, list[Path]]:
    manifest = backup(config.data_path, dest)
    return len(manifest["hunts"]), prune_backups(dest.parent, config.backup.keep)
