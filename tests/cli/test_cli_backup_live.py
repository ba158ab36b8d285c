"""``hunt backup`` beside a server under load, and the periodic backups of ``hunt serve``.

The acceptance test of backups: a crowd plays while ``hunt backup`` runs; the server keeps
acking meanwhile; the backup restores into a new data dir where ``hunt verify`` passes and
every event acked before the backup started is present, with the seq its ack named.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import orjson
import trio

from hunt.cli import main
from hunt_lab.audit import read_log
from hunt_lab.clients.admin import create_hunt
from hunt_lab.clients.crowd import Crowd
from hunt_lab.faults import ServerProcess

HUNT = "live"


async def wait_for(condition: object, timeout: float = 30.0) -> None:
    with trio.fail_after(timeout):
        while not condition():  # type: ignore[operator]
            await trio.sleep(0.05)


async def test_a_backup_under_load_restores_every_event_acked_before_it(tmp_path: Path) -> None:
    data, dest, periodic = tmp_path / "data", tmp_path / "backup", tmp_path / "periodic"
    env = {"HUNT_BACKUP_DIR": str(periodic), "HUNT_BACKUP_EVERY_S": "0.5", "HUNT_BACKUP_KEEP": "2"}
    async with ServerProcess(data, tmp_path / "logs", env=env) as server:
        await server.start()
        async with httpx.AsyncClient(base_url=server.url, headers=server.admin_headers) as http:
            await create_hunt(http, HUNT)
        crowd = Crowd(server.ws_url(HUNT), players=4)
        stop = trio.Event()
        async with trio.open_nursery() as nursery:
            await nursery.start(crowd.run, stop)
            await wait_for(lambda: crowd.ledger.codes["ack"] >= 300)
            acked_before = {key: seqs[0] for key, seqs in list(crowd.ledger.acks.items())}
            acks_at_start = crowd.ledger.codes["ack"]
            taken = await trio.run_process(
                [sys.executable, "-m", "hunt.cli", "backup", "--data-dir", str(data), str(dest)],
                capture_stdout=True, capture_stderr=True, check=False)
            acks_during = crowd.ledger.codes["ack"] - acks_at_start
            await wait_for(lambda: crowd.ledger.codes["ack"] >= acks_at_start + acks_during + 100)
            await wait_for(lambda: len(list(periodic.glob("hunt-backup-*/manifest.json"))) >= 2)
            stop.set()
        assert await server.stop() == 0
    assert taken.returncode == 0, taken.stderr.decode()
    assert acks_during > 0  # the server kept acking while the copy was taken
    manifest = orjson.loads((dest / "manifest.json").read_bytes())
    [entry] = manifest["hunts"]
    assert entry["hunt"] == HUNT and entry["last_seq"] >= max(acked_before.values())

    restored = tmp_path / "restored"
    assert main(["restore", "--data-dir", str(restored), str(dest)]) == 0
    assert main(["verify", "--data-dir", str(restored)]) == 0
    assert main(["restore", "--data-dir", str(restored), str(dest)]) == 1  # exists: only with --force
    logged = {(r.principal, r.cmd): r.seq for r in read_log(restored, HUNT)}
    missing = {key: seq for key, seq in acked_before.items() if logged.get(key) != seq}
    assert not missing, f"{len(missing)} acked events missing from the backup, e.g. {list(missing.items())[:3]}"
    assert len(logged) < len({(r.principal, r.cmd) for r in read_log(data, HUNT)})  # play went on after it

    kept = sorted(periodic.glob("hunt-backup-*"))
    assert 1 <= len(kept) <= 2, kept  # keep = 2: older rounds were removed
    assert main(["restore", "--data-dir", str(tmp_path / "from-periodic"), str(kept[-1])]) == 0
    assert main(["verify", "--data-dir", str(tmp_path / "from-periodic")]) == 0
