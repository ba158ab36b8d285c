"""Offline tools on a data dir: ``verify``, ``export``, ``import``, ``inspect``.

They read hunt files through read-only connections (safe beside a running server: WAL
readers never block or corrupt the writer) and ``import`` only ever creates a new file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..domain import HuntState
from ..engine import import_hunt, verify_hunt, wall_clock_ms
from ..store import SqliteHuntStore, StoreError, hunt_ids, record_to_dict
from ._common import add_config_options, config_from_args, console, err_console
from ._media_files import MediaCopy, copy_media_in, copy_media_out

EXPORT_CHUNK = 5000


def register(subparsers: argparse._SubParsersAction) -> None:
    verify = subparsers.add_parser(
        "verify", help="check that a full replay equals every snapshot (exit 1 if not)",
        description="Replays each hunt's log from zero and compares it with every stored snapshot.")
    add_config_options(verify)
    verify.add_argument("hunts", nargs="*", metavar="HUNT", help="hunt ids (default: every hunt)")
    verify.add_argument("--json", action="store_true", help="print the reports as JSON")
    verify.set_defaults(func=_verify)

    export = subparsers.add_parser("export", help="write a hunt's events as NDJSON (one event a line)")
    add_config_options(export)
    export.add_argument("hunt", metavar="HUNT")
    export.add_argument("-o", "--output", metavar="FILE", help="output file (default: standard output)")
    export.add_argument("--media", metavar="DIR",
                        help="also copy the mission photos and videos the events name into DIR (one file per SHA-256)")
    export.set_defaults(func=_export)

    imp = subparsers.add_parser("import", help="create a hunt from an NDJSON export")
    add_config_options(imp)
    imp.add_argument("file", metavar="FILE", help="NDJSON file, or - for standard input")
    imp.add_argument("--media", metavar="DIR", help="copy the mission media the events name from DIR (as exported)")
    imp.set_defaults(func=_import)

    inspect = subparsers.add_parser("inspect", help="summary, event counts and leaderboard of a hunt")
    add_config_options(inspect)
    inspect.add_argument("hunt", metavar="HUNT", nargs="?", help="hunt id (default: list every hunt)")
    inspect.add_argument("--top", type=int, default=10, help="leaderboard rows (default 10)")
    inspect.add_argument("--json", action="store_true", help="print JSON instead of tables")
    inspect.set_defaults(func=_inspect)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,} events"),
                    TimeElapsedColumn(), console=err_console, transient=False)


def _verify(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    ids = args.hunts or hunt_ids(config.data_path)
    if not ids:
        err_console.print(f"no hunts in {config.data_path}")
        return 0
    reports = []
    for hunt_id in ids:
        try:
            report = verify_hunt(config.data_path, hunt_id, future_tolerance_s=config.store.future_tolerance_s)
        except StoreError as err:
            report = {"hunt": hunt_id, "ok": False, "events": 0, "snapshots_checked": 0, "problems": [str(err)]}
        reports.append(report)
        if not args.json:
            mark = "[green]ok[/]" if report["ok"] else "[red]FAILED[/]"
            console.print(f"{hunt_id}: {mark} — {report['events']:,} events replayed, "
                          f"{report['snapshots_checked']} snapshots compared")
            for problem in report["problems"]:
                console.print(f"  [red]•[/] {problem}")
    if args.json:
        print(orjson.dumps(reports).decode())
    return 0 if all(r["ok"] for r in reports) else 1


def _export(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    try:
        reader = SqliteHuntStore.open_reader(config.data_path, args.hunt)
    except StoreError as err:
        err_console.print(f"hunt export: {err}")
        return 2
    out = open(args.output, "wb") if args.output else sys.stdout.buffer
    try:
        total = reader.last_seq()
        with _progress() as progress:
            task = progress.add_task(f"exporting {args.hunt}", total=total)
            after = 0
            while True:
                chunk = list(reader.read(after=after, limit=EXPORT_CHUNK))
                if not chunk:
                    break
                out.write(b"".join(orjson.dumps(record_to_dict(r)) + b"\n" for r in chunk))
                after = chunk[-1].seq
                progress.update(task, completed=after)
        report = copy_media_out(config.data_path, args.hunt, reader, Path(args.media)) if args.media else None
    finally:
        reader.close()
        if args.output:
            out.close()
        else:
            out.flush()
    return _media_report("export", report)


def _import(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    source = sys.stdin.buffer if args.file == "-" else None
    try:
        handle = source or open(args.file, "rb")
    except OSError as err:
        err_console.print(f"hunt import: {err}")
        return 2
    try:
        with _progress() as progress:
            task = progress.add_task("importing", total=None)
            hunt_id = import_hunt(config.data_path, handle, config.store,
                                  lambda seq: progress.update(task, completed=seq))
    except StoreError as err:
        err_console.print(f"hunt import: {err}")
        return 1
    finally:
        if source is None:
            handle.close()
    console.print(f"imported hunt [bold]{hunt_id}[/] into {config.data_path}")
    return _media_report("import", copy_media_in(config.data_path, hunt_id, Path(args.media)) if args.media else None)


def _media_report(command: str, report: MediaCopy | None) -> int:
    """Say what was copied; exit 1 if a file an event names is missing or does not match its hash."""
    if report is None:
        return 0
    err_console.print(f"hunt {command}: media: {report.copied} copied, {report.present} already there, "
                      f"{len(report.missing)} missing, {len(report.corrupt)} not matching their hash")
    for digest in report.missing[:10]:
        err_console.print(f"  missing: {digest}")
    for digest in report.corrupt[:10]:
        err_console.print(f"  not matching its hash (skipped): {digest}")
    return 1 if report.missing or report.corrupt else 0


def _inspect(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if args.hunt is None:
        return _list(config.data_path, args.json)
    try:
        reader = SqliteHuntStore.open_reader(config.data_path, args.hunt)
        try:
            state, replayed = reader.load()
            counts = reader.counts()
            cursor = reader.get_meta("relay_cursor")
        finally:
            reader.close()
    except StoreError as err:
        err_console.print(f"hunt inspect: {err}")
        return 2
    if state is None:
        err_console.print(f"hunt inspect: {args.hunt} has an empty log")
        return 1
    summary = _summary(state, counts, replayed, cursor, args.top)
    relay = _relay_lag(config.data_path, args.hunt)
    summary["relay"] = relay
    if args.json:
        print(orjson.dumps(summary).decode())
        return 0
    console.print(f"[bold]{state.definition.title}[/] ({state.definition.id}) — {summary['status']}, "
                  f"{summary['players']} players, seq {state.seq:,}")
    console.print(f"file {summary['file_bytes']:,} bytes, {counts['snapshots']} snapshots "
                  f"(last at seq {counts['last_snapshot_seq']:,}; {replayed:,} events replayed to load)")
    if relay is not None:
        console.print(f"relay ({relay['state']}, reported {relay['age_s']:.1f} s ago): published up to seq "
                      f"{relay['published']:,}, {relay['lag_events']:,} events / {relay['lag_s']:.3f} s behind "
                      f"(cursor in the file: {relay['cursor']:,})")
    elif cursor is not None:
        console.print(f"relay: published up to seq {int(cursor):,} ({state.seq - int(cursor):,} events behind)")
    table = Table(title="events by type")
    table.add_column("type")
    table.add_column("count", justify="right")
    for type_, n in sorted(state.counts.items()):
        table.add_row(type_, f"{n:,}")
    console.print(table)
    board = Table(title=f"leaderboard (top {args.top})")
    for column in ("rank", "player", "name", "score"):
        board.add_column(column, justify="right" if column in ("rank", "score") else "left")
    for row in summary["leaderboard"]:
        board.add_row(str(row["rank"]), row["player"], row["name"], str(row["score"]))
    console.print(board)
    return 0


def _relay_lag(data_dir: Path, hunt_id: str) -> dict[str, Any] | None:
    """The hunt's lag as the last running relay reported it (see docs/relay.md), or None."""
    from ..relay import read_relay_status

    status = read_relay_status(data_dir)
    lag = status.hunt(hunt_id) if status is not None else None
    if status is None or lag is None:
        return None
    return {"state": status.state, "age_s": round(time.time() - status.updated_ts, 1), "published": lag.published,
            "cursor": lag.cursor, "lag_events": lag.lag_events, "lag_s": lag.lag_s}


def _summary(state: HuntState, counts: dict[str, Any], replayed: int, cursor: str | None, top: int) -> dict[str, Any]:
    return {
        "id": state.definition.id, "title": state.definition.title, "status": state.status_at(wall_clock_ms()),
        "seq": state.seq, "players": len(state.players), "counts": dict(state.counts), **counts,
        "replayed_on_load": replayed, "relay_cursor": None if cursor is None else int(cursor),
        "relay_lag_events": None if cursor is None else state.seq - int(cursor),
        "leaderboard": state.top(top),
    }


def _list(data_dir: Path, as_json: bool) -> int:
    rows = []
    for hunt_id in hunt_ids(data_dir):
        try:
            reader = SqliteHuntStore.open_reader(data_dir, hunt_id)
            try:
                rows.append({"id": hunt_id, **reader.counts()})
            finally:
                reader.close()
        except StoreError as err:
            rows.append({"id": hunt_id, "error": str(err)})
    if as_json:
        print(orjson.dumps(rows).decode())
        return 0
    table = Table(title=f"hunts in {data_dir}")
    for column in ("id", "events", "snapshots", "file bytes"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["id"], f"{row.get('events', '?'):,}" if "events" in row else row.get("error", "?"),
                      str(row.get("snapshots", "")), f"{row.get('file_bytes', 0):,}")
    console.print(table)
    return 0
