"""Backups of hunt files while they are written, and putting them back.

A hunt file in WAL mode cannot be copied with ``cp`` while its writer commits (the copy can
hold half a transaction, or miss what is still in the -wal file). :func:`backup` copies each
hunt with ``VACUUM INTO`` through a read-only connection: one read transaction, so the copy
is exactly the log as of one commit, and the writer (a running server) never waits for it.
Each copy is written under a temporary name and renamed; the manifest (``manifest.json``:
per hunt its file, last seq, event count, size and SHA-256) is written last, so a backup
directory with a manifest is complete.

:func:`restore` puts hunts back into a data dir. It checks each file against the manifest,
refuses a hunt whose lock is held (a server has it loaded: stop the server first) and, unless
``force``, a hunt that exists. With ``force`` the existing file (and its -wal and -shm) is
kept beside it as ``<id>.sqlite3.replaced-<UTC time>``, never deleted.

Mission media (``<data_dir>/media/<hunt>/<sha256>``, outside the log) comes along: after a
hunt's copy is taken, every media file of the hunt is copied into ``media/<hunt>/`` of the
backup and checked against its name. Media files are content-addressed and never change, and
an upload is on disk before its entry is committed, so every file the copied log names is
there. :func:`restore` puts them back the same way.

Everything here blocks (disk I/O): call it from a worker thread or a command.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from ._errors import BackupFailed, CorruptStore, HuntExists
from ._files import copy_private, file_sha256, make_private_dir
from ._sqlite import _lock, draft_path, hunt_ids, hunt_path

__all__ = ["BACKUP_PREFIX", "MANIFEST", "backup", "prune_backups", "read_manifest", "restore"]

MANIFEST = "manifest.json"
MEDIA = "media"  # <data_dir>/media/<hunt>/<sha256>: mission photos and videos
_MEDIA_NAME = re.compile(r"[0-9a-f]{64}")
BACKUP_PREFIX = "hunt-backup-"  # the periodic backups' directory names: hunt-backup-20261207T120000Z


def backup(data_dir: str | os.PathLike[str], dest: str | os.PathLike[str],
           hunts: Iterable[str] | None = None) -> dict[str, Any]:
    """Copy the hunts (default: all) into the new directory ``dest``; return the manifest.

    Raises BackupFailed if ``dest`` exists and is not empty, or a hunt cannot be copied.
    """
    target = Path(dest)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupFailed(f"{target} exists and is not an empty directory")
    make_private_dir(target)
    entries = []
    for hunt_id in sorted(hunts if hunts is not None else hunt_ids(data_dir)):
        entry = _copy_hunt(hunt_path(data_dir, hunt_id), hunt_id, target)
        entry["media"] = _copy_media(Path(data_dir) / MEDIA / hunt_id, target / MEDIA / hunt_id)
        entries.append(entry)
    manifest = {"format": 1, "created_ts": time.time_ns() // 1_000_000, "hunts": entries}
    _write_atomically(target / MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return manifest


def _copy_hunt(source: Path, hunt_id: str, target: Path) -> dict[str, Any]:
    if not source.exists():
        raise BackupFailed(f"no hunt {hunt_id!r}")
    name = source.name
    partial = target / f"{name}.partial"
    try:
        conn = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute("VACUUM INTO ?", (str(partial),))
        finally:
            conn.close()
        copy = sqlite3.connect(f"{partial.as_uri()}?mode=ro", uri=True)
        try:
            last_seq, events = copy.execute("SELECT coalesce(max(seq), 0), count(*) FROM events").fetchone()
        finally:
            copy.close()
    except sqlite3.Error as err:
        partial.unlink(missing_ok=True)
        raise BackupFailed(f"{name}: {err}") from err
    os.chmod(partial, 0o600)
    _fsync(partial)
    os.rename(partial, target / name)
    return {"hunt": hunt_id, "file": name, "last_seq": last_seq, "events": events,
            "bytes": (target / name).stat().st_size, "sha256": file_sha256(target / name)}


def read_manifest(source: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(source) / MANIFEST
    try:
        manifest: dict[str, Any] = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise BackupFailed(f"{path} is missing: not a (complete) backup") from None
    except orjson.JSONDecodeError as err:
        raise BackupFailed(f"{path}: {err}") from err
    if manifest.get("format") != 1 or not isinstance(manifest.get("hunts"), list):
        raise BackupFailed(f"{path}: not a manifest this version can read")
    return manifest


def restore(source: str | os.PathLike[str], data_dir: str | os.PathLike[str], hunts: Iterable[str] | None = None,
            *, force: bool = False) -> list[dict[str, Any]]:
    """Put hunts (default: all in the manifest) from the backup ``source`` into ``data_dir``.

    Returns the manifest entries restored. Raises BackupFailed (a checksum mismatch, a hunt
    not in the backup), StoreLocked (the hunt is live), HuntExists (it exists, no ``force``).
    Every hunt is checked before any is written.
    """
    folder = Path(source)
    entries = {entry["hunt"]: entry for entry in read_manifest(folder)["hunts"]}
    wanted = sorted(entries) if hunts is None else list(hunts)
    for hunt_id in wanted:
        entry = entries.get(hunt_id)
        if entry is None:
            raise BackupFailed(f"hunt {hunt_id!r} is not in the backup {folder}")
        if file_sha256(folder / entry["file"]) != entry["sha256"]:
            raise BackupFailed(f"{folder / entry['file']}: checksum differs from the manifest (damaged copy)")
        if hunt_path(data_dir, hunt_id).exists() and not force:
            raise HuntExists(f"hunt {hunt_id!r} exists in {data_dir}: restore --force keeps it aside and replaces it")
    for hunt_id in wanted:
        _restore_one(folder / entries[hunt_id]["file"], hunt_path(data_dir, hunt_id))
        _copy_media(folder / MEDIA / hunt_id, Path(data_dir) / MEDIA / hunt_id)
    return [entries[hunt_id] for hunt_id in wanted]


def _copy_media(source: Path, target: Path) -> int:
    """Copy a hunt's media files (named by their SHA-256) that ``target`` lacks; return how many
    files ``source`` holds. Raises BackupFailed for a file whose bytes do not match its name."""
    names = sorted(p.name for p in source.iterdir() if _MEDIA_NAME.fullmatch(p.name)) if source.is_dir() else []
    if names:
        make_private_dir(target)
    for name in names:
        if file_sha256(source / name) != name:
            raise BackupFailed(f"{source / name}: its bytes do not match its name (damaged media)")
        if (target / name).is_file() and file_sha256(target / name) == name:
            continue
        copy_private(source / name, target / name)
    return len(names)


def _restore_one(copy: Path, path: Path) -> None:
    make_private_dir(path.parent)
    lock_fd = _lock(path)  # StoreLocked: a server has the hunt loaded
    try:
        if path.exists():
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            for suffix in ("", "-wal", "-shm"):  # as a set: a -wal must never meet another file
                if os.path.exists(f"{path}{suffix}"):
                    os.rename(f"{path}{suffix}", f"{path}.replaced-{stamp}{suffix}")
        draft = draft_path(path)
        shutil.copyfile(copy, draft)
        os.chmod(draft, 0o600)
        _fsync(draft)
        try:
            check = sqlite3.connect(f"{draft.as_uri()}?mode=ro", uri=True)
            try:
                check.execute("SELECT 1 FROM events LIMIT 1")
            finally:
                check.close()
        except sqlite3.Error as err:
            draft.unlink(missing_ok=True)
            raise CorruptStore(f"{copy}: {err}") from err
        os.rename(draft, path)
        _fsync(path.parent)
    finally:
        os.close(lock_fd)


def prune_backups(folder: str | os.PathLike[str], keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` periodic backups (``hunt-backup-*`` directories)."""
    root = Path(folder)
    if not root.is_dir():
        return []
    backups = sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith(BACKUP_PREFIX))
    old = backups[:-keep] if keep > 0 else backups
    for path in old:
        shutil.rmtree(path)
    return old


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(partial, path)
    _fsync(path.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

