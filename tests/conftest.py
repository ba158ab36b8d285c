"""Fixtures shared across the test packages: a hunt definition and a config over a temp dir."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hunt.config import Config, load_config

# A small hunt touching every clue kind: decay, first-finder bonus, hints, a prerequisite.
HUNT: dict[str, Any] = {
    "id": "harbor", "title": "Harbor Hunt", "mode": "solo", "order": "free",
    "clues": [
        {"id": "c1", "title": "Old light", "kind": "answer", "answers": ["lighthouse"], "points": 100,
         "decay": {"per_finder": 10, "min": 50}, "first_bonus": 20,
         "hints": [{"text": "It blinks.", "cost": 10}, {"text": "It is tall.", "cost": 5}]},
        {"id": "c2", "title": "Crane", "kind": "geo", "lat": 53.5441, "lon": 9.9667, "radius_m": 30,
         "points": 50},
        {"id": "c3", "title": "Sign", "kind": "code", "codes": ["X7K2"], "points": 30, "after": ["c1"]},
    ],
}


@pytest.fixture
def hunt_document() -> dict[str, Any]:
    """A fresh copy of :data:`HUNT`, safe to mutate."""
    return copy.deepcopy(HUNT)


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., Config]:
    """``make_config(engine={...}, store={...})``: a config whose data dir is ``tmp_path/data``."""

    def make(**sections: dict[str, Any]) -> Config:
        server = {"data_dir": str(tmp_path / "data"), **sections.pop("server", {})}
        return load_config(None, env={}, overrides={"server": server, **sections})

    return make
