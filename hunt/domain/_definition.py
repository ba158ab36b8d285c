"""Hunt definitions: parsed from plain JSON-like data, validated with errors that name the field."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, TypeGuard

from ._divisions import TeamOptions, parse_team_options
from ._errors import DefinitionError, Rejected
from ._matching import Partial, parse_partials, parse_patterns
from ._media_refs import MediaRef, Notice, parse_media_refs, parse_presentation
from ._names import clean_name, fold_team_name
from ._text import normalize_answer, normalize_code
from ._timing import (
    CLUE_TIME_KEYS,
    MAX_SCHEDULES,
    ClueTimes,
    Schedule,
    parse_clue_times,
    parse_schedule,
    parse_time,
    parse_window,
)

__all__ = [
    "CLUE_KEYS",
    "ENTRY_KINDS",
    "HINT_POLICIES",
    "ID_PATTERN",
    "Clue",
    "Decay",
    "HuntDefinition",
    "RuleDefaults",
    "parse_definition",
    "valid_id",
]

# Hunt and clue ids become file names and NATS subject tokens: no dots, slashes or wildcards.
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_CLUE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
MAX_CLUES = 500
MAX_HINTS = 20
MAX_POINTS = 1_000_000
MAX_TEXT = 2000
NO_TIMES = ClueTimes()  # a clue open whenever the hunt (and the side's window) is
# What a hint's cost does to the score: come off at once and may take it below zero, come off
# at once but never below zero, or come off the clue's reward when (if) the clue is found.
HINT_POLICIES = ("allow_negative", "floor_at_zero", "deduct_from_reward")
# What a mission's entry may be: a photo, a short video, or text.
ENTRY_KINDS = ("photo", "video", "text")
# Names a hunt may not have: "import" is the admin route that creates a hunt from an export.
RESERVED_IDS = frozenset({"import"})


def valid_id(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a usable hunt id (lower-case letters, digits, ``-`` and ``_``; not reserved)."""
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None and value not in RESERVED_IDS


@dataclass(frozen=True, slots=True)
class RuleDefaults:
    """Server-wide defaults copied into a definition when it is created (then fixed for replay)."""

    wrong_attempts_max: int = 5
    wrong_attempts_window_s: float = 60.0
    heatmap_cell_deg: float = 0.001
    heatmap_max_cells: int = 10_000


@dataclass(frozen=True, slots=True)
class Decay:
    per_finder: int
    min: int


@dataclass(frozen=True, slots=True)
class Hint:
    text: str
    cost: int
    media: tuple[MediaRef, ...] = ()  # shown with the text, once the side took the hint


@dataclass(frozen=True, slots=True)
class Clue:
    id: str
    title: str
    prompt: str
    kind: str  # "answer" | "geo" | "code" | "mission" (a photo, video or text judged by organisers)
    points: int
    answers: frozenset[str] = frozenset()  # normalised
    codes: frozenset[str] = frozenset()  # normalised
    lat: float = 0.0
    lon: float = 0.0
    radius_m: float = 0.0
    decay: Decay | None = None
    first_bonus: int = 0
    hints: tuple[Hint, ...] = ()
    after: tuple[str, ...] = ()
    keep_punctuation: bool = False  # answers and codes compared with their punctuation
    accepts: tuple[str, ...] = ()  # mission clues: what an entry may be, of ENTRY_KINDS
    pattern_sources: tuple[str, ...] = ()  # answer clues: regular expressions, as written
    patterns: tuple[Any, ...] = field(default=(), compare=False, repr=False)  # ... compiled (RE2)
    partials: tuple[Partial, ...] = ()  # answer clues: "keep going" replies
    media: tuple[MediaRef, ...] = ()  # images and audio shown with the prompt (once the clue is open)
    show_on_map: bool = False  # geo clues: an area around the spot is drawn on the players' map
    map_radius_m: float = 0.0  # ... that large (the check-in circle lies somewhere inside it)
    raw: Mapping[str, Any] | None = None
    retired: bool = False  # withdrawn during the hunt: nobody may find it, and nothing waits for it
    times: ClueTimes = NO_TIMES  # when it opens and closes (absolute, or after the side's own start)

    def check(self, normalized: str) -> bool | int:
        """True for a right answer (one of ``answers`` or ``patterns``), the index of the first
        partial answer it matches, else False."""
        if normalized in self.answers or any(p.fullmatch(normalized) for p in self.patterns):
            return True
        for i, part in enumerate(self.partials):
            if part.matches(normalized):
                return i
        return False

    def value(self, earlier_finders: int) -> int:
        """The points this clue awards to its next finder, after ``earlier_finders`` others
        (decay applied, first-finder bonus included)."""
        points = self.points
        if self.decay is not None:
            points = max(self.decay.min, points - self.decay.per_finder * earlier_finders)
        return points + (self.first_bonus if earlier_finders == 0 else 0)

    def public(self) -> dict[str, Any]:
        """What a player may see: no answers, codes, coordinates or hint texts."""
        view: dict[str, Any] = {
            "id": self.id, "title": self.title, "prompt": self.prompt, "kind": self.kind,
            "points": self.points, "first_bonus": self.first_bonus,
            "hints": [{"cost": hint.cost} for hint in self.hints], "after": list(self.after),
        }
        if self.decay is not None:
            view["decay"] = {"per_finder": self.decay.per_finder, "min": self.decay.min}
        if self.kind == "geo":
            view["radius_m"] = self.radius_m
        if self.kind == "mission":
            view["accepts"] = list(self.accepts)
        return view


@dataclass(frozen=True, slots=True)
class HuntDefinition:
    id: str
    title: str
    mode: str  # "solo" | "teams"
    order: str  # "free" | "sequential"
    starts_at: int | None  # epoch milliseconds
    ends_at: int | None
    clues: tuple[Clue, ...]
    wrong_attempts_max: int
    wrong_attempts_window_ms: int
    heatmap_cell_deg: float
    heatmap_max_cells: int
    document: Mapping[str, Any]  # the canonical JSON form, with defaults filled in
    draft: bool = False  # not public (GET /hunts/...) until it starts
    description: str = ""
    hint_policy: str = "allow_negative"  # one of HINT_POLICIES
    allow_typed_position: bool = False  # the player page may offer "type a position" (testing)
    clue_index: Mapping[str, Clue] = field(default_factory=dict, compare=False, repr=False)
    team_size: int | None = None  # teams mode: the most players a team may have (None: no cap)
    teams: TeamOptions = field(default_factory=TeamOptions)  # divisions, who picks them, who creates teams
    retired_ids: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    window_ms: int | None = None  # each side's time to play from its own start (None: to the end)
    team_starts: tuple[tuple[str, Schedule], ...] = ()  # teams mode: (team name, its own start and window)
    freeze_at: int | None = None  # the scoreboard freezes for players at this time (epoch ms)
    intro: Notice | None = None  # shown before and at the start
    outro: Notice | None = None  # shown when the hunt ends, or to a side that found every clue
    map: bool = False  # the player page shows a map of the open geo clues marked show_on_map

    def clue(self, clue_id: str) -> Clue | None:
        return self.clue_index.get(clue_id)

    def missing_before(self, clue: Clue, found: Collection[str]) -> list[str]:
        """The clues still to find before ``clue`` opens to a side that has ``found`` these:
        its ``after`` list, and in a sequential hunt every clue before it. Empty: it is open."""
        retired = self.retired_ids  # a withdrawn clue holds nothing back
        missing = [needed for needed in clue.after if needed not in found and needed not in retired]
        if self.order == "sequential":
            for earlier in self.clues:
                if earlier.id == clue.id:
                    break
                if earlier.id not in found and earlier.id not in missing and not earlier.retired:
                    missing.append(earlier.id)
        return missing

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "description": self.description, "mode": self.mode,
            "order": self.order, "starts_at": self.starts_at, "ends_at": self.ends_at, "team_size": self.team_size,
            "hint_policy": self.hint_policy, "allow_typed_position": self.allow_typed_position,
            "divisions": [{"id": d.id, "title": d.title} for d in self.teams.divisions],
            "division_choice": self.teams.division_choice, "team_creation": self.teams.team_creation,
            "clues": [clue.public() for clue in self.clues],
        }


_TOP_KEYS = {"id", "title", "mode", "order", "starts_at", "ends_at", "clues", "attempts",
             "heatmap_cell_deg", "heatmap_max_cells", "description", "draft", "team_size", "hint_policy",
             "allow_typed_position", "window_s", "team_starts", "freeze_at", "divisions", "division_choice",
             "team_creation", "intro", "outro", "map"}
MAX_TEAM_SIZE = 10_000
CLUE_KEYS = frozenset({"id", "title", "prompt", "kind", "points", "answers", "codes", "lat", "lon",
              "radius_m", "decay", "first_bonus", "hints", "after", "keep_punctuation", "accepts", "patterns",
              "partial", "retired", *CLUE_TIME_KEYS, "media", "show_on_map", "map_radius_m"})


def parse_definition(data: Any, defaults: RuleDefaults | None = None) -> HuntDefinition:
    """Validate a hunt definition; raise DefinitionError naming the first bad field."""
    defaults = defaults or RuleDefaults()
    top = _mapping(data, "definition")
    _no_unknown(top, _TOP_KEYS, "")
    hunt_id = top.get("id")
    if not valid_id(hunt_id):
        raise DefinitionError(
            "id: must be 1-64 characters of a-z, 0-9, '-' or '_', starting with a letter or digit, "
            f"and not {', '.join(sorted(RESERVED_IDS))}")
    title = _text(top.get("title"), "title", required=True)
    mode = _choice(top.get("mode", "solo"), "mode", ("solo", "teams"))
    order = _choice(top.get("order", "free"), "order", ("free", "sequential"))
    starts_at = parse_time(top.get("starts_at"), "starts_at")
    ends_at = parse_time(top.get("ends_at"), "ends_at")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise DefinitionError("ends_at: must be after starts_at")
    attempts = _mapping(top.get("attempts", {}), "attempts")
    _no_unknown(attempts, {"max", "window_s"}, "attempts.")
    attempts_max = _int(attempts.get("max", defaults.wrong_attempts_max), "attempts.max", 1, 10_000)
    window_s = _number(attempts.get("window_s", defaults.wrong_attempts_window_s),
                       "attempts.window_s", 0.001, 86_400)
    cell = _number(top.get("heatmap_cell_deg", defaults.heatmap_cell_deg), "heatmap_cell_deg", 1e-6, 10)
    max_cells = _int(top.get("heatmap_max_cells", defaults.heatmap_max_cells), "heatmap_max_cells", 1, 1_000_000)

    raw_clues = top.get("clues")
    if not isinstance(raw_clues, list) or not raw_clues:
        raise DefinitionError("clues: must be a non-empty list")
    if len(raw_clues) > MAX_CLUES:
        raise DefinitionError(f"clues: at most {MAX_CLUES} clues")
    clues = tuple(_clue(raw, i) for i, raw in enumerate(raw_clues))
    ids = [clue.id for clue in clues]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise DefinitionError(f"clues: duplicate id {duplicates[0]!r}")
    for i, clue in enumerate(clues):
        for needed in clue.after:
            if needed not in ids:
                raise DefinitionError(f"clues[{i}].after: unknown clue {needed!r}")
            if needed == clue.id:
                raise DefinitionError(f"clues[{i}].after: a clue cannot require itself")
    _check_acyclic(clues)

    document = {
        "id": hunt_id, "title": title, "mode": mode, "order": order,
        "starts_at": top.get("starts_at"), "ends_at": top.get("ends_at"),
        "attempts": {"max": attempts_max, "window_s": window_s},
        "heatmap_cell_deg": cell,
        "heatmap_max_cells": max_cells,
        "clues": [dict(clue.raw or {}) for clue in clues],
    }
    # Optional fields enter the canonical form only when given: older hunts keep their form.
    description = ""
    if "description" in top:
        description = document["description"] = _text(top["description"], "description")
    draft = top.get("draft", False)
    if not isinstance(draft, bool):
        raise DefinitionError("draft: must be true or false")
    if draft:
        document["draft"] = True
    team_size = None
    if top.get("team_size") is not None:
        if mode != "teams":
            raise DefinitionError("team_size: only allowed when mode is teams")
        team_size = document["team_size"] = _int(top["team_size"], "team_size", 1, MAX_TEAM_SIZE)
    hint_policy = "allow_negative"
    if "hint_policy" in top:
        hint_policy = document["hint_policy"] = _choice(top["hint_policy"], "hint_policy", HINT_POLICIES)
    typed_position = False
    if "allow_typed_position" in top:
        typed_position = document["allow_typed_position"] = _bool(top["allow_typed_position"],
                                                                  "allow_typed_position")
    teams = parse_team_options(top, mode, document)
    window_ms, team_starts, freeze_at = _timed(top, mode, document)
    intro, outro, show_map = parse_presentation(top, document)
    final = tuple(replace(clue, raw=None) for clue in clues)
    return HuntDefinition(
        id=hunt_id, title=title, mode=mode, order=order, starts_at=starts_at, ends_at=ends_at,
        clues=final, clue_index={clue.id: clue for clue in final},
        retired_ids=frozenset(clue.id for clue in final if clue.retired),
        wrong_attempts_max=attempts_max, wrong_attempts_window_ms=int(window_s * 1000),
        heatmap_cell_deg=cell, heatmap_max_cells=max_cells, document=document, draft=draft, team_size=team_size,
        description=description, hint_policy=hint_policy, allow_typed_position=typed_position, teams=teams,
        window_ms=window_ms, team_starts=team_starts, freeze_at=freeze_at,
        intro=intro, outro=outro, map=show_map,
    )


def _timed(top: Mapping[str, Any], mode: str, document: dict[str, Any]) -> tuple[
        int | None, tuple[tuple[str, Schedule], ...], int | None]:
    """The hunt's ``window_s``, ``team_starts`` (teams mode: ``{team name: {"starts_at"|"offset_s",
    "window_s"}}``) and ``freeze_at``; each enters the canonical form only when given."""
    window_ms = parse_window(top.get("window_s"), "window_s")
    if window_ms is not None:
        document["window_s"] = window_ms // 1000
    freeze_at = parse_time(top.get("freeze_at"), "freeze_at")
    if freeze_at is not None:
        document["freeze_at"] = top["freeze_at"]
    starts: list[tuple[str, Schedule]] = []
    if top.get("team_starts") is not None:
        if mode != "teams":
            raise DefinitionError("team_starts: only allowed when mode is teams")
        raw = _mapping(top["team_starts"], "team_starts")
        if len(raw) > MAX_SCHEDULES:
            raise DefinitionError(f"team_starts: at most {MAX_SCHEDULES} teams")
        sides: dict[str, str] = {}
        for raw_name, schedule in raw.items():
            try:
                name = clean_name(raw_name, "team", 64)
            except Rejected as err:
                raise DefinitionError(f"team_starts: {err.message}") from None
            if (side := fold_team_name(name)) in sides:
                raise DefinitionError(f"team_starts: {sides[side]!r} and {name!r} are the same team")
            sides[side] = name
            starts.append((name, parse_schedule(schedule, f"team_starts.{name}")))
        document["team_starts"] = {name: schedule.document() for name, schedule in starts}
    return window_ms, tuple(starts), freeze_at


def _clue(raw: Any, i: int) -> Clue:
    where = f"clues[{i}]"
    data = _mapping(raw, where)
    _no_unknown(data, CLUE_KEYS, f"{where}.")
    clue_id = data.get("id")
    if not isinstance(clue_id, str) or _CLUE_ID.fullmatch(clue_id) is None:
        raise DefinitionError(f"{where}.id: must be 1-64 characters of letters, digits, '-' or '_'")
    where = f"clues[{i}] ({clue_id})"
    kind = _choice(data.get("kind"), f"{where}.kind", ("answer", "geo", "code", "mission"))
    points = _int(data.get("points", 0), f"{where}.points", 0, MAX_POINTS)
    keep = _bool(data.get("keep_punctuation", False), f"{where}.keep_punctuation")
    fields: dict[str, Any] = {"keep_punctuation": keep,
                              "retired": _bool(data.get("retired", False), f"{where}.retired")}
    if kind == "answer":
        normalize = partial(normalize_answer, keep_punctuation=keep)
        fields["pattern_sources"], fields["patterns"] = parse_patterns(data.get("patterns"), f"{where}.patterns")
        fields["partials"] = parse_partials(data.get("partial"), f"{where}.partial", normalize)
        if "answers" in data or not fields["patterns"]:
            fields["answers"] = _secrets(data.get("answers"), f"{where}.answers", normalize)
    elif kind == "code":
        fields["codes"] = _secrets(data.get("codes"), f"{where}.codes",
                                   lambda text: normalize_code(text, keep_punctuation=keep))
    elif kind == "mission":
        fields["accepts"] = _accepts(data.get("accepts", list(ENTRY_KINDS)), f"{where}.accepts")
    else:
        fields["lat"] = _number(data.get("lat"), f"{where}.lat", -90, 90)
        fields["lon"] = _number(data.get("lon"), f"{where}.lon", -180, 180)
        fields["radius_m"] = _number(data.get("radius_m"), f"{where}.radius_m", 0.1, 100_000)
        fields["show_on_map"] = _bool(data.get("show_on_map", False), f"{where}.show_on_map")
        fields["map_radius_m"] = _number(data.get("map_radius_m", max(3 * fields["radius_m"], 100.0)),
                                         f"{where}.map_radius_m", fields["radius_m"], 100_000)
    for key, allowed in (("answers", "answer"), ("codes", "code"), ("lat", "geo"), ("lon", "geo"),
                         ("radius_m", "geo"), ("keep_punctuation", "answer or code"), ("accepts", "mission"),
                         ("patterns", "answer"), ("partial", "answer"), ("show_on_map", "geo"),
                         ("map_radius_m", "geo")):
        if key in data and kind not in allowed.split(" or "):
            raise DefinitionError(f"{where}.{key}: only allowed on {allowed} clues")
    decay = None
    if data.get("decay") is not None:
        raw_decay = _mapping(data["decay"], f"{where}.decay")
        _no_unknown(raw_decay, {"per_finder", "min"}, f"{where}.decay.")
        decay = Decay(
            per_finder=_int(raw_decay.get("per_finder", 0), f"{where}.decay.per_finder", 0, MAX_POINTS),
            min=_int(raw_decay.get("min", 0), f"{where}.decay.min", 0, points),
        )
    hints_raw = data.get("hints", [])
    if not isinstance(hints_raw, list) or len(hints_raw) > MAX_HINTS:
        raise DefinitionError(f"{where}.hints: must be a list of at most {MAX_HINTS} hints")
    hints = []
    for j, hint in enumerate(hints_raw):
        hint_data = _mapping(hint, f"{where}.hints[{j}]")
        _no_unknown(hint_data, {"text", "cost", "media"}, f"{where}.hints[{j}].")
        hints.append(Hint(
            text=_text(hint_data.get("text"), f"{where}.hints[{j}].text", required=True),
            cost=_int(hint_data.get("cost", 0), f"{where}.hints[{j}].cost", 0, MAX_POINTS),
            media=parse_media_refs(hint_data.get("media", []), f"{where}.hints[{j}].media"),
        ))
    times = parse_clue_times(data, where)
    after = data.get("after", [])
    if not isinstance(after, list) or not all(isinstance(a, str) for a in after):
        raise DefinitionError(f"{where}.after: must be a list of clue ids")
    return Clue(
        id=clue_id,
        title=_text(data.get("title"), f"{where}.title", required=True),
        prompt=_text(data.get("prompt", ""), f"{where}.prompt"),
        kind=kind, points=points, decay=decay,
        first_bonus=_int(data.get("first_bonus", 0), f"{where}.first_bonus", 0, MAX_POINTS),
        hints=tuple(hints), after=tuple(dict.fromkeys(after)), raw=data, times=times,
        media=parse_media_refs(data.get("media", []), f"{where}.media"), **fields,
    )


def _check_acyclic(clues: tuple[Clue, ...]) -> None:
    requires = {clue.id: clue.after for clue in clues}
    done: set[str] = set()

    def visit(clue_id: str, path: tuple[str, ...]) -> None:
        if clue_id in path:
            raise DefinitionError(f"clues: prerequisites form a cycle: {' -> '.join((*path, clue_id))}")
        if clue_id in done:
            return
        for needed in requires[clue_id]:
            visit(needed, (*path, clue_id))
        done.add(clue_id)

    for clue in clues:
        visit(clue.id, ())


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DefinitionError(f"{where}: must be an object")
    return value


def _no_unknown(data: Mapping[str, Any], allowed: AbstractSet[str], prefix: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise DefinitionError(f"{prefix}{unknown[0]}: unknown field")


def _text(value: Any, where: str, *, required: bool = False) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT or (required and not value.strip()):
        need = "a non-empty string" if required else "a string"
        raise DefinitionError(f"{where}: must be {need} of at most {MAX_TEXT} characters")
    return value


def _choice(value: Any, where: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise DefinitionError(f"{where}: must be one of {', '.join(allowed)}")
    return str(value)


def _accepts(value: Any, where: str) -> tuple[str, ...]:
    if (not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value)
            or not set(value) <= set(ENTRY_KINDS)):
        raise DefinitionError(f"{where}: must be a non-empty list of {', '.join(ENTRY_KINDS)}")
    return tuple(kind for kind in ENTRY_KINDS if kind in value)


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise DefinitionError(f"{where}: must be true or false")
    return value


def _int(value: Any, where: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise DefinitionError(f"{where}: must be an integer from {low} to {high}")
    return value


def _number(value: Any, where: str, low: float, high: float) -> float:
    # The range check comes first: math.isfinite() overflows on a huge int.
    if (not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high
            or not math.isfinite(value)):
        raise DefinitionError(f"{where}: must be a number from {low} to {high}")
    return float(value)


def _secrets(value: Any, where: str, normalize: Any) -> frozenset[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise DefinitionError(f"{where}: must be a non-empty list of strings")
    normalized = frozenset(normalize(v) for v in value)
    if "" in normalized:
        raise DefinitionError(f"{where}: must not contain an empty answer (punctuation alone is ignored"
                              " unless the clue sets keep_punctuation)")
    return normalized

