"""``hunt.store.backup`` / ``restore``: complete copies with a manifest, and a restore that
refuses to overwrite what it must not."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from hunt.engine import verify_hunt
from hunt.store import (
    BackupFailed,
    HuntExists,
    SqliteHuntStore,
    StoreLocked,
    backup,
    hunt_path,
    prune_backups,
    read_manifest,
    restore,
)
from tests.support.hunts import HARBOR, HUNT_ID
from tests.support.store import build_log


@pytest.fixture
def data(tmp_path: Path) -> Path:
    log = build_log(HARBOR, 300)
    store = SqliteHuntStore.create(tmp_path / "data", HUNT_ID, first=log[:1])
    try:
        store.append(log[1:])  # and the writer stays open: its last commits are in the -wal file
        yield tmp_path / "data"
    finally:
        store.close()


def test_a_backup_holds_every_committed_event_and_a_manifest(data: Path, tmp_path: Path) -> None:
    manifest = backup(data, tmp_path / "b1")
    assert Path(f"{hunt_path(data, HUNT_ID)}-wal").exists()  # the copy did not need a checkpoint
    [entry] = manifest["hunts"]
    assert (entry["hunt"], entry["last_seq"], entry["events"]) == (HUNT_ID, 300, 300)
    assert read_manifest(tmp_path / "b1") == manifest
    assert sorted(p.name for p in (tmp_path / "b1").iterdir()) == ["harbor.sqlite3", "manifest.json"]
    assert (tmp_path / "b1").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "b1" / "harbor.sqlite3").stat().st_mode & 0o777 == 0o600
    restored = restore(tmp_path / "b1", tmp_path / "new")
    assert [e["hunt"] for e in restored] == [HUNT_ID]
    report = verify_hunt(tmp_path / "new", HUNT_ID)
    assert report["ok"] and report["events"] == 300, report


def test_a_backup_goes_only_into_a_new_or_empty_directory(data: Path, tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "something").write_text("x")
    with pytest.raises(BackupFailed, match="not an empty directory"):
        backup(data, tmp_path / "used")
    with pytest.raises(BackupFailed, match="no hunt"):
        backup(data, tmp_path / "b2", ["nope"])


def test_restore_refuses_a_live_hunt(data: Path, tmp_path: Path) -> None:
    backup(data, tmp_path / "b")
    with pytest.raises(HuntExists, match="--force"):
        restore(tmp_path / "b", data)
    with pytest.raises(StoreLocked):  # the fixture's writer holds the lock, as a server would
        restore(tmp_path / "b", data, force=True)


def test_restore_force_replaces_and_keeps_the_old_files_aside(tmp_path: Path) -> None:
    log = build_log(HARBOR, 50)
    store = SqliteHuntStore.create(tmp_path / "data", HUNT_ID, first=log[:1])
    store.append(log[1:20])
    store.close()
    backup(tmp_path / "data", tmp_path / "b")
    store = SqliteHuntStore.open(tmp_path / "data", HUNT_ID)
    store.append(log[20:])
    store.close()
    restore(tmp_path / "b", tmp_path / "data", force=True)
    assert verify_hunt(tmp_path / "data", HUNT_ID)["events"] == 20
    [aside] = [p for p in (tmp_path / "data" / "hunts").iterdir() if ".replaced-" in p.name and
               not p.name.endswith(("-wal", "-shm"))]
    reader = SqliteHuntStore.open_reader(tmp_path / "data", HUNT_ID)
    reader.close()
    assert aside.stat().st_size > 0


def test_restore_refuses_a_damaged_copy_or_an_unknown_hunt(data: Path, tmp_path: Path) -> None:
    backup(data, tmp_path / "b")
    with pytest.raises(BackupFailed, match="not in the backup"):
        restore(tmp_path / "b", tmp_path / "new", ["other"])
    with open(tmp_path / "b" / "harbor.sqlite3", "r+b") as f:
        f.seek(5000)
        f.write(b"\xa5" * 16)
    with pytest.raises(BackupFailed, match="checksum"):
        restore(tmp_path / "b", tmp_path / "new")
    assert not (tmp_path / "new").exists() or not list((tmp_path / "new").rglob("*.sqlite3"))
    os.remove(tmp_path / "b" / "manifest.json")
    with pytest.raises(BackupFailed, match="not a \\(complete\\) backup"):
        restore(tmp_path / "b", tmp_path / "new")


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    for stamp in ("20260101T000000.000Z", "20260102T000000.000Z", "20260103T000000.000Z"):
        (tmp_path / f"hunt-backup-{stamp}").mkdir()
    (tmp_path / "unrelated").mkdir()
    removed = prune_backups(tmp_path, 2)
    assert [p.name for p in removed] == ["hunt-backup-20260101T000000.000Z"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "hunt-backup-20260102T000000.000Z", "hunt-backup-20260103T000000.000Z", "unrelated"]


def test_mission_media_comes_along_and_goes_back_checked(data: Path, tmp_path: Path) -> None:
    media = data / "media" / HUNT_ID
    media.mkdir(parents=True)
    photo = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    name = hashlib.sha256(photo).hexdigest()
    (media / name).write_bytes(photo)
    (media / ".upload-0123").write_bytes(b"half an upload")  # a draft: not media yet
    [entry] = backup(data, tmp_path / "b1")["hunts"]
    assert entry["media"] == 1
    assert sorted(p.name for p in (tmp_path / "b1" / "media" / HUNT_ID).iterdir()) == [name]
    restore(tmp_path / "b1", tmp_path / "new")
    assert (tmp_path / "new" / "media" / HUNT_ID / name).read_bytes() == photo

    (media / name).write_bytes(b"not the photo any more")  # damaged on disk: the backup says so
    with pytest.raises(BackupFailed, match="damaged media"):
        backup(data, tmp_path / "b2")
