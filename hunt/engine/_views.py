"""Responses built from a hunt's live state, encoded once per committed version, with an ETag."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from hashlib import blake2b
from typing import Any

__all__ = ["ViewCache"]

MAX_VIEWS = 256  # distinct views (kind, page, ...) kept per hunt; past that the cache starts over


class ViewCache:
    """Encoded views keyed by what they show, each valid for one committed seq."""

    def __init__(self) -> None:
        self._views: dict[Hashable, tuple[int, bytes, str]] = {}

    def get(self, key: Hashable, seq: int, build: Callable[[], Any],
            encode: Callable[[Any], bytes]) -> tuple[bytes, str]:
        """The view ``key`` as of ``seq``: built and encoded at most once per seq; ``(body, etag)``."""
        hit = self._views.get(key)
        if hit is not None and hit[0] == seq:
            return hit[1], hit[2]
        body = encode(build())
        etag = '"' + blake2b(body, digest_size=12).hexdigest() + '"'
        if len(self._views) >= MAX_VIEWS:
            self._views.clear()
        self._views[key] = (seq, body, etag)
        return body, etag

    def clear(self) -> None:
        self._views.clear()
