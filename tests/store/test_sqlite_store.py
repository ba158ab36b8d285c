"""What only the SQLite store promises: one fenced writer per file, WAL, safe paths, loud corruption."""

from __future__ import annotations

import dataclasses
import os
import select
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hunt.domain import Recorded
from hunt.store import (
    CorruptStore,
    HuntExists,
    HuntNotFound,
    InvalidHuntId,
    SqliteHuntStore,
    StoreLocked,
    WriteFailed,
    hunt_ids,
    hunt_path,
)
from tests.support.hunts import HUNT_ID
from tests.support.store import as_dict, build_log, replayed


@pytest.fixture
def log(hunt_document: dict[str, Any]) -> list[Recorded]:
    return build_log(hunt_document, 40)


@pytest.fixture
def hunt_file(tmp_path: Path, log: list[Recorded]) -> Path:
    """A closed hunt file holding ``log``; returns the data dir."""
    store = SqliteHuntStore.create(tmp_path, HUNT_ID)
    try:
        store.append(log)
    finally:
        store.close()
    return tmp_path


# -- paths --------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [
    "", ".", "..", "../evil", "a/b", "/etc/passwd", "..\\x", "x.sqlite3", "Upper", "-lead", "a b", "a\x00b",
    "x" * 65, "ünï", None, 42,
])
def test_hunt_ids_that_could_escape_the_data_dir_are_refused(tmp_path: Path, bad: Any) -> None:
    with pytest.raises(InvalidHuntId):
        hunt_path(tmp_path, bad)
    for opener in (SqliteHuntStore.create, SqliteHuntStore.open, SqliteHuntStore.open_reader):
        with pytest.raises(InvalidHuntId):
            opener(tmp_path, bad)
    assert list(tmp_path.rglob("*")) in ([], [tmp_path / "hunts"])


def test_a_hunt_file_lives_in_the_hunts_folder(tmp_path: Path) -> None:
    assert hunt_path(tmp_path, "harbor-2026_b") == (tmp_path / "hunts" / "harbor-2026_b.sqlite3").resolve()


def test_hunt_ids_lists_the_hunt_files(tmp_path: Path, hunt_file: Path) -> None:
    (tmp_path / "hunts" / "Not-A-Hunt.sqlite3").write_bytes(b"")
    (tmp_path / "hunts" / "notes.txt").write_bytes(b"")
    assert hunt_ids(tmp_path) == [HUNT_ID]
    assert hunt_ids(tmp_path / "nowhere") == []


# -- opening ------------------------------------------------------------------------------------


def test_create_refuses_an_existing_hunt_and_open_a_missing_one(tmp_path: Path, hunt_file: Path) -> None:
    with pytest.raises(HuntExists):
        SqliteHuntStore.create(tmp_path, HUNT_ID)
    with pytest.raises(HuntNotFound):
        SqliteHuntStore.open(tmp_path, "other")
    with pytest.raises(HuntNotFound):
        SqliteHuntStore.open_reader(tmp_path, "other")
    assert not hunt_path(tmp_path, "other").exists()


@pytest.mark.parametrize(("mode", "level"), [("OFF", 0), ("NORMAL", 1), ("FULL", 2), ("EXTRA", 3)])
def test_the_writer_uses_wal_and_the_configured_synchronous_mode(tmp_path: Path, mode: str, level: int) -> None:
    for store in _created_then_opened(tmp_path, synchronous=mode):
        assert store.query("PRAGMA journal_mode") == [{"journal_mode": "wal"}]
        assert store.query("PRAGMA synchronous") == [{"synchronous": level}]


def test_full_is_the_default_synchronous_mode(tmp_path: Path) -> None:
    for store in _created_then_opened(tmp_path):
        assert store.query("PRAGMA synchronous") == [{"synchronous": 2}]


def _created_then_opened(tmp_path: Path, **options: Any) -> Any:
    store = SqliteHuntStore.create(tmp_path, HUNT_ID, **options)
    try:
        yield store
    finally:
        store.close()
    store = SqliteHuntStore.open(tmp_path, HUNT_ID, **options)
    try:
        yield store
    finally:
        store.close()


# -- one writer ---------------------------------------------------------------------------------


def test_a_second_writer_in_the_same_process_is_fenced(tmp_path: Path, hunt_file: Path) -> None:
    writer = SqliteHuntStore.open(tmp_path, HUNT_ID)
    try:
        with pytest.raises(StoreLocked):
            SqliteHuntStore.open(tmp_path, HUNT_ID)
    finally:
        writer.close()
    SqliteHuntStore.open(tmp_path, HUNT_ID).close()  # closing released the fence


def test_creating_a_hunt_that_is_open_elsewhere_says_it_already_exists(tmp_path: Path, hunt_file: Path) -> None:
    writer = SqliteHuntStore.open(tmp_path, HUNT_ID)  # say, a running server has it loaded
    try:
        with pytest.raises(HuntExists, match="already exists"):
            SqliteHuntStore.create(tmp_path, HUNT_ID)
    finally:
        writer.close()


CHILD_OPEN = """
import sys
from hunt.store import SqliteHuntStore, StoreError
try:
    store = SqliteHuntStore.open(sys.argv[1], sys.argv[2])
except StoreError as err:
    print(type(err).__name__, flush=True)
    sys.exit(0)
print("open", flush=True)
sys.stdin.read()  # hold the file until the parent closes our stdin or kills us
"""


def test_a_writer_in_another_process_is_fenced(tmp_path: Path, hunt_file: Path) -> None:
    writer = SqliteHuntStore.open(tmp_path, HUNT_ID)
    try:
        child = subprocess.run([sys.executable, "-c", CHILD_OPEN, str(tmp_path), HUNT_ID],
                               capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    finally:
        writer.close()
    assert child.stdout.strip() == "StoreLocked", child.stderr


def test_the_fence_of_a_killed_writer_is_released(tmp_path: Path, hunt_file: Path, log: list[Recorded]) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD_OPEN, str(tmp_path), HUNT_ID],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([child.stdout], [], [], 30)
        assert ready and child.stdout.readline().strip() == "open"
        with pytest.raises(StoreLocked):
            SqliteHuntStore.open(tmp_path, HUNT_ID)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        child.stdin.close()
        child.stdout.close()
    store = SqliteHuntStore.open(tmp_path, HUNT_ID)  # the OS dropped the dead writer's lock
    try:
        assert list(store.read()) == log
    finally:
        store.close()


# -- readers ------------------------------------------------------------------------------------


def test_a_reader_works_beside_the_writer(tmp_path: Path, log: list[Recorded]) -> None:
    writer = SqliteHuntStore.create(tmp_path, HUNT_ID)
    try:
        writer.append(log[:10])
        reader = SqliteHuntStore.open_reader(tmp_path, HUNT_ID)
        try:
            assert list(reader.read()) == log[:10]
            writer.append(log[10:])  # the reader holds no lock and blocks nothing
            assert list(reader.read()) == log  # ... and sees each commit on its next read
            assert as_dict(reader.load()[0]) == replayed(log)
            with pytest.raises(WriteFailed):
                reader.append([dataclasses.replace(log[-1], seq=len(log) + 1, cmd="more")])  # read-only
            assert writer.last_seq() == len(log)
        finally:
            reader.close()
    finally:
        writer.close()


def test_a_reader_opens_a_closed_hunt_file(hunt_file: Path, log: list[Recorded]) -> None:
    reader = SqliteHuntStore.open_reader(hunt_file, HUNT_ID)
    try:
        assert list(reader.read()) == log
    finally:
        reader.close()


# -- corruption ---------------------------------------------------------------------------------


def test_a_garbage_file_is_a_corrupt_store(tmp_path: Path) -> None:
    path = hunt_path(tmp_path, HUNT_ID)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database, not even close. " * 200)
    for _ in range(2):  # a failed open leaves no lock behind: the second try fails the same way
        with pytest.raises(CorruptStore):
            SqliteHuntStore.open(tmp_path, HUNT_ID)
    with pytest.raises(CorruptStore):
        SqliteHuntStore.open_reader(tmp_path, HUNT_ID)
    assert path.read_bytes().startswith(b"this is not a database")


def test_a_truncated_hunt_file_is_a_corrupt_store(tmp_path: Path, hunt_document: dict[str, Any]) -> None:
    store = SqliteHuntStore.create(tmp_path, HUNT_ID)
    try:
        store.append(build_log(hunt_document, 2000))
    finally:
        store.close()
    path = hunt_path(tmp_path, HUNT_ID)
    assert not Path(f"{path}-wal").exists()  # closing checkpointed everything into the file
    with path.open("r+b") as file:
        file.truncate(path.stat().st_size // 2)
    with pytest.raises(CorruptStore):
        store = SqliteHuntStore.open(tmp_path, HUNT_ID)
        try:
            store.load()
        finally:
            store.close()


# -- creation -----------------------------------------------------------------------------------


def test_create_with_first_events_makes_the_file_appear_complete(tmp_path: Path, log: list[Recorded]) -> None:
    store = SqliteHuntStore.create(tmp_path, HUNT_ID, first=log[:1])
    try:
        assert list(store.read()) == log[:1]
        store.append(log[1:])
        assert store.get_meta("hunt_id") == HUNT_ID
    finally:
        store.close()
    assert sorted(p.name for p in (tmp_path / "hunts").iterdir()) == [f"{HUNT_ID}.lock", f"{HUNT_ID}.sqlite3"]


def test_a_create_whose_first_write_fails_leaves_no_hunt(tmp_path: Path, log: list[Recorded]) -> None:
    """Else the id would be blocked for good: HuntExists to create, an empty log to load."""
    with pytest.raises(WriteFailed):
        SqliteHuntStore.create(tmp_path, HUNT_ID, first=[dataclasses.replace(log[0], seq=2)])
    assert not hunt_path(tmp_path, HUNT_ID).exists()
    assert hunt_ids(tmp_path) == []
    SqliteHuntStore.create(tmp_path, HUNT_ID, first=log[:1]).close()


def test_a_draft_left_by_a_killed_create_is_not_a_hunt(tmp_path: Path, log: list[Recorded]) -> None:
    path = hunt_path(tmp_path, HUNT_ID)
    path.parent.mkdir(parents=True)
    for suffix in ("-new", "-new-wal", "-new-shm"):  # what a create killed mid-way leaves
        Path(f"{path}{suffix}").write_bytes(b"half a database")
    assert hunt_ids(tmp_path) == []
    with pytest.raises(HuntNotFound):
        SqliteHuntStore.open(tmp_path, HUNT_ID)
    store = SqliteHuntStore.create(tmp_path, HUNT_ID, first=log[:1])
    store.close()
    assert sorted(p.name for p in path.parent.iterdir()) == [f"{HUNT_ID}.lock", f"{HUNT_ID}.sqlite3"]


def test_a_log_with_a_hole_is_a_corrupt_store(hunt_file: Path) -> None:
    with sqlite3.connect(hunt_path(hunt_file, HUNT_ID)) as conn:
        conn.execute("DELETE FROM events WHERE seq = 20")  # behind the store's back
    conn.close()
    store = SqliteHuntStore.open(hunt_file, HUNT_ID)
    try:
        with pytest.raises(CorruptStore, match="replay failed"):
            store.load()
    finally:
        store.close()


def test_a_failed_open_leaks_no_file_descriptor(tmp_path: Path) -> None:
    path = hunt_path(tmp_path, HUNT_ID)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage " * 1000)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        for opener in (SqliteHuntStore.open, SqliteHuntStore.open_reader):
            with pytest.raises(CorruptStore):
                opener(tmp_path, HUNT_ID)
    assert len(os.listdir("/proc/self/fd")) == before


# -- the batch insert ---------------------------------------------------------------------------


@pytest.mark.parametrize("cmd", ["plain", 'quote"s', "back\\slash", "naïve 🦜", "tab\tnewline\n", "nul\x00byte",
                                 "\\u0000 as text", "x" * 128])
def test_a_batch_reads_back_exactly_whatever_its_strings_hold(tmp_path: Path, log: list[Recorded], cmd: str) -> None:
    # One JSON statement per batch, except when a string holds a NUL (json_extract would cut it).
    batch = [dataclasses.replace(r, cmd=f"{cmd}{r.seq}") if r.cmd else r for r in log]
    store = SqliteHuntStore.create(tmp_path, HUNT_ID)
    try:
        store.append(batch[:1])
        store.append(batch[1:])
        assert list(store.read()) == batch
        raw = sqlite3.connect(hunt_path(tmp_path, HUNT_ID))
        assert {type(data) for (data,) in raw.execute("SELECT data FROM events")} == {bytes}
        raw.close()
    finally:
        store.close()


def test_the_convoy_benchmark_appends_both_ways() -> None:
    from hunt_lab.bench.convoy import measure  # a smoke run of `python -m hunt_lab.bench.convoy`, not a timing test

    for json_insert in (False, True):
        assert len(measure(json_insert=json_insert, busy=True, batch=4, batches=3)) == 3


# -- deduplication lookups ------------------------------------------------------------------------


def test_a_command_lookup_is_an_index_search_never_a_scan(hunt_file: Path) -> None:
    """On a log of millions of events a scan of the key index took 47 ms per batch; a search, µs."""
    from hunt.store._sqlite import FIND_COMMAND

    conn = sqlite3.connect(hunt_path(hunt_file, HUNT_ID))
    try:
        conn.execute("ANALYZE")  # statistics must not talk the planner into a scan either
        plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {FIND_COMMAND}", ("p1", "x"))]
    finally:
        conn.close()
    assert plan and all(step.startswith("SEARCH events USING") and "events_command" in step for step in plan), plan


def test_every_command_key_of_the_log_is_listed(hunt_file: Path, log: list[Recorded]) -> None:
    reader = SqliteHuntStore.open_reader(hunt_file, HUNT_ID)
    try:
        assert sorted(reader.command_keys()) == sorted((r.principal or "", r.cmd) for r in log if r.cmd)
    finally:
        reader.close()
