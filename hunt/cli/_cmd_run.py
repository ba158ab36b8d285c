"""``hunt run SCRIPT.py [ARGS]``: the local script runner.

The script defines ``async def main(engine, args)``; it runs against an in-process engine
built from the same configuration as the server (or a throwaway data dir with ``--temp``).
``args`` is the list of arguments after the script. The return value, if an int, is the
exit code. An exception prints a readable traceback and exits with 1.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import tempfile
from pathlib import Path
from types import ModuleType

import trio
from rich.traceback import Traceback

from ..engine import open_engine
from ._common import add_config_options, config_from_args, err_console


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser(
        "run", help="run a script's `async def main(engine, args)` against an in-process engine",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_options(run)
    run.add_argument("--temp", action="store_true", help="use a throwaway data dir (deleted afterwards)")
    run.add_argument("script", metavar="SCRIPT.py")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    run.set_defaults(func=_run)


def load_script(path: str) -> ModuleType:
    """Import a script by path; raise FileNotFoundError or ValueError if it has no async main."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"no such script: {path}")
    spec = importlib.util.spec_from_file_location(f"hunt_script_{file.stem}", file)
    if spec is None or spec.loader is None:
        raise ValueError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    main = getattr(module, "main", None)
    if not inspect.iscoroutinefunction(main):
        raise ValueError(f"{path} must define `async def main(engine, args)`")
    return module


def _run(args: argparse.Namespace) -> int:
    try:
        module = load_script(args.script)
    except (FileNotFoundError, ValueError) as err:
        err_console.print(f"hunt run: {err}")
        return 2
    except Exception as err:  # the script failed while importing
        err_console.print(Traceback.from_exception(type(err), err, err.__traceback__, show_locals=False))
        return 1
    with tempfile.TemporaryDirectory(prefix="hunt-run-") as temp:
        extra = {"server": {"data_dir": temp}} if args.temp else {}
        config = config_from_args(args, **extra)

        async def go() -> object:
            async with open_engine(config) as engine:
                return await module.main(engine, list(args.args))

        try:
            result = trio.run(go)
        except Exception as err:
            err_console.print(Traceback.from_exception(type(err), err, err.__traceback__, show_locals=False,
                                                       suppress=[trio]))
            return 1
    return result if isinstance(result, int) else 0
