"""`hunt serve` with a broker: events flow to JetStream, `hunt consume` projects them, and the
admin API serves the projection; `/metrics` shows the relay's lag going to zero."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import trio

from hunt_lab.faults import ServerProcess
from hunt_lab.servers.nats import LocalNatsServer
from tests.support.relay import stream_messages

pytestmark = pytest.mark.nats
TOKEN = "wired-token"
JOIN_ID = "mN3xQ0v8Zr5kLb2WcT7yHa"


def metric(text: str, name: str, hunt: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(f'{name}{{hunt="{hunt}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_serve_relays_and_the_consumer_projection_is_served(tmp_path: Path, nats_server: LocalNatsServer) -> None:
    data = tmp_path / "data"
    server = ServerProcess(data, tmp_path / "logs", admin_token=TOKEN, extra_args=("--sample",),
                           env={"HUNT_BROKER_URL": nats_server.url, "HUNT_STORE_SYNCHRONOUS": "NORMAL"})
    base = trio.run(server.start)
    try:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
            hunt = "harbor-2026"
            # A player joins and plays (one wrong answer, one right, a ping) over the websocket.
            play = subprocess.run(
                [sys.executable, "-c", _PLAY, base.replace("http", "ws") + f"/ws/hunts/{hunt}"],
                capture_output=True, text=True, timeout=60, check=False)
            assert play.returncode == 0, play.stderr[-2000:]
            seq = client.get(f"/admin/hunts/{hunt}").json()["stats"]["events"]
            assert seq >= 6

            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # the relay catches up: lag 0, published == committed
                text = client.get("/metrics").text
                if metric(text, "hunt_relay_published_seq", hunt) == seq and metric(
                        text, "hunt_relay_lag_events", hunt) == 0:
                    break
                time.sleep(0.2)
            else:
                raise AssertionError(f"relay did not catch up: {[m for m in text.splitlines() if 'relay' in m]}")
            # A join id is a bearer secret: the broker sees only its keyed hash.
            published = stream_messages(nats_server.url)
            assert JOIN_ID not in str(published)
            [joined] = [body for _, body, _ in published if body["type"] == "player_joined"]
            assert joined["cmd"].startswith("jk-") and joined["principal"] == "join"

            consumer = subprocess.run(
                [sys.executable, "-m", "hunt", "consume", "--data-dir", str(data), "--url", nats_server.url,
                 "--idle-exit", "1.5"], capture_output=True, text=True, timeout=60, check=False)
            assert consumer.returncode == 0, consumer.stderr[-2000:]
            analytics = client.get(f"/admin/hunts/{hunt}/analytics").json()
            assert analytics["last_seq"] == seq
            by_clue = {row["clue"]: row for row in analytics["clues"]}
            assert by_clue["c1"]["solves"] == 1 and by_clue["c1"]["wrong"] == 1
            assert sum(minute["events"] for minute in analytics["activity"]) == seq
            assert client.get("/admin/hunts/nope/analytics").status_code == 404
    finally:
        trio.run(server.stop)

_PLAY = """
import sys, trio, orjson
from trio_websocket import open_websocket_url

async def main(url):
    async with open_websocket_url(url) as ws:
        async def ask(frame):
            await ws.send_message(orjson.dumps(frame).decode())
            while True:
                reply = orjson.loads(await ws.get_message())
                if reply.get("id") == frame["id"]:
                    assert reply["op"] == "ack", reply
                    return reply
        await ask({"op": "join", "id": "<JOIN_ID>", "name": "Ann"})
        await ask({"op": "answer", "id": "a1", "clue": "c1", "answer": "candle"})
        await ask({"op": "answer", "id": "a2", "clue": "c1", "answer": "lighthouse"})
        await ask({"op": "ping", "id": "p1", "lat": 53.54, "lon": 9.96})

trio.run(main, sys.argv[1])
""".replace("<JOIN_ID>", JOIN_ID)
