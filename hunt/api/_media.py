"""Media on disk, beside the event log: ``<data_dir>/media/<hunt_id>/<sha256>``: mission photos
and videos players send, and the images and recordings organisers show with clues.

Content-addressed: a file's name is the SHA-256 of its bytes, so the same photo sent twice is
stored once and an entry's event holds only the hash, size and type. The type is read from
the bytes (their signature), never taken from the client. An upload streams to a draft file
(bounded: ``limits.max_photo_bytes`` / ``max_video_bytes``), hashed on the way, and is renamed
into place before the entry's command is submitted, so a durable entry never names a missing
file; a refused entry's new file is removed again unless something else uses it.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections import Counter
from collections.abc import AsyncIterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import trio
from quart import Response, send_file

from actors import Overloaded

from ..domain import MEDIA_KINDS, HuntState, valid_id
from ..protocol import BadRequest, NotFound, TooLarge

__all__ = ["SNIFF_BYTES", "MediaStore", "Stored", "sniff"]

HASH = re.compile(r"[0-9a-f]{64}")
UPLOAD_RETRY_MS = 1000
SNIFF_BYTES = 32
_FTYP_IMAGE = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"}
_FTYP_QUICKTIME = {b"qt  "}
_FTYP_AUDIO = {b"M4A ", b"M4B "}


def sniff(head: bytes) -> str | None:
    """The media type that the first bytes of a file say it is (the ones missions and clues take), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _FTYP_IMAGE:
            return "image/heic"
        if brand in _FTYP_QUICKTIME:
            return "video/quicktime"
        if brand in _FTYP_AUDIO:
            return "audio/mp4"
        return "video/mp4"  # isom, iso2, mp41, mp42, avc1, M4V, dash...
    return _sniff_audio(head)


def _sniff_audio(head: bytes) -> str | None:
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] in (0xFB, 0xFA, 0xF3, 0xF2)):
        return "audio/mpeg"  # an ID3 tag, or an MPEG-1/2 layer III frame
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    return None


@dataclass(frozen=True, slots=True)
class Stored:
    hash: str
    size: int
    type: str
    created: bool  # this upload put the file there (it was not stored before)


class MediaStore:
    """Receives, keeps and serves one server's mission media. Safe to share between tasks."""

    def __init__(self, data_dir: Path, uploads_in_flight: int) -> None:
        self.root = data_dir / "media"
        self._slots = trio.Semaphore(uploads_in_flight)
        self._in_flight: Counter[tuple[str, str]] = Counter()  # (hunt, hash) being submitted

    def folder(self, hunt_id: str) -> Path:
        if not valid_id(hunt_id):
            raise NotFound("no such hunt")
        return self.root / hunt_id

    def path(self, hunt_id: str, digest: str) -> Path:
        """The file of ``digest``; raises NotFound for anything that is not a SHA-256 in hex."""
        if not isinstance(digest, str) or HASH.fullmatch(digest) is None:
            raise NotFound("no such media")
        return self.folder(hunt_id) / digest

    async def receive(self, hunt_id: str, body: AsyncIterable[bytes], kind: str, limit: int,
                      allowed: Sequence[str] | None = None) -> Stored:
        """Stream an upload to disk and name it by its hash. Raises TooLarge past ``limit`` bytes,
        BadRequest if its bytes are not a ``kind`` (photo or video) that missions take (or of the
        ``allowed`` types, when given), and Overloaded when ``limits.uploads_in_flight`` uploads
        are being received already."""
        allowed = MEDIA_KINDS[kind] if allowed is None else allowed
        folder = self.folder(hunt_id)
        try:
            self._slots.acquire_nowait()
        except trio.WouldBlock:
            raise Overloaded(f"uploads to {hunt_id}", UPLOAD_RETRY_MS) from None
        try:
            await trio.to_thread.run_sync(lambda: folder.mkdir(parents=True, exist_ok=True, mode=0o700))
            draft = folder / f".upload-{secrets.token_hex(8)}"
            digest, size, head = hashlib.sha256(), 0, b""
            try:
                async with await trio.open_file(draft, "wb") as out:
                    async for chunk in body:
                        size += len(chunk)
                        if size > limit:
                            raise TooLarge(f"{_article(kind)} {kind} may have at most {limit} bytes")
                        if len(head) < SNIFF_BYTES:
                            head = (head + chunk)[:SNIFF_BYTES]
                        digest.update(chunk)
                        await out.write(chunk)
                media_type = sniff(head)
                if size == 0 or media_type not in allowed:
                    raise BadRequest(f"{_article(kind)} {kind} must be one of {', '.join(allowed)} "
                                     "(read from its bytes)")
                final = folder / digest.hexdigest()
                created = await trio.to_thread.run_sync(_place, draft, final)
            except BaseException:
                with trio.CancelScope(shield=True):
                    await trio.to_thread.run_sync(_unlink, draft)
                raise
        finally:
            self._slots.release()
        stored = Stored(digest.hexdigest(), size, media_type, created)
        self._in_flight[(hunt_id, stored.hash)] += 1
        return stored

    async def settle(self, hunt_id: str, stored: Stored, state: HuntState | None, accepted: bool) -> None:
        """After the entry's (or the upload's) command: keep the file, or remove one this upload
        created for a command that was refused, unless an entry, the hunt's uploaded media or an
        upload in flight uses it."""
        key = (hunt_id, stored.hash)
        self._in_flight[key] -= 1
        if self._in_flight[key] <= 0:
            del self._in_flight[key]
        if accepted or not stored.created or key in self._in_flight:
            return
        if state is not None and (stored.hash in state.media or any(
                (e.get("media") or {}).get("hash") == stored.hash for e in state.entries.values())):
            return
        await trio.to_thread.run_sync(_unlink, self.folder(hunt_id) / stored.hash)


    async def response(self, hunt_id: str, digest: str, cache: str) -> Response:
        """The stored file of ``digest`` (its type read from its bytes, Range requests honoured),
        never run as a page; raises NotFound when there is none. ``cache``: its Cache-Control."""
        path = self.path(hunt_id, digest)
        try:
            head = await trio.to_thread.run_sync(_head, path)
        except FileNotFoundError:
            raise NotFound("no such media") from None
        response = await send_file(path, mimetype=sniff(head) or "application/octet-stream", conditional=True)
        response.headers["Cache-Control"] = cache
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response


def _article(noun: str) -> str:
    return "an" if noun[:1] in "aeiou" else "a"


def _head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(SNIFF_BYTES)


def _place(draft: Path, final: Path) -> bool:
    """Move the draft into place (fsynced); False when the same bytes were already stored."""
    if final.exists():
        _unlink(draft)
        return False
    with open(draft, "rb") as handle:
        os.fsync(handle.fileno())
    os.rename(draft, final)
    return True


def _unlink(path: Path) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
