"""Admin routes that edit a running hunt (docs/protocol.md, "Editing a running hunt").

An edit that can change scores (a clue's points or answers, withdrawing a clue) has a preview
route that says exactly what applying would do, and the apply route submits the edit with the
corrections and credits the organiser chose behind it, in one submission: each its own event,
each guarded by the definition's version, so none lands unless the edit did. Answers and codes
appear only in these admin answers (the preview shows the organiser what the fix accepts).
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response

from ..domain import (
    MAX_CREDITS,
    MAX_TIME_MS,
    AddClue,
    AdjustScore,
    AttemptFailed,
    ChangeTimes,
    Command,
    CreditClue,
    EditClue,
    Plan,
    Recorded,
    Rejected,
    RetireClue,
    UnbanPlayer,
    UnlockClue,
    accepts_attempt,
    edited_clue,
    plan_edit,
    plan_retire,
    public_clue_document,
)
from ..protocol import BadRequest
from ._admin import client_id, reason_of, require_admin, submit_admin
from ._context import ApiContext
from ._errors import wire_error
from ._http import error_response, json_response, read_json

__all__ = ["ADD_FIELDS", "EDIT_FIELDS", "RETIRE_FIELDS", "TIMES_FIELDS", "UNBAN_FIELDS", "UNLOCK_FIELDS",
           "edits_blueprint"]

EDIT_FIELDS = frozenset({"id", "changes", "rescore", "credit", "version"})
RETIRE_FIELDS = frozenset({"id", "rescore", "version"})
ADD_FIELDS = frozenset({"id", "clue", "version"})
UNLOCK_FIELDS = frozenset({"id", "team", "player"})
TIMES_FIELDS = frozenset({"id", "starts_at", "ends_at"})
UNBAN_FIELDS = frozenset({"id", "reason"})
ATTEMPTS_PAGE = 2000  # wrong attempts read from the log at a time for an answer fix's preview


def edits_blueprint(ctx: ApiContext) -> Blueprint:
    """The edit routes, under ``/admin/hunts`` behind the admin token like the others."""
    blueprint = Blueprint("edits", __name__, url_prefix="/admin/hunts")
    engine = ctx.engine
    limits = ctx.config.limits

    @blueprint.before_request
    async def authenticate() -> None:
        require_admin(ctx)

    @blueprint.post("/<hunt:hunt_id>/clues/<clue>/edit/preview")
    async def edit_preview(hunt_id: str, clue: str) -> Response:
        body = await read_json(limits, fields=EDIT_FIELDS - {"id", "credit", "version"})
        changes, rescore = _changes(body), _choice(body, "rescore", ("keep", "correct"))
        attempts, unchecked = await _attempts(ctx, hunt_id, clue, changes)
        state = await engine.state(hunt_id)
        return json_response(_plan_view(plan_edit(state, clue, changes, rescore, attempts), unchecked))

    @blueprint.post("/<hunt:hunt_id>/clues/<clue>/edit")
    async def edit(hunt_id: str, clue: str) -> Response:
        body = await read_json(limits, fields=EDIT_FIELDS)
        cmd, changes = client_id(body), _changes(body)
        rescore, version = _choice(body, "rescore", ("keep", "correct")), _version(body)
        chosen = _credit(body)
        try:
            attempts = (await _attempts(ctx, hunt_id, clue, changes))[0] if chosen else []
            state = await engine.state(hunt_id)
            plan = plan_edit(state, clue, changes, rescore, attempts)
        except Rejected:  # refused as planned; or a resent apply, which answers with its first outcome
            return await submit_admin(ctx, hunt_id, EditClue(cmd, clue, changes), same=_is_edit)
        credits = {credit.player: credit for credit in plan.credits}
        unknown = [player for player in chosen if player not in credits]
        if unknown:
            raise Rejected("invalid_state", f"the fix would not credit {unknown[0][:64]!r}: preview again")
        first = EditClue(cmd, clue, changes, _planned(plan, version), plan.finders if plan.corrections else None)
        followers: list[Command] = [CreditClue(f"{cmd}:credit:{player}", player, clue, plan.version + 1)
                                    for player in sorted(chosen, key=lambda p: credits[p].seq)]
        return await _apply(ctx, hunt_id, first, plan, followers)

    @blueprint.post("/<hunt:hunt_id>/clues/<clue>/retire/preview")
    async def retire_preview(hunt_id: str, clue: str) -> Response:
        body = await read_json(limits, required=False, fields=frozenset({"rescore"}))
        state = await engine.state(hunt_id)
        plan = plan_retire(state, clue, _choice(body, "rescore", ("keep", "remove")))
        return json_response(_plan_view(plan))

    @blueprint.post("/<hunt:hunt_id>/clues/<clue>/retire")
    async def retire(hunt_id: str, clue: str) -> Response:
        body = await read_json(limits, required=False, fields=RETIRE_FIELDS)
        cmd, rescore, version = client_id(body), _choice(body, "rescore", ("keep", "remove")), _version(body)
        state = await engine.state(hunt_id)
        try:
            plan = plan_retire(state, clue, rescore)
        except Rejected:
            return await submit_admin(ctx, hunt_id, RetireClue(cmd, clue), same=_is_edit)
        first = RetireClue(cmd, clue, _planned(plan, version), plan.finders if plan.corrections else None)
        return await _apply(ctx, hunt_id, first, plan, [])

    @blueprint.post("/<hunt:hunt_id>/clues")
    async def add(hunt_id: str) -> Response:
        body = await read_json(limits, fields=ADD_FIELDS)
        document = body.get("clue")
        if not isinstance(document, dict):
            raise BadRequest('add a clue with "clue": a clue object as in a definition')
        return await submit_admin(ctx, hunt_id, AddClue(client_id(body), document, _version(body)), same=_is_edit)

    @blueprint.post("/<hunt:hunt_id>/clues/<clue>/unlock")
    async def unlock(hunt_id: str, clue: str) -> Response:
        body = await read_json(limits, fields=UNLOCK_FIELDS)
        team, player = body.get("team"), body.get("player")
        if any(v is not None and not isinstance(v, str) for v in (team, player)) or (team is None) == (player is None):
            raise BadRequest('unlock for one team ("team": its name) or one player ("player": its id): exactly one')
        return await submit_admin(ctx, hunt_id, UnlockClue(client_id(body), clue, team, player),
                                  same=lambda fields: "side" in fields)

    @blueprint.post("/<hunt:hunt_id>/times")
    async def times(hunt_id: str) -> Response:
        body = await read_json(limits, fields=TIMES_FIELDS)
        changes = {key: body[key] for key in ("starts_at", "ends_at") if key in body}
        if not changes or any(v is not None and (not isinstance(v, int) or isinstance(v, bool)
                                                 or not 0 <= v <= MAX_TIME_MS) for v in changes.values()):
            raise BadRequest('a change of times sets "starts_at", "ends_at" or both: epoch milliseconds or null')
        return await submit_admin(ctx, hunt_id, ChangeTimes(client_id(body), changes),
                                  same=lambda fields: "ends_at" in fields)

    @blueprint.post("/<hunt:hunt_id>/players/<player>/unban")
    async def unban(hunt_id: str, player: str) -> Response:
        body = await read_json(limits, required=False, fields=UNBAN_FIELDS)
        response = await submit_admin(ctx, hunt_id, UnbanPlayer(client_id(body), player, reason_of(body)),
                                      same=lambda fields: fields.get("banned") is False)
        if response.status_code == 200:
            ctx.guard.unban_player(hunt_id, player)
        return response

    return blueprint


async def _apply(ctx: ApiContext, hunt_id: str, first: EditClue | RetireClue, plan: Plan,
                 credits: list[Command]) -> Response:
    """Submit the edit with its corrections and the chosen credits behind it, in one submission."""
    corrections: list[Command] = [AdjustScore(f"{first.cmd}:fix:{fix.side}", fix.player, fix.delta, fix.reason,
                                              version=plan.version + 1) for fix in plan.corrections]
    commands = [first, *corrections, *credits]
    results = await ctx.engine.submit(hunt_id, commands)
    head = results[0]
    if isinstance(head, Rejected):
        return error_response(wire_error(head))
    if head.duplicate and not _is_edit(head.fields):
        return error_response(wire_error(Rejected("invalid_state", f"the id {first.cmd[:40]!r} was used by "
                                                                   "another command")))
    body: dict[str, Any] = {"id": first.cmd, "seq": head.seq, **head.fields, "version": plan.version + 1,
                            "corrections": [], "credits": []}
    for command, result in zip(commands[1:], results[1:], strict=True):
        key = "corrections" if isinstance(command, AdjustScore) else "credits"
        if isinstance(result, Rejected):
            body[key].append({"player": command.player, "error": result.code, "message": result.message})
        else:
            body[key].append({"player": command.player, "seq": result.seq, "points": result.fields.get("points"),
                              "score": result.fields.get("score")})
    if head.duplicate:
        body["duplicate"] = True
    return json_response(body)


def _plan_view(plan: Plan, unchecked: int = 0) -> dict[str, Any]:
    event = plan.event
    view: dict[str, Any] = {"clue": event.clue, "change": event.TYPE, "version": plan.version,
                            "finders": plan.finders,
                            "corrections": [{"side": c.side, "name": c.name, "player": c.player, "got": c.got,
                                             "delta": c.delta, "reason": c.reason} for c in plan.corrections],
                            "credits": [{"side": c.side, "name": c.name, "player": c.player, "attempt": c.seq,
                                         "text": c.text, "points": c.points} for c in plan.credits],
                            "unchecked": unchecked}
    if hasattr(event, "document"):
        view["document"] = event.document  # admins only: the clue as it would be, answers included
        view["public"] = public_clue_document(event.document)
    return view


async def _attempts(ctx: ApiContext, hunt_id: str, clue: str,
                    changes: dict[str, Any]) -> tuple[list[Recorded], int]:
    """The clue's wrong attempts from the log that the edited clue would accept, read a page at a
    time; at most the first of each player is kept (memory bounded by the players, not the
    attempts). And how many were recorded without their text (before texts were kept)."""
    state = await ctx.engine.state(hunt_id)
    edited = edited_clue(state, clue, changes)  # Rejected as the edit would be: the plan says so too
    until, after = state.seq, 0
    kept: dict[str, Recorded] = {}
    unchecked = 0
    while after < until:
        page = await ctx.engine.read_events(hunt_id, after=after, until=until, limit=ATTEMPTS_PAGE,
                                            type_="attempt_failed", clue=clue)
        if not page:
            break
        for record in page:
            event = record.event
            if not isinstance(event, AttemptFailed) or event.method == "checkin":
                continue
            if event.text is None:
                unchecked += 1
            elif accepts_attempt(edited, event):
                kept.setdefault(event.player, record)
        after = page[-1].seq
    return sorted(kept.values(), key=lambda record: record.seq), unchecked


def _is_edit(fields: dict[str, Any]) -> bool:
    return fields.get("change") in ("clue_edited", "clue_added", "clue_retired")


def _planned(plan: Plan, version: int | None) -> int:
    return plan.version if version is None else version


def _changes(body: dict[str, Any]) -> dict[str, Any]:
    changes = body.get("changes")
    if not isinstance(changes, dict) or not changes:
        raise BadRequest('"changes" must be a non-empty object: the clue fields to change (null removes one)')
    return changes


def _choice(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = body.get(key, allowed[0])
    if value not in allowed:
        raise BadRequest(f'"{key}" must be one of {", ".join(allowed)}')
    return str(value)


def _version(body: dict[str, Any]) -> int | None:
    version = body.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool) or version < 0):
        raise BadRequest('"version" must be the definition version a preview gave (an integer from 0)')
    return version


def _credit(body: dict[str, Any]) -> list[str]:
    chosen = body.get("credit", [])
    if (not isinstance(chosen, list) or len(chosen) > MAX_CREDITS or not all(isinstance(p, str) for p in chosen)
            or len(set(chosen)) != len(chosen)):
        raise BadRequest(f'"credit" must be a list of at most {MAX_CREDITS} different player ids (from the preview)')
    return chosen
