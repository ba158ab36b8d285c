"""``POST /admin/hunts/import``: an NDJSON body streamed into a new hunt file.

The importer (``Engine.import_hunt``) runs in a worker thread and pulls lines from a
generator; the generator fetches the next body chunk from the event loop with
``trio.from_thread.run``. So a large import is never held in memory whole, and the byte
limit is enforced as it arrives. Imports run on the engine's import threads (a few, apart from
the commit threads), and a body that sends nothing for ``limits.import_idle_timeout_s``, or
is not complete after ``limits.import_body_timeout_s``, is refused (408 ``timeout``): a
stalled or trickled upload cannot hold an import thread for long, nor any other work at all.
"""

from __future__ import annotations

from collections.abc import Iterator

import trio

from ..config import LimitsConfig
from ..engine import Engine
from ._http import BodyReader

__all__ = ["import_stream"]


async def import_stream(engine: Engine, limits: LimitsConfig) -> tuple[str, int]:
    """Import the request body; return (hunt id, events).

    Raises TooLarge (over ``limits.max_import_bytes``), BodyTimeout (slower than
    ``limits.import_body_timeout_s`` in all, or stalled for ``limits.import_idle_timeout_s``),
    InvalidImport, HuntExists.
    """
    reader = BodyReader(limits.max_import_bytes, limits.import_body_timeout_s, limits.import_idle_timeout_s,
                        "an import")
    next_chunk = reader.next_chunk

    def lines() -> Iterator[bytes]:  # runs in the importer's worker thread
        buffer = bytearray()
        while (chunk := trio.from_thread.run(next_chunk)) is not None:
            buffer += chunk
            start = 0
            while (end := buffer.find(b"\n", start)) >= 0:
                yield bytes(buffer[start:end])
                start = end + 1
            del buffer[:start]
        if buffer:
            yield bytes(buffer)

    last_seq = 0

    def progress(seq: int) -> None:
        nonlocal last_seq
        last_seq = seq

    hunt_id = await engine.import_hunt(lines(), progress=progress)
    return hunt_id, last_seq
