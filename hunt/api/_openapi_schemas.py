"""The JSON Schemas of ``/openapi.json``: request bodies with every constraint the server checks,
and the shapes of its answers.

The bounds come from the code that enforces them (the definition parser, the rules, the
protocol), so the document cannot drift from the server. What JSON Schema cannot say (a rule
across fields) is listed in the description of the schema concerned.
"""

from __future__ import annotations

from typing import Any

from ..domain import (
    DIVISION_CHOICES,
    ENTRY_KINDS,
    EVENT_TYPES,
    HINT_POLICIES,
    MAX_ADJUST,
    MAX_ANNOUNCEMENT,
    MAX_BONUS,
    MAX_CLUES,
    MAX_CREDITS,
    MAX_DIVISIONS,
    MAX_HINTS,
    MAX_OFFSET_S,
    MAX_PARTIALS,
    MAX_PATTERN_CHARS,
    MAX_PATTERNS,
    MAX_POINTS,
    MAX_REASON,
    MAX_REPLY,
    MAX_SCHEDULES,
    MAX_TEAM_NAME,
    MAX_TEAM_SIZE,
    MAX_TEXT,
    MAX_TIME_MS,
    MAX_VERDICT,
    MAX_WINDOW_S,
    RESERVED_IDS,
    TEAM_CREATION,
)
from ..protocol import MAX_ID_CHARS, ErrorCode
from ._http import MAX_QUERY_INT, MAX_QUERY_TEXT
from ._openapi_media import clue_fields, definition_fields, media_bodies, media_list, media_responses, public_fields

__all__ = ["HUNT_ID", "HUNT_ID_PATTERN", "PASSCODE_PATTERN", "body_schemas", "query_schemas", "response_schemas"]

HUNT_ID_PATTERN = "^[a-z0-9][a-z0-9_-]{0,63}$"
PASSCODE_PATTERN = "^[A-Za-z0-9]{4,32}$"  # a team passcode the organiser chooses
HUNT_ID = {"type": "string", "pattern": HUNT_ID_PATTERN, "not": {"enum": sorted(RESERVED_IDS)}}
CLUE_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
# Python's str.isspace() characters, spelled out (a regex's \s differs between languages).
_SPACE = "\\t-\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
MAX_JSON_INT = 2**64 - 1  # the largest integer a JSON body may hold (larger ones are malformed JSON)

_STRING, _INT, _NUMBER, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}


def _int(low: int, high: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high}


def _number(low: float, high: float) -> dict[str, Any]:
    return {"type": "number", "minimum": low, "maximum": high}


def _object(properties: dict[str, Any], *, required: tuple[str, ...] = (), **more: Any) -> dict[str, Any]:
    """An object that refuses any property it does not list (as the server does)."""
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False, **more}
    if required:
        schema["required"] = list(required)
    return schema


_TEXT = {"type": "string", "maxLength": MAX_TEXT}
_NAMED = {"type": "string", "maxLength": MAX_TEXT, "pattern": f"[^{_SPACE}]",
          "description": "not only whitespace"}
_POINTS = _int(0, MAX_POINTS)
_TIME = {"description": "null, epoch milliseconds, or an ISO 8601 time with a zone (e.g. 2026-05-28T18:00:00Z), "
                        "before 2100",
         "anyOf": [{"type": "null"}, _int(0, MAX_TIME_MS), {"type": "string", "maxLength": 40}]}
_OFFSET = {"anyOf": [{"type": "null"}, _int(0, MAX_OFFSET_S)], "description": "seconds after the hunt's start"}
_WINDOW = {"anyOf": [{"type": "null"}, _int(1, MAX_WINDOW_S)], "description": "seconds from the side's own start"}
_SCHEDULE = _object({"starts_at": _TIME, "offset_s": _OFFSET, "window_s": _WINDOW},
                    description="a side's own start (starts_at, or offset_s after the hunt's start: not both) "
                                "and its window")
_SECRETS = {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": f"[^{_SPACE}]"},
            "description": "compared after folding case, accents and whitespace; none may fold to nothing"}

_ONLY_ANSWER = ("patterns", "partial")
_ONLY_GEO = ("show_on_map", "map_radius_m")
_MEDIA = media_list(_object, _SPACE)
_CLUE_KINDS = {
    "answer": {"anyOf": [{"required": ["answers"]}, {"required": ["patterns"]}],
               "not": {"anyOf": [{"required": [k]} for k in ("codes", "lat", "lon", "radius_m", "accepts",
                                                               *_ONLY_GEO)]}},
    "mission": {"not": {"anyOf": [{"required": [k]} for k in ("answers", "codes", "lat", "lon", "radius_m",
                                                               "keep_punctuation", *_ONLY_ANSWER, *_ONLY_GEO)]}},
    "code": {"required": ["codes"], "not": {"anyOf": [{"required": [k]} for k in ("answers", "lat", "lon",
                                                                                   "radius_m", "accepts",
                                                                                   *_ONLY_ANSWER, *_ONLY_GEO)]}},
    "geo": {"required": ["lat", "lon", "radius_m"], "not": {"anyOf": [{"required": [k]} for k in (
        "answers", "codes", "accepts", "keep_punctuation", *_ONLY_ANSWER)]}},
}
_PATTERNS = {"type": "array", "maxItems": MAX_PATTERNS,
             "items": {"type": "string", "minLength": 1, "maxLength": MAX_PATTERN_CHARS},
             "description": "regular expressions (RE2 syntax) matched against the whole normalised answer"}

CLUE = _object({
    "id": {"type": "string", "pattern": CLUE_ID_PATTERN},
    "title": _NAMED,
    "prompt": _TEXT,
    "kind": {"enum": list(_CLUE_KINDS)},
    "points": _POINTS,
    "answers": _SECRETS,
    "codes": {**_SECRETS, "description": "compared ignoring case, whitespace and dashes"},
    "lat": _number(-90, 90),
    "lon": _number(-180, 180),
    "radius_m": _number(0.1, 100_000),
    "decay": {"anyOf": [{"type": "null"}, _object({"per_finder": _POINTS, "min": _POINTS})],
              "description": "min may not exceed the clue's points"},
    "first_bonus": _POINTS,
    "hints": {"type": "array", "maxItems": MAX_HINTS,
              "items": _object({"text": _NAMED, "cost": _POINTS, "media": _MEDIA}, required=("text",))},
    "after": {"type": "array", "items": {"type": "string"},
              "description": "ids of other clues of the hunt; prerequisites may not form a cycle"},
    "keep_punctuation": _BOOL,
    "accepts": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": list(ENTRY_KINDS)},
                "description": "mission clues: what an entry may be"},
    "patterns": _PATTERNS,
    "partial": {"type": "array", "maxItems": MAX_PARTIALS, "items": _object({
        "answers": {"type": "array", "items": {"type": "string"}}, "patterns": _PATTERNS,
        "reply": {"type": "string", "minLength": 1, "maxLength": MAX_REPLY}}, required=("reply",)),
        "description": "answers that are not wrong: the player is told the reply (keep going)"},
    "opens_at": _TIME, "closes_at": _TIME,
    "opens_after_s": {**_OFFSET, "anyOf": [{"type": "null"}, _int(0, MAX_WINDOW_S)],
                      "description": "seconds after the side's own start"},
    "closes_after_s": {**_WINDOW, "description": "seconds after the side's own start"},
    **clue_fields(_MEDIA),
}, required=("id", "title", "kind"),
    allOf=[{"if": {"properties": {"kind": {"const": kind}}}, "then": rule} for kind, rule in _CLUE_KINDS.items()])

DEFINITION = _object({
    "id": HUNT_ID,
    "title": _NAMED,
    "description": _TEXT,
    "mode": {"enum": ["solo", "teams"]},
    "order": {"enum": ["free", "sequential"]},
    "starts_at": _TIME,
    "ends_at": {**_TIME, "description": _TIME["description"] + "; after starts_at"},
    "attempts": _object({"max": _int(1, 10_000), "window_s": _number(0.001, 86_400)}),
    "heatmap_cell_deg": _number(1e-6, 10),
    "team_size": {"anyOf": [{"type": "null"}, _int(1, MAX_TEAM_SIZE)], "description": "teams mode only"},
    "hint_policy": {"enum": list(HINT_POLICIES)},
    "allow_typed_position": _BOOL,
    "divisions": {"type": "array", "maxItems": MAX_DIVISIONS, "items": _object({
        "id": {"type": "string", "pattern": CLUE_ID_PATTERN},
        "title": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": f"[^{_SPACE}]"}},
        required=("id",)), "description": "separate leaderboards (ids unique); the overall board stays"},
    "division_choice": {"enum": list(DIVISION_CHOICES),
                        "description": "join: a side picks its division when it joins; organiser: only the "
                                       "organiser sets divisions"},
    "team_creation": {"enum": list(TEAM_CREATION), "description": "teams mode only: who makes teams"},
    "window_s": {**_WINDOW, "description": "each side's time to play from its own start"},
    "team_starts": {"anyOf": [{"type": "null"}, {
        "type": "object", "maxProperties": MAX_SCHEDULES, "additionalProperties": _SCHEDULE,
        "propertyNames": {"minLength": 1, "maxLength": 64, "pattern": f"[^{_SPACE}]"}}],
        "description": "teams mode only: {team name: its own start and window}"},
    "freeze_at": {**_TIME, "description": "the scoreboard freezes for players at this time; " + _TIME["description"]},
    **definition_fields(_object, _MEDIA),
    "clues": {"type": "array", "minItems": 1, "maxItems": MAX_CLUES, "items": CLUE},
}, required=("id", "title", "clues"),
    description="A hunt definition. Beyond this schema: clue ids are unique, every id in `after` names "
                "another clue, prerequisites form no cycle, `decay.min` <= `points`, `ends_at` > "
                "`starts_at`, `team_size`, `team_starts` and `team_creation` only with mode teams, a clue closes "
                "after it opens and gives each edge once (`opens_at` or `opens_after_s`), a schedule gives "
                "`starts_at` or `offset_s`, not both, division ids are unique, `map_radius_m` >= `radius_m`, and "
                "an ISO time must parse with a zone; "
                "a definition that breaks one of these is refused with 400 naming the field.",
    allOf=[{"if": {"not": {"properties": {"mode": {"const": "teams"}}, "required": ["mode"]}},
            "then": {"properties": {"team_size": {"type": "null"}, "team_starts": {"type": "null"}},
                     "not": {"required": ["team_creation"]}}}])

_COMMAND_ID = {"type": "string", "minLength": 1, "maxLength": MAX_ID_CHARS,
               "description": "the idempotency key; sent again, the command answers with its first outcome"}
_REASON = {"type": "string", "maxLength": MAX_REASON}


# An edit's changes: any field of a clue but its id and kind; null removes an optional field.
CLUE_CHANGES = _object({key: {"anyOf": [{"type": "null"}, schema]} for key, schema in CLUE["properties"].items()
                        if key not in ("id", "kind")}, minProperties=1,
                       description="the clue fields to change (null removes one). Beyond this schema: the clue "
                                   "with the changes must be a valid clue of its kind (as in a definition), "
                                   "keep the hints already taken, and change something; else 400 naming the field")
_VERSION = {**_int(0, MAX_JSON_INT), "description": "the definition version a preview gave: refused (409) if the "
                                                    "hunt was edited since"}
_EPOCH_MS = {"anyOf": [{"type": "null"}, _int(0, MAX_TIME_MS)], "description": "epoch milliseconds, or null"}


def _edit_bodies() -> dict[str, Any]:
    edit_rescore = {"enum": ["keep", "correct"], "description": "keep (the default): points already awarded "
                                                                "stay; correct: each finder gets the difference"}
    retire_rescore = {"enum": ["keep", "remove"], "description": "keep (the default) or take back what finders got"}
    return {
        "EditPreview": _object({"changes": CLUE_CHANGES, "rescore": edit_rescore}, required=("changes",)),
        "EditClue": _object({"id": _COMMAND_ID, "changes": CLUE_CHANGES, "rescore": edit_rescore,
                             "version": _VERSION,
                             "credit": {"type": "array", "maxItems": MAX_CREDITS, "uniqueItems": True,
                                        "items": _STRING, "description": "players the preview listed to credit"}},
                            required=("changes",)),
        "RetirePreview": _object({"rescore": retire_rescore}),
        "RetireClue": _object({"id": _COMMAND_ID, "rescore": retire_rescore, "version": _VERSION}),
        "AddClue": _object({"id": _COMMAND_ID, "clue": CLUE, "version": _VERSION}, required=("clue",),
                           description="the clue goes last; beyond the clue schema it must fit the hunt (an "
                                       "unused id, prerequisites that exist), else 400 naming the field"),
        "Unlock": _object({"id": _COMMAND_ID, "team": _STRING, "player": _STRING},
                          oneOf=[{"required": ["team"]}, {"required": ["player"]}],
                          description="for one team (by name) or one player (by id): exactly one"),
        "Times": _object({"id": _COMMAND_ID, "starts_at": _EPOCH_MS, "ends_at": _EPOCH_MS},
                            anyOf=[{"required": ["starts_at"]}, {"required": ["ends_at"]}],
                            description="a start moves only before the hunt begins; an end must be in the future "
                                        "and after the start (else 409)"),
        "Unban": _object({"id": _COMMAND_ID, "reason": _REASON}),
    }


def body_schemas() -> dict[str, Any]:
    return {
        **_edit_bodies(),
        "Definition": DEFINITION,
        "Control": _object({"id": _COMMAND_ID}),
        "Freeze": _object({"id": _COMMAND_ID, "at": {**_TIME, "description": "freeze at this time (null or a "
                                                      "time already past: now); " + _TIME["description"]}}),
        "Schedule": _object({"id": _COMMAND_ID, "team": {"type": "string", "minLength": 1, "maxLength": 64},
                             "player": _STRING, "starts_at": _TIME, "offset_s": _OFFSET, "window_s": _WINDOW},
                            description="one team (by name; team hunts) or one player (by id; solo hunts): exactly "
                                        "one; starts_at or offset_s, not both; all three null: the hunt's clock"),
        "Ban": _object({"id": _COMMAND_ID, "reason": _REASON}),
        "Announce": _object({"id": _COMMAND_ID, "text": {"type": "string", "minLength": 1,
                                                         "maxLength": MAX_ANNOUNCEMENT, "pattern": f"[^{_SPACE}]"},
                             "team": _STRING, "player": _STRING}, required=("text",),
                            description="to everybody, or one team (by name), or one player (by id): not both"),
        "Judge": _object({"id": _COMMAND_ID, "verdict": {"enum": ["approve", "reject"]},
                          "bonus": _int(0, MAX_BONUS), "message": {"type": "string", "maxLength": MAX_VERDICT}},
                         required=("verdict",), description="a bonus only with approve"),
        **_team_bodies(),
        **media_bodies(_object, _COMMAND_ID, _MEDIA),
        "Adjust": _object({"id": _COMMAND_ID, "player": _STRING, "reason": _REASON,
                           "delta": {**_int(-MAX_ADJUST, MAX_ADJUST), "not": {"const": 0}}},
                          required=("player", "delta")),
    }


_TEAM_NAME = {"type": "string", "minLength": 1, "maxLength": MAX_TEAM_NAME, "pattern": f"[^{_SPACE}]",
              "description": "control, format and invisible characters are refused"}
_SIZE = {"anyOf": [{"type": "null"}, _int(1, MAX_TEAM_SIZE)]}
_DIVISION = {"type": ["string", "null"], "description": "a division id of the hunt (404 unknown_division otherwise)"}


def _team_bodies() -> dict[str, Any]:
    passcode = {"anyOf": [{"type": "null"}, {"type": "string", "pattern": PASSCODE_PATTERN}],
                "description": "4-32 letters or digits, case does not matter (only its keyed hash is kept); null "
                               "or absent: a generated code"}
    return {
        "CreateTeam": _object({"id": _COMMAND_ID, "name": _TEAM_NAME, "passcode": passcode, "size": _SIZE,
                               "division": _DIVISION}, required=("name",)),
        "RenameTeam": _object({"id": _COMMAND_ID, "name": _TEAM_NAME}, required=("name",)),
        "TeamPasscode": _object({"id": _COMMAND_ID, "passcode": passcode}),
        "TeamSize": _object({"id": _COMMAND_ID, "size": {**_SIZE, "description": "null: the hunt's team_size"}},
                            required=("size",)),
        "Captain": _object({"id": _COMMAND_ID, "player": _STRING}, required=("player",)),
        "Lock": _object({"id": _COMMAND_ID, "locked": {**_BOOL, "description": "false unlocks (default true)"},
                         "at": {**_TIME, "description": "when the lock begins: " + _TIME["description"]
                                + "; absent or null: now. Only with a lock."}},
                        description="an unlock (locked false) takes no at"),
        "Remove": _object({"id": _COMMAND_ID, "reason": {"type": "string", "maxLength": 500}}),
        "SetDivision": _object({"id": _COMMAND_ID, "side": _STRING, "division": _DIVISION},
                               required=("side", "division")),
    }


def query_schemas() -> dict[str, dict[str, Any]]:
    """Query parameters by name: integers are plain decimal digits, text at most MAX_QUERY_TEXT long."""
    return {
        "limit": _int(1, MAX_QUERY_INT),
        "offset": _int(0, MAX_QUERY_INT),
        "after": _int(0, MAX_QUERY_INT),
        "at_seq": _int(1, MAX_QUERY_INT),
        "at_time": _int(0, MAX_QUERY_INT),
        "before": _int(1, MAX_QUERY_INT),
        "from_time": _int(0, MAX_QUERY_INT),
        "to_time": _int(0, MAX_QUERY_INT),
        "order": {"enum": ["", "asc", "desc"]},
        "player": {"type": "string", "maxLength": MAX_QUERY_TEXT},
        "clue": {"type": "string", "maxLength": MAX_QUERY_TEXT},
        "type": {"enum": ["", *sorted(EVENT_TYPES)]},
        "team": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_TEXT},
        "division": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_TEXT},
    }


def response_schemas() -> dict[str, Any]:
    obj, arr, s, i = "object", "array", _STRING, _INT
    nullable_s, nullable_i = {"type": ["string", "null"]}, {"type": ["integer", "null"]}
    row = {"type": obj, "properties": {"rank": i, "player": s, "name": s, "score": i, "team": nullable_s,
                                       "captain": {**s, "description": "team hunts: the captain's name"},
                                       "division": s}}
    return {
        "Error": {"type": obj, "required": ["error", "message"], "properties": {
            "error": {"type": "string", "enum": [code.value for code in ErrorCode]}, "message": s,
            "retry_after_ms": {"type": "integer", "minimum": 1}}},
        "Leaderboard": {"type": obj, "required": ["seq", "total", "rows"],
                        "properties": {"seq": i, "total": i, "rows": {"type": arr, "items": row}, "frozen": _BOOL,
                                       "division": s}},
        **_team_responses(),
        "PublicHunt": {"type": obj, "required": ["id", "title", "status", "clues"], "properties": {
            "id": s, "title": s, "description": s, "mode": s, "order": s, "status": s, "starts_at": {},
            "ends_at": {}, "team_size": nullable_i, "hint_policy": s, "allow_typed_position": _BOOL,
            "frozen": _BOOL, "freeze_at": nullable_i,
            "window": {"type": obj, "properties": {"starts_at": nullable_i, "ends_at": nullable_i}},
            **public_fields(),
            "clues": {"type": arr, "items": {"type": obj, "properties": {
                "id": s, "kind": s, "points": i,
                "value": {**i, "description": "what it scores its next finder now"},
                "opens_at": nullable_i, "closes_at": nullable_i, "closed": _BOOL}}}}},
        "Schedule": {"type": obj, "required": ["seq", "sides", "clues"], "properties": {
            "seq": i, "mode": {"enum": ["solo", "teams"]}, "began": nullable_i,
            "starts_at": {}, "ends_at": {}, "window_s": nullable_i,
            "default_window": {"type": obj}, "freeze_at": nullable_i, "frozen": _BOOL,
            "sides": {"type": arr, "items": {"type": obj, "properties": {
                "side": s, "name": s, "joined": _BOOL, "members": i, "starts_at": nullable_i, "ends_at": nullable_i,
                "schedule": {"type": obj}, "score": i, "elapsed_ms": i}}},
            "clues": {"type": arr, "items": {"type": obj}}}},
        "HuntList": {"type": obj, "required": ["hunts"], "properties": {"hunts": {"type": arr, "items": {
            "type": obj, "properties": {"id": s, "title": s, "status": s, "players": i, "events": i,
                                        "active": _BOOL}}}}},
        "HuntDetail": {"type": obj, "properties": {
            "id": s, "title": s, "status": s, "seq": i, "definition": {"type": obj},
            "stats": {"type": obj, "properties": {"events": i, "by_type": {"type": obj}, "players": i,
                                                  "sides": i}},
            "heatmap": {"type": obj, "properties": {"cell_deg": _NUMBER, "cells": {"type": arr}}},
            "actor": {"type": obj, "properties": {"mailbox_depth": i, "mailbox_capacity": i, "active": _BOOL,
                                                  "subscribers": i}}}},
        "PlayerDetail": {"type": obj, "properties": {
            "player": s, "name": s, "team": nullable_s, "side": s, "score": i, "rank": nullable_i,
            "banned": _BOOL, "joined": {"type": obj}, "progress": {"type": obj},
            "audit": {"type": arr, "items": {"type": obj}}}},
        "Clues": {"type": obj, "properties": {"seq": i, "clues": {"type": arr, "items": {"type": obj}}}},
        "Analytics": {"type": obj, "required": ["hunt", "last_seq", "activity", "clues"], "properties": {
            "hunt": s, "last_seq": i, "last_ts": nullable_i, "activity": {"type": arr}, "clues": {"type": arr}}},
        "Event": {"type": obj, "required": ["seq", "ts", "type"], "properties": {
            "seq": i, "ts": i, "type": s, "player": nullable_s, "clue": nullable_s, "cmd": nullable_s,
            "data": {"type": obj}}},
        "Events": {"type": obj, "required": ["events", "names", "next_after", "next_before"], "properties": {
            "events": {"type": arr, "items": {"$ref": "#/components/schemas/Event"}},
            "names": {"type": obj, "additionalProperties": s, "description": "player id: name, for the page's players"},
            "next_after": nullable_i, "next_before": nullable_i}},
        "CommandResult": {"type": obj, "required": ["id", "seq"], "properties": {
            "id": s, "seq": i, "result": s, "duplicate": _BOOL}},
        **media_responses(),
        "EditPlan": {"type": obj, "required": ["clue", "change", "version", "finders", "corrections", "credits"],
                     "properties": {"clue": s, "change": s, "version": i, "finders": i, "unchecked": i,
                                    "document": {"type": obj}, "public": {"type": obj},
                                    "corrections": {"type": arr, "items": {"type": obj}},
                                    "credits": {"type": arr, "items": {"type": obj}}}},
        "Imported": {"type": obj, "required": ["id", "events"], "properties": {"id": s, "events": i}},
        "Cluster": {"type": obj, "required": ["node", "lease_s", "nodes", "hunts"], "properties": {
            "node": s, "lease_s": {"type": "number"},
            "nodes": {"type": arr, "items": {"type": obj, "required": [
                "name", "hunts", "load", "events_per_s", "heartbeat_age_s", "self"], "properties": {
                "name": s, "hunts": {"type": arr, "items": s}, "load": i, "events_per_s": {"type": "number"},
                "heartbeat_age_s": {"type": "number"}, "self": _BOOL}}},
            "hunts": {"type": arr, "items": {"type": obj, "required": ["id", "owner", "lease_age_s"], "properties": {
                "id": s, "owner": nullable_s, "lease_age_s": {"type": ["number", "null"]}}}}}},
        "Health": {"type": obj, "required": ["status"], "properties": {"status": {"enum": ["ok", "stopping"]},
                                                                      "hunts": i, "active": i}},
    }


def _team_responses() -> dict[str, Any]:
    obj, arr, s, i = "object", "array", _STRING, _INT
    nullable_s, nullable_i = {"type": ["string", "null"]}, {"type": ["integer", "null"]}
    member = {"type": obj, "properties": {"player": s, "name": s}}
    team = {"type": obj, "required": ["side", "name", "captain", "members"], "properties": {
        "side": s, "name": s, "score": i, "rank": nullable_i, "captain": {"anyOf": [{"type": "null"}, member]},
        "members": {"type": arr, "items": member}, "size": nullable_i, "cap": nullable_i, "locked_at": nullable_i,
        "locked": _BOOL, "division": nullable_s, "passcode": {"enum": ["generated", "organiser"]},
        "team_code": {**nullable_s, "description": "the generated code; null when the organiser chose the passcode"},
        "invite": {**nullable_s, "description": "the player page's link with the team and its code filled in"}}}
    return {
        "Teams": {"type": obj, "required": ["seq", "total", "rows"], "properties": {
            "seq": i, "total": i, "rows": {"type": arr, "items": team}, "rosters_locked_at": nullable_i,
            "rosters_locked": _BOOL, "team_creation": s, "team_size": nullable_i, "divisions": {"type": arr}}},
        "TeamCommandResult": {"type": obj, "required": ["id", "seq"], "properties": {
            "id": s, "seq": i, "result": s, "duplicate": _BOOL, "side": s, "team": s,
            "team_code": {**nullable_s, "description": "the team's passcode: yours (this once) or the generated one"},
            "invite": nullable_s}},
    }
