"""Admin HTTP (docs/protocol.md), every route behind ``Authorization: Bearer <admin token>``.

Reads of a live hunt come from memory (cached per state version, with ETags); history
(events, export, time travel) is read from the log through its indexes, off the event loop.
Commands (start, pause, end, reopen, reveal, adjust, ban, announce; edits are in ``_edits.py``)
go through the hunt's actor like players' do, with
an optional client ``id`` as the idempotency key.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import trio
from quart import Blueprint, Response, request
from werkzeug.routing import BaseConverter

from ..domain import (
    EVENT_TYPES,
    MAX_ADJUST,
    MAX_ANNOUNCEMENT,
    MAX_REASON,
    AdjustScore,
    Announce,
    BanPlayer,
    Command,
    EndHunt,
    PauseHunt,
    Rejected,
    ReopenHunt,
    RevealBoard,
    StartHunt,
)
from ..engine import Ack, HuntExists, StoreLocked, record_to_dict
from ..protocol import MAX_ID_CHARS, BadRequest, ErrorCode, NotFound, Unauthorized
from ._buckets import retry_after_ms
from ._context import ApiContext
from ._errors import RetryLater, wire_error
from ._gate import client_of
from ._http import error_response, etag_of, json_response, query_int, query_text, read_json
from ._identity import team_code_view
from ._imports import import_stream
from ._public import division_query, leaderboard_response, serve_cached
from ._views import clue_table, hunt_detail, hunt_public, leaderboard_page, player_detail

__all__ = ["ADJUST_FIELDS", "ANNOUNCE_FIELDS", "BAN_FIELDS", "CONTROL_FIELDS", "EXPORT_CHUNK", "HuntIdConverter",
           "ack_body", "admin_blueprint", "client_id", "reason_of", "require_admin", "submit_admin"]

log = logging.getLogger("hunt.api.admin")

EXPORT_CHUNK = 2000
# The fields each admin command's body may have (any other is refused; see the OpenAPI document).
CONTROL_FIELDS = frozenset({"id"})
BAN_FIELDS = frozenset({"id", "reason"})
ADJUST_FIELDS = frozenset({"id", "player", "delta", "reason"})
ANNOUNCE_FIELDS = frozenset({"id", "text", "team", "player"})
# freeze (which may take a time) is in _timing.
_CONTROLS: dict[str, type[StartHunt | PauseHunt | EndHunt | RevealBoard | ReopenHunt]] = {
    "start": StartHunt, "pause": PauseHunt, "end": EndHunt, "reveal": RevealBoard, "reopen": ReopenHunt}


class HuntIdConverter(BaseConverter):
    """``<hunt:hunt_id>``: any path segment but ``import`` (``/admin/hunts/import`` is its own route, so
    no hunt may be called that and ``GET /admin/hunts/import`` is a 405, not a hunt's page)."""

    regex = r"(?!import(?:/|$))[^/]+"


def admin_blueprint(ctx: ApiContext) -> Blueprint:
    blueprint = Blueprint("admin", __name__, url_prefix="/admin/hunts")
    engine = ctx.engine
    limits = ctx.config.limits


    @blueprint.before_request
    async def authenticate() -> None:
        require_admin(ctx)

    @blueprint.post("")
    async def create() -> Response:
        document = await read_json(limits)
        with _locked_means_exists():
            definition = await engine.create_hunt(document)
        state = await engine.state(definition.id)
        return json_response(hunt_public(state, ctx.now_ms()), 201,
                             headers={"Location": f"/admin/hunts/{definition.id}"})

    @blueprint.get("")
    async def list_hunts() -> Response:
        rows = [{"id": s.id, "title": s.title, "status": s.status, "players": s.players, "events": s.events,
                 "active": s.active} for s in await engine.summaries()]
        return _with_etag({"hunts": rows})

    @blueprint.post("/import")
    async def import_() -> Response:
        with _locked_means_exists():
            hunt_id, events = await import_stream(engine, limits)
        return json_response({"id": hunt_id, "events": events}, 201, headers={"Location": f"/admin/hunts/{hunt_id}"})

    @blueprint.get("/<hunt:hunt_id>")
    async def detail(hunt_id: str) -> Response:
        state = await engine.state(hunt_id)
        body, _ = await engine.view(hunt_id, ("detail", state.status_at(ctx.now_ms())),
                                    lambda state: hunt_detail(state, ctx.now_ms()), orjson.dumps)
        stats = engine.statistics().hunt(hunt_id)
        actor = stats.actor if stats else None
        live = {"mailbox_depth": actor.mailbox_depth if actor else 0,
                "mailbox_capacity": actor.mailbox_capacity if actor else ctx.config.engine.mailbox_capacity,
                "active": actor is not None, "subscribers": stats.subscribers if stats else 0}
        body = body[:-1] + b',"actor":' + orjson.dumps(live) + b"}"
        return json_response(body=body, etag=etag_of(body))

    for action in _CONTROLS:
        blueprint.add_url_rule(f"/<hunt:hunt_id>/{action}", f"control_{action}", _control_view(ctx, action),
                               methods=["POST"])

    @blueprint.get("/<hunt:hunt_id>/leaderboard")
    async def leaderboard(hunt_id: str) -> Response:
        at_seq, at_time = query_int("at_seq", None, 1), query_int("at_time", None, 0)
        if at_seq is None and at_time is None:
            return await leaderboard_response(ctx, hunt_id)
        limit = query_int("limit", 50, 1, limits.page_limit_max) or 50
        offset = query_int("offset", 0, 0) or 0
        if at_time is not None:  # the clock time becomes the last seq at or before it (the earlier of both)
            by_time = await engine.seq_at_time(hunt_id, at_time)
            if by_time == 0:
                raise NotFound(f"no events at or before {at_time} (epoch ms)")
            at_seq = by_time if at_seq is None else min(at_seq, by_time)
        assert at_seq is not None
        state = await engine.state_at(hunt_id, at_seq)
        if state is None:
            raise NotFound(f"no events up to seq {at_seq}")
        division = division_query(state, request.args.get("division"))
        return _with_etag(leaderboard_page(state, limit, offset, division=division))

    @blueprint.get("/<hunt:hunt_id>/players/<player>")
    async def player(hunt_id: str, player: str) -> Response:
        state = await engine.state(hunt_id)
        found = state.players.get(player)
        if found is None:
            raise NotFound(f"no player {player[:64]!r} in this hunt", code=ErrorCode.UNKNOWN_PLAYER)
        return await serve_cached(ctx, hunt_id, ("player", player), lambda s: player_detail(s, found))

    @blueprint.get("/<hunt:hunt_id>/clues")
    async def clues(hunt_id: str) -> Response:
        return await serve_cached(ctx, hunt_id, ("clues",), clue_table)

    @blueprint.get("/<hunt:hunt_id>/team-code")
    async def team_code(hunt_id: str) -> Response:
        """The code of a team (``?team=NAME``), for the organiser to hand out; the team need not exist yet."""
        state = await engine.state(hunt_id)
        return json_response(team_code_view(ctx, hunt_id, state, query_text("team")))

    @blueprint.get("/<hunt:hunt_id>/analytics")
    async def analytics(hunt_id: str) -> Response:
        engine.require(hunt_id)
        read = ctx.analytics
        if read is None:
            raise NotFound("analytics are not served here (run `hunt serve` with `hunt consume` beside it)")
        return json_response(await trio.to_thread.run_sync(read, hunt_id))

    @blueprint.get("/<hunt:hunt_id>/events")
    async def events(hunt_id: str) -> Response:
        after, before = query_int("after", 0, 0) or 0, query_int("before", None, 1)
        limit = query_int("limit", 100, 1, limits.page_limit_max) or 100
        type_ = query_text("type", lambda t: t in EVENT_TYPES)
        newest_first = query_text("order", lambda o: o in ("asc", "desc")) == "desc"
        records = await engine.read_events(
            hunt_id, after=after, until=None if before is None else before - 1, limit=limit + 1,
            player=query_text("player"), type_=type_, clue=query_text("clue"),
            from_ts=query_int("from_time", None, 0), to_ts=query_int("to_time", None, 0), newest_first=newest_first)
        more = len(records) > limit
        records = records[:limit]
        rows = [record_to_dict(r) for r in records]
        players = (await engine.state(hunt_id)).players  # the names the dashboard shows for the ids
        names = {row["player"]: players[row["player"]].name for row in rows if row["player"] in players}
        cursor = records[-1].seq if more else None
        return json_response({"events": rows, "names": names,
                              "next_after": None if newest_first else cursor,
                              "next_before": cursor if newest_first else None})

    @blueprint.get("/<hunt:hunt_id>/export")
    async def export(hunt_id: str) -> Response:
        until = (await engine.state(hunt_id)).seq  # a consistent prefix of a log that keeps growing

        async def lines() -> AsyncIterator[bytes]:
            after = 0
            while after < until:
                records = await engine.read_events(hunt_id, after=after, until=until, limit=EXPORT_CHUNK)
                if not records:
                    return
                yield b"".join(orjson.dumps(record_to_dict(r)) + b"\n" for r in records)
                after = records[-1].seq

        response = Response(lines(), 200, content_type="application/x-ndjson")
        response.headers["Content-Disposition"] = f'attachment; filename="{hunt_id}.ndjson"'
        response.timeout = None  # a long hunt takes a while to stream
        return response

    @blueprint.post("/<hunt:hunt_id>/adjust")
    async def adjust(hunt_id: str) -> Response:
        body = await read_json(limits, fields=ADJUST_FIELDS)
        player, delta, reason = body.get("player"), body.get("delta"), reason_of(body)
        if not isinstance(player, str) or not isinstance(delta, int) or isinstance(delta, bool):
            raise BadRequest('adjust needs "player" (a string) and "delta" (an integer)')
        if delta == 0 or abs(delta) > MAX_ADJUST:  # checked here too: a resent command is not decided again
            raise BadRequest(f'"delta" must be a non-zero integer within ±{MAX_ADJUST}')
        return await submit_admin(ctx, hunt_id, AdjustScore(cmd=client_id(body), player=player, delta=delta,
                                                       reason=reason))

    @blueprint.post("/<hunt:hunt_id>/announce")
    async def announce(hunt_id: str) -> Response:
        body = await read_json(limits, fields=ANNOUNCE_FIELDS)
        text, team, player = body.get("text"), body.get("team"), body.get("player")
        if not isinstance(text, str) or any(v is not None and not isinstance(v, str) for v in (team, player)):
            raise BadRequest('announce needs "text" (a string), and optionally "team" or "player" (strings)')
        # Checked here too: a resent command answers with its first outcome and is not decided again.
        if not text.strip() or len(text) > MAX_ANNOUNCEMENT:
            raise BadRequest(f"text must be a non-empty string of at most {MAX_ANNOUNCEMENT} characters")
        if team is not None and player is not None:
            raise BadRequest("an announcement goes to everybody, one team or one player: not both")
        return await submit_admin(ctx, hunt_id, Announce(cmd=client_id(body), text=text, team=team, player=player),
                                  same=lambda fields: "to" in fields)

    @blueprint.post("/<hunt:hunt_id>/players/<player>/ban")
    async def ban(hunt_id: str, player: str) -> Response:
        body = await read_json(limits, required=False, fields=BAN_FIELDS)
        reason = reason_of(body)
        response = await submit_admin(ctx, hunt_id, BanPlayer(cmd=client_id(body), player=player, reason=reason))
        if response.status_code == 200:  # nobody new joins from the banned player's addresses
            ctx.guard.ban_player(hunt_id, player)
        return response

    return blueprint


def require_admin(ctx: ApiContext) -> None:
    """Raise Unauthorized unless the request carries the admin token (``Authorization: Bearer``).

    Wrong tokens are limited per client address (``limits.admin_failures_*``): once an address
    has used up its failures, its admin requests are refused (429) unread until one refills.
    Each failure is logged with the address and the path, never the token.
    """
    address, now = client_of(request.scope), trio.current_time()
    bucket = ctx.admin_failures.get(address, now)
    wait = bucket.wait_s(now)
    if wait:
        raise RetryLater(retry_after_ms(wait), code=ErrorCode.RATE_LIMITED,
                         message="too many wrong admin tokens from this address; retry after retry_after_ms")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    # compare_digest: the time taken does not tell how much of a guess was right. The token
    # is read on every request: SIGHUP may have replaced it (see `hunt serve`).
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), ctx.admin_token.encode()):
        bucket.take(now)
        log.warning("admin request refused: wrong or missing token from %s (%s %s)", address, request.method,
                    request.path[:200])
        raise Unauthorized("a valid admin token is required (Authorization: Bearer ...)")


def _control_view(ctx: ApiContext, action: str) -> Any:
    make = _CONTROLS[action]

    async def control(hunt_id: str) -> Response:
        body = await read_json(ctx.config.limits, required=False, fields=CONTROL_FIELDS)
        return await submit_admin(ctx, hunt_id, make(cmd=client_id(body)))

    return control


@contextmanager
def _locked_means_exists() -> Iterator[None]:
    """Creating a hunt whose file a writer holds: the hunt exists (the store checks the lock first)."""
    try:
        yield
    except StoreLocked as err:
        raise HuntExists(str(err)) from err


def reason_of(body: dict[str, Any]) -> str:
    """The optional ``reason`` of an adjust or a ban, checked before the command reaches the hunt:
    a resent command answers with its first outcome and is not decided again."""
    reason = body.get("reason", "")
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise BadRequest(f'"reason" must be a string of at most {MAX_REASON} characters')
    return reason


def client_id(body: dict[str, Any]) -> str:
    """The idempotency key an admin client chose, or a fresh one."""
    if "id" not in body:
        return "admin-" + uuid.uuid4().hex
    value = body["id"]
    if not isinstance(value, str) or not value or len(value) > MAX_ID_CHARS:
        raise BadRequest(f'"id" must be a non-empty string of at most {MAX_ID_CHARS} characters')
    return value


async def submit_admin(ctx: ApiContext, hunt_id: str, command: Command,
                       same: Callable[[dict[str, Any]], bool] | None = None) -> Response:
    """Run one admin command: 200 with its outcome, or the rejection's error (409 invalid_state, ...).

    Admin commands share one space of ids: ``same(fields)`` says whether a resent command's
    original outcome is one of this kind of command (else the id was another command's: 409).
    """
    [result] = await ctx.engine.submit(hunt_id, [command])
    if isinstance(result, Rejected):
        return error_response(wire_error(result))
    if result.duplicate and same is not None and not same(result.fields):
        return error_response(wire_error(Rejected("invalid_state", f"the id {command.cmd[:40]!r} was used by "
                                                                   "another command")))
    return json_response(ack_body(command.cmd, result))


def ack_body(cmd: str, ack: Ack) -> dict[str, Any]:
    """What an admin route answers for an accepted command: its id, seq and outcome (+ duplicate)."""
    body: dict[str, Any] = {"id": cmd, "seq": ack.seq, **ack.fields}
    if ack.duplicate:
        body["duplicate"] = True
    return body


def _with_etag(data: Any) -> Response:
    body = orjson.dumps(data)
    return json_response(body=body, etag=etag_of(body))
