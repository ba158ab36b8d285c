"""What goes over the wire: subjects, message ids, bodies, the stream, and connecting.

One stream (``broker.stream``) holds every hunt's events, hunt ``h`` on subject
``hunt.h.events``. Hunt ids are restricted to ``[a-z0-9_-]`` by the domain, so an id is always
exactly one subject token (no ``.``, ``*`` or ``>``). A message's id is ``<hunt_id>:<seq>``
and its body the public form of the event (:func:`hunt.store.record_to_dict`) plus ``hunt``.
"""

from __future__ import annotations

import logging
from typing import Any

import nats
import orjson
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import APIError, NotFoundError

from ..config import BrokerConfig
from ..domain import public_clue_document, valid_id
from ._errors import BrokerUnavailable, StreamMismatch

__all__ = [
    "SUBJECTS",
    "body_from_row",
    "connect",
    "ensure_stream",
    "last_published",
    "msg_id",
    "parse_msg_id",
    "subject",
]

log = logging.getLogger("hunt.relay")

SUBJECTS = "hunt.*.events"
HEADER_MSG_ID = "Nats-Msg-Id"
# Optimistic concurrency headers, both honoured by nats-server 2.9 (checked after dedup).
HEADER_LAST_MSG_ID = "Nats-Expected-Last-Msg-Id"
HEADER_LAST_SUBJECT_SEQ = "Nats-Expected-Last-Subject-Sequence"
ERR_STREAM_NAME_IN_USE = 10058


def subject(hunt_id: str) -> str:
    return f"hunt.{hunt_id}.events"


def hunt_of_subject(value: str) -> str | None:
    parts = value.split(".")
    if len(parts) == 3 and parts[0] == "hunt" and parts[2] == "events" and valid_id(parts[1]):
        return parts[1]
    return None


def msg_id(hunt_id: str, seq: int) -> str:
    return f"{hunt_id}:{seq}"


def parse_msg_id(value: str | None) -> tuple[str, int] | None:
    """``"harbor:12"`` -> ``("harbor", 12)``; None for anything else."""
    if not value:
        return None
    hunt_id, _, seq = value.rpartition(":")
    if not valid_id(hunt_id) or not seq.isdigit():
        return None
    return hunt_id, int(seq)


def body_from_row(hunt_id: str, row: dict[str, Any]) -> bytes:
    """The message body of an event row (as read by :meth:`SqliteHuntStore.query`).

    Byte for byte ``orjson.dumps({**record_to_dict(record), "hunt": hunt_id})``: the stored
    ``data`` JSON is spliced in as it is instead of being decoded into the domain and encoded
    again (twice as fast, and the relay's CPU is what bounds its throughput). Except for the
    events in ``_REDACTED``, whose secrets are taken out first (a wrong answer's text, the
    answers of the clues a hunt was created with or that were edited or added).
    """
    data: Any = orjson.Fragment(row["data"])
    if row["type"] in _REDACTED:
        data = _REDACTED[row["type"]](orjson.loads(row["data"]))
    return orjson.dumps({
        "seq": row["seq"], "ts": row["ts"], "type": row["type"], "player": row["player"], "clue": row["clue"],
        "cmd": row["cmd"], "principal": row["principal"], "data": data, "hunt": hunt_id,
    })


def _without_text(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "text": None} if "text" in data else data


def _public_clue(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "document": public_clue_document(data.get("document"))}


def _public_definition(data: dict[str, Any]) -> dict[str, Any]:
    definition = data.get("definition")
    if not isinstance(definition, dict) or not isinstance(definition.get("clues"), list):
        return data
    clues = [public_clue_document(clue) for clue in definition["clues"]]
    return {**data, "definition": {**definition, "clues": clues}}


# Events whose data holds what the broker must not carry: a wrong answer as sent (it may be a
# right one after an answer fix), and the answers, codes and positions of a hunt's clues (as
# created, edited or added).
_REDACTED = {"attempt_failed": _without_text, "clue_edited": _public_clue, "clue_added": _public_clue,
             "hunt_created": _public_definition}


async def connect(config: BrokerConfig, *, name: str, on_closed: Any = None) -> NATS:
    """One connection, without nats-py's automatic reconnects.

    A reconnecting client would replay its buffered publishes on the new connection behind
    our back; the relay instead ends its session on any connection trouble, and the next
    session reconciles with the stream before it publishes again. Raises BrokerUnavailable.
    """

    async def quiet(err: Exception) -> None:
        log.debug("nats: %r", err)

    async def closed() -> None:
        if on_closed is not None:
            on_closed()

    try:
        return await nats.connect(
            config.url, name=name, allow_reconnect=False, max_reconnect_attempts=0,
            connect_timeout=config.connect_timeout_s, error_cb=quiet, closed_cb=closed,
            pending_size=16 * 1024 * 1024)
    except Exception as err:  # nats-py raises OSError, TimeoutError or its own NoServersError
        raise BrokerUnavailable(f"cannot connect to {config.url}: {err!r}") from err


async def ensure_stream(js: JetStreamContext, config: BrokerConfig) -> None:
    """Create the stream if it is missing; raise StreamMismatch if it exists without our subjects."""
    try:
        info = await js.stream_info(config.stream)
    except NotFoundError:
        stream = StreamConfig(
            name=config.stream, subjects=[SUBJECTS], retention=RetentionPolicy.LIMITS, storage=StorageType.FILE,
            discard=DiscardPolicy.OLD, duplicate_window=config.duplicate_window_s, allow_direct=True)
        try:
            await js.add_stream(stream)
            log.info("created stream %s for %s", config.stream, SUBJECTS)
            return
        except APIError as err:
            if err.err_code != ERR_STREAM_NAME_IN_USE:  # somebody else created it meanwhile
                raise
            info = await js.stream_info(config.stream)
    subjects = info.config.subjects or []
    if SUBJECTS not in subjects:
        raise StreamMismatch(f"stream {config.stream} exists with subjects {subjects}, not {SUBJECTS}")


async def last_published(js: JetStreamContext, stream: str, hunt_id: str) -> tuple[int, int]:
    """(hunt seq, stream seq) of the last message the stream holds for a hunt; (0, 0) if none.

    Asks the stream leader (``STREAM.MSG.GET``), not a direct get: a direct get may be
    answered by any replica, and a lagging replica would make the relay publish again what
    the stream already holds.
    """
    try:
        message = await js.get_last_msg(stream, subject(hunt_id))
    except NotFoundError:
        return 0, 0
    parsed = parse_msg_id((message.headers or {}).get(HEADER_MSG_ID))
    if parsed is None or parsed[0] != hunt_id:
        try:
            seq = int(orjson.loads(message.data or b"{}")["seq"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as err:
            raise StreamMismatch(f"the last message on {subject(hunt_id)} is not a hunt event") from err
        return seq, message.seq or 0
    return parsed[1], message.seq or 0
