"""Checks and preparations before a server accepts anyone (``hunt serve`` calls them in order).

- :func:`exposure_problem`: a public address needs a strong admin token (32+ characters);
- :func:`hold_data_dir`: one server per data directory (an OS lock on ``<data_dir>/server.lock``),
  so two servers never serve split views of the same hunts;
- :func:`raise_open_files_limit`: the soft descriptor limit raised to the hard one, so a
  connection flood meets ``limits.connections`` before the process runs out of descriptors
  (and hunt files can still be opened);
- :func:`durability_warnings`: settings that weaken "an ack means durable", logged at start.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from ..config import Config
from ._address import is_loopback

__all__ = [
    "MIN_PUBLIC_TOKEN_CHARS",
    "DataDirLocked",
    "durability_warnings",
    "exposure_problem",
    "hold_data_dir",
    "raise_open_files_limit",
]

log = logging.getLogger("hunt.serve")

MIN_PUBLIC_TOKEN_CHARS = 32
LOCK_FILE = "server.lock"
# Descriptors a server needs besides its connections: hunt files (a database, its WAL and
# shared memory each), logs, the broker, the interpreter's own.
SPARE_FILES = 256


class DataDirLocked(Exception):
    """Raised when another server already holds the data directory."""


def exposure_problem(config: Config) -> str | None:
    """Why this config must not listen where it would, or None when it may."""
    server = config.server
    if is_loopback(server.host):
        return None
    if not server.admin_token:
        return (f"server.host {server.host} is public but there is no admin token: "
                "set HUNT_ADMIN_TOKEN or server.admin_token")
    if len(server.admin_token) < MIN_PUBLIC_TOKEN_CHARS:
        return (f"server.host {server.host} is public but the admin token has {len(server.admin_token)} "
                f"characters: a public address needs at least {MIN_PUBLIC_TOKEN_CHARS} "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
    return None


@contextlib.contextmanager
def hold_data_dir(data_dir: Path) -> Iterator[None]:
    """Hold ``<data_dir>/server.lock`` for the block; raise DataDirLocked if a server holds it.

    The lock is the kernel's (flock), so it goes with the process: a killed server leaves
    nothing to clean up. The file records the holder's pid for the error message.
    """
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise DataDirLocked(f"another server (pid {holder}) is serving {data_dir}; "
                                "stop it first, or give this one another --data-dir") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def raise_open_files_limit(config: Config) -> tuple[int, int]:
    """Raise the soft RLIMIT_NOFILE to the hard limit; return (soft, hard) as they end up.

    Logs a warning when even the hard limit leaves too few descriptors for
    ``limits.connections`` plus :data:`SPARE_FILES`.
    """
    import resource  # Unix only, like the rest of the server

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        target = max(soft, 1 << 20) if soft != resource.RLIM_INFINITY else soft
    else:
        target = hard
    if soft != resource.RLIM_INFINITY and target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as err:
            log.warning("could not raise the open files limit from %d to %d: %s", soft, target, err)
    needed = config.limits.connections + SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < needed:
        log.warning("the open files limit (%d) is below limits.connections + %d spare (%d): lower "
                    "limits.connections or raise the hard limit (ulimit -Hn, LimitNOFILE=)", soft, SPARE_FILES, needed)
    return soft, hard


def durability_warnings(config: Config) -> list[str]:
    """What in this config weakens the promise that an acked event survives a crash."""
    warnings = []
    synchronous = config.store.synchronous.upper()
    if synchronous == "OFF":
        warnings.append("store.synchronous is OFF: acked events can be lost if the process or the machine "
                        "crashes; use FULL (the default) in production")
    elif synchronous == "NORMAL":
        warnings.append("store.synchronous is NORMAL: the last acked events can be lost if the machine loses "
                        "power; use FULL (the default) in production")
    return warnings
