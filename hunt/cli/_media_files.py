"""Media beside an export: ``hunt export --media DIR`` and ``hunt import --media DIR``.

The NDJSON export holds the events; an ``entry_submitted`` event names its photo or video by
SHA-256, a ``media_added`` event the image or recording an organiser uploaded for clues. The
files live in ``<data_dir>/media/<hunt>/<sha256>``; these helpers copy the ones a hunt's events
name into a folder (``<sha256>`` each) and back, checking every hash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..store import SqliteHuntStore, copy_private, file_sha256

__all__ = ["MediaCopy", "copy_media_in", "copy_media_out"]

_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass
class MediaCopy:
    copied: int = 0
    present: int = 0  # already there with the right bytes
    missing: list[str] = field(default_factory=list)  # named by an event, not found at the source
    corrupt: list[str] = field(default_factory=list)  # found, but their bytes do not hash to their name


def media_hashes(reader: SqliteHuntStore) -> list[str]:
    """Every media hash the hunt's entries and uploads name, in log order, once each."""
    records = sorted([*reader.read(type_="entry_submitted"), *reader.read(type_="media_added")], key=lambda r: r.seq)
    hashes = (getattr(r.event, "media_hash", None) or getattr(r.event, "hash", None) for r in records)
    return list(dict.fromkeys(h for h in hashes if isinstance(h, str) and _HASH.fullmatch(h)))


def copy_media_out(data_dir: Path, hunt_id: str, reader: SqliteHuntStore, target: Path) -> MediaCopy:
    return _copy(media_hashes(reader), data_dir / "media" / hunt_id, target)


def copy_media_in(data_dir: Path, hunt_id: str, source: Path) -> MediaCopy:
    reader = SqliteHuntStore.open_reader(data_dir, hunt_id)
    try:
        hashes = media_hashes(reader)
    finally:
        reader.close()
    return _copy(hashes, source, data_dir / "media" / hunt_id)


def _copy(hashes: list[str], source: Path, target: Path) -> MediaCopy:
    report = MediaCopy()
    if hashes:
        target.mkdir(parents=True, exist_ok=True, mode=0o700)
    for digest in hashes:
        if (target / digest).is_file() and file_sha256(target / digest) == digest:
            report.present += 1
            continue
        origin = source / digest
        if not origin.is_file():
            report.missing.append(digest)
            continue
        if file_sha256(origin) != digest:
            report.corrupt.append(digest)
            continue
        copy_private(origin, target / digest)
        report.copied += 1
    return report

