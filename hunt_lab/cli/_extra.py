"""The lab commands need the ``lab`` extra; without it they say so in one line and exit 2."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable

__all__ = ["LAB_MODULES", "needs_lab_extra"]

# What `pip install '.[lab]'` adds to the server's own dependencies (see pyproject.toml).
LAB_MODULES = frozenset({"httpx", "psutil", "trio_websocket", "wsproto", "matplotlib"})

Command = Callable[[argparse.Namespace], int]


def needs_lab_extra(command: Command) -> Command:
    """Run ``command``; if a module of the lab extra is missing, say how to get it (exit 2)."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except ModuleNotFoundError as err:
            if (err.name or "").split(".")[0] not in LAB_MODULES:
                raise
            print(f"hunt: this command needs the lab extra (no module {err.name!r}): pip install '.[lab]'",
                  file=sys.stderr)
            return 2

    return run
