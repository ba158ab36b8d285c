"""The organiser's clue media and map, as commands and events (part of the closed sets in _messages)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["AddMedia", "MapSet", "MediaAdded", "MediaSet", "SetMap", "SetMedia"]

# -- commands -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddMedia:
    """An image or a recording the organiser uploaded (stored beside the log, named by its SHA-256),
    to be shown with clue prompts, hints, the intro or the outro."""

    cmd: str
    hash: str
    size: int
    type: str  # read from the file's bytes, one of CLUE_MEDIA_TYPES
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class SetMedia:
    """Replace the media shown with a target: ``intro``, ``outro``, a ``clue``'s prompt or one of its
    ``hint``s; ``media`` is ``[{"hash", "alt"}, ...]`` of uploaded files (empty: none)."""

    cmd: str
    target: str
    media: list[dict[str, Any]]
    clue: str | None = None
    hint: int | None = None
    principal: str = "admin"


@dataclass(frozen=True, slots=True)
class SetMap:
    """Turn the players' map of open geo clues on or off."""

    cmd: str
    enabled: bool
    principal: str = "admin"

# -- events ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MediaAdded:
    TYPE = "media_added"
    hash: str
    size: int
    type: str


@dataclass(frozen=True, slots=True)
class MediaSet:
    TYPE = "media_set"
    target: str  # "intro" | "outro" | "clue" | "hint"
    clue: str | None
    hint: int | None
    media: list[dict[str, Any]]  # [{"hash", "alt"}, ...]


@dataclass(frozen=True, slots=True)
class MapSet:
    TYPE = "map_set"
    enabled: bool
