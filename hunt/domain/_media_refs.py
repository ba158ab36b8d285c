"""Media named by a hunt definition: images and audio in clue prompts, hints, the intro and the outro.

A definition refers to a file by its SHA-256 (the organiser uploads the bytes through the
admin API; they live beside the log, never in it) with an ``alt`` text: what the image shows,
or what the recording is, for players who cannot see or hear it.

    "intro": {"text": "Welcome!", "media": [{"hash": "<64 hex>", "alt": "The old harbour"}]},
    "clues": [{..., "media": [{"hash": "...", "alt": "Foghorn recording"}],
               "hints": [{"text": "...", "media": [...]}]}]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import DefinitionError

__all__ = [
    "CLUE_MEDIA_TYPES",
    "MAX_ALT",
    "MAX_MEDIA_ITEMS",
    "MediaRef",
    "Notice",
    "parse_media_refs",
    "parse_notice",
    "parse_presentation",
    "valid_digest",
]

MAX_ALT = 300
MAX_MEDIA_ITEMS = 4  # per prompt, hint, intro or outro
MAX_NOTICE_TEXT = 2000
# What a clue's media may be, read from their bytes: images a browser shows, audio it plays.
CLUE_MEDIA_TYPES = {"image": ("image/jpeg", "image/png", "image/webp", "image/gif"),
                    "audio": ("audio/mpeg", "audio/ogg", "audio/wav", "audio/mp4", "audio/flac")}
_DIGEST = re.compile(r"[0-9a-f]{64}")


def valid_digest(value: object) -> bool:
    """Whether ``value`` is a SHA-256 in lower-case hex (the name of a media file)."""
    return isinstance(value, str) and _DIGEST.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class MediaRef:
    hash: str
    alt: str

    def to_dict(self) -> dict[str, str]:
        return {"hash": self.hash, "alt": self.alt}


@dataclass(frozen=True, slots=True)
class Notice:
    """The hunt's intro (shown before and at the start) or outro (shown at the end)."""

    text: str
    media: tuple[MediaRef, ...] = ()


def parse_media_refs(value: Any, where: str) -> tuple[MediaRef, ...]:
    """``[{"hash", "alt"}, ...]``: at most MAX_MEDIA_ITEMS, each hash once; raises DefinitionError."""
    if not isinstance(value, list) or len(value) > MAX_MEDIA_ITEMS:
        raise DefinitionError(f"{where}: must be a list of at most {MAX_MEDIA_ITEMS} media")
    refs = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping) or set(item) - {"hash", "alt"}:
            unknown = sorted(set(item) - {"hash", "alt"}) if isinstance(item, Mapping) else None
            raise DefinitionError(f"{where}[{i}].{unknown[0]}: unknown field" if unknown
                                  else f"{where}[{i}]: must be an object")
        if not valid_digest(item.get("hash")):
            raise DefinitionError(f"{where}[{i}].hash: must be a SHA-256 in lower-case hex (64 characters)")
        alt = item.get("alt")
        if not isinstance(alt, str) or not alt.strip() or len(alt) > MAX_ALT:
            raise DefinitionError(f"{where}[{i}].alt: must be a non-empty string of at most {MAX_ALT} characters "
                                  "(what the image shows or the recording is)")
        refs.append(MediaRef(item["hash"], alt.strip()))
    hashes = [ref.hash for ref in refs]
    if len(set(hashes)) != len(hashes):
        raise DefinitionError(f"{where}: the same media twice")
    return tuple(refs)


def parse_notice(value: Any, where: str) -> Notice:
    """``{"text", "media"?}``: the intro or the outro."""
    if not isinstance(value, Mapping):
        raise DefinitionError(f"{where}: must be an object")
    unknown = sorted(set(value) - {"text", "media"})
    if unknown:
        raise DefinitionError(f"{where}.{unknown[0]}: unknown field")
    text = value.get("text", "")
    if not isinstance(text, str) or len(text) > MAX_NOTICE_TEXT:
        raise DefinitionError(f"{where}.text: must be a string of at most {MAX_NOTICE_TEXT} characters")
    return Notice(text, parse_media_refs(value.get("media", []), f"{where}.media"))


def parse_presentation(top: Mapping[str, Any], document: dict[str, Any]) -> tuple[Notice | None, Notice | None, bool]:
    """A definition's ``intro``, ``outro`` and ``map``; each one given enters the canonical ``document``."""
    notices: dict[str, Notice] = {}
    for name in ("intro", "outro"):
        if name in top:
            notices[name] = parse_notice(top[name], name)
            document[name] = dict(top[name])
    show_map = False
    if "map" in top:
        if not isinstance(top["map"], bool):
            raise DefinitionError("map: must be true or false")
        show_map = document["map"] = top["map"]
    return notices.get("intro"), notices.get("outro"), show_map
