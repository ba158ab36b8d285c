"""Feed items: what players are told about the hunt, derived from recorded events.

Who hears what: the first find of each clue and every change of the hunt's status go to
everybody; later finds go to the finder's side (the player, or the whole team), as do score
adjustments and hints (so teammates see a hint one of them bought); a ban goes to the banned
player; an announcement goes to whom the organisers sent it (everybody, a team or a player);
a side's new start or window (timed play) goes to that side.
Everybody sees everybody's score through the coalesced leaderboard. This keeps the fan-out
bounded by clues x connections instead of finds x connections, which is what lets a hunt of
thousands of players stay live.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections import deque
from typing import Any

from ..domain import (
    Announced,
    BoardFrozen,
    BoardRevealed,
    ClueAdded,
    ClueEdited,
    ClueFound,
    ClueRetired,
    ClueUnlocked,
    EntryJudged,
    EntrySubmitted,
    HintTaken,
    HuntEnded,
    HuntPaused,
    HuntReopened,
    HuntStarted,
    HuntState,
    MapSet,
    MediaSet,
    PlayerBanned,
    PlayerUnbanned,
    Recorded,
    ScheduleSet,
    ScoreAdjusted,
    TimesChanged,
    format_time,
    side_window,
)
from ._team_feed import TEAM_FEED_TYPES, team_feed_item

__all__ = ["FEED_TYPES", "PUBLIC_FEED_TYPES", "FeedBuffer", "FeedItem", "feed_item"]

# Event types that become feed items; used to fetch missed items from the log on resume.
FEED_TYPES = ("clue_found", "hunt_started", "hunt_paused", "hunt_ended", "score_adjusted", "player_banned",
              "hint_taken", "announced", "entry_submitted", "entry_judged", "board_frozen", "board_revealed",
              "schedule_set", "clue_edited", "clue_added", "clue_retired", "times_changed", "hunt_reopened",
              "clue_unlocked", "player_unbanned", *TEAM_FEED_TYPES, "media_set", "map_set")

# Event types whose feed items may be for everybody (clue_found: the first find only), which a
# latecomer gets as the recent feed (media_set and map_set go to everybody too, but only live: a
# latecomer reads the hunt as it is now).
PUBLIC_FEED_TYPES = ("clue_found", "hunt_started", "hunt_paused", "hunt_ended", "announced", "board_frozen",
                     "board_revealed", "clue_edited", "clue_added", "clue_retired", "times_changed", "hunt_reopened",
                     "roster_locked")

# (seq, the player ids it is for, or None for everybody, the item: hunt.protocol.frames.feed sends it)
FeedItem = tuple[int, tuple[str, ...] | None, dict[str, Any]]


def feed_item(recorded: Recorded, state: HuntState) -> FeedItem | None:
    """The feed item of an event, or None when the event is not news."""
    base: dict[str, Any] = {"seq": recorded.seq, "ts": recorded.ts}
    match recorded.event:
        case ClueFound(player=player_id, clue=clue_id, points=points, nth=nth):
            player = state.players.get(player_id)
            name = player.name if player else player_id
            clue = state.definition.clue(clue_id)
            title = clue.title if clue else clue_id
            side = state.sides[player.side] if player else None
            text = (f"{name} was credited with {title} (+{points})" if recorded.event.method == "credit"
                    else f"{name} found {title} (+{points})")
            base.update(kind="clue_found", player=player_id, name=name, clue=clue_id, clue_title=title,
                        points=points, first=nth == 1, text=text)
            if side is not None and side.id != player_id:
                base["team"] = side.name
            return recorded.seq, None if nth == 1 else _audience(state, player_id), base
        case HuntStarted(resumed=True):
            base.update(kind="hunt_resumed", status="active", text="The hunt has resumed")
            return recorded.seq, None, base
        case HuntStarted():
            base.update(kind="hunt_started", status="active", text="The hunt has started")
            return recorded.seq, None, base
        case BoardFrozen(at=at) if at is not None:
            base.update(kind="board_freeze_scheduled", at=at,
                        text=f"The scoreboard freezes at {format_time(at)}: the final standings are revealed at "
                             "the end")
            return recorded.seq, None, base
        case BoardFrozen():
            base.update(kind="board_frozen",
                        text="The scoreboard is frozen: the final standings are revealed at the end")
            return recorded.seq, None, base
        case BoardRevealed():
            base.update(kind="board_revealed", text="The final standings are revealed")
            return recorded.seq, None, base
        case HuntPaused():
            base.update(kind="hunt_paused", status="paused", text="The hunt is paused")
            return recorded.seq, None, base
        case HuntEnded():
            base.update(kind="hunt_ended", status="ended", text="The hunt has ended")
            return recorded.seq, None, base
        case ScoreAdjusted(player=player_id, delta=delta, reason=reason, score=score):
            base.update(kind="score_adjusted", player=player_id, points=delta, reason=reason, score=score,
                        text=f"Score adjusted by {delta:+d}: {reason}" if reason else f"Score adjusted by {delta:+d}")
            return recorded.seq, _audience(state, player_id), base
        case HintTaken(player=player_id, clue=clue_id, index=index, cost=cost, score=score, deferred=deferred):
            # For the side only: the text is what the side paid for (the buyer has it in the ack too).
            player = state.players.get(player_id)
            name = player.name if player else player_id
            clue = state.definition.clue(clue_id)
            if clue is None or index >= len(clue.hints):
                return None
            base.update(kind="hint_taken", player=player_id, name=name, clue=clue_id, clue_title=clue.title,
                        index=index, hint=clue.hints[index].text, cost=cost, deferred=deferred, score=score,
                        text=f"{name} took a hint on {clue.title}")
            return recorded.seq, _audience(state, player_id), base
        case EntrySubmitted(player=player_id, clue=clue_id, kind=kind):
            name, title = _names(state, player_id, clue_id)
            base.update(kind="entry_submitted", player=player_id, name=name, clue=clue_id, clue_title=title,
                        entry=recorded.seq, entry_kind=kind,
                        text=f"{name} sent a {kind} for {title}: waiting for a judge")
            return recorded.seq, _audience(state, player_id), base
        case EntryJudged(player=player_id, clue=clue_id, entry=entry, approved=approved, points=points,
                         message=message, score=score):
            name, title = _names(state, player_id, clue_id)
            verdict = f"approved (+{points})" if approved else "not accepted"
            text = f"{name}'s entry for {title}: {verdict}" + (f". {message}" if message else "")
            base.update(kind="entry_judged", player=player_id, name=name, clue=clue_id, clue_title=title, entry=entry,
                        approved=approved, points=points, message=message, score=score, text=text)
            return recorded.seq, _audience(state, player_id), base
        case Announced(player=player_id, side=side_id, text=text):
            # Kept in the feed: a latecomer gets one to everybody with the recent feed, and one to
            # a team or a player on resume.
            to = "player" if player_id else "team" if side_id else "all"
            base.update(kind="announcement", to=to, text=text)
            if side_id is not None:
                side = state.sides.get(side_id)
                base["team"] = side.name if side else side_id
                return recorded.seq, tuple(side.members) if side else (), base
            return recorded.seq, (player_id,) if player_id else None, base
        case MediaSet(target=target):
            # Names only the intro or outro: which clue or hint got new media is for who may see them
            # (the page fetches the hunt again and gets what is open to it).
            base.update(kind="media_changed", target=target if target in ("intro", "outro") else "clues",
                        text="The organisers changed the pictures and sounds")
            return recorded.seq, None, base
        case MapSet(enabled=enabled):
            base.update(kind="map_changed", map=enabled, text="The map is on" if enabled else "The map is off")
            return recorded.seq, None, base
        case ScheduleSet(side=side_id):
            # For the side only: its own start and window (the player page counts down to them).
            side = state.sides.get(side_id)
            if side is None:
                return None
            start, end = side_window(state, side_id)
            when = f"from {format_time(start)}" if start is not None else "from the hunt's start"
            until = f" until {format_time(end)}" if end is not None else ""
            base.update(kind="schedule", side=side_id, starts_at=start, ends_at=end,
                        text=f"Your play time is now {when}{until}")
            return recorded.seq, tuple(side.members), base
        case PlayerBanned(player=player_id, reason=reason):
            base.update(kind="player_banned", player=player_id, reason=reason, text="You were banned from the hunt")
            return recorded.seq, (player_id,), base
        case ClueEdited() | ClueAdded() | ClueRetired() | TimesChanged() | HuntReopened() | ClueUnlocked() \
                | PlayerUnbanned():
            return _edit_item(recorded, state, base)
    return team_feed_item(recorded, state, base)


def _edit_item(recorded: Recorded, state: HuntState, base: dict[str, Any]) -> FeedItem:
    """An edit's news: what changed, never how (no answers; a prompt only in the hunt's view, where
    it shows to whom it is open). Pages fetch the hunt again when they get one."""
    match recorded.event:
        case ClueEdited(clue=clue_id) | ClueAdded(clue=clue_id) | ClueRetired(clue=clue_id):
            kind = recorded.event.TYPE
            clue = state.definition.clue(clue_id)
            title = clue.title if clue else clue_id
            text = {"clue_edited": f"Erratum: {title} was updated", "clue_added": f"A new clue: {title}",
                    "clue_retired": f"{title} was withdrawn"}[kind]
            base.update(kind=kind, clue=clue_id, clue_title=title, text=text)
        case TimesChanged(starts_at=starts_at, ends_at=ends_at):
            base.update(kind="times_changed", starts_at=starts_at, ends_at=ends_at,
                        text="The hunt's times changed" + (": it now ends later" if ends_at else ""))
        case HuntReopened():
            base.update(kind="hunt_reopened", status="active", text="The hunt has reopened")
        case ClueUnlocked(clue=clue_id, side=side_id):
            clue = state.definition.clue(clue_id)
            title = clue.title if clue else clue_id
            base.update(kind="clue_unlocked", clue=clue_id, clue_title=title, text=f"{title} is open to you now")
            side = state.sides.get(side_id)
            return recorded.seq, tuple(side.members) if side else (), base
        case PlayerUnbanned(player=player_id):
            base.update(kind="player_unbanned", player=player_id, text="You may play again")
            return recorded.seq, (player_id,), base
    return recorded.seq, None, base


def _names(state: HuntState, player_id: str, clue_id: str) -> tuple[str, str]:
    player = state.players.get(player_id)
    clue = state.definition.clue(clue_id)
    return (player.name if player else player_id), (clue.title if clue else clue_id)


def _audience(state: HuntState, player_id: str) -> tuple[str, ...]:
    """The players who share ``player_id``'s score: itself, or its whole team."""
    player = state.players.get(player_id)
    if player is None:
        return (player_id,)
    return tuple(state.sides[player.side].members)


class FeedBuffer:
    """The newest feed items of a hunt, in seq order, bounded; older ones are on disk only.

    Every item with seq > ``floor`` is held here.
    """

    def __init__(self, capacity: int) -> None:
        self._items: deque[FeedItem] = deque(maxlen=capacity)
        self.floor = 0

    def reset(self, seq: int) -> None:
        """Forget every item: from now on, what is after ``seq`` is held."""
        self._items.clear()
        self.floor = seq

    def publish(self, item: FeedItem) -> None:
        if len(self._items) == self._items.maxlen:
            self.floor = self._items[0][0]
        self._items.append(item)

    @property
    def last_seq(self) -> int:
        """The seq of the newest item held (``floor`` when none is)."""
        return self._items[-1][0] if self._items else self.floor

    def after(self, seq: int) -> list[FeedItem] | None:
        """Items with seq > ``seq`` from memory, or None if some are only on disk."""
        if seq < self.floor:
            return None
        items = self._items
        if not items or items[-1][0] <= seq:
            return []  # the common case for a connection that is up to date
        start = bisect_right(items, seq, key=_seq_of)
        return list(itertools.islice(items, start, None))


def _seq_of(item: FeedItem) -> int:
    return item[0]
