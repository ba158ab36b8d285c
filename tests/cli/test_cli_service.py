"""The systemd unit in docs/deploy: what it promises, and that systemd and `hunt` accept it."""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hunt.config import load_config

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "docs" / "deploy" / "hunt.service"
INSTALLED_HUNT = "/opt/hunt/venv/bin/hunt"
INSTALLED_CONFIG = "/etc/hunt/config.toml"


def service() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return parser["Service"]


def here(text: str) -> str:
    """The unit's commands, pointed at this checkout's `hunt` and config.toml."""
    return text.replace(INSTALLED_HUNT, str(Path(sys.executable).parent / "hunt")).replace(
        INSTALLED_CONFIG, str(ROOT / "config.toml"))


def test_the_unit_restarts_runs_as_its_own_user_keeps_data_private_and_raises_the_fd_limit() -> None:
    unit = service()
    assert unit["Restart"] == "on-failure"
    assert unit["User"] == unit["Group"] == "hunt"
    assert unit["StateDirectoryMode"] == "0700" and unit["UMask"] == "0077"
    assert unit["Environment"] == "HUNT_DATA_DIR=/var/lib/hunt/data"
    assert int(unit["LimitNOFILE"]) >= 65536
    assert unit["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert unit["KillSignal"] == "SIGTERM"
    # systemd must wait longer than the graceful shutdown takes before it kills.
    assert int(unit["TimeoutStopSec"]) > load_config(None, env={}).server.shutdown_timeout_s
    assert shlex.split(unit["ExecStart"]) == [INSTALLED_HUNT, "serve", "--config", INSTALLED_CONFIG]
    assert shlex.split(unit["ExecStartPre"]) == [INSTALLED_HUNT, "serve", "--check", "--config", INSTALLED_CONFIG]


def test_the_units_check_command_passes_on_a_fresh_data_dir(tmp_path: Path) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("HUNT_")},
           "HUNT_DATA_DIR": str(tmp_path / "data"), "HUNT_PORT": "0"}
    done = subprocess.run(shlex.split(here(service()["ExecStartPre"])), env=env, capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (tmp_path / "data").mkdir(mode=0o755)
    (tmp_path / "data").chmod(0o755)
    done = subprocess.run(shlex.split(here(service()["ExecStartPre"])), env=env, capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert done.returncode == 1 and "chmod 700" in done.stderr


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    unit = tmp_path / "hunt.service"
    unit.write_text(here(UNIT.read_text()))
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout + done.stderr == "", done.stdout + done.stderr
