"""What ``hunt serve`` checks before it starts, and all of ``hunt serve --check``.

At every start: drafts left by a create or an import that died are removed, and a data dir
or hunt file that other users can read is named in a warning (hunt files hold answers and
join secrets). ``--check`` goes further and stops at the first start-up that would fail:
the configuration, the admin token on a public address, the data dir (it exists or can be
made, we can write it, only we can read it, every hunt file opens), the port, and the
broker when ``broker.url`` is set. Each problem is one line saying what to do.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from pathlib import Path

from ..api._startup import exposure_problem
from ..config import Config
from ..store import SqliteHuntStore, StoreError, hunt_ids, insecure_paths, remove_drafts

__all__ = ["check_startup", "prepare_data_dir"]

log = logging.getLogger("hunt.serve")


def prepare_data_dir(config: Config) -> None:
    """Remove dead drafts and warn about files others can read (blocking; call before serving)."""
    for draft in remove_drafts(config.data_path):
        log.warning("removed %s: a create or import that did not finish", draft)
    for path, mode in insecure_paths(config.data_path):
        log.warning("%s has mode %o: other users can read hunt secrets; chmod %s %s", path, mode,
                    "700" if path.is_dir() else "600", path)


def check_startup(config: Config) -> list[str]:
    """Every problem that would stop or weaken a start with ``config``; empty when all is well."""
    problems = []
    server = config.server
    exposure = exposure_problem(config)  # a public address needs an admin token of 32+ characters
    if exposure is not None:
        problems.append(exposure)
    problems += _data_dir_problems(config.data_path)
    problems += _port_problems(server.host, server.port)
    if config.broker.url:
        problem = _broker_problem(config)
        if problem:
            problems.append(problem)
    return problems


def _data_dir_problems(data_dir: Path) -> list[str]:
    if not data_dir.exists():
        parent = data_dir.resolve().parent
        while not parent.exists():
            parent = parent.parent
        if not os.access(parent, os.W_OK | os.X_OK):
            return [f"data dir {data_dir} does not exist and cannot be created in {parent}"]
        return []
    if not data_dir.is_dir():
        return [f"data dir {data_dir} is not a directory"]
    problems = []
    for folder in (data_dir, data_dir / "hunts"):
        if folder.is_dir() and not os.access(folder, os.R_OK | os.W_OK | os.X_OK):
            problems.append(f"{folder} is not writable by this user (uid {os.getuid()})")
    for path, mode in insecure_paths(data_dir):
        problems.append(f"{path} has mode {mode:o}, readable by other users: chmod "
                        f"{'700' if path.is_dir() else '600'} {path}")
    for hunt_id in hunt_ids(data_dir):
        try:
            SqliteHuntStore.open_reader(data_dir, hunt_id).close()
        except StoreError as err:
            problems.append(f"hunt {hunt_id}: {err}")
    return problems


def _port_problems(host: str, port: int) -> list[str]:
    if port == 0:
        return []
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        return [f"server.host {host!r} does not resolve: {err}"]
    family, type_, proto, _, address = infos[0]
    with socket.socket(family, type_, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as err:
            return [f"cannot listen on {host}:{port}: {err.strerror}"]
    return []


def _broker_problem(config: Config) -> str | None:
    import nats

    broker = config.broker

    async def quiet(err: Exception) -> None:
        pass  # the failure is reported once, below

    async def probe() -> None:
        connection = await nats.connect(broker.url, allow_reconnect=False, max_reconnect_attempts=0,
                                        connect_timeout=broker.connect_timeout_s, error_cb=quiet)
        try:
            await connection.jetstream().account_info()
        finally:
            await connection.close()

    try:
        asyncio.run(asyncio.wait_for(probe(), broker.connect_timeout_s * 2))
    except Exception as err:  # nats-py raises OSError, TimeoutError or its own errors
        return f"broker {broker.url}: not reachable or without JetStream: {err!r}"
    return None
