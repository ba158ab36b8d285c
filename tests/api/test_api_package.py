"""The package surface, the secrets, and ``hunt serve`` as a real process."""

from __future__ import annotations

import ast
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import trio

import hunt.api
from hunt.api import PlayerTokens, hypercorn_config, is_loopback, load_secrets
from hunt.api._server import kernel_backlog_cap
from hunt.config import load_config
from hunt_lab.servers.inprocess import open_local_server

ROOT = Path(__file__).resolve().parents[2]
API_DIR = ROOT / "hunt" / "api"


def isort_style(name: str) -> tuple[int, str]:
    """Constants, then classes, then functions (ruff's RUF022 order)."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_complete() -> None:
    assert hunt.api.__all__ == sorted(hunt.api.__all__, key=isort_style)
    for name in hunt.api.__all__:
        assert getattr(hunt.api, name) is not None


def test_modules_are_private_and_small() -> None:
    for path in API_DIR.glob("*.py"):
        assert path.name == "__init__.py" or path.name.startswith("_"), path.name
        assert len(path.read_text().splitlines()) <= 400, path.name


def test_the_api_depends_on_the_engine_and_domain_never_on_the_store_or_cli() -> None:
    """The one-way layers (docs/architecture.md): the API reaches storage only through the engine."""
    imported = set()
    for path in API_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                imported.add("." * node.level + (node.module or ""))
            elif isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
    assert {"..engine", "..domain"} <= imported
    forbidden = {"..store", "hunt.store", "..cli", "hunt.cli", "sqlite3", "sqlite_utils", "..relay", "hunt.relay"}
    assert not imported & forbidden, imported & forbidden


def test_player_tokens_bind_player_and_hunt() -> None:
    tokens = PlayerTokens(b"k" * 32)
    token = tokens.issue("harbor", "p1")
    assert token.startswith("p1.") and tokens.verify("harbor", token) == "p1"
    assert tokens.verify("other", token) is None
    assert tokens.verify("harbor", token.replace("p1.", "p2.")) is None
    assert PlayerTokens(b"x" * 32).verify("harbor", token) is None
    for bad in (None, 5, "", "p1", "p1.", ".sig", "x" * 1000):
        assert tokens.verify("harbor", bad) is None


def test_secrets_are_created_once_with_mode_0600(tmp_path: Path) -> None:
    config = load_config(None, env={}, overrides={"server": {"data_dir": str(tmp_path / "data")}})
    first = load_secrets(config)
    second = load_secrets(config)
    assert first == second and first.admin_token == second.admin_token
    assert first.admin_token_path == tmp_path / "data" / "admin.token"
    for name in ("secret.key", "admin.token"):
        assert stat.S_IMODE((tmp_path / "data" / name).stat().st_mode) == 0o600
    configured = load_secrets(config.replace(server={"admin_token": "from-config"}))
    assert configured.admin_token == "from-config" and configured.admin_token_path is None
    assert configured.player_key == first.player_key


def test_hypercorn_lets_slightly_oversized_frames_reach_the_app() -> None:
    config = load_config(None, env={})
    hconfig = hypercorn_config(config)
    assert config.limits.max_frame_bytes < hconfig.websocket_max_message_size <= 2 * config.limits.max_frame_bytes
    assert hconfig.websocket_ping_interval and hconfig.bind == ["127.0.0.1:8080"]
    assert hypercorn_config(config.replace(server={"host": "::1", "port": 9})).bind == ["[::1]:9"]
    assert hconfig.backlog == config.server.backlog == 4096  # not hypercorn's 100
    assert hypercorn_config(config.replace(server={"backlog": 512})).backlog == 512


def test_the_listening_socket_has_the_configured_backlog(tmp_path: Path) -> None:
    """``ss`` shows a listening socket's accept-queue limit as its Send-Q."""
    if shutil.which("ss") is None:
        pytest.skip("needs ss (iproute2)")

    async def main() -> int:
        async with open_local_server(tmp_path / "data", server={"backlog": 321}) as server:
            listing = subprocess.run(["ss", "-ltnH", f"sport = :{server.port}"], capture_output=True, text=True,
                                     check=True).stdout
            return int(listing.split()[2])

    assert trio.run(main) == min(321, kernel_backlog_cap() or 321)


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                                 ("0.0.0.0", False), ("192.168.1.5", False), ("example.com", False)])
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def _hunt_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from hunt.cli import main; sys.exit(main())", *args]


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HUNT_")}


def test_serve_refuses_a_public_address_without_an_admin_token(tmp_path: Path) -> None:
    result = subprocess.run(_hunt_command("serve", "--host", "0.0.0.0", "--port", "0",
                                          "--data-dir", str(tmp_path), "--config", str(ROOT / "config.toml")),
                            env=_environment(), capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert result.returncode == 2 and "admin token" in result.stderr


async def test_serve_with_the_sample_then_a_graceful_stop(tmp_path: Path) -> None:
    data = tmp_path / "data"
    process = await trio.lowlevel.open_process(
        _hunt_command("serve", "--port", "0", "--data-dir", str(data), "--sample"),
        env=_environment(), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    output = b""
    try:
        with trio.fail_after(20):
            while b"join:" not in output:
                chunk = await process.stdout.receive_some()
                assert chunk, output
                output += chunk
        text = output.decode()
        [base] = re.findall(r"^listening on (http://127\.0\.0\.1:\d+)$", text, re.M)
        token = (data / "admin.token").read_text().strip()
        assert token not in text
        assert f"{base}/play/harbor-2026" in text and str(data / "admin.token") in text
        async with httpx.AsyncClient(base_url=base) as client:
            view = (await client.get("/hunts/harbor-2026")).json()
            listing = await client.get("/admin/hunts", headers={"Authorization": f"Bearer {token}"})
        assert view["status"] == "active" and len(view["clues"]) == 7
        assert {clue["kind"] for clue in view["clues"]} == {"answer", "geo", "code", "mission"}
        assert listing.json()["hunts"][0]["id"] == "harbor-2026"
        process.send_signal(signal.SIGTERM)
        with trio.fail_after(20):
            code = await process.wait()
        errors = (await process.stderr.receive_some()).decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await process.stdout.aclose()
        await process.stderr.aclose()
    assert code == 0, errors
    assert token not in errors
    assert stat.S_IMODE((data / "secret.key").stat().st_mode) == 0o600
