"""No acked event is lost (docs/architecture.md): kill -9 a writer at random moments, restart it, audit the log.

A child process (crash_writer.py) runs an engine that submits commands in a loop and prints
each durable ack. Each round kills it with SIGKILL at a random moment and starts the next
one, which first resends commands of the round before (some acked, some cut off). At the end
every acked command must be in the log exactly once at its acked seq, the seqs contiguous,
and the recovered state (snapshot + tail) equal to a full replay.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from hunt.domain import replay
from hunt.engine import verify_hunt
from hunt.store import SqliteHuntStore
from tests.support.hunts import HUNT_ID

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 5
STARTUP_LIMIT_S = 15.0


def run_writer(data_dir: Path, out: Path, *args: str) -> subprocess.Popen[bytes]:
    with out.open("wb") as stdout, out.with_suffix(".err").open("wb") as stderr:
        return subprocess.Popen([sys.executable, "-m", "tests.engine.crash_writer", str(data_dir), *args],
                                stdout=stdout, stderr=stderr, cwd=ROOT)


def acked(out: Path) -> list[tuple[int, str, str, bool]]:
    """The complete ack lines of a writer's output (a line cut by the kill was never acked)."""
    text = out.read_text()
    lines = text.split("\n")[:-1]  # whatever follows the last newline is incomplete
    rows = []
    for line in lines:
        if line.startswith("pipelined "):  # the writer's pipeline counter, not an ack
            continue
        _, seq, principal, cmd, duplicate = line.split(" ")
        rows.append((int(seq), principal, cmd, duplicate == "1"))
    return rows


def kill_at_random(child: subprocess.Popen[bytes], out: Path, rng: random.Random, blind: bool) -> None:
    """SIGKILL the writer: ``blind``, at any moment of its life; else a while after its first ack."""
    try:
        if blind:
            time.sleep(rng.uniform(0.1, 0.8))
        else:
            deadline = time.monotonic() + STARTUP_LIMIT_S
            while b"\n" not in out.read_bytes():
                assert child.poll() is None, out.with_suffix(".err").read_text()
                assert time.monotonic() < deadline, "the writer acked nothing"
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.6))
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)


@pytest.mark.slow
def test_no_acked_event_is_lost_when_the_writer_is_killed(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    setup = run_writer(data_dir, tmp_path / "setup.out", "setup")
    try:
        assert setup.wait(timeout=60) == 0, (tmp_path / "setup.err").read_text()
    finally:
        setup.kill()
    rng = random.Random(20260528)
    outputs = []
    for round_ in range(1, ROUNDS + 1):
        out = tmp_path / f"round-{round_}.out"
        kill_at_random(run_writer(data_dir, out, "run", str(round_)), out, rng, blind=round_ == 3)
        outputs.append(out)

    reader = SqliteHuntStore.open_reader(data_dir, HUNT_ID)  # before any writer recovers the WAL
    try:
        seen_by_reader = list(reader.read())
    finally:
        reader.close()
    store = SqliteHuntStore.open(data_dir, HUNT_ID)  # the killed writers left no lock behind
    try:
        log = list(store.read())
        recovered, _ = store.load()
        snapshots = store.counts()["snapshots"]
    finally:
        store.close()

    assert [record.seq for record in log] == list(range(1, len(log) + 1))
    assert seen_by_reader == log
    keys = Counter((record.principal, record.cmd) for record in log if record.cmd is not None)
    assert max(keys.values()) == 1
    at = {record.seq: (record.principal, record.cmd) for record in log}
    first_ack: dict[tuple[str, str], int] = {}
    acks = 0
    for out in outputs:
        for seq, principal, cmd, duplicate in acked(out):
            acks += 1
            assert at.get(seq) == (principal, cmd), f"ack of {principal}/{cmd} at seq {seq} is not in the log"
            assert first_ack.setdefault((principal, cmd), seq) == seq, f"{principal}/{cmd} acked at two seqs"
            if not duplicate:
                assert keys[(principal, cmd)] == 1
    assert acks >= 20 and sum(bool(acked(out)) for out in outputs) >= ROUNDS - 1, "too few acks to mean much"
    assert snapshots > 0
    # The kills came while batches were decided on top of a commit in flight (the pipeline).
    assert any("pipelined " in out.read_text() for out in outputs), "no batch was ever pipelined"
    assert recovered is not None and recovered.to_dict() == replay(log).to_dict()
    report = verify_hunt(data_dir, HUNT_ID)
    assert report["ok"], report["problems"]
