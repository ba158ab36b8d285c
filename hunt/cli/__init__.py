"""``hunt``: the developer's front door (serve, demo, run, simulate, bench, verify, export, ...).

Each sub-command lives in a module of this package that defines ``register(subparsers)``;
``register`` adds a parser whose ``func`` default is called with the parsed arguments and
returns the exit code. Other packages add commands through the ``hunt.commands`` entry point
group (a ``register`` function); that is how the lab's ``bench``, ``simulate`` and ``demo``
arrive without the product importing the lab. Exit codes: 0 success, 1 the command ran and found a problem
(failed verification, lost events), 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from ..config import ConfigError

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hunt",
        description="Real-time treasure-hunt engine: one Trio actor and one SQLite event log per hunt.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name.startswith("_cmd_"):
            importlib.import_module(f"{__name__}.{module.name}").register(subparsers)
    for plugin in sorted(entry_points(group="hunt.commands"), key=lambda e: e.name):
        plugin.load()(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        code: int = args.func(args)
    except ConfigError as err:
        print(f"hunt: configuration error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
