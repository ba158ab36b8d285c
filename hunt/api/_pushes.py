"""Pushed frames built from the hunt's per-version view cache (shared by its connections)."""

from __future__ import annotations

from typing import Any

import orjson

from ..domain import HuntState
from ..engine import LiveHunt
from ..protocol import frames
from ._views import dynamic_values, you_row

__all__ = ["leaderboard_push"]


def leaderboard_push(live: LiveHunt, state: HuntState, player: str, top_n: int) -> tuple[Any, frames.Frame]:
    """``(key, frame)``: the leaderboard frame for ``player``, and a key that is equal for two
    frames with the same content (a connection skips a push whose key it sent last).

    The frame carries ``values`` (what each clue whose value falls as it is found would score
    now) when the hunt has such clues.
    """
    top, etag = live.cached(("push-top", top_n), lambda: state.top(top_n), orjson.dumps)
    values, values_etag = live.cached("push-values", lambda: dynamic_values(state), orjson.dumps)
    you = you_row(state, player)
    key = (etag, values_etag, tuple(sorted(you.items())) if you else None)
    return key, frames.leaderboard(state.seq, top, you, values if values != b"{}" else None)
