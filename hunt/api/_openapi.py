"""``/openapi.json``: an OpenAPI 3.1 description of every HTTP route (and the websocket).

Written by hand next to the routes; a test checks that the paths and methods here are exactly
the app's ``url_map``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ..domain import HINT_POLICIES
from ..protocol import ErrorCode

__all__ = ["openapi_document"]

_HUNT_ID = {"name": "hunt_id", "in": "path", "required": True,
            "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"}}
_PLAYER = {"name": "player", "in": "path", "required": True, "schema": {"type": "string"}}


def _query(name: str, description: str, type_: str = "integer") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": {"type": type_}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): _json(_ref("Error"), "error; see the error codes") for s in statuses}


def _op(summary: str, tag: str, ok: dict[str, Any], *, status: str = "200", params: tuple[Any, ...] = (),
        body: dict[str, Any] | None = None, errors: tuple[int, ...] = (), cached: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": {status: ok, **_errors(*errors)}}
    if params:
        operation["parameters"] = list(params)
    if body is not None:
        operation["requestBody"] = body
    if cached:
        operation["responses"]["304"] = {"description": "not modified (If-None-Match matched the ETag)"}
    if tag == "admin":
        operation["security"] = [{"bearer": []}]
        operation["responses"].update(_errors(401))
    return operation


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


_COMMAND_ID = _body({"type": "object", "properties": {"id": {"type": "string", "maxLength": 128}}}, required=False)


def _schemas() -> dict[str, Any]:
    obj, arr, s, i = "object", "array", {"type": "string"}, {"type": "integer"}
    row = {"type": obj, "properties": {"rank": i, "player": s, "name": s, "score": i}}
    return {
        "Error": {"type": obj, "required": ["error", "message"], "properties": {
            "error": {"type": "string", "enum": sorted(c.value for c in ErrorCode)}, "message": s,
            "retry_after_ms": i}},
        "Leaderboard": {"type": obj, "properties": {"seq": i, "total": i, "rows": {"type": arr, "items": row}}},
        "PublicHunt": {"type": obj, "properties": {
            "id": s, "title": s, "description": s, "mode": s, "order": s, "status": s,
            "starts_at": {"type": ["integer", "null"]}, "ends_at": {"type": ["integer", "null"]},
            "hint_policy": {"type": "string", "enum": list(HINT_POLICIES)},
            "allow_typed_position": {"type": "boolean"},
            "clues": {"type": arr, "items": {"type": obj, "properties": {
                "id": s, "title": s, "prompt": s, "kind": s, "points": i, "first_bonus": i,
                "value": {**i, "description": "what the clue would score its next finder now"}}}}}},
        "HuntList": {"type": obj, "properties": {"hunts": {"type": arr, "items": {"type": obj, "properties": {
            "id": s, "title": s, "status": s, "players": i, "events": i}}}}},
        "HuntDetail": {"type": obj, "properties": {
            "id": s, "title": s, "status": s, "definition": {"type": obj},
            "stats": {"type": obj, "properties": {"events": i, "by_type": {"type": obj}, "players": i}},
            "heatmap": {"type": obj, "properties": {"cell_deg": {"type": "number"}, "cells": {"type": arr}}},
            "actor": {"type": obj, "properties": {"mailbox_depth": i, "mailbox_capacity": i,
                                                  "active": {"type": "boolean"}}}}},
        "PlayerDetail": {"type": obj, "properties": {
            "player": s, "name": s, "team": {"type": ["string", "null"]}, "score": i,
            "rank": {"type": ["integer", "null"]}, "banned": {"type": "boolean"},
            "progress": {"type": obj}, "audit": {"type": arr, "items": {"type": obj}}}},
        "Clues": {"type": obj, "properties": {"clues": {"type": arr, "items": {"type": obj}}}},
        "Event": {"type": obj, "properties": {"seq": i, "ts": i, "type": s, "player": {"type": ["string", "null"]},
                                              "clue": {"type": ["string", "null"]},
                                              "cmd": {"type": ["string", "null"]}, "data": {"type": obj}}},
        "Events": {"type": obj, "properties": {"events": {"type": arr, "items": _ref("Event")},
                                               "next_after": {"type": ["integer", "null"]}}},
        "CommandResult": {"type": obj, "properties": {"id": s, "seq": i, "result": s,
                                                      "duplicate": {"type": "boolean"}}},
    }


@cache
def openapi_document() -> dict[str, Any]:
    pages = {"description": "HTML", "content": {"text/html": {}}}
    hunt, player = (_HUNT_ID,), (_HUNT_ID, _PLAYER)
    paging = (_query("limit", "rows (capped by limits.page_limit_max)"), _query("offset", "rows to skip"))
    paths: dict[str, Any] = {
        "/health": {"get": _op("liveness", "public", _json({"type": "object"}), errors=(503,))},
        "/metrics": {"get": _op("Prometheus metrics", "public",
                                {"description": "Prometheus text", "content": {"text/plain": {}}})},
        "/openapi.json": {"get": _op("this document", "public", _json({"type": "object"}))},
        "/hunts/{hunt_id}": {"get": _op("public view of a hunt (no answers, codes, coordinates or hint texts)",
                                        "public", _json(_ref("PublicHunt")), params=hunt, errors=(404,),
                                        cached=True)},
        "/hunts/{hunt_id}/leaderboard": {"get": _op("live leaderboard", "public", _json(_ref("Leaderboard")),
                                                    params=hunt + paging, errors=(400, 404), cached=True)},
        "/play/{hunt_id}": {"get": _op("the player page", "pages", pages, params=hunt, errors=(404,))},
        "/admin": {"get": _op("the admin page", "pages", pages)},
        "/static/{filename}": {"get": _op("static files of the pages", "pages", {"description": "a file"},
                                          params=({"name": "filename", "in": "path", "required": True,
                                                   "schema": {"type": "string"}},), errors=(404,))},
        "/ws/hunts/{hunt_id}": {"get": _op(
            "player websocket (upgrade); the protocol is in docs/protocol.md", "player",
            {"description": "switching protocols"}, status="101", params=hunt)},
        "/admin/hunts": {
            "get": _op("list hunts", "admin", _json(_ref("HuntList")), cached=True),
            "post": _op("create a hunt from a definition", "admin", _json(_ref("PublicHunt"), "created"),
                        status="201", body=_body({"type": "object"}), errors=(400, 409, 413)),
        },
        "/admin/hunts/import": {"post": _op(
            "create a hunt from an NDJSON export", "admin",
            _json({"type": "object", "properties": {"id": {"type": "string"}, "events": {"type": "integer"}}},
                  "created"),
            status="201", body={"required": True, "content": {"application/x-ndjson": {}}},
            errors=(400, 409, 413))},
        "/admin/hunts/{hunt_id}": {"get": _op("a hunt: definition, stats, heatmap, actor", "admin",
                                              _json(_ref("HuntDetail")), params=hunt, errors=(404,), cached=True)},
        "/admin/hunts/{hunt_id}/leaderboard": {"get": _op(
            "leaderboard, paginated; at_seq: as of that sequence number", "admin", _json(_ref("Leaderboard")),
            params=(*hunt, *paging, _query("at_seq", "time travel: the leaderboard as of this seq")),
            errors=(400, 404), cached=True)},
        "/admin/hunts/{hunt_id}/players/{player}": {"get": _op(
            "a player's progress and score audit", "admin", _json(_ref("PlayerDetail")), params=player,
            errors=(404,), cached=True)},
        "/admin/hunts/{hunt_id}/players/{player}/ban": {"post": _op(
            "ban a player (recorded as an event)", "admin", _json(_ref("CommandResult")), params=player,
            body=_body({"type": "object", "properties": {"reason": {"type": "string"}, "id": {"type": "string"}}},
                       required=False), errors=(400, 404, 409, 503))},
        "/admin/hunts/{hunt_id}/clues": {"get": _op("per-clue stats", "admin", _json(_ref("Clues")), params=hunt,
                                                    errors=(404,), cached=True)},
        "/admin/hunts/{hunt_id}/team-code": {"get": _op(
            "a team's code, for the organiser to hand out (team hunts; the team need not exist yet)", "admin",
            _json({"type": "object", "properties": {
                "team": {"type": "string"}, "side": {"type": "string"}, "team_code": {"type": "string"},
                "members": {"type": "integer"}}}),
            params=(*hunt, _query("team", "the team's name", "string")), errors=(400, 404))},
        "/admin/hunts/{hunt_id}/analytics": {"get": _op(
            "the organiser's analytics projection kept by `hunt consume`: activity per minute, clue funnel",
            "admin", _json({"type": "object", "properties": {
                "hunt": {"type": "string"}, "last_seq": {"type": "integer"}, "activity": {"type": "array"},
                "clues": {"type": "array"}}}), params=hunt, errors=(404,))},
        "/admin/hunts/{hunt_id}/events": {"get": _op(
            "events through the indexes, paginated by seq", "admin", _json(_ref("Events")),
            params=(*hunt, _query("after", "only events with a larger seq"), _query("player", "player id", "string"),
                    _query("type", "event type", "string"), _query("clue", "clue id", "string"),
                    _query("limit", "events (capped by limits.page_limit_max)")),
            errors=(400, 404))},
        "/admin/hunts/{hunt_id}/export": {"get": _op(
            "the whole log, one event per line", "admin",
            {"description": "NDJSON", "content": {"application/x-ndjson": {}}}, params=hunt, errors=(404,))},
        "/hunts/{hunt_id}/feed": {"get": _op(
            "the latest feed items for everybody (first finds, status, announcements), oldest first", "public",
            _json({"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object"}}}}),
            params=hunt, errors=(404,))},
        "/screen/{hunt_id}": {"get": _op("the big-screen page: live leaderboard, feed and countdown", "pages",
                                         {"description": "HTML", "content": {"text/html": {}}}, params=hunt)},
        "/hunts/{hunt_id}/entries": {"post": _op(
            "send a mission entry: a photo, a video or a text (the player's token as Authorization: Bearer)",
            "player", _json(_ref("CommandResult")),
            params=(*hunt, {**_query("clue", "the mission clue", "string"), "required": True},
                    {**_query("id", "the idempotency key (1-128 characters)", "string"), "required": True}),
            body={"required": True, "content": {
                "text/plain": {"schema": {"type": "string", "maxLength": 2000}},
                **{t: {"schema": {"type": "string", "format": "binary"}} for t in (
                    "image/jpeg", "image/png", "image/webp", "image/heic", "video/mp4", "video/quicktime",
                    "video/webm")}}},
            errors=(400, 401, 404, 409, 413, 503))},
        "/admin/hunts/{hunt_id}/entries": {"get": _op(
            "the judging queue: mission entries, oldest first", "admin", _json({"type": "object", "properties": {
                "seq": {"type": "integer"}, "entries": {"type": "array", "items": {"type": "object"}},
                "counts": {"type": "object"}, "next_after": {"type": ["integer", "null"]}}}),
            params=(*hunt, _query("status", "pending (default), approved, rejected or all", "string"),
                    _query("clue", "clue id", "string"), _query("player", "player id", "string"),
                    _query("after", "only entries with a larger number"), _query("limit", "entries")),
            errors=(400, 404))},
        "/admin/hunts/{hunt_id}/entries/{entry}/judge": {"post": _op(
            "approve (with an optional bonus) or reject a mission entry, with a message for the player",
            "admin", _json(_ref("CommandResult")),
            params=(*hunt, {"name": "entry", "in": "path", "required": True, "schema": {"type": "integer"}}),
            body=_body({"type": "object", "required": ["verdict"], "properties": {
                "verdict": {"type": "string", "enum": ["approve", "reject"]}, "bonus": {"type": "integer"},
                "message": {"type": "string", "maxLength": 500}, "id": {"type": "string"}}}),
            errors=(400, 404, 409, 503))},
        "/admin/hunts/{hunt_id}/media/{digest}": {"get": _op(
            "a mission's photo or video, by its SHA-256", "admin",
            {"description": "the file, its type read from its bytes", "content": {"image/*": {}, "video/*": {}}},
            params=(*hunt, {"name": "digest", "in": "path", "required": True,
                            "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}),
            errors=(404,))},
        "/admin/hunts/{hunt_id}/announce": {"post": _op(
            "send an announcement or erratum to everybody, one team or one player (recorded as an event, "
            "pushed live, kept in the feed)", "admin", _json(_ref("CommandResult")), params=hunt,
            body=_body({"type": "object", "required": ["text"], "properties": {
                "text": {"type": "string", "maxLength": 1000}, "team": {"type": "string"},
                "player": {"type": "string"}, "id": {"type": "string"}}}),
            errors=(400, 404, 503))},
        "/admin/hunts/{hunt_id}/adjust": {"post": _op(
            "adjust a score (recorded as an event)", "admin", _json(_ref("CommandResult")), params=hunt,
            body=_body({"type": "object", "required": ["player", "delta"], "properties": {
                "player": {"type": "string"}, "delta": {"type": "integer"}, "reason": {"type": "string"},
                "id": {"type": "string"}}}),
            errors=(400, 404, 409, 503))},
    }
    summaries = {"start": "start (or resume) the hunt", "pause": "pause the hunt", "end": "end the hunt",
                 "freeze": "freeze the scoreboard: players see the standings as of now, organisers live ones",
                 "reveal": "reveal the standings frozen by freeze"}
    for action, summary in summaries.items():
        paths[f"/admin/hunts/{{hunt_id}}/{action}"] = {"post": _op(
            summary, "admin", _json(_ref("CommandResult")), params=hunt, body=_COMMAND_ID,
            errors=(404, 409, 503))}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hunt engine", "version": "1.0.0",
                 "description": "Real-time treasure hunts. The player websocket protocol and every error code "
                                "are described in docs/protocol.md."},
        "paths": paths,
        "components": {"schemas": _schemas(),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
