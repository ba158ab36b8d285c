"""Mission entries over HTTP: players send photos, videos and texts; organisers judge them.

- ``POST /hunts/<hunt>/entries?clue=&id=`` (the player's token as ``Authorization: Bearer``):
  the body is the entry, ``text/plain`` (UTF-8) or a photo or video (its type read from its
  bytes); ``id`` is the idempotency key, as for websocket commands.
- ``GET /admin/hunts/<hunt>/entries?status=&clue=&player=&after=&limit=``: the judging queue.
- ``POST /admin/hunts/<hunt>/entries/<entry>/judge``: ``{"verdict","bonus"?,"message"?,"id"?}``.
- ``GET /admin/hunts/<hunt>/media/<sha256>``: a stored photo or video, for the judges.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, request

from ..domain import MAX_BONUS, MAX_ENTRY_TEXT, MAX_VERDICT, JudgeEntry, Rejected, SubmitEntry
from ..protocol import MAX_ID_CHARS, BadRequest, Unauthorized
from ._admin import ack_body, client_id, require_admin, submit_admin
from ._context import ApiContext
from ._errors import wire_error
from ._http import (
    MAX_QUERY_INT,
    body_chunks,
    error_response,
    json_response,
    query_int,
    query_text,
    read_body,
    read_json,
)
from ._identity import greeted_player
from ._media import MediaStore

__all__ = ["ENTRIES_PATH", "entries_blueprint"]

ENTRIES_PATH = "/entries"  # the public path ends with it (see create_app's body limits)
STATUSES = ("pending", "approved", "rejected", "all")
JUDGE_FIELDS = frozenset({"id", "verdict", "bonus", "message"})


def entries_blueprint(ctx: ApiContext, media: MediaStore) -> Blueprint:
    blueprint = Blueprint("entries", __name__)
    engine, limits = ctx.engine, ctx.config.limits

    @blueprint.post("/hunts/<hunt_id>/entries")
    async def submit(hunt_id: str) -> Response:
        clue, cmd = _query("clue"), _query("id")
        state = await engine.state(hunt_id)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send the player's token as Authorization: Bearer <token>")
        player = greeted_player(ctx, hunt_id, state, token.strip())
        mimetype = request.mimetype
        stored = None
        if mimetype == "text/plain":
            raw = await read_body(limits, MAX_ENTRY_TEXT * 4)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise BadRequest("a text entry must be UTF-8") from None
            command = SubmitEntry(player.id, cmd, clue, "text", text)
        elif mimetype.startswith(("image/", "video/")):
            kind = "photo" if mimetype.startswith("image/") else "video"
            limit = limits.max_photo_bytes if kind == "photo" else limits.max_video_bytes
            # A media upload may take as long as an import (a video from a phone), but it may not
            # stall: a trickled body is refused like any other (408) and frees its slot.
            body = body_chunks(limit, limits.import_body_timeout_s, limits.body_idle_timeout_s, f"the {kind}")
            stored = await media.receive(hunt_id, body, kind, limit)
            command = SubmitEntry(player.id, cmd, clue, kind, "", stored.hash, stored.size, stored.type)
        else:
            raise BadRequest("Content-Type must be text/plain, image/... or video/...")
        try:
            [result] = await engine.submit(hunt_id, [command])
        except BaseException:
            if stored is not None:
                await media.settle(hunt_id, stored, None, accepted=True)  # unknown outcome: keep it
            raise
        if stored is not None:
            state = await engine.state(hunt_id)
            await media.settle(hunt_id, stored, state, accepted=not isinstance(result, Rejected))
        if isinstance(result, Rejected):
            return error_response(wire_error(result))
        body = ack_body(cmd, result)
        if stored is not None:
            body["media"] = {"hash": stored.hash, "size": stored.size, "type": stored.type}
        return json_response(body)

    @blueprint.get("/admin/hunts/<hunt_id>/entries")
    async def queue(hunt_id: str) -> Response:
        require_admin(ctx)
        status = request.args.get("status", "pending")
        if status not in STATUSES:
            raise BadRequest(f"status must be one of {', '.join(STATUSES)}")
        clue, player = query_text("clue"), query_text("player")
        after = query_int("after", 0, 0)
        limit = query_int("limit", 50, 1, limits.page_limit_max)
        assert after is not None and limit is not None
        state = await engine.state(hunt_id)
        rows, more = [], False
        for seq in sorted(state.entries):  # entries are few next to events; read before any await
            entry = state.entries[seq]
            if seq <= after or (status != "all" and entry["status"] != status) or (clue and entry["clue"] != clue) \
                    or (player and entry["player"] != player):
                continue
            if len(rows) == limit:
                more = True
                break
            rows.append(_entry_view(state, entry))
        counts = {name: sum(1 for e in state.entries.values() if e["status"] == name) for name in STATUSES[:3]}
        return json_response({"seq": state.seq, "entries": rows, "counts": counts,
                              "next_after": rows[-1]["entry"] if more else None})

    # Bounded: an entry number is a seq (a larger one is no entry, 404, and never reaches a command).
    @blueprint.post(f"/admin/hunts/<hunt_id>/entries/<int(max={MAX_QUERY_INT}):entry>/judge")
    async def judge(hunt_id: str, entry: int) -> Response:
        require_admin(ctx)
        body = await read_json(limits, fields=JUDGE_FIELDS)
        verdict, bonus, message = body.get("verdict"), body.get("bonus", 0), body.get("message", "")
        if verdict not in ("approve", "reject"):
            raise BadRequest('judge needs "verdict": "approve" or "reject"')
        # Checked here too: a resent command answers with its first outcome and is not decided again.
        if not isinstance(bonus, int) or isinstance(bonus, bool) or not 0 <= bonus <= MAX_BONUS:
            raise BadRequest(f'"bonus" must be an integer from 0 to {MAX_BONUS}')
        if bonus and verdict == "reject":
            raise BadRequest("a rejected entry gets no bonus")
        if not isinstance(message, str) or len(message) > MAX_VERDICT:
            raise BadRequest(f'"message" must be a string of at most {MAX_VERDICT} characters')
        command = JudgeEntry(cmd=client_id(body), entry=entry, approve=verdict == "approve", bonus=bonus,
                             message=message)
        return await submit_admin(ctx, hunt_id, command, same=lambda fields: fields.get("entry") == entry)

    @blueprint.get("/admin/hunts/<hunt_id>/media/<digest>")
    async def media_file(hunt_id: str, digest: str) -> Response:
        require_admin(ctx)
        engine.require(hunt_id)
        # Judges' eyes only: never cached by shared caches.
        return await media.response(hunt_id, digest, "private, max-age=3600, immutable")

    return blueprint


def _entry_view(state: Any, entry: dict[str, Any]) -> dict[str, Any]:
    player = state.players.get(entry["player"])
    clue = state.definition.clue(entry["clue"])
    side = state.sides.get(entry["side"])
    view = {"entry": entry["seq"], "ts": entry["ts"], "player": entry["player"],
            "name": player.name if player else entry["player"], "team": player.team if player else None,
            "side": entry["side"], "clue": entry["clue"], "clue_title": clue.title if clue else entry["clue"],
            "points": clue.points if clue else 0, "kind": entry["kind"], "text": entry["text"],
            "media": entry["media"], "status": entry["status"], "found": bool(side and entry["clue"] in side.found)}
    if "judged" in entry:
        view["judged"] = entry["judged"]
    return view


def _query(name: str) -> str:
    value = request.args.get(name)
    if not value or len(value) > MAX_ID_CHARS:
        raise BadRequest(f'the query needs "{name}", a string of 1-{MAX_ID_CHARS} characters')
    return value

