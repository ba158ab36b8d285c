"""``/openapi.json``: an OpenAPI 3.1 description of every HTTP route (and the websocket).

Exact on purpose: every constraint the server enforces on a parameter or a body is in a
schema (bodies refuse fields they do not list), and every status a route can answer is listed,
with its error codes. A test checks the paths and methods against the app's ``url_map``, and
``tests/api/test_api_conformance.py`` runs a property-based conformance check (schemathesis,
valid and invalid requests, all its checks) against a live server.

Any route answers a method it does not have with 405 and an ``Allow`` header; an unknown path
with 404 ``not_found``. Those two are said once, in ``info.description``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ..domain import CLUE_MEDIA_TYPES
from ..protocol import ErrorCode
from ._http import MAX_QUERY_INT
from ._openapi_schemas import HUNT_ID, body_schemas, query_schemas, response_schemas

__all__ = ["openapi_document"]

_HUNT_ID = {"name": "hunt_id", "in": "path", "required": True, "description": "an id that names no hunt is 404",
            "schema": HUNT_ID}
_PLAYER = {"name": "player", "in": "path", "required": True, "schema": {"type": "string"}}
_CLUE = {"name": "clue", "in": "path", "required": True, "description": "a clue id that names no clue is 404",
         "schema": {"type": "string"}}
_QUERY = query_schemas()

# Which error codes a status stands for, per kind of route (the codes are in docs/protocol.md).
_MEANING = {
    400: "bad_request: malformed JSON, a missing or unknown field, a field of the wrong type or out of range",
    401: "unauthorized: no admin token, or a wrong one",
    403: "banned or removed: the player is banned from the hunt, or was taken off their team",
    404: "unknown_hunt, unknown_player or not_found",
    409: "hunt_exists, invalid_state (the command does not fit the hunt's status)",
    413: "too_large: the body is over its limit (limits.max_body_bytes, limits.max_import_bytes)",
    503: "overloaded or unavailable, with retry_after_ms and a Retry-After header; retry later",
}


def _query(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": _QUERY[name]}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK", headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


_HEADER = {"schema": {"type": "string"}}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 1}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): _json(_ref("Error"), _MEANING[s], _RETRY_AFTER if s == 503 else None) for s in statuses}


def _op(summary: str, tag: str, ok: dict[str, Any], *, status: str = "200", params: tuple[Any, ...] = (),
        body: dict[str, Any] | None = None, errors: tuple[int, ...] = (), cached: bool = False) -> dict[str, Any]:
    if body is not None:
        errors = (*errors, 400, 413)
    if tag == "admin":
        errors = (*errors, 401)
    if cached:
        ok = {**ok, "headers": {"ETag": _HEADER}}
    operation: dict[str, Any] = {"summary": summary, "tags": [tag],
                                 "responses": {status: ok, **_errors(*sorted(set(errors)))}}
    if params:
        operation["parameters"] = list(params)
    if body is not None:
        operation["requestBody"] = body
    if cached:
        operation["responses"]["304"] = {"description": "not modified (If-None-Match matched the ETag)"}
    if tag == "admin":
        operation["security"] = [{"bearer": []}]
    return operation


def _body(schema: str, *, required: bool = True) -> dict[str, Any]:
    note = "" if required else " (optional: no body is {})"
    return {"required": required, "description": f"a JSON object{note}",
            "content": {"application/json": {"schema": _ref(schema)}}}


def _command(summary: str, params: tuple[Any, ...], body: dict[str, Any]) -> dict[str, Any]:
    return {"post": _op(summary, "admin", _json(_ref("CommandResult")), params=params, body=body,
                        errors=(404, 409, 503))}


_DIGEST = {"name": "digest", "in": "path", "required": True,
           "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}


def _media_paths(hunt: tuple[Any, ...]) -> dict[str, Any]:
    """Clue media and the players' map (see hunt/api/_clue_media.py)."""
    types = [t for kind in CLUE_MEDIA_TYPES.values() for t in kind]
    return {
        "/admin/hunts/{hunt_id}/media": {
            "post": _op("upload an image or a recording to show with clues, hints, the intro or the outro (its "
                        "type read from its bytes; the same bytes again answer with the first upload)", "admin",
                        _json(_ref("CommandResult")), params=hunt,
                        body={"required": True, "description": "the file (at most limits.max_clue_image_bytes or "
                                                               "limits.max_clue_audio_bytes)",
                              "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in types}},
                        errors=(404, 409, 503)),
            "get": _op("the hunt's uploaded media, where each is shown, every target's media, and the map switch",
                       "admin", _json(_ref("MediaLibrary")), params=hunt, errors=(404, 503))},
        "/admin/hunts/{hunt_id}/attach": _command(
            "the media a target shows: the intro, the outro, a clue's prompt or one of its hints (replaces its "
            "list; recorded as an event, pushed live)", hunt, _body("Attach")),
        "/admin/hunts/{hunt_id}/map": _command("turn the players' map of open geo clues on or off", hunt, _body("Map")),
        "/hunts/{hunt_id}/media/{digest}": {"get": _op(
            "a media file for a player (their token as Authorization: Bearer; without one only the intro's): 404 "
            "unless something that shows it is visible to their side (an open clue, a hint the side took, the "
            "intro, the outro at the end)", "player",
            {"description": "the file", "content": {"image/*": {}, "audio/*": {}}},
            params=(*hunt, _DIGEST), errors=(404, 503))},
    }


def _team_paths(hunt: tuple[Any, ...], player: tuple[Any, ...], paging: tuple[Any, ...]) -> dict[str, Any]:
    """Teams and divisions: the team list and every organiser's command on teams."""
    team = (*hunt, {"name": "team", "in": "path", "required": True, "description": "the team's side id "
                    "(e.g. team:gulls; 404 unknown_team for one that is not a team of the hunt)",
                    "schema": {"type": "string"}})
    with_code = _json(_ref("TeamCommandResult"))
    return {
        "/admin/hunts/{hunt_id}/teams": {
            "get": _op("the teams: name, captain, members, size cap, roster lock, division, score, code and "
                       "invite link (409 in a solo hunt)", "admin", _json(_ref("Teams")), params=(*hunt, *paging),
                       errors=(400, 404, 409, 503)),
            "post": _op("make a team (a passcode of your own, or a generated one): recorded as an event", "admin",
                        with_code, params=hunt, body=_body("CreateTeam"), errors=(404, 409, 503))},
        "/admin/hunts/{hunt_id}/teams/{team}/rename": _command("rename a team (its side id stays)", team,
                                                                 _body("RenameTeam")),
        "/admin/hunts/{hunt_id}/teams/{team}/passcode": {"post": _op(
            "give a team a new passcode: yours, or a newly generated code (the old one stops working)", "admin",
            with_code, params=team, body=_body("TeamPasscode", required=False), errors=(404, 409, 503))},
        "/admin/hunts/{hunt_id}/teams/{team}/size": _command("a team's own size cap (null: the hunt's team_size)",
                                                               team, _body("TeamSize")),
        "/admin/hunts/{hunt_id}/teams/{team}/captain": _command("hand a team's captaincy to one of its players",
                                                                  team, _body("Captain")),
        "/admin/hunts/{hunt_id}/teams/{team}/lock": _command(
            "lock a team's roster now or at a chosen time (or unlock it): later joins are refused",
            team, _body("Lock", required=False)),
        "/admin/hunts/{hunt_id}/lock": _command(
            "lock every team's roster now or at a chosen time (or unlock them): later joins and new teams are "
            "refused", hunt, _body("Lock", required=False)),
        "/admin/hunts/{hunt_id}/players/{player}/remove": _command(
            "take a player off their team's roster (they can no longer act; they may join again)", player,
            _body("Remove", required=False)),
        "/admin/hunts/{hunt_id}/division": _command(
            "put a side (a team's side id, or a solo player's id) in a division, or in none", hunt,
            _body("SetDivision")),
    }


def _edit_paths(hunt: tuple[Any, ...], player: tuple[Any, ...]) -> dict[str, Any]:
    clue = (*hunt, _CLUE)

    def preview(summary: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"post": _op(summary, "admin", _json(_ref("EditPlan")), params=clue, body=body,
                            errors=(404, 409, 503))}

    return {
        "/admin/hunts/{hunt_id}/clues/{clue}/edit/preview": preview(
            "what an edit of a clue would do: the clue after it, the score corrections rescore asks for, and the "
            "sides whose earlier wrong attempts it would accept (nothing is recorded)", _body("EditPreview")),
        "/admin/hunts/{hunt_id}/clues/{clue}/edit": _command(
            "edit a clue (prompt, points, answers, ...): clue_edited, then the corrections and the chosen credits "
            "as their own events", clue, _body("EditClue")),
        "/admin/hunts/{hunt_id}/clues/{clue}/retire/preview": preview(
            "what withdrawing a clue would do to scores (nothing is recorded)", _body("RetirePreview", required=False)),
        "/admin/hunts/{hunt_id}/clues/{clue}/retire": _command(
            "withdraw a clue: nobody may find it any more (clue_retired, and corrections if asked)", clue,
            _body("RetireClue", required=False)),
        "/admin/hunts/{hunt_id}/clues/{clue}/unlock": _command(
            "open a clue to one team or player whatever its prerequisites (clue_unlocked)", clue, _body("Unlock")),
        "/admin/hunts/{hunt_id}/times": _command(
            "change the hunt's start or end time (times_changed): extend the end, move a start not yet reached",
            hunt, _body("Times")),
        "/admin/hunts/{hunt_id}/players/{player}/unban": _command(
            "lift a player's ban (player_unbanned)", player, _body("Unban", required=False)),
    }


@cache
def openapi_document() -> dict[str, Any]:
    pages = {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}
    hunt, player = (_HUNT_ID,), (_HUNT_ID, _PLAYER)
    paging = (_query("limit", "rows (at most limits.page_limit_max: more is capped)"),
              _query("offset", "rows to skip"))
    read = (404, 503)  # a hunt that does not exist; one that cannot be loaded right now
    division = _query("division", "a division id of the hunt (404 unknown_division otherwise); absent: the "
                                  "overall board")
    paths: dict[str, Any] = {
        "/health": {"get": _op("liveness: 503 while the server stops", "public", _json(_ref("Health")),
                               errors=(503,))},
        "/metrics": {"get": _op("Prometheus metrics", "public",
                                {"description": "Prometheus text",
                                 "content": {"text/plain": {"schema": {"type": "string"}}}})},
        "/openapi.json": {"get": _op("this document", "public", _json({"type": "object"}))},
        "/hunts/{hunt_id}": {"get": _op("public view of a hunt (no answers, codes, coordinates or hint texts)",
                                        "public", _json(_ref("PublicHunt")), params=hunt, errors=read,
                                        cached=True)},
        "/hunts/{hunt_id}/leaderboard": {"get": _op("live leaderboard (of one division with ?division=)", "public",
                                                    _json(_ref("Leaderboard")), params=(*hunt, *paging, division),
                                                    errors=(400, *read), cached=True)},
        "/play/{hunt_id}": {"get": _op("the player page (404 for an id that is not a hunt id)", "pages", pages,
                                       params=hunt, errors=(404,))},
        "/admin": {"get": _op("the admin page", "pages", pages)},
        "/static/{filename}": {"get": _op("static files of the pages", "pages",
                                          {"description": "a file", "content": {"*/*": {}}},
                                          params=({"name": "filename", "in": "path", "required": True,
                                                   "schema": {"type": "string"}},), errors=(404,))},
        "/ws/hunts/{hunt_id}": {"get": _op(
            "player websocket (upgrade; the protocol is in docs/protocol.md). Without the websocket "
            "upgrade the path is 404.", "player", {"description": "switching protocols"}, status="101",
            params=hunt, errors=(404,))},
        "/admin/cluster": {"get": _op(
            "cluster mode: the nodes (load, events/s, heartbeat age, hunts), every hunt's owner and lease "
            "age, as this node sees them; 404 when the server is not a cluster node", "admin",
            _json(_ref("Cluster")), errors=(404,))},
        "/admin/hunts": {
            "get": _op("list hunts", "admin", _json(_ref("HuntList")), cached=True),
            "post": _op("create a hunt from a definition", "admin",
                        _json(_ref("PublicHunt"), "created", {"Location": _HEADER}),
                        status="201", body=_body("Definition"), errors=(409,)),
        },
        "/admin/hunts/import": {"post": _op(
            "create a hunt from an NDJSON export (one event a line, as GET .../export writes it)", "admin",
            _json(_ref("Imported"), "created", {"Location": _HEADER}), status="201",
            body={"required": True, "description": "NDJSON: the events of a hunt, the first one hunt_created",
                  "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
            errors=(409,))},
        "/admin/hunts/{hunt_id}": {"get": _op("a hunt: definition, stats, heatmap, actor", "admin",
                                              _json(_ref("HuntDetail")), params=hunt, errors=read, cached=True)},
        "/admin/hunts/{hunt_id}/leaderboard": {"get": _op(
            "leaderboard, paginated; at_seq: as of that sequence number; at_time: as of that clock time, the "
            "last seq at or before it (both: the earlier; 404 before the first event); division: that division's "
            "board", "admin",
            _json(_ref("Leaderboard")), params=(*hunt, *paging, _query("at_seq", "time travel: as of this seq"),
                                                _query("at_time", "time travel: as of this time (epoch ms)"),
                                                division),
            errors=(400, *read), cached=True)},
        "/admin/hunts/{hunt_id}/players/{player}": {"get": _op(
            "a player's progress and score audit", "admin", _json(_ref("PlayerDetail")), params=player,
            errors=read, cached=True)},
        "/admin/hunts/{hunt_id}/players/{player}/ban": _command(
            "ban a player (recorded as an event)", player, _body("Ban", required=False)),
        "/admin/hunts/{hunt_id}/clues": {
            "get": _op("per-clue stats", "admin", _json(_ref("Clues")), params=hunt, errors=read, cached=True),
            "post": _command("add a clue to a running hunt (recorded as clue_added; pushed to players)", hunt,
                             _body("AddClue"))["post"]},
        **_edit_paths(hunt, player),
        "/admin/hunts/{hunt_id}/team-code": {"get": _op(
            "a team's code, for the organiser to hand out (team hunts; the team need not exist yet)", "admin",
            _json({"type": "object", "required": ["team", "side", "team_code", "members"], "properties": {
                "team": {"type": "string"}, "side": {"type": "string"},
                "team_code": {"type": ["string", "null"],
                              "description": "null when the organiser chose the passcode (only its hash is kept)"},
                "members": {"type": "integer"}}}),
            params=(*hunt, {**_query("team", "the team's name (control, format and invisible characters are "
                                             "refused)"), "required": True}), errors=(400, 404, 409, 503))},
        "/admin/hunts/{hunt_id}/analytics": {"get": _op(
            "the organiser's analytics projection kept by `hunt consume`: activity per minute, clue funnel "
            "(404 where no consumer's projection is served)", "admin", _json(_ref("Analytics")), params=hunt,
            errors=(404,))},
        "/admin/hunts/{hunt_id}/events": {"get": _op(
            "events through the indexes, paginated by seq: oldest first (next page: after=next_after) or "
            "newest first (order=desc; next page: before=next_before)", "admin", _json(_ref("Events")),
            params=(*hunt, _query("after", "only events with a larger seq"),
                    _query("before", "only events with a smaller seq"),
                    _query("order", "asc (the default) or desc: newest first"), _query("player", "player id"),
                    _query("type", "event type (empty: any)"), _query("clue", "clue id"),
                    _query("from_time", "only events at or after this time (epoch ms)"),
                    _query("to_time", "only events at or before this time (epoch ms)"),
                    _query("limit", "events (at most limits.page_limit_max: more is capped)")),
            errors=(400, 404))},
        "/admin/hunts/{hunt_id}/export": {"get": _op(
            "the whole log, one event per line", "admin",
            {"description": "NDJSON", "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
            params=hunt, errors=read)},
        "/admin/hunts/{hunt_id}/adjust": _command("adjust a score (recorded as an event)", hunt, _body("Adjust")),
        "/admin/hunts/{hunt_id}/freeze": _command(
            "freeze the scoreboard now, or at a time (at): players see the standings as of then, organisers live "
            "ones", hunt, _body("Freeze", required=False)),
        "/admin/hunts/{hunt_id}/schedule": {
            **_command("a side's own start and time window (timed play), recorded as an event", hunt,
                       _body("Schedule")),
            "get": _op("the hunt's clock: its start, window and freeze, each side with its own schedule, the timed "
                       "clues", "admin", _json(_ref("Schedule")), params=hunt, errors=read, cached=True)},
        "/admin/hunts/{hunt_id}/announce": _command(
            "an announcement or erratum to everybody, one team or one player: recorded, pushed live, kept in "
            "the feed", hunt, _body("Announce")),
        "/hunts/{hunt_id}/feed": {"get": _op(
            "the latest feed items for everybody (first finds, status, announcements), oldest first", "public",
            _json({"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object"}}}}),
            params=hunt, errors=read)},
        "/screen/{hunt_id}": {"get": _op("the big-screen page: live standings, feed and countdown (404 for an id "
                                         "that is not a hunt id)", "pages", pages, params=hunt, errors=(404,))},
        "/hunts/{hunt_id}/entries": {"post": _op(
            "send a mission entry: a photo, a video or a text (the player's token as Authorization: Bearer)",
            "player", _json(_ref("CommandResult")),
            params=(*hunt, {"name": "clue", "in": "query", "required": True, "schema": {"type": "string"}},
                    {"name": "id", "in": "query", "required": True,
                     "schema": {"type": "string", "minLength": 1, "maxLength": 128}}),
            body={"required": True, "content": {
                "text/plain": {"schema": {"type": "string", "maxLength": 2000}},
                **{t: {"schema": {"type": "string", "format": "binary"}} for t in (
                    "image/jpeg", "image/png", "image/webp", "image/heic", "video/mp4", "video/quicktime",
                    "video/webm")}}},
            errors=(400, 401, 403, 404, 409, 413, 503))},
        "/admin/hunts/{hunt_id}/entries": {"get": _op(
            "the judging queue: mission entries, oldest first", "admin", _json({"type": "object", "properties": {
                "seq": {"type": "integer"}, "entries": {"type": "array", "items": {"type": "object"}},
                "counts": {"type": "object"}, "next_after": {"type": ["integer", "null"]}}}),
            params=(*hunt, {"name": "status", "in": "query", "required": False,
                            "schema": {"enum": ["pending", "approved", "rejected", "all"]}},
                    _query("clue", "clue id"), _query("player", "player id"),
                    _query("after", "only entries with a larger number"), _query("limit", "entries")),
            errors=(400, *read))},
        "/admin/hunts/{hunt_id}/entries/{entry}/judge": _command(
            "approve (with an optional bonus) or reject a mission entry, with a message for the player",
            (*hunt, {"name": "entry", "in": "path", "required": True,
                     "schema": {"type": "integer", "minimum": 0, "maximum": MAX_QUERY_INT}}),
            _body("Judge")),
        **_team_paths(hunt, player, paging),
        "/admin/hunts/{hunt_id}/media/{digest}": {"get": _op(
            "any of the hunt's media (a mission's photo or video, a clue's image or recording), by its SHA-256 "
            "(its type read from its bytes)", "admin",
            {"description": "the file", "content": {"image/*": {}, "video/*": {}, "audio/*": {}}},
            params=(*hunt, {"name": "digest", "in": "path", "required": True,
                            "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}),
            errors=(404,))},
        **_media_paths(hunt),
    }
    summaries = {"start": "start (or resume) the hunt", "pause": "pause the hunt", "end": "end the hunt",
                 "reopen": "reopen an ended hunt (409 if it reached its scheduled end: move the end first)",
                 "reveal": "reveal the standings frozen by freeze (or call off a scheduled freeze)"}
    for action, summary in summaries.items():
        paths[f"/admin/hunts/{{hunt_id}}/{action}"] = _command(summary, hunt, _body("Control", required=False))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Hunt engine", "version": "1.0.0",
                 "description": "Real-time treasure hunts. The player websocket protocol and every error code "
                                "are described in docs/protocol.md. Every error is "
                                '`{"error": code, "message": text}` (with `retry_after_ms` when retrying '
                                "helps). Any route answers a method it does not have with 405 "
                                "`method_not_allowed` and an `Allow` header naming the methods it has; an "
                                "unknown path is 404 `not_found`. Error codes: "
                                + ", ".join(f"{code.value} ({code.status})" for code in ErrorCode) + "."},
        "paths": paths,
        "components": {"schemas": {**body_schemas(), **response_schemas()},
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
