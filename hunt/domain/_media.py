"""Clue media and the players' map: the rules, their state, and what a player may see of them.

Media: the organiser uploads an image or a recording (``media_added``: its SHA-256, size and
type; the bytes live beside the log) and shows it with a target (``media_set``): the intro, the
outro, a clue's prompt or one of its hints. A definition may name media for each target too;
a ``media_set`` replaces the definition's list for its target. A player may fetch a file only
while one of the targets that show it is visible to their side (:func:`visible_media`): the
intro always, a clue's media once the clue is open, a hint's once the side took the hint, the
outro once the hunt ended or the side found every clue.

Map: when it is on (the definition's ``map``, then ``map_set``), a side sees an area for each
open geo clue it has not found that the organiser marked ``show_on_map``: a circle of
``map_radius_m`` that holds the whole check-in circle, centred away from the spot by a
displacement drawn from a hash of the spot itself (so it is the same for everybody, every
time, and says nothing more about the spot than the circle does). ``map_radius_m`` equal to
``radius_m`` shows the check-in circle itself.
"""

from __future__ import annotations

import hashlib
import math
from typing import TYPE_CHECKING, Any

from ._definition import Clue
from ._errors import Rejected
from ._media_messages import AddMedia, MapSet, MediaAdded, MediaSet, SetMap, SetMedia
from ._media_refs import CLUE_MEDIA_TYPES, MAX_ALT, MAX_MEDIA_ITEMS, MediaRef, valid_digest
from ._messages import Recorded
from ._timing import clue_times, own_start

if TYPE_CHECKING:
    from ._state import HuntState, Side

__all__ = [
    "MEDIA_TARGETS",
    "apply_media",
    "decide_add_media",
    "decide_set_map",
    "decide_set_media",
    "map_areas",
    "map_on",
    "media_from_dict",
    "media_of",
    "media_to_dict",
    "shown_media",
    "target_key",
    "visible_media",
]

MEDIA_TARGETS = ("intro", "outro", "clue", "hint")
_ALL_TYPES = frozenset(t for types in CLUE_MEDIA_TYPES.values() for t in types)
_M_PER_DEG = 111_320.0


def target_key(target: str, clue: str | None = None, hint: int | None = None) -> str:
    """The state's key of a target: ``intro``, ``outro``, ``clue:<id>`` or ``hint:<id>:<index>``."""
    if target == "clue":
        return f"clue:{clue}"
    if target == "hint":
        return f"hint:{clue}:{hint}"
    return target


# -- rules ----------------------------------------------------------------------------------


def decide_add_media(state: HuntState, command: AddMedia) -> MediaAdded:
    if not valid_digest(command.hash):
        raise Rejected("bad_request", "hash must be a SHA-256 in lower-case hex")
    if command.type not in _ALL_TYPES:
        raise Rejected("bad_request", f"type must be one of {', '.join(sorted(_ALL_TYPES))}")
    if not isinstance(command.size, int) or isinstance(command.size, bool) or command.size <= 0:
        raise Rejected("bad_request", "size must be a positive integer")
    if command.hash in state.media:
        raise Rejected("invalid_state", "this file is uploaded already")
    return MediaAdded(command.hash, command.size, command.type)


def decide_set_media(state: HuntState, command: SetMedia) -> MediaSet:
    target, clue_id, hint = command.target, command.clue, command.hint
    if target not in MEDIA_TARGETS:
        raise Rejected("bad_request", f"target must be one of {', '.join(MEDIA_TARGETS)}")
    if target in ("intro", "outro"):
        if clue_id is not None or hint is not None:
            raise Rejected("bad_request", f"the {target} has no clue or hint")
    else:
        clue = state.definition.clue(clue_id) if isinstance(clue_id, str) else None
        if clue is None:
            raise Rejected("unknown_clue", f"no clue {str(clue_id)[:64]!r} in this hunt")
        if target == "clue" and hint is not None:
            raise Rejected("bad_request", "a clue's media take no hint index (target hint does)")
        if target == "hint" and (not isinstance(hint, int) or isinstance(hint, bool)
                                 or not 0 <= hint < len(clue.hints)):
            raise Rejected("bad_request", f"“{clue.title}” has no hint {str(hint)[:20]} (it has {len(clue.hints)})")
    return MediaSet(target, clue_id, hint, _checked_items(state, command.media))


def _checked_items(state: HuntState, media: Any) -> list[dict[str, Any]]:
    if not isinstance(media, list) or len(media) > MAX_MEDIA_ITEMS:
        raise Rejected("bad_request", f"media must be a list of at most {MAX_MEDIA_ITEMS} items")
    items: list[dict[str, Any]] = []
    for item in media:
        if not isinstance(item, dict) or set(item) != {"hash", "alt"}:
            raise Rejected("bad_request", 'each media item is {"hash", "alt"}')
        digest, alt = item["hash"], item["alt"]
        if not valid_digest(digest) or digest not in state.media:
            raise Rejected("bad_request", f"no uploaded media {str(digest)[:64]!r} in this hunt: upload it first")
        if not isinstance(alt, str) or not alt.strip() or len(alt) > MAX_ALT:
            raise Rejected("bad_request", f"alt must be a non-empty string of at most {MAX_ALT} characters")
        if any(other["hash"] == digest for other in items):
            raise Rejected("bad_request", "the same media twice")
        items.append({"hash": digest, "alt": alt.strip()})
    return items


def decide_set_map(state: HuntState, command: SetMap) -> MapSet:
    if not isinstance(command.enabled, bool):
        raise Rejected("bad_request", "enabled must be true or false")
    if command.enabled == map_on(state):
        raise Rejected("invalid_state", f"the map is already {'on' if command.enabled else 'off'}")
    return MapSet(command.enabled)


# -- state ----------------------------------------------------------------------------------


def apply_media(state: HuntState, recorded: Recorded) -> None:
    match recorded.event:
        case MediaAdded(hash=digest, size=size, type=media_type):
            state.media[digest] = {"hash": digest, "size": size, "type": media_type, "seq": recorded.seq,
                                   "ts": recorded.ts}
        case MediaSet(target=target, clue=clue, hint=hint, media=media):
            state.attached[target_key(target, clue, hint)] = [dict(item) for item in media]
        case MapSet(enabled=enabled):
            state.map_enabled = enabled


def media_to_dict(state: HuntState) -> dict[str, Any]:
    return {"files": [dict(row) for row in state.media.values()],
            "attached": {key: [dict(item) for item in items] for key, items in state.attached.items()},
            "map": state.map_enabled}


def media_from_dict(state: HuntState, data: dict[str, Any] | None) -> None:
    """Fill ``state`` from :func:`media_to_dict`; None (a snapshot from before media existed) leaves it be."""
    if data is None:
        return
    state.media = {row["hash"]: dict(row) for row in data["files"]}
    state.attached = {key: [dict(item) for item in items] for key, items in data["attached"].items()}
    state.map_enabled = data["map"]


# -- reading --------------------------------------------------------------------------------


def map_on(state: HuntState) -> bool:
    return state.definition.map if state.map_enabled is None else state.map_enabled


def media_of(state: HuntState, key: str) -> list[dict[str, Any]]:
    """The media ``[{"hash", "alt"}]`` a target shows: its last ``media_set``, else the definition's."""
    if key in state.attached:
        return state.attached[key]
    return [ref.to_dict() for ref in _defined(state, key)]


def _defined(state: HuntState, key: str) -> tuple[MediaRef, ...]:
    definition = state.definition
    if key in ("intro", "outro"):
        notice = definition.intro if key == "intro" else definition.outro
        return notice.media if notice is not None else ()
    kind, clue_id, *rest = key.split(":")
    clue = definition.clue(clue_id)
    if clue is None:
        return ()
    if kind == "clue":
        return clue.media
    index = int(rest[0])
    return clue.hints[index].media if index < len(clue.hints) else ()


def shown_media(state: HuntState, key: str) -> list[dict[str, Any]]:
    """:func:`media_of` as a player gets it: only uploaded files, each with its type."""
    return [{**item, "type": state.media[item["hash"]]["type"]} for item in media_of(state, key)
            if item["hash"] in state.media]


def visible_targets(state: HuntState, side: Side | None, now_ms: int) -> list[str]:
    """The target keys whose media a side (None: somebody who has not joined) may see now."""
    keys = ["intro"]
    status = state.status_at(now_ms)
    found = side.found if side is not None else {}
    if status == "ended" or (side is not None and all(clue.id in found or clue.retired
                                                      for clue in state.definition.clues)):
        keys.append("outro")
    if side is None and status != "ended":
        return keys
    for clue in state.definition.clues:
        if clue.retired or status == "pending" or (status != "ended" and not is_open(state, clue, side, now_ms)):
            continue
        keys.append(f"clue:{clue.id}")
    if side is not None:
        for clue_id, taken in side.hints.items():
            keys.extend(f"hint:{clue_id}:{i}" for i in range(taken))
    return keys


def is_open(state: HuntState, clue: Clue, side: Side | None, now_ms: int) -> bool:
    """Whether a clue is open to a side (None: to somebody who has not joined) during the hunt:
    not withdrawn, its prerequisites found (or the organisers unlocked it for the side) and, in
    timed play, released for the side (as the player view says)."""
    if clue.retired or state.missing_for(side, clue):
        return False
    if not clue.times:
        return True
    side_id = side.id if side is not None else None
    opens, _ = clue_times(state, clue, side_id)
    relative = clue.times.opens_after_ms is not None
    return not ((opens is not None and now_ms < opens) or (relative and own_start(state, side_id) is None))


def visible_media(state: HuntState, side: Side | None, now_ms: int) -> set[str]:
    """The hashes of the uploaded files a side (None: anybody) may fetch now."""
    return {item["hash"] for key in visible_targets(state, side, now_ms) for item in media_of(state, key)
            if item["hash"] in state.media}


def map_areas(state: HuntState, side: Side, now_ms: int) -> list[dict[str, Any]]:
    """The areas a side's map shows now: ``[{"clue", "title", "lat", "lon", "radius_m"}]``; empty
    when the map is off or the hunt is not active."""
    if not map_on(state) or state.status_at(now_ms) not in ("active", "paused"):
        return []
    areas = []
    for clue in state.definition.clues:
        if clue.kind != "geo" or not clue.show_on_map or clue.id in side.found:
            continue
        if not is_open(state, clue, side, now_ms):
            continue
        lat, lon = _area_centre(clue, state.incarnation or "")
        areas.append({"clue": clue.id, "title": clue.title, "lat": lat, "lon": lon, "radius_m": clue.map_radius_m})
    return areas


def _area_centre(clue: Clue, salt: str) -> tuple[float, float]:
    """The centre of a clue's map area: its spot moved by up to ``map_radius_m - radius_m`` (so
    the check-in circle lies inside the area), in a direction and by a distance drawn from a hash
    of the spot (unknown to players, so the displacement is too)."""
    seed = hashlib.sha256(f"{salt}|{clue.id}|{clue.lat!r}|{clue.lon!r}".encode()).digest()
    u = int.from_bytes(seed[:8], "big") / 2**64
    v = int.from_bytes(seed[8:16], "big") / 2**64
    distance = (clue.map_radius_m - clue.radius_m) * math.sqrt(u)  # uniform over the disc
    bearing = 2 * math.pi * v
    lat = clue.lat + distance * math.cos(bearing) / _M_PER_DEG
    lon = clue.lon + distance * math.sin(bearing) / (_M_PER_DEG * max(math.cos(math.radians(clue.lat)), 1e-6))
    lat = min(90.0, max(-90.0, lat))
    lon = (lon + 180.0) % 360.0 - 180.0
    return round(lat, 6), round(lon, 6)
