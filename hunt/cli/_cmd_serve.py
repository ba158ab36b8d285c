"""``hunt serve``: run the server (player websocket, admin HTTP, pages) inside an engine.

Structured shutdown: the server runs inside the engine's block. On SIGINT or SIGTERM the
server stops accepting, closes websockets (1001) and finishes requests in flight; then the
engine drains every mailbox, writes final snapshots and closes the hunt files.

On SIGHUP the configuration is read again (file, then environment, then the original flags)
and what can change safely while serving takes effect at once: ``[logging]`` and the admin
token (``server.admin_token``, or the ``admin.token`` file when that is empty). Any other
changed key is named in a warning and waits for a restart; an invalid file changes nothing.
``--check`` validates everything a start needs and exits (see ``_checks``).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import trio

from ..api import ApiContext, Secrets, app_context, create_app, load_secrets, serve
from ..api._startup import (
    DataDirLocked,
    durability_warnings,
    exposure_problem,
    hold_data_dir,
    raise_open_files_limit,
)
from ..cluster import open_bus, serve_owner
from ..config import Config, ConfigError
from ..engine import open_engine, run_periodic_backups
from ..relay import RelayCollector, read_analytics, run_relay
from ._checks import check_startup, prepare_data_dir
from ._cluster import cluster_problem, main_cluster
from ._common import add_config_options, config_from_args
from ._logging import configure_logging
from ._sample import SAMPLE_CREWS, SAMPLE_HUNT, ensure_sample
from ._workers import OWNER, open_nats, reuseport_sockets, spawn_gateways

__all__ = ["SAMPLE_HUNT", "ensure_sample", "register"]

log = logging.getLogger("hunt.serve")

def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve", help="run the server: player websocket, admin HTTP API and pages",
        description="Run the server. Prints `listening on http://HOST:PORT` once it accepts connections.")
    add_config_options(parser, network=True)
    parser.add_argument("--sample", action="store_true",
                        help="create and start the sample hunt (harbor-2026) if it does not exist yet")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="gateway processes sharing the port (default from config: 1, one process "
                             "and no broker; N > 1 needs nats-server or workers.nats_url)")
    parser.add_argument("--cluster", metavar="NATS_URL",
                        help="run as one node of a cluster on this NATS cluster (JetStream; comma-separate "
                             "several servers); needs --node; see docs/cluster.md")
    parser.add_argument("--node", metavar="NAME", help="this node's name in the cluster (unique)")
    parser.add_argument("--check", action="store_true",
                        help="check the config, the data dir (permissions, hunt files), the port and the broker, "
                             "then exit: 0 if a start would succeed, 1 with the problems otherwise")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        print("hunt serve: --workers must be at least 1", file=sys.stderr)
        return 2
    cluster = {key: value for key, value in (("nats_url", getattr(args, "cluster", None)),
                                             ("node", getattr(args, "node", None))) if value}
    config = config_from_args(args, **({"workers": {"count": args.workers}} if args.workers else {}),
                              **({"cluster": cluster} if cluster else {}))
    if args.check:
        return _check(config)
    configure_logging(config.logging, verbose=args.verbose)  # the process's logging, from here on
    problem = exposure_problem(config)
    if problem is not None:
        print(f"hunt serve: {problem}", file=sys.stderr)
        return 2
    if config.cluster.nats_url and (problem := cluster_problem(config)) is not None:
        print(f"hunt serve: {problem}", file=sys.stderr)
        return 2
    reload = partial(_reload, partial(config_from_args, args), args.verbose)
    try:
        with hold_data_dir(config.data_path):  # one server per data dir: no split views
            prepare_data_dir(config)
            secrets = load_secrets(config)
            for warning in durability_warnings(config):
                log.warning("%s", warning)
            soft, _ = raise_open_files_limit(config)
            log.info("open files limit: %d", soft)
            if config.cluster.nats_url:
                trio.run(main_cluster, config, secrets, args.sample, _announce)
            elif config.workers.count == 1:
                trio.run(_main, config, secrets, args.sample, reload)
            else:
                trio.run(_main_workers, config, secrets, args.sample)
    except (DataDirLocked, ValueError) as err:  # ValueError: a secret or key file that cannot be read
        print(f"hunt serve: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"hunt serve: cannot listen on {config.server.host}:{config.server.port}: {err}", file=sys.stderr)
        return 2
    return 0


def _check(config: Config) -> int:
    problems = check_startup(config)
    for problem in problems:
        print(f"hunt serve --check: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"hunt serve --check: ok (data dir {config.data_path}, {config.server.host}:{config.server.port}"
          f"{', broker ' + config.broker.url if config.broker.url else ''})")
    return 0


async def _main(config: Config, secrets: Secrets, sample: bool, reload: Callable[[ApiContext], None]) -> None:
    # Open the receiver first, so a signal during start-up is a clean shutdown too.
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM, signal.SIGHUP) as signals:

        async def stop_on_signal() -> None:
            async for signum in signals:
                if signum == signal.SIGHUP:
                    reload(app_context(app))  # a small file read: not worth a thread
                    continue
                log.info("%s: shutting down", signal.Signals(signum).name)
                return

        async with open_engine(config) as engine, trio.open_nursery() as background:
            # The relay lives inside the engine's block and stops after the server, so its last
            # cursors still reach the hunt actors; without broker.url it is a disabled handle.
            relay = await background.start(run_relay, config, engine)
            await background.start(run_periodic_backups, config)  # returns at once without backup.dir
            app = create_app(config, engine, secrets=secrets, collectors=(RelayCollector(relay.statistics),),
                             analytics=partial(read_analytics, config.data_path))
            sample_id = await ensure_sample(engine) if sample else None
            async with trio.open_nursery() as nursery:
                port = await nursery.start(partial(serve, config, engine, app=app, shutdown_trigger=stop_on_signal))
                _announce(config, secrets, port, sample_id)
            background.cancel_scope.cancel()
        log.info("stopped: mailboxes drained, snapshots written")


async def _main_workers(config: Config, secrets: Secrets, sample: bool) -> None:
    """The owner of every hunt, with ``workers.count`` gateway processes (see ``_workers``)."""
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals, \
            tempfile.TemporaryDirectory(prefix="hunt-workers-") as scratch:
        sockets = reuseport_sockets(config.server.host, config.server.port, config.workers.count)
        port = sockets[0].getsockname()[1]
        try:
            async with open_nats(config, Path(scratch)) as nats_url, open_bus(nats_url, OWNER) as bus, \
                    open_engine(config) as engine, trio.open_nursery() as background:
                await background.start(run_relay, config, engine)
                await background.start(serve_owner, config, engine, bus, OWNER)
                sample_id = await ensure_sample(engine) if sample else None
                stopping = trio.Event()
                async with trio.open_nursery() as nursery:
                    pids = await nursery.start(spawn_gateways, config, sockets, nats_url, stopping)
                    log.info("owner %d, gateways %s", os.getpid(), pids)
                    _announce(config, secrets, port, sample_id)
                    async for signum in signals:
                        log.info("%s: shutting down the gateways, then the owner", signal.Signals(signum).name)
                        break
                    stopping.set()
                background.cancel_scope.cancel()
        finally:
            for sock in sockets:
                sock.close()
        log.info("stopped: gateways gone, mailboxes drained, snapshots written")


def _reload(load: Callable[[], Config], verbose: bool, ctx: ApiContext) -> None:
    """Apply what can change while serving (logging, the admin token); name the rest."""
    current = ctx.engine.config
    try:
        new = load()
        secrets = load_secrets(new)
    except (ConfigError, OSError, ValueError) as err:
        log.error("SIGHUP: configuration not reloaded, nothing changed: %s", err)
        return
    configure_logging(new.logging, verbose=verbose)
    ctx.engine.config = dataclasses.replace(current, logging=new.logging)
    token_changed = secrets.admin_token != ctx.admin_token
    ctx.admin_token = secrets.admin_token
    waiting = [f"{section}.{key}" for section, key in _differences(current, new)
               if section != "logging" and (section, key) != ("server", "admin_token")]
    if waiting:
        log.warning("SIGHUP: %s changed: restart to apply", ", ".join(waiting))
    log.info("SIGHUP: configuration reloaded (logging %s/%s%s)", new.logging.format, new.logging.level,
             ", new admin token" if token_changed else "")


def _differences(old: Config, new: Config) -> list[tuple[str, str]]:
    return [(section.name, key.name)
            for section in dataclasses.fields(old)
            for key in dataclasses.fields(getattr(old, section.name))
            if getattr(getattr(old, section.name), key.name) != getattr(getattr(new, section.name), key.name)]


def _announce(config: Config, secrets: Secrets, port: int, sample_id: str | None) -> None:
    host = config.server.host
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    base = f"http://{shown}:{port}"
    lines = [f"listening on {base}"]
    if secrets.admin_token_path is not None:
        where = f"the admin token is in {secrets.admin_token_path}"
    else:
        where = "the admin token is the one configured (HUNT_ADMIN_TOKEN or server.admin_token)"
    lines.append(f"  admin page:  {base}/admin  ({where})")
    hunt_id = sample_id or "<hunt_id>"
    lines.append(f"  player page: {base}/play/{hunt_id}")
    lines.append(f"  websocket:   ws://{shown}:{port}/ws/hunts/{hunt_id}")
    lines.append(f"  join:        hunt ws ws://{shown}:{port}/ws/hunts/{hunt_id} --join Ann")
    if sample_id is not None:
        lines.append(f"  in crews:    {base}/play/{SAMPLE_CREWS}  (crew Gulls' code is on the admin page)")
    print("\n".join(lines), flush=True)
