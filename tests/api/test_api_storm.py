"""Connection storms: what a crowd joining at once meets (listen backlog, pings, ``hunt bench storm``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import trio
from wsproto.events import Ping, TextMessage

from hunt_lab.clients.raw import RawSocket
from hunt_lab.servers.inprocess import open_local_server
from tests.support.hunts import HUNT_ID


async def events_for(raw: RawSocket, seconds: float) -> list[object]:
    """Every websocket event the server sends within ``seconds``."""
    seen: list[object] = []
    with trio.move_on_after(seconds):
        while True:
            data = await raw.stream.receive_some(65536)
            if not data:
                break
            raw.ws.receive_data(data)
            seen.extend(raw.ws.events())
    return seen


async def test_a_new_websocket_is_first_pinged_after_one_interval_not_at_once(tmp_path: Path) -> None:
    async with open_local_server(tmp_path / "data", ws_ping_interval_s=0.6) as server:
        assert (await server.http.post("/admin/hunts", json={
            "id": HUNT_ID, "title": "t", "clues": [{"id": "c1", "title": "c", "kind": "code", "codes": ["X"],
                                                    "points": 1}]})).status_code == 201
        raw = await RawSocket.connect(server.port, f"/ws/hunts/{HUNT_ID}")
        try:
            early = await events_for(raw, 0.4)
            later = await events_for(raw, 0.6)
        finally:
            raw.close()
    assert not [e for e in early if isinstance(e, Ping)], early
    assert [e for e in later if isinstance(e, Ping)], later
    assert not [e for e in early + later if isinstance(e, TextMessage)]


def test_hunt_bench_storm_joins_every_connection_and_reports_the_figures(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hunt", "bench", "storm", "--connections", "150", "--seconds", "0.5", "--json",
         "--keep", str(tmp_path / "storm")], capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout)
    assert (figures["connections"], figures["joined"], figures["failed"]) == (150, 150, 0)
    assert figures["players_in_hunt"] == 150
    assert 0 < figures["join_p50_ms"] <= figures["join_p99_ms"] <= figures["join_max_ms"]
    assert figures["handshake_p99_ms"] <= figures["join_max_ms"]
    assert figures["server_cpu_ms_per_join"] > 0
    assert (figures["echo"]["joined"], figures["echo"]["failed"]) == (150, 0)
