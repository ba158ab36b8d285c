"""`hunt ws`: the terminal's player websocket, the command the server's banner suggests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest
import trio

from hunt.cli._cmd_serve import _announce, ensure_sample
from hunt.config import load_config
from hunt.engine import open_engine
from hunt_lab.servers.inprocess import LocalServer, open_local_server

SAMPLE = Path(__file__).resolve().parents[2] / "hunt" / "sample_hunt.json"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LocalServer]:
    async with open_local_server(tmp_path / "data", server={"admin_token": "t"},
                                 store={"synchronous": "OFF"}) as running:
        assert (await running.http.post("/admin/hunts", content=SAMPLE.read_bytes())).status_code == 201
        assert (await running.http.post("/admin/hunts/harbor-2026/start")).status_code == 200
        yield running


async def hunt_ws(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return await trio.run_process([sys.executable, "-m", "hunt", "ws", *args], stdin=stdin, capture_stdout=True,
                                  capture_stderr=True, check=False)


async def test_join_then_answer_from_standard_input(server: LocalServer) -> None:
    url = f"ws://127.0.0.1:{server.port}/ws/hunts/harbor-2026"
    done = await hunt_ws(url, "--join", "Ann", "--wait", "1",
                         stdin=b'{"op":"answer","clue":"c4","answer":"Bronze."}\n')
    assert done.returncode == 0, done.stderr
    frames = [orjson.loads(line) for line in done.stdout.splitlines()]
    ack = frames[0]
    assert ack["op"] == "ack" and ack["result"] == "joined" and len(ack["id"]) == 32
    answer = next(f for f in frames if f.get("result") == "correct")
    assert answer["clue"] == "c4"


async def test_a_refusal_or_a_bad_line_is_an_exit_code(server: LocalServer) -> None:
    url = f"ws://127.0.0.1:{server.port}/ws/hunts/harbor-2026"
    refused = await hunt_ws(url, "--wait", "1", stdin=b'{"op":"answer","clue":"c4","answer":"x"}\n')
    assert refused.returncode == 1 and b'"not_joined"' in refused.stdout
    bad = await hunt_ws(url, stdin=b"not json\n")
    assert bad.returncode == 2 and b"line 1 is not JSON" in bad.stderr
    wrong = await hunt_ws("http://127.0.0.1:1/ws/hunts/x")
    assert wrong.returncode == 2


def test_the_banner_suggests_hunt_ws(capsys: pytest.CaptureFixture[str]) -> None:
    config = load_config(None, env={}, overrides={"server": {"admin_token": "t"}})
    _announce(config, SimpleNamespace(admin_token_path=None), 8080, "harbor-2026")
    out = capsys.readouterr().out
    assert "hunt ws ws://127.0.0.1:8080/ws/hunts/harbor-2026 --join Ann" in out and "websocat" not in out
    assert "http://127.0.0.1:8080/play/harbor-crews" in out


async def test_the_sample_hunts_show_off_missions_divisions_a_team_with_a_code_and_announcements(
        tmp_path: Path) -> None:
    config = load_config(None, env={}, overrides={"server": {"data_dir": str(tmp_path)}})
    async with open_engine(config) as engine:
        assert await ensure_sample(engine) == "harbor-2026"
        assert await ensure_sample(engine) == "harbor-2026"  # once: a restart creates nothing again
        assert sorted(engine.hunt_ids()) == ["harbor-2026", "harbor-crews"]
        for hunt_id in ("harbor-2026", "harbor-crews"):
            state = await engine.state(hunt_id)
            assert state.status_at(0) == "active", hunt_id
            assert [d.id for d in state.definition.teams.divisions] == ["families", "schools"]
            assert any(clue.kind == "mission" for clue in state.definition.clues)
            [welcome] = await engine.read_events(hunt_id, type_="announced")
            assert welcome.event.text.startswith("Welcome to the Harbor Hunt")
        crews = await engine.state("harbor-crews")
        assert crews.definition.mode == "teams" and crews.definition.team_size == 4
        [gulls] = [side for side in crews.sides.values() if side.name == "Gulls"]
        assert gulls.division == "families" and gulls.passcode is None  # its code is generated: shown to admins
        assert (await engine.state("harbor-2026")).definition.mode == "solo"
