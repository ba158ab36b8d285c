"""Pushed frames built from the hub's per-version cache (shared by every connection of a hunt)."""

from __future__ import annotations

from typing import Any

import orjson

from ..domain import HuntState
from ..engine import HuntHub
from ._views import dynamic_values, you_row

__all__ = ["leaderboard_push"]


def leaderboard_push(hub: HuntHub, state: HuntState, player: str, top_n: int) -> tuple[Any, str]:
    """``(key, frame)``: the leaderboard frame for ``player``, and a key that is equal for two
    frames with the same content (a connection skips a push whose key it sent last).

    ``{"op":"leaderboard","seq","top","you","values"?}``: ``values`` holds what each clue whose
    value falls as it is found (decay, first-finder bonus) would score now; omitted if none do.
    """
    top, etag = hub.cached(("push-top", top_n), lambda: state.top(top_n), orjson.dumps)
    values, values_etag = hub.cached("push-values", lambda: dynamic_values(state), orjson.dumps)
    you = you_row(state, player)
    key = (etag, values_etag, tuple(sorted(you.items())) if you else None)
    extra = f',"values":{values.decode()}' if values != b"{}" else ""
    return key, (f'{{"op":"leaderboard","seq":{state.seq},"top":{top.decode()},'
                 f'"you":{orjson.dumps(you).decode()}{extra}}}')
