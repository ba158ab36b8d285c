"""Pure helpers: answer normalisation and great-circle distance."""

from __future__ import annotations

import math
import unicodedata

__all__ = ["haversine_m", "normalize_answer", "normalize_code"]

EARTH_RADIUS_M = 6_371_008.8


def normalize_answer(text: str, *, keep_punctuation: bool = False) -> str:
    """Fold case, strip accents, drop punctuation and collapse whitespace:
    ``" Café  Noir! "`` -> ``"cafe noir"``, ``"Light-house."`` -> ``"lighthouse"``.

    Punctuation is every Unicode punctuation character (full stops, commas, quotes, dashes,
    brackets...); symbols such as ``$`` or ``+`` stay. With ``keep_punctuation`` it stays too,
    for clues whose answer is punctuation (a clue's ``keep_punctuation`` option).
    """
    decomposed = unicodedata.normalize("NFKD", text)
    if keep_punctuation:
        stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    else:
        stripped = "".join(ch for ch in decomposed
                           if not unicodedata.combining(ch) and not unicodedata.category(ch).startswith("P"))
    return " ".join(stripped.casefold().split())


def normalize_code(text: str, *, keep_punctuation: bool = False) -> str:
    """Codes ignore case, whitespace, dashes and (unless kept) punctuation: ``"x7k-2."`` matches
    ``"X7K2"``."""
    return "".join(ch for ch in normalize_answer(text, keep_punctuation=keep_punctuation)
                   if ch not in " -").upper()


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in metres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
