"""``POST /admin/hunts/import``: an NDJSON body streamed into a new hunt file.

The importer (``Engine.import_hunt``) runs in a worker thread and pulls lines from a
generator; the generator fetches the next body chunk from the event loop with
``trio.from_thread.run``. So a large import is never held in memory whole, and the byte
limit is enforced as it arrives. Imports run on the engine's import threads (a few, apart from
the commit threads), and a body that sends nothing for ``limits.import_idle_timeout_s`` is
refused: a stalled upload cannot hold an import thread for long, nor any other work at all.
"""

from __future__ import annotations

from collections.abc import Iterator

import trio
from quart import request

from ..engine import Engine
from ..protocol import BadRequest, TooLarge

__all__ = ["import_stream"]


async def import_stream(engine: Engine, limit: int, idle_timeout_s: float) -> tuple[str, int]:
    """Import the request body; return (hunt id, events).

    Raises TooLarge, BadRequest (the body stalled for ``idle_timeout_s``), InvalidImport, HuntExists.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise TooLarge(f"an import may have at most {limit} bytes")
    chunks = aiter(request.body)
    received = 0

    async def next_chunk() -> bytes | None:
        nonlocal received
        chunk: bytes | None = None
        with trio.move_on_after(idle_timeout_s):
            try:
                chunk = await anext(chunks)
            except StopAsyncIteration:
                return None
        if chunk is None:
            raise BadRequest(f"the import body stalled: nothing arrived for {idle_timeout_s:g} s")
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
