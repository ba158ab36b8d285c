"""Every CLI test runs in its own directory with no HUNT_* variables from the developer's shell."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No ./config.toml and no HUNT_* from the developer's shell may leak into these runs.
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("HUNT_"):
            monkeypatch.delenv(name)
