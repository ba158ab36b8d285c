"""The team and division options of a hunt definition.

- ``divisions``: the hunt's separate leaderboards (families, schools, age groups), each
  ``{"id", "title"}``; the overall board stays. ``division_choice``: ``"join"`` (default: a
  side picks its division when it joins, and the organiser may change it) or ``"organiser"``
  (only the organiser sets divisions).
- ``team_creation`` (teams mode): ``"players"`` (default: the first player to join under a
  new name creates the team and is its captain) or ``"organiser"`` (players join only teams
  the organiser created).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import DefinitionError

__all__ = ["DIVISION_CHOICES", "MAX_DIVISIONS", "TEAM_CREATION", "Division", "TeamOptions", "parse_team_options"]

MAX_DIVISIONS = 50
MAX_DIVISION_TITLE = 64
DIVISION_CHOICES = ("join", "organiser")
TEAM_CREATION = ("players", "organiser")
DIVISION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True, slots=True)
class Division:
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class TeamOptions:
    divisions: tuple[Division, ...] = ()
    division_choice: str = "join"
    team_creation: str = "players"

    def division(self, division_id: object) -> Division | None:
        return next((d for d in self.divisions if d.id == division_id), None)


def parse_team_options(top: Mapping[str, Any], mode: str, document: dict[str, Any]) -> TeamOptions:
    """Read the options from the definition ``top``; each given one enters the canonical
    ``document`` (an older hunt keeps its form). Raises DefinitionError naming the field."""
    divisions: list[Division] = []
    raw = top.get("divisions")
    if raw is not None:
        if not isinstance(raw, list) or len(raw) > MAX_DIVISIONS:
            raise DefinitionError(f"divisions: must be a list of at most {MAX_DIVISIONS} divisions")
        for i, item in enumerate(raw):
            divisions.append(_division(item, i))
        ids = [d.id for d in divisions]
        repeated = sorted({d for d in ids if ids.count(d) > 1})
        if repeated:
            raise DefinitionError(f"divisions: duplicate id {repeated[0]!r}")
        document["divisions"] = [{"id": d.id, "title": d.title} for d in divisions]
    choice = "join"
    if "division_choice" in top:
        choice = document["division_choice"] = _choice(top["division_choice"], "division_choice", DIVISION_CHOICES)
    creation = "players"
    if "team_creation" in top:
        if mode != "teams":
            raise DefinitionError("team_creation: only allowed when mode is teams")
        creation = document["team_creation"] = _choice(top["team_creation"], "team_creation", TEAM_CREATION)
    return TeamOptions(tuple(divisions), choice, creation)


def _division(item: Any, i: int) -> Division:
    where = f"divisions[{i}]"
    if not isinstance(item, Mapping):
        raise DefinitionError(f"{where}: must be an object")
    unknown = sorted(set(item) - {"id", "title"})
    if unknown:
        raise DefinitionError(f"{where}.{unknown[0]}: unknown field")
    division_id = item.get("id")
    if not isinstance(division_id, str) or DIVISION_ID.fullmatch(division_id) is None:
        raise DefinitionError(f"{where}.id: must be 1-64 characters of letters, digits, '-' or '_'")
    title = item.get("title", division_id)
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_DIVISION_TITLE:
        raise DefinitionError(f"{where}.title: must be a non-empty string of at most {MAX_DIVISION_TITLE} "
                              "characters")
    return Division(division_id, title.strip())


def _choice(value: Any, where: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise DefinitionError(f"{where}: must be one of {', '.join(allowed)}")
    return str(value)
