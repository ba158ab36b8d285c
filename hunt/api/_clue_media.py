"""Clue media and the players' map over HTTP (the rules are in ``hunt.domain``'s media module).

- ``POST /admin/hunts/<hunt>/media``: the body is an image or a recording (its type read from
  its bytes, whatever Content-Type says: that only picks the size limit); recorded as
  ``media_added``. The same bytes again answer with the first upload's outcome.
- ``GET /admin/hunts/<hunt>/media``: the hunt's uploaded media, where each is shown, the map switch.
- ``POST /admin/hunts/<hunt>/attach``: ``{"target", "clue"?, "hint"?, "media": [{"hash", "alt"}],
  "id"?}``: the media a target shows (``media_set``).
- ``POST /admin/hunts/<hunt>/map``: ``{"enabled", "id"?}``: the players' map on or off (``map_set``).
- ``GET /hunts/<hunt>/media/<sha256>``: a file for a player (their token as ``Authorization:
  Bearer``; without one, only the intro's), while something that shows it is visible to their
  side; anything else is 404, as for a file that does not exist. Admins read every file at
  ``GET /admin/hunts/<hunt>/media/<sha256>``.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, request

from ..domain import (
    CLUE_MEDIA_TYPES,
    MAX_ALT,
    MAX_MEDIA_ITEMS,
    MEDIA_TARGETS,
    AddMedia,
    HuntState,
    Rejected,
    SetMap,
    SetMedia,
    map_on,
    media_of,
    visible_media,
)
from ..protocol import BadRequest, NotFound
from ._admin import ack_body, client_id, require_admin, submit_admin
from ._context import ApiContext
from ._errors import wire_error
from ._http import body_chunks, error_response, json_response, read_json
from ._media import MediaStore
from ._public import published_state

__all__ = ["ATTACH_FIELDS", "MAP_FIELDS", "MEDIA_UPLOAD_SUFFIX", "clue_media_blueprint"]

MEDIA_UPLOAD_SUFFIX = "/media"  # POST /admin/hunts/<hunt>/media (see create_app's body limits)
ATTACH_FIELDS = frozenset({"id", "target", "clue", "hint", "media"})
MAP_FIELDS = frozenset({"id", "enabled"})


def clue_media_blueprint(ctx: ApiContext, media: MediaStore) -> Blueprint:
    blueprint = Blueprint("clue_media", __name__)
    engine, limits = ctx.engine, ctx.config.limits

    @blueprint.post("/admin/hunts/<hunt:hunt_id>/media")
    async def upload(hunt_id: str) -> Response:
        require_admin(ctx)
        state = await engine.state(hunt_id)
        if len(state.media) >= limits.max_hunt_media:
            return error_response(wire_error(Rejected(
                "invalid_state", f"this hunt has {len(state.media)} media files already (limits.max_hunt_media)")))
        kind = request.mimetype.partition("/")[0]
        if kind not in CLUE_MEDIA_TYPES:
            raise BadRequest("Content-Type must be image/... or audio/... (the type itself is read from the bytes)")
        limit = limits.max_clue_image_bytes if kind == "image" else limits.max_clue_audio_bytes
        body = body_chunks(limit, limits.import_body_timeout_s, limits.body_idle_timeout_s, f"the {kind}")
        stored = await media.receive(hunt_id, body, kind, limit, CLUE_MEDIA_TYPES[kind])
        # The id is the file's: the same bytes sent again (or twice at once) are one upload.
        command = AddMedia(cmd=f"media-{stored.hash}", hash=stored.hash, size=stored.size, type=stored.type)
        try:
            [result] = await engine.submit(hunt_id, [command])
        except BaseException:
            await media.settle(hunt_id, stored, None, accepted=True)  # unknown outcome: keep the file
            raise
        state = await engine.state(hunt_id)
        await media.settle(hunt_id, stored, state, accepted=not isinstance(result, Rejected))
        if isinstance(result, Rejected):
            if stored.hash not in state.media:
                return error_response(wire_error(result))
            known = state.media[stored.hash]  # uploaded before under another id (an import)
            return json_response({"id": command.cmd, "seq": known["seq"], "result": "ok", "hash": known["hash"],
                                  "size": known["size"], "type": known["type"], "duplicate": True})
        return json_response(ack_body(command.cmd, result))

    @blueprint.get("/admin/hunts/<hunt:hunt_id>/media")
    async def library(hunt_id: str) -> Response:
        require_admin(ctx)
        state = await engine.state(hunt_id)
        return json_response(_library(state))

    @blueprint.post("/admin/hunts/<hunt:hunt_id>/attach")
    async def attach(hunt_id: str) -> Response:
        require_admin(ctx)
        body = await read_json(limits, fields=ATTACH_FIELDS)
        target, clue, hint, items = body.get("target"), body.get("clue"), body.get("hint"), body.get("media")
        # Checked here too: a resent command answers with its first outcome and is not decided again.
        if target not in MEDIA_TARGETS:
            raise BadRequest(f'"target" must be one of {", ".join(MEDIA_TARGETS)}')
        if clue is not None and not isinstance(clue, str):
            raise BadRequest('"clue" must be a clue id')
        if hint is not None and (not isinstance(hint, int) or isinstance(hint, bool) or hint < 0):
            raise BadRequest('"hint" must be the index of a hint (0 is the first)')
        _check_items(items)
        command = SetMedia(cmd=client_id(body), target=target, media=items, clue=clue, hint=hint)
        return await submit_admin(ctx, hunt_id, command, same=lambda fields: "target" in fields)

    @blueprint.post("/admin/hunts/<hunt:hunt_id>/map")
    async def switch_map(hunt_id: str) -> Response:
        require_admin(ctx)
        body = await read_json(limits, fields=MAP_FIELDS)
        enabled = body.get("enabled")
        if not isinstance(enabled, bool):
            raise BadRequest('map needs "enabled": true or false')
        return await submit_admin(ctx, hunt_id, SetMap(cmd=client_id(body), enabled=enabled),
                                  same=lambda fields: "map" in fields)

    @blueprint.get("/hunts/<hunt_id>/media/<digest>")
    async def player_file(hunt_id: str, digest: str) -> Response:
        state = await published_state(ctx, hunt_id)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        player_id = ctx.tokens.verify(hunt_id, token.strip(), state.incarnation) if scheme.lower() == "bearer" \
            else None
        player = state.players.get(player_id) if player_id is not None else None
        side = state.sides[player.side] if player is not None and not player.banned else None
        if digest not in visible_media(state, side, ctx.now_ms()):
            raise NotFound("no such media")  # not shown to you yet, or none: the same answer
        # Private: a shared cache must not hand it to somebody whose side may not see it yet.
        return await media.response(hunt_id, digest, "private, max-age=300")

    return blueprint


def _check_items(items: Any) -> None:
    if not isinstance(items, list) or len(items) > MAX_MEDIA_ITEMS:
        raise BadRequest(f'"media" must be a list of at most {MAX_MEDIA_ITEMS} items (empty: none)')
    for item in items:
        if not isinstance(item, dict) or set(item) != {"hash", "alt"} or not isinstance(item["hash"], str) \
                or not isinstance(item["alt"], str) or not item["alt"].strip() or len(item["alt"]) > MAX_ALT:
            raise BadRequest(f'each media item is {{"hash": a SHA-256, "alt": 1-{MAX_ALT} characters saying what '
                             'it shows}')


def _library(state: HuntState) -> dict[str, Any]:
    """Every uploaded file with the targets that show it, every target's media, and what the
    definition names that was never uploaded."""
    keys = ["intro", "outro"]
    for clue in state.definition.clues:
        keys.append(f"clue:{clue.id}")
        keys.extend(f"hint:{clue.id}:{i}" for i in range(len(clue.hints)))
    targets = {key: media_of(state, key) for key in keys}
    used: dict[str, list[str]] = {}
    for key, items in targets.items():
        for item in items:
            used.setdefault(item["hash"], []).append(key)
    files = [{**row, "shown_with": used.get(row["hash"], [])} for row in state.media.values()]
    missing = sorted(digest for digest in used if digest not in state.media)
    return {"seq": state.seq, "media": files, "targets": {k: v for k, v in targets.items() if v},
            "missing": missing, "map": map_on(state)}
