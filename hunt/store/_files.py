"""The data directory's permissions: hunt files hold answers and join secrets, so only the
server's user may read them (directories 0700, files 0600).

New directories and files are created that way; :func:`insecure_paths` finds the ones that
are not (a data dir made by hand, files copied with ``cp``) for the start-up warning and
``hunt serve --check``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

__all__ = ["copy_private", "create_private", "file_sha256", "insecure_paths", "make_private_dir"]


def make_private_dir(path: Path) -> None:
    """Create a directory (and its parent) readable by its owner only."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.mkdir(mode=0o700, exist_ok=True)


def create_private(path: Path) -> None:
    """Create an empty file of mode 0600 (SQLite gives its -wal and -shm files the same mode)."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex), read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def copy_private(origin: Path, target: Path) -> None:
    """Copy a file to ``target`` (mode 0600, on disk) through a temporary name beside it, so
    ``target`` is either absent or whole."""
    partial = target.with_name(f".{target.name}.partial")
    shutil.copyfile(origin, partial)
    os.chmod(partial, 0o600)
    fd = os.open(partial, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial, target)


def insecure_paths(data_dir: str | os.PathLike[str]) -> list[tuple[Path, int]]:
    """The data dir, its ``hunts`` folder and the files in them that others may read or write.

    Returns ``(path, mode)`` pairs, mode being the permission bits (e.g. 0o755). Symlinks
    are judged by what they point to; missing paths are skipped.
    """
    root = Path(data_dir)
    found = []
    candidates = [root, root / "hunts"]
    for folder in (root, root / "hunts"):
        if folder.is_dir():
            candidates += sorted(p for p in folder.iterdir() if p.is_file())
    for path in candidates:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            found.append((path, mode))
    return found
