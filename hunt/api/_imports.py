"""``POST /admin/hunts/import``: an NDJSON body streamed into a new hunt file.

The importer (``Engine.import_hunt``) runs in a worker thread and pulls lines from a
generator; the generator fetches the next body chunk from the event loop with
``trio.from_thread.run``. So a large import is never held in memory whole, and the byte
limit is enforced as it arrives.
"""

from __future__ import annotations

from collections.abc import Iterator

import trio
from quart import request

from ..engine import Engine
from ..protocol import TooLarge

__all__ = ["import_stream"]


async def import_stream(engine: Engine, limit: int) -> tuple[str, int]:
    """Import the request body; return (hunt id, events). Raises TooLarge, InvalidImport, HuntExists."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise TooLarge(f"an import may have at most {limit} bytes")
    chunks = aiter(request.body)
    received = 0

    async def next_chunk() -> bytes | None:
        nonlocal received
        try:
            chunk: bytes = await anext(chunks)
        except StopAsyncIteration:
            return None
        received += len(chunk)
        if received > limit:
            raise TooLarge(f"an import may have at most {limit} bytes")
        return chunk

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
