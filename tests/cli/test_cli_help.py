"""Every `hunt` command's help reads as written: no doubled percent signs, no empty help."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from hunt.cli import build_parser


def commands(parser: argparse.ArgumentParser, path: str = "hunt") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, f"{path} {name}")


def test_every_commands_help_prints_single_percent_signs() -> None:
    seen = dict(commands(build_parser()))
    assert "hunt bench engine" in seen and "hunt serve" in seen  # the lab's commands are there too
    for path, parser in seen.items():
        text = parser.format_help()
        assert "%%" not in text, f"{path} --help prints %%"
