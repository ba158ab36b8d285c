"""The lab's sub-commands of ``hunt``: ``bench …``, ``bench-relay``, ``simulate``, ``demo``.

The product's CLI finds them through the ``hunt.commands`` entry point (pyproject.toml), so
``hunt`` never imports the lab. Registering imports only the standard library and ``hunt``;
each command imports what it needs when it runs, and without the ``lab`` extra prints how to
install it and exits 2 (see ``_extra.py``).
"""

from __future__ import annotations

import argparse

from . import bench, bench_relay, demo, simulate

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    for module in (bench, bench_relay, demo, simulate):
        module.register(subparsers)
