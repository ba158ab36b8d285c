"""What `hunt serve` checks and prepares before it accepts anyone."""

from __future__ import annotations

import argparse
import logging
import resource
from collections.abc import Iterator
from pathlib import Path

import pytest

from hunt.api._startup import (
    DataDirLocked,
    durability_warnings,
    exposure_problem,
    hold_data_dir,
    raise_open_files_limit,
)
from hunt.cli import _cmd_serve, build_parser
from hunt.config import load_config

STRONG = "s" * 32


@pytest.mark.parametrize(("host", "token", "refused"), [
    ("127.0.0.1", "", False),
    ("::1", "short", False),
    ("0.0.0.0", "", True),
    ("0.0.0.0", "s" * 31, True),
    ("0.0.0.0", STRONG, False),
    ("192.0.2.10", "correct-horse", True),
])
def test_a_public_address_needs_an_admin_token_of_32_characters(host: str, token: str, refused: bool) -> None:
    config = load_config(None, env={}, overrides={"server": {"host": host, "admin_token": token}})
    problem = exposure_problem(config)
    assert (problem is not None) == refused
    if refused and token:
        assert "at least 32" in problem and token not in problem  # type: ignore[operator]


def serve_args(data_dir: Path, host: str = "127.0.0.1") -> argparse.Namespace:
    """`hunt serve`'s arguments as its own parser makes them (every option at its default)."""
    return build_parser().parse_args(["serve", "--data-dir", str(data_dir), "--host", host, "--port", "0"])


def test_hunt_serve_refuses_a_short_token_on_a_public_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HUNT_ADMIN_TOKEN", "tiny")
    monkeypatch.chdir(tmp_path)
    assert _cmd_serve.run(serve_args(tmp_path / "data", host="0.0.0.0")) == 2
    assert "at least 32" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()  # refused before touching anything


def test_one_data_directory_serves_one_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    with hold_data_dir(tmp_path / "data"):
        with pytest.raises(DataDirLocked, match="another server"), hold_data_dir(tmp_path / "data"):
            pass
        assert _cmd_serve.run(serve_args(tmp_path / "data")) == 2
        assert "another server" in capsys.readouterr().err
    with hold_data_dir(tmp_path / "data"):  # released with its holder
        pass


@pytest.mark.parametrize(("mode", "warned"), [("OFF", True), ("NORMAL", True), ("FULL", False), ("EXTRA", False)])
def test_a_config_that_weakens_durability_is_warned_about(mode: str, warned: bool) -> None:
    config = load_config(None, env={}, overrides={"store": {"synchronous": mode}})
    warnings = durability_warnings(config)
    assert bool(warnings) == warned
    assert all("store.synchronous" in w for w in warnings)


@pytest.fixture
def lowered_files_limit() -> Iterator[tuple[int, int]]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 512:
        pytest.skip(f"hard open files limit {hard} leaves nothing to raise")
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    try:
        yield 256, hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_the_open_files_limit_is_raised_to_the_hard_limit(lowered_files_limit: tuple[int, int],
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "hunt.serve")
    _, hard = lowered_files_limit
    config = load_config(None, env={}, overrides={"limits": {"connections": 100}})
    soft, _ = raise_open_files_limit(config)
    assert soft > 256 and resource.getrlimit(resource.RLIMIT_NOFILE)[0] == soft
    assert soft == hard or hard == resource.RLIM_INFINITY
    assert not caplog.records
    too_many = load_config(None, env={}, overrides={"limits": {"connections": soft}})
    raise_open_files_limit(too_many)
    assert "limits.connections" in caplog.text
