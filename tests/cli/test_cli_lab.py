"""The lab's commands (``hunt bench``, ``simulate``, ``demo``) with and without the ``lab`` extra.

The product finds them through the ``hunt.commands`` entry point; without the extra's modules
each one says in one line how to get them and exits 2. A missing extra is simulated in a
child process by making the import of a lab dependency fail (``sys.modules[name] = None``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from hunt_lab.cli._extra import needs_lab_extra

WITHOUT = "import sys; sys.modules[{module!r}] = None; from hunt.cli import main; sys.exit(main({argv!r}))"


def run_without(module: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
    code = WITHOUT.format(module=module, argv=argv)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(("module", "argv"), [
    ("httpx", ["simulate", "--url", "http://127.0.0.1:9", "--duration", "0.1"]),
    ("psutil", ["bench", "engine", "--seconds", "0.1", "--repeat", "1"]),
    ("trio_websocket", ["demo", "--seconds", "0.1"]),
    ("psutil", ["bench", "overload"]),
])
def test_a_lab_command_without_the_extra_says_how_to_install_it(module: str, argv: list[str]) -> None:
    result = run_without(module, argv)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [
        f"hunt: this command needs the lab extra (no module {module!r}): pip install '.[lab]'"]
    assert result.stdout == ""


def test_the_product_commands_run_without_the_extra() -> None:
    result = run_without("httpx", ["verify", "--help"])
    assert result.returncode == 0 and "verify" in result.stdout


def test_a_missing_module_outside_the_extra_is_not_blamed_on_it() -> None:
    @needs_lab_extra
    def broken(args: argparse.Namespace) -> int:
        raise ModuleNotFoundError("No module named 'nope'", name="nope")

    with pytest.raises(ModuleNotFoundError, match="nope"):
        broken(argparse.Namespace())


def test_the_lab_commands_are_there_with_the_extra() -> None:
    result = subprocess.run([sys.executable, "-m", "hunt", "--help"], capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0
    for name in ("bench", "bench-relay", "demo", "simulate"):
        assert f"    {name} " in result.stdout
