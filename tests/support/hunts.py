"""The standard test hunt, and the sample hunt under another id: every test folder uses these.

``HARBOR`` touches every clue kind: an answer clue with decay, a first-finder bonus and two
hints; a geo clue at ``CRANE``; a code clue that opens after the first. Tests take a fresh copy
(:func:`harbor`) so they may change it freely.
"""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import orjson

__all__ = ["CRANE", "HARBOR", "HUNT_ID", "harbor", "sample_hunt"]

HUNT_ID = "harbor"
CRANE = (53.5441, 9.9667)  # where the geo clue c2 is

HARBOR: dict[str, Any] = {
    "id": HUNT_ID, "title": "Harbor Hunt", "mode": "solo", "order": "free",
    "clues": [
        {"id": "c1", "title": "Old light", "prompt": "What guards the harbor at night?", "kind": "answer",
         "answers": ["lighthouse"], "points": 100, "decay": {"per_finder": 10, "min": 50}, "first_bonus": 20,
         "hints": [{"text": "It blinks.", "cost": 10}, {"text": "It is tall.", "cost": 5}]},
        {"id": "c2", "title": "Crane", "kind": "geo", "lat": CRANE[0], "lon": CRANE[1], "radius_m": 30, "points": 50},
        {"id": "c3", "title": "Sign", "kind": "code", "codes": ["X7K2"], "points": 30, "after": ["c1"]},
    ],
}


def harbor(hunt_id: str = HUNT_ID, **changes: Any) -> dict[str, Any]:
    """A fresh copy of the standard test hunt under ``hunt_id``, top-level fields replaced by ``changes``."""
    document = copy.deepcopy(HARBOR)
    document["id"] = hunt_id
    document.update(changes)
    return document


def sample_hunt(hunt_id: str, **changes: Any) -> dict[str, Any]:
    """The sample hunt the server ships (hunt/sample_hunt.json) under another id."""
    document: dict[str, Any] = orjson.loads(resources.files("hunt").joinpath("sample_hunt.json").read_bytes())
    document["id"] = hunt_id
    document.update(changes)
    return document
