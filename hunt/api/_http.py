"""HTTP helpers: JSON responses (orjson, ETag and 304), errors, bodies and query parameters."""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator, Callable
from hashlib import blake2b
from typing import Any

import orjson
import trio
from quart import Response, request

from ..config import LimitsConfig
from ..protocol import BadRequest, BodyTimeout, TooLarge, WireError, loads_object

__all__ = [
    "MAX_QUERY_INT",
    "MAX_QUERY_TEXT",
    "BodyReader",
    "body_chunks",
    "error_response",
    "etag_of",
    "json_response",
    "query_int",
    "query_text",
    "read_body",
    "read_json",
]

JSON = "application/json"


def etag_of(body: bytes) -> str:
    return '"' + blake2b(body, digest_size=12).hexdigest() + '"'


def json_response(data: Any = None, status: int = 200, *, body: bytes | None = None, etag: str | None = None,
                  headers: dict[str, str] | None = None) -> Response:
    """A JSON response. With an ``etag``, a matching ``If-None-Match`` gives 304 (no body)."""
    if body is None:
        body = orjson.dumps(data)
    if etag is not None and _matches(request.headers.get("If-None-Match"), etag):
        response = Response(b"", 304)
    else:
        response = Response(body, status, content_type=JSON)
    if etag is not None:
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = "no-cache"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(error: WireError) -> Response:
    """``{"error": code, "message": ...}`` with the code's status (and Retry-After if retryable)."""
    headers = {}
    if error.retry_after_ms is not None:
        headers["Retry-After"] = str(max(1, math.ceil(error.retry_after_ms / 1000)))
    if error.code == "unauthorized":
        headers["WWW-Authenticate"] = 'Bearer realm="hunt"'
    return json_response(error.to_dict(), error.status, headers=headers)


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in candidates or etag in candidates


class BodyReader:
    """The request body in chunks as they arrive, within bounds of size and time.

    :meth:`next_chunk` raises TooLarge past ``limit`` bytes (at once if the declared length
    is over it), and BodyTimeout when the whole body takes longer than ``timeout_s`` or no
    byte arrives for ``idle_s``: a client that trickles a body cannot hold a request (and its
    descriptor) open.
    """

    def __init__(self, limit: int, timeout_s: float, idle_s: float, what: str = "the body") -> None:
        declared = request.content_length
        if declared is not None and declared > limit:
            raise TooLarge(f"{what} may have at most {limit} bytes")
        self._limit, self._idle_s, self._what = limit, idle_s, what
        self._deadline = trio.current_time() + timeout_s
        self._chunks = aiter(request.body)
        self._size = 0

    async def next_chunk(self) -> bytes | None:
        """The next chunk, or None at the end of the body."""
        chunk: bytes | None = None
        with trio.move_on_at(min(self._deadline, trio.current_time() + self._idle_s)):
            try:
                chunk = await anext(self._chunks)
            except StopAsyncIteration:
                return None
        if chunk is None:
            late = "took too long" if trio.current_time() >= self._deadline else f"stalled for {self._idle_s:g} s"
            raise BodyTimeout(f"{self._what} {late}; send it at once")
        self._size += len(chunk)
        if self._size > self._limit:
            raise TooLarge(f"{self._what} may have at most {self._limit} bytes")
        return chunk


async def body_chunks(limit: int, timeout_s: float, idle_s: float, what: str = "the body") -> AsyncIterator[bytes]:
    """The request body as it arrives (see :class:`BodyReader`), for bodies streamed to disk."""
    reader = BodyReader(limit, timeout_s, idle_s, what)
    while (chunk := await reader.next_chunk()) is not None:
        yield chunk


async def read_body(limits: LimitsConfig, limit: int | None = None) -> bytes:
    """The whole request body (at most ``limit``, else ``limits.max_body_bytes``, within the body timeouts)."""
    chunks = body_chunks(limits.max_body_bytes if limit is None else limit, limits.body_timeout_s,
                         limits.body_idle_timeout_s)
    return b"".join([chunk async for chunk in chunks])


async def read_json(limits: LimitsConfig, *, required: bool = True,
                    fields: frozenset[str] | None = None) -> dict[str, Any]:
    """A JSON object body (see read_body). An empty body is ``{}`` unless ``required``; with
    ``fields``, any other field is refused (a typo is an error, not a silently ignored setting)."""
    body = await read_body(limits)
    if not body.strip():
        if required:
            raise BadRequest("a JSON object body is required")
        return {}
    document = loads_object(body, "the body")
    if fields is not None and (unknown := sorted(set(document) - fields)):
        raise BadRequest(f"unknown field {unknown[0][:64]!r} (allowed: {', '.join(sorted(fields))})")
    return document


MAX_QUERY_INT = 2**63 - 1  # a seq, an offset: what SQLite's INTEGER holds
_DIGITS = re.compile(r"-?[0-9]{1,40}")


def query_int(name: str, default: int | None, low: int, high: int | None = None) -> int | None:
    """An integer query parameter within [low, MAX_QUERY_INT] (``high`` caps rather than refuses).

    Absent is ``default``; present it must be plain decimal digits (an empty value, ``+1``,
    ``1_000`` or ``1e3`` is refused, as the OpenAPI document says).
    """
    raw = request.args.get(name)
    if raw is None:
        return default
    if _DIGITS.fullmatch(raw) is None or not low <= (value := int(raw)) <= MAX_QUERY_INT:
        raise BadRequest(f"{name} must be an integer from {low} to {MAX_QUERY_INT}")
    return value if high is None else min(value, high)


MAX_QUERY_TEXT = 200


def query_text(name: str, check: Callable[[str], bool] | None = None) -> str | None:
    """A text query parameter of at most MAX_QUERY_TEXT characters; absent or empty is None."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > MAX_QUERY_TEXT or (check is not None and not check(raw)):
        raise BadRequest(f"invalid {name}: {raw[:40]!r}")
    return raw
