"""A crash in the middle of ``hunt import`` leaves nothing that looks like a hunt."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson

from hunt.store import draft_path, hunt_ids, hunt_path, remove_drafts
from tests.support.hunts import harbor

BASE_TS = 1_700_000_000_000
DEFINITION = harbor("big")


def export_lines(pings: int) -> list[bytes]:
    items = [
        {"seq": 1, "ts": BASE_TS, "type": "hunt_created", "cmd": None, "principal": None,
         "data": {"definition": DEFINITION}},
        {"seq": 2, "ts": BASE_TS, "type": "player_joined", "player": "p1", "cmd": "j" * 22, "principal": "join",
         "data": {"name": "Ann", "team": None}},
        {"seq": 3, "ts": BASE_TS, "type": "hunt_started", "cmd": "start", "principal": "admin", "data": {}},
    ]
    items += [{"seq": 4 + n, "ts": BASE_TS + n, "type": "pinged", "player": "p1", "cmd": f"g{n}", "principal": "p1",
               "data": {"lat": 1.0, "lon": 1.0}} for n in range(pings)]
    return [orjson.dumps(item) + b"\n" for item in items]


def test_a_killed_import_leaves_only_a_draft_that_start_up_removes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    lines = export_lines(4999)  # 5,002 events; the importer writes them in chunks of 2,000
    child = subprocess.Popen([sys.executable, "-m", "hunt.cli", "import", "--data-dir", str(data), "-"],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert child.stdin is not None
        child.stdin.write(b"".join(lines[:2500]))
        child.stdin.flush()
        draft = draft_path(hunt_path(data, "big"))
        wal = Path(f"{draft}-wal")
        deadline = time.monotonic() + 30
        while not (wal.exists() and wal.stat().st_size > 100_000):  # the first 2,000 are committed
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.02)
        assert remove_drafts(data) == []  # the import still holds its lock: its draft stays
        assert draft.exists()
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        try:
            child.stdin.close()  # type: ignore[union-attr]
        except BrokenPipeError:
            pass
    assert hunt_ids(data) == [] and not hunt_path(data, "big").exists()
    assert remove_drafts(data) == [draft]
    assert sorted(p.name for p in (data / "hunts").iterdir()) in ([], ["big.lock"])
    finished = subprocess.run([sys.executable, "-m", "hunt.cli", "import", "--data-dir", str(data), "-"],
                              input=b"".join(lines), capture_output=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert hunt_ids(data) == ["big"]
