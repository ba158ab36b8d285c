"""Missions: a photo, a short video or a text sent for a clue, and the organisers' verdict.

An entry waits for a judge; a side has at most one entry waiting per clue. Approving it finds
the clue for the side (its value now, plus the judge's bonus); rejecting it says why, and the
side may send another. Media never enter the log: an entry holds its SHA-256, size and type,
checked by the API before the command is made.
"""

from __future__ import annotations

import re
from typing import Any

from ._definition import ENTRY_KINDS
from ._errors import Rejected
from ._messages import EntryJudged, EntrySubmitted, JudgeEntry, SubmitEntry
from ._state import HuntState

__all__ = ["MAX_BONUS", "MAX_ENTRY_TEXT", "MAX_VERDICT", "MEDIA_KINDS", "decide_judge", "decide_submit"]

MAX_ENTRY_TEXT = 2000
MAX_VERDICT = 500
MAX_BONUS = 1_000_000
MEDIA_KINDS = {"photo": ("image/jpeg", "image/png", "image/webp", "image/heic"),
               "video": ("video/mp4", "video/quicktime", "video/webm")}
_HASH = re.compile(r"[0-9a-f]{64}")


def decide_submit(state: HuntState, command: SubmitEntry, attempt: Any) -> EntrySubmitted:
    """``attempt(player, clue)`` is the rules' check that the player may act on the clue (active,
    open, a mission): (player, side, clue) or Rejected; passed in to keep the import one way."""
    player, side, clue = attempt(command.principal, command.clue)
    if clue.id in side.found:
        raise Rejected("already_found", f"“{clue.title}” is already found")
    kind = command.kind
    if kind not in ENTRY_KINDS or kind not in clue.accepts:
        raise Rejected("bad_request", f"“{clue.title}” takes {' or '.join(clue.accepts)} entries")
    if (side.id, clue.id) in state.pending:
        raise Rejected("entry_pending", f"an entry for “{clue.title}” is waiting for a judge")
    text = command.text
    if not isinstance(text, str) or len(text) > MAX_ENTRY_TEXT:
        raise Rejected("bad_request", f"text must be a string of at most {MAX_ENTRY_TEXT} characters")
    if kind == "text":
        if not text.strip():
            raise Rejected("bad_request", "a text entry needs some text")
        if command.media_hash is not None:
            raise Rejected("bad_request", "a text entry has no media")
        return EntrySubmitted(player.id, clue.id, kind, text.strip(), None, 0, None)
    media_hash, size, media_type = command.media_hash, command.media_size, command.media_type
    if not isinstance(media_hash, str) or _HASH.fullmatch(media_hash) is None:
        raise Rejected("bad_request", "a photo or video entry needs its SHA-256 (64 hex digits)")
    if media_type not in MEDIA_KINDS[kind] or not isinstance(size, int) or size <= 0:
        raise Rejected("bad_request", f"a {kind} must be one of {', '.join(MEDIA_KINDS[kind])}")
    return EntrySubmitted(player.id, clue.id, kind, text.strip(), media_hash, size, media_type)


def decide_judge(state: HuntState, command: JudgeEntry) -> EntryJudged:
    entry = state.entries.get(command.entry) if isinstance(command.entry, int) else None
    if entry is None:
        raise Rejected("unknown_entry", f"no entry {str(command.entry)[:40]!r} in this hunt")
    if entry["status"] != "pending":
        raise Rejected("invalid_state", f"entry {command.entry} is already {entry['status']}")
    bonus, message = command.bonus, command.message
    if not isinstance(command.approve, bool):
        raise Rejected("bad_request", "approve must be true or false")
    if not isinstance(bonus, int) or isinstance(bonus, bool) or not 0 <= bonus <= MAX_BONUS:
        raise Rejected("bad_request", f"bonus must be an integer from 0 to {MAX_BONUS}")
    if bonus and not command.approve:
        raise Rejected("bad_request", "a rejected entry gets no bonus")
    if not isinstance(message, str) or len(message) > MAX_VERDICT:
        raise Rejected("bad_request", f"message must be a string of at most {MAX_VERDICT} characters")
    side = state.sides[entry["side"]]
    clue = state.definition.clue_index[entry["clue"]]
    if not command.approve:
        return EntryJudged(entry["player"], clue.id, entry["seq"], False, 0, 0, message.strip(), side.score)
    finders = state.clue_stats[clue.id].finders
    points = clue.value(finders) + bonus
    return EntryJudged(entry["player"], clue.id, entry["seq"], True, points, bonus, message.strip(),
                       side.score + points, finders + 1)
