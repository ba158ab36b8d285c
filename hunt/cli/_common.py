"""Helpers shared by the sub-commands: config options and loading, console output."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from rich.console import Console

from ..config import Config, load_config

__all__ = ["add_config_options", "config_from_args", "console", "err_console"]

console = Console()
err_console = Console(stderr=True)


def add_config_options(parser: argparse.ArgumentParser, *, network: bool = False) -> None:
    parser.add_argument("--config", metavar="PATH",
                        help="TOML config file (default: ./config.toml if present, else built-in defaults)")
    parser.add_argument("--data-dir", metavar="DIR", help="where hunt files live (default from config: data)")
    if network:
        parser.add_argument("--host", help="address to bind (default 127.0.0.1)")
        parser.add_argument("--port", type=int, help="port to bind (default 8080; 0 picks a free one)")


def config_from_args(args: argparse.Namespace, **extra: dict[str, Any]) -> Config:
    """Config file (explicit, or ./config.toml when present), then HUNT_* variables, then flags."""
    path = args.config
    if path is None and Path("config.toml").is_file():
        path = "config.toml"
    server: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        server["data_dir"] = args.data_dir
    if getattr(args, "host", None):
        server["host"] = args.host
    if getattr(args, "port", None) is not None:
        server["port"] = args.port
    overrides: dict[str, dict[str, Any]] = {"server": server} if server else {}
    for section, values in extra.items():
        overrides.setdefault(section, {}).update(values)
    return load_config(path, env=os.environ, overrides=overrides)
