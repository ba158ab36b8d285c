"""The clue media and map parts of ``/openapi.json`` (hunt/api/_clue_media.py): the definition's
fields, the bodies of the media commands and the media library. The JSON Schema helpers come
from ``_openapi_schemas`` as arguments (it builds the definition with these fields)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..domain import MAX_ALT, MAX_HINTS, MAX_MEDIA_ITEMS, MAX_TEXT, MEDIA_TARGETS

__all__ = ["clue_fields", "definition_fields", "media_bodies", "media_list", "media_responses", "public_fields"]

_BOOL = {"type": "boolean"}
_OBJECT = {"type": "object"}


def media_list(obj: Callable[..., dict[str, Any]], space: str) -> dict[str, Any]:
    """``[{"hash", "alt"}]`` shown with a clue, a hint, the intro or the outro; ``obj`` makes an
    object that refuses other fields, ``space`` is the whitespace class an alt may not be only of."""
    return {"type": "array", "maxItems": MAX_MEDIA_ITEMS, "uniqueItems": True, "items": obj({
        "hash": {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "the SHA-256 of an uploaded file"},
        "alt": {"type": "string", "minLength": 1, "maxLength": MAX_ALT, "pattern": f"[^{space}]",
                "description": "what the image shows or the recording is"}}, required=("hash", "alt")),
        "description": "images and recordings shown with it, by hash (each hash once)"}


def clue_fields(media: dict[str, Any]) -> dict[str, Any]:
    return {"media": media,
            "show_on_map": {**_BOOL, "description": "geo clues: an area around the spot is on the players' map"},
            "map_radius_m": {"type": "number", "minimum": 0.1, "maximum": 100_000,
                             "description": "geo clues: that area's radius, at least radius_m (default: 3 x "
                                            "radius_m, at least 100)"}}


def definition_fields(obj: Callable[..., dict[str, Any]], media: dict[str, Any]) -> dict[str, Any]:
    notice = obj({"text": {"type": "string", "maxLength": MAX_TEXT}, "media": media})
    return {"intro": {**notice, "description": "shown before and at the start"},
            "outro": {**notice, "description": "shown at the end, or to a side that found every clue"},
            "map": {**_BOOL, "description": "the players' map of open geo clues marked show_on_map"}}


def public_fields() -> dict[str, Any]:
    """What the public view of a hunt adds (docs/protocol.md, Clue media and the map)."""
    return {"intro": {**_OBJECT, "description": "{text, media: [{hash, alt, type}]}"},
            "outro": {**_OBJECT, "description": "as intro; at the end, or to a side that found every clue"},
            "map": {**_OBJECT, "description": "while the map is on: {areas: [{clue, title, lat, lon, radius_m}]}"},
            "map_tiles": {**_OBJECT, "description": "{url, attribution} of the configured tile server"}}


def media_bodies(obj: Callable[..., dict[str, Any]], command_id: dict[str, Any],
                 media: dict[str, Any]) -> dict[str, Any]:
    return {
        "Attach": obj({"id": command_id, "target": {"enum": list(MEDIA_TARGETS)}, "clue": {"type": "string"},
                       "hint": {"type": "integer", "minimum": 0, "maximum": MAX_HINTS - 1}, "media": media},
                      required=("target", "media"),
                      description="clue (an id of the hunt) with target clue or hint; hint (an index of that clue's "
                                  "hints) with target hint; every hash an uploaded file's"),
        "Map": obj({"id": command_id, "enabled": _BOOL}, required=("enabled",)),
    }


def media_responses() -> dict[str, Any]:
    s, i = {"type": "string"}, {"type": "integer"}
    return {"MediaLibrary": {"type": "object", "required": ["seq", "media", "targets", "missing", "map"],
                             "properties": {
        "seq": i, "map": _BOOL, "media": {"type": "array", "items": {"type": "object", "properties": {
            "hash": s, "size": i, "type": s, "seq": i, "ts": i, "shown_with": {"type": "array"}}}},
        "targets": _OBJECT, "missing": {"type": "array", "items": s}}}}
