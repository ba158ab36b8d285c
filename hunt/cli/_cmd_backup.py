"""``hunt backup`` and ``hunt restore``: consistent copies of hunt files, taken while serving.

See hunt/store/_backup.py for how a copy stays consistent beside a running server, and
docs/operations.md for the routine (periodic backups in ``[backup]``, restore drills).
"""

from __future__ import annotations

import argparse

from ..store import StoreError, backup, restore
from ._common import add_config_options, config_from_args, console, err_console


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "backup", help="copy every hunt file (or some) into a new directory, safely while the server runs",
        description="Takes a consistent copy of each hunt file (SQLite VACUUM INTO through a read-only "
                    "connection: the server keeps acking) and writes DEST/manifest.json with each hunt's "
                    "last seq and SHA-256. DEST must not exist or be empty.")
    add_config_options(parser)
    parser.add_argument("dest", metavar="DEST", help="new directory for the copies and the manifest")
    parser.add_argument("--hunt", action="append", metavar="ID", help="only this hunt (repeatable)")
    parser.set_defaults(func=_backup)

    parser = subparsers.add_parser(
        "restore", help="put hunts from a backup directory back into the data dir",
        description="Checks every copy against the manifest first. Refuses a hunt a running server has "
                    "loaded (stop the server), and a hunt that exists unless --force, which keeps the "
                    "existing file beside it as <id>.sqlite3.replaced-<time> (never deleted).")
    add_config_options(parser)
    parser.add_argument("source", metavar="BACKUP", help="a directory written by `hunt backup`")
    parser.add_argument("--hunt", action="append", metavar="ID", help="only this hunt (repeatable)")
    parser.add_argument("--force", action="store_true", help="replace existing hunts (the old files are kept aside)")
    parser.set_defaults(func=_restore)


def _backup(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    try:
        manifest = backup(config.data_path, args.dest, args.hunt)
    except StoreError as err:
        err_console.print(f"hunt backup: {err}")
        return 1
    for entry in manifest["hunts"]:
        console.print(f"{entry['hunt']}: seq {entry['last_seq']:,}, {entry['bytes']:,} bytes")
    console.print(f"backup of {len(manifest['hunts'])} hunt(s) in {args.dest}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    try:
        restored = restore(args.source, config.data_path, args.hunt, force=args.force)
    except StoreError as err:
        err_console.print(f"hunt restore: {err}")
        return 1
    for entry in restored:
        console.print(f"restored {entry['hunt']} at seq {entry['last_seq']:,} into {config.data_path}")
    console.print("check them with: hunt verify")
    return 0
