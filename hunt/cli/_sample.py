"""The sample hunts ``hunt serve --sample`` creates: what a new user sees first.

- ``harbor-2026`` (hunt/sample_hunt.json), played solo: answer, geo and code clues,
  prerequisites, hints, decay, a photo mission, partial answers, two divisions (Families and
  Schools, chosen when joining) and a welcome announcement.
- ``harbor-crews``, the same clues played in crews of up to four, with crew "Gulls" made by
  the organiser in the Families division: joining it takes its code, which the dashboard's
  teams panel shows.
"""

from __future__ import annotations

import logging
from importlib import resources
from typing import Any

import orjson

from ..domain import Announce, Command, CreateTeam, StartHunt
from ..engine import Engine

__all__ = ["SAMPLE_CREWS", "SAMPLE_HUNT", "ensure_sample"]

log = logging.getLogger("hunt.serve")

SAMPLE_HUNT = "sample_hunt.json"
SAMPLE_CREWS = "harbor-crews"
_CREWS = {"id": SAMPLE_CREWS, "title": "Harbor Hunt for crews", "mode": "teams", "team_size": 4,
          "description": "The Harbor Hunt in crews of up to four. Crew Gulls is waiting (ask the organisers "
                         "for its code), or start a crew of your own."}


async def ensure_sample(engine: Engine) -> str:
    """Create the sample hunts and start them, each unless it already exists. Returns the id
    of the solo one (the one the start-up message points to)."""
    solo = orjson.loads(resources.files("hunt").joinpath(SAMPLE_HUNT).read_bytes())
    crews = {**solo, **_CREWS}
    welcome = "Welcome to the Harbor Hunt! Start at the old lighthouse; the tunnel clue opens last."
    await _create(engine, solo, [StartHunt(cmd="sample-start"), Announce(cmd="sample-welcome", text=welcome)])
    await _create(engine, crews, [
        CreateTeam(cmd="sample-gulls", name="Gulls", division="families"),
        StartHunt(cmd="sample-start"),
        Announce(cmd="sample-welcome", text=welcome + " Crews: stay together, the photo mission wants you all.")])
    return str(solo["id"])


async def _create(engine: Engine, document: dict[str, Any], commands: list[Command]) -> None:
    hunt_id = document["id"]
    if engine.exists(hunt_id):
        return
    await engine.create_hunt(document)
    await engine.submit(hunt_id, commands)
    log.info("created and started the sample hunt %s", hunt_id)
