"""Pure helpers: answer normalisation and great-circle distance."""

from __future__ import annotations

import math
import unicodedata

__all__ = ["haversine_m", "normalize_answer", "normalize_code"]

EARTH_RADIUS_M = 6_371_008.8


def normalize_answer(text: str) -> str:
    """Fold case, strip accents and collapse whitespace: ``" Café  Noir "`` -> ``"cafe noir"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def normalize_code(text: str) -> str:
    """Codes ignore case, whitespace and dashes: ``"x7k-2"`` matches ``"X7K2"``."""
    return "".join(ch for ch in normalize_answer(text) if ch not in " -").upper()


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in metres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
