"""``hunt serve`` as an operator runs it: ``--check``, the start-up checks, SIGHUP, JSON logs."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import trio
from trio_websocket import WebSocketConnection, open_websocket_url

from hunt.cli import main
from hunt.store import SqliteHuntStore, draft_path, hunt_path
from hunt_lab.servers.process import ServerProcess

pytestmark = pytest.mark.trio



def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["serve", "--check", "--port", "0", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


async def test_check_passes_on_a_fresh_data_dir_and_creates_nothing(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, text = check(capsys, "--data-dir", str(tmp_path / "data"))
    assert code == 0 and "ok" in text
    assert not (tmp_path / "data").exists()


async def test_check_names_every_problem_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    SqliteHuntStore.create(data, "good").close()
    (data / "hunts" / "broken.sqlite3").write_bytes(b"not a database at all, just bytes" * 100)
    data.chmod(0o755)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["serve", "--check", "--data-dir", str(data), "--host", "0.0.0.0", "--port", str(port)])
    text = capsys.readouterr().err
    assert code == 1
    assert "public but there is no admin token" in text
    assert f"{data} has mode 755" in text and f"chmod 700 {data}" in text
    assert "hunt broken:" in text and "hunt good" not in text
    assert f"cannot listen on 0.0.0.0:{port}" in text


async def test_check_fails_on_an_unreachable_broker(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
        monkeypatch.setenv("HUNT_BROKER_URL", f"nats://127.0.0.1:{port}")
        monkeypatch.setenv("HUNT_BROKER_CONNECT_TIMEOUT_S", "0.5")
        code, text = check(capsys, "--data-dir", str(tmp_path / "data"))
    assert code == 1 and f"broker nats://127.0.0.1:{port}" in text


async def test_check_refuses_an_invalid_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[logging]\nformat = "xml"\n')
    code, text = check(capsys, "--config", str(config))
    assert code == 2 and "logging.format" in text


async def test_new_hunt_files_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    SqliteHuntStore.create(data, "h", first=()).close()
    assert (data.stat().st_mode & 0o777, (data / "hunts").stat().st_mode & 0o777) == (0o700, 0o700)
    for path in (data / "hunts").iterdir():
        assert path.stat().st_mode & 0o777 == 0o600, path


async def test_the_relays_files_in_the_data_dir_are_private_too(tmp_path: Path) -> None:
    from hunt.relay import RelayStatistics
    from hunt.relay._analytics import Projection
    from hunt.relay._stats import write_relay_status
    from hunt.store import insecure_paths

    data = tmp_path / "data"
    SqliteHuntStore.create(data, "h").close()
    write_relay_status(data, RelayStatistics.initial("nats://127.0.0.1:4222", "S"))
    Projection(data).close()
    assert len(list(data.iterdir())) >= 3
    assert insecure_paths(data) == []


async def test_start_up_removes_dead_drafts_and_warns_about_readable_files(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from hunt.cli._checks import prepare_data_dir
    from hunt.config import load_config

    data = tmp_path / "data"
    SqliteHuntStore.create(data, "h").close()
    draft = draft_path(hunt_path(data, "half"))
    draft.write_bytes(b"the first 2,001 of 5,002 events")
    os.chmod(hunt_path(data, "h"), 0o644)
    with caplog.at_level(logging.WARNING):
        prepare_data_dir(load_config(None, env={}, overrides={"server": {"data_dir": str(data)}}))
    assert not draft.exists()
    assert f"{hunt_path(data, 'h')} has mode 644" in caplog.text
    assert "removed" in caplog.text


async def test_sighup_applies_a_new_admin_token_and_log_format(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[logging]\nformat = "text"\n')
    data = tmp_path / "data"
    async with ServerProcess(data, tmp_path / "logs", env={"HUNT_ADMIN_TOKEN": ""},
                             extra_args=["--config", str(config)]) as server:
        await server.start()
        old = (data / "admin.token").read_text().strip()
        new = secrets.token_urlsafe(32)
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.get("/admin/hunts", headers={"Authorization": f"Bearer {old}"})).status_code == 200
            (data / "admin.token").write_text(new + "\n")
            config.write_text('[logging]\nformat = "json"\n[engine]\nmax_batch = 7\n')
            os.kill(server.pid, signal.SIGHUP)
            with trio.fail_after(10):
                while "configuration reloaded" not in server.log_tail():
                    await trio.sleep(0.05)
            assert (await http.get("/admin/hunts", headers={"Authorization": f"Bearer {new}"})).status_code == 200
            assert (await http.get("/admin/hunts", headers={"Authorization": f"Bearer {old}"})).status_code == 401
        config.write_text("[logging\n")  # invalid: the next reload changes nothing
        os.kill(server.pid, signal.SIGHUP)
        with trio.fail_after(10):
            while "not reloaded" not in server.log_tail():
                await trio.sleep(0.05)
        assert server.running()
        log = server.log_tail(20000)
        after = log[log.index("engine.max_batch"):]
        assert "engine.max_batch changed: restart to apply" in log
        for line in after.splitlines()[1:]:
            assert orjson.loads(line)["logger"].startswith("hunt")  # JSON lines since the reload
        assert new not in log and old not in log
        assert await server.stop() == 0


async def reply_to(ws: WebSocketConnection, cmd: str) -> dict[str, Any]:
    with trio.fail_after(10):
        while (frame := orjson.loads(await ws.get_message())).get("id") != cmd:
            pass  # a push (feed, leaderboard)
    return frame


async def test_json_command_logs_carry_the_fields_and_no_secret(tmp_path: Path) -> None:
    admin = secrets.token_urlsafe(32)
    join_id = secrets.token_urlsafe(24)
    env = {"HUNT_LOGGING_FORMAT": "json", "HUNT_LOGGING_COMMANDS": "true"}
    async with ServerProcess(tmp_path / "data", tmp_path / "logs", env=env, admin_token=admin,
                             extra_args=["--sample"]) as server:
        await server.start()
        async with open_websocket_url(server.ws_url("harbor-2026")) as ws:
            await ws.send_message(orjson.dumps({"op": "join", "id": join_id, "name": "Ann"}).decode())
            joined = await reply_to(ws, join_id)
            await ws.send_message(orjson.dumps({"op": "answer", "id": "a-1", "clue": "c1",
                                                "answer": "lighthouse"}).decode())
            answered = await reply_to(ws, "a-1")
        assert joined["op"] == "ack" and answered["result"] == "correct", (joined, answered)
        async with httpx.AsyncClient(base_url=server.url, headers=server.admin_headers) as http:
            assert (await http.get("/admin/hunts/harbor-2026/export")).status_code == 200
            await http.get("/admin/hunts", headers={"Authorization": "Bearer not-the-token"})
        assert await server.stop() == 0
        log = server.log_tail(100_000)
    lines = [orjson.loads(line) for line in log.splitlines() if line.strip()]
    commands = [line for line in lines if line["logger"] == "hunt.commands"]
    answer = next(line for line in commands if line["op"] == "AnswerClue")
    assert answer["hunt"] == "harbor-2026" and answer["player"] == joined["player"] and answer["cmd"] == "a-1"
    assert answer["result"] == "correct" and answer["latency_ms"] >= 0 and answer["seq"] == answered["seq"]
    join = next(line for line in commands if line["op"] == "JoinHunt")
    assert join["player"] == joined["player"] and join["cmd"] is None
    for secret in (admin, join_id, joined["token"], "lighthouse", "not-the-token"):
        assert secret not in log, secret
