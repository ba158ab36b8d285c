"""The live aggregates of one hunt, and ``apply``: the only code that changes them.

``apply`` is pure and deterministic: the same events in the same order give the same state,
live, on replay and in time travel. ``to_dict``/``from_dict`` give the snapshot form.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from sortedcontainers import SortedList

from ._boards import BoardsMixin
from ._definition import Clue, HuntDefinition, RuleDefaults, parse_definition
from ._media import apply_media, media_from_dict, media_to_dict
from ._media_messages import MapSet, MediaAdded, MediaSet
from ._messages import (
    DEFINITION_EDITS,
    AttemptFailed,
    AttemptPartial,
    AttemptRepeated,
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
    HuntCreated,
    HuntEnded,
    HuntPaused,
    HuntReopened,
    HuntStarted,
    Pinged,
    PlayerBanned,
    PlayerJoined,
    PlayerUnbanned,
    Recorded,
    ScheduleSet,
    ScoreAdjusted,
    TimesChanged,
)
from ._names import fold_team_name, team_side_id
from ._revise import apply_edit, revised
from ._team_messages import TEAM_EVENT_CLASSES
from ._team_state import apply_team_event, team_extras, team_extras_from_dict
from ._timing import (
    Schedule,
    apply_freeze,
    apply_schedule,
    elapsed_ms,
    freeze_standings,
    own_start,
    restore_timing,
    timing_snapshot,
)

__all__ = ["ClueStats", "HuntState", "Player", "Side", "fold_team_name", "replay", "team_side_id"]

SNAPSHOT_VERSION = 1


@dataclass(slots=True)
class Player:
    id: str
    name: str
    side: str  # the leaderboard entry this player scores for (itself, or its team)
    team: str | None
    joined_seq: int
    joined_ts: int
    banned: bool = False
    wrong: dict[str, int] = field(default_factory=dict)  # clue -> wrong attempts, all time
    # clue -> times (ms) of the most recent wrong attempts, at most wrong_attempts_max of them
    recent_wrong: dict[str, list[int]] = field(default_factory=dict)
    location: tuple[float, float, int] | None = None  # lat, lon, ts
    pings: int = 0
    removed: bool = False  # taken off their team's roster by the organiser: may no longer act


@dataclass(slots=True)
class Side:
    """A leaderboard entry: a player in solo mode, a team in teams mode."""

    id: str
    name: str
    members: list[str]
    score: int = 0
    order_seq: int = 0  # seq of the last scoring event (or of joining): the tie-break
    found: dict[str, dict[str, Any]] = field(default_factory=dict)  # clue -> {seq, ts, points, by}
    hints: dict[str, int] = field(default_factory=dict)  # clue -> hints taken
    ledger: list[dict[str, Any]] = field(default_factory=list)  # every point, explained
    active: bool = True  # False once banned (solo): off the leaderboard
    last_ts: int = 0  # time of the last scoring event (or of joining)
    elapsed: int = 0  # ... after the side's own start: the tie-break (see timing.elapsed_ms)
    unlocked: list[str] = field(default_factory=list)  # clues the organisers opened to this side
    # Teams only (see _team_state): the captain's player id, the keyed hash of an organiser's
    # passcode (None: the generated code of generation code_gen), the team's own size cap (None:
    # the hunt's team_size), the time its roster locks (None: open), and its division.
    captain: str | None = None
    passcode: str | None = None
    code_gen: int = 0
    size: int | None = None
    locked_at: int | None = None
    division: str | None = None

    def key(self) -> tuple[int, int, int, str]:
        """Its place on the leaderboard: more points first; on a tie, who got there sooner after
        their own start, then who got there first (seq), then the id."""
        return (-self.score, self.elapsed, self.order_seq, self.id)


@dataclass(slots=True)
class ClueStats:
    attempts: int = 0
    wrong: int = 0
    finders: int = 0
    first_finder: str | None = None
    hints_taken: int = 0
    solve_times_ms: SortedList = field(default_factory=SortedList)

    def median_solve_s(self) -> float | None:
        times = self.solve_times_ms
        if not times:
            return None
        mid = len(times) // 2
        middle = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
        return round(float(middle) / 1000, 3)


class HuntState(BoardsMixin):
    """Everything that is known about one hunt, kept current by :meth:`apply`."""

    def __init__(self, definition: HuntDefinition) -> None:
        self.definition = definition
        self.seq = 0
        self.last_ts = 0
        self.manual_status = "pending"  # pending | active | paused | ended (set by admins)
        self.incarnation: str | None = None  # from hunt_created: tokens are bound to it
        self.started_ts: int | None = None
        self.players: dict[str, Player] = {}
        self.sides: dict[str, Side] = {}
        self.leaderboard: SortedList = SortedList()
        self.clue_stats: dict[str, ClueStats] = {clue.id: ClueStats() for clue in definition.clues}
        self.counts: Counter[str] = Counter()
        self.heatmap: Counter[tuple[int, int]] = Counter()
        # Pings in a new cell once the heatmap holds definition.heatmap_max_cells cells: counted,
        # not mapped (the map's size, and the admin view built from it, stay bounded).
        self.heatmap_overflow = 0
        # Mission entries by the seq of their entry_submitted event: {"seq","ts","player","side",
        # "clue","kind","text","media","status"(pending|approved|rejected),"judged"?...}. An entry
        # is replaced, never changed, when judged (so a to_dict() copy of the dict is a value).
        self.entries: dict[int, dict[str, Any]] = {}
        self.pending: dict[tuple[str, str], int] = {}  # (side, clue) -> the entry waiting for a judge
        self.side_entries: dict[str, dict[str, int]] = {}  # side -> clue -> its latest entry
        # While the scoreboard is frozen: what players see, the standings as of the freeze
        # ({side: [rank, score]}, and the rows in rank order); organisers still see them live.
        self.frozen: dict[str, list[int]] | None = None
        self.frozen_rows: list[str] = []
        self.rosters_locked_at: int | None = None  # every team's roster locks at this time (None: open)
        self.team_names: dict[str, str] = {}  # folded team name -> side id (renames included)
        # A leaderboard per division (the overall one above holds every side).
        self.division_boards: dict[str, SortedList] = {d.id: SortedList() for d in definition.teams.divisions}
        # A freeze scheduled for this time (epoch ms): the first event at or after it freezes the
        # standings as they were before it (so they are the standings at that time).
        self.freeze_at: int | None = definition.freeze_at
        # Sides' own starts and windows (timed play), by side id; a team's may come before it exists.
        self.schedules: dict[str, Schedule] = {team_side_id(name): schedule
                                               for name, schedule in definition.team_starts}
        # Clue media (see _media): uploaded files by hash {"hash","size","type","seq","ts"}, the
        # media_set lists by target key, and the map switch (None: as the definition says).
        self.media: dict[str, dict[str, Any]] = {}
        self.attached: dict[str, list[dict[str, Any]]] = {}
        self.map_enabled: bool | None = None

    # -- reading ---------------------------------------------------------------------------

    def status_at(self, now_ms: int) -> str:
        """The effective status: manual changes, then the scheduled start and end."""
        d = self.definition
        if self.manual_status == "ended" or (d.ends_at is not None and now_ms >= d.ends_at):
            return "ended"
        if self.manual_status == "paused":
            return "paused"
        if self.manual_status == "active" or (d.starts_at is not None and now_ms >= d.starts_at):
            return "active"
        return "pending"

    def top(self, limit: int, offset: int = 0, division: str | None = None) -> list[dict[str, Any]]:
        rows = []
        for i, key in enumerate(self.board(division).islice(offset, offset + limit)):
            side = self.sides[key[-1]]
            rows.append(self._row(side, offset + i + 1, side.score))
        return rows

    def public_top(self, limit: int, offset: int = 0, division: str | None = None) -> list[dict[str, Any]]:
        """:meth:`top` as players may see it: while the scoreboard is frozen, as of the freeze
        (a division's rows ranked among the division's sides)."""
        if self.frozen is None:
            return self.top(limit, offset, division)
        frozen = self.frozen_board(division)
        return [self._row(self.sides[side_id], (offset + i + 1) if division else self.frozen[side_id][0],
                          self.frozen[side_id][1])
                for i, side_id in enumerate(frozen[offset:offset + limit])]

    def public_standing(self, side_id: str) -> tuple[int | None, int]:
        """(rank, score) of a side as players may see them (frozen: as of the freeze; a side that
        joined since shows no rank and 0)."""
        if self.frozen is None:
            side = self.sides[side_id]
            return self.rank_of(side_id), side.score
        standing = self.frozen.get(side_id)
        return (None, 0) if standing is None else (standing[0], standing[1])

    @property
    def version(self) -> int:
        """The definition's version: how many edits (clue_edited, clue_added, ...) it has had."""
        return sum(self.counts[kind] for kind in DEFINITION_EDITS)

    def missing_for(self, side: Side | None, clue: Clue) -> list[str]:
        """The clues ``side`` must still find before ``clue`` opens to it (none if the organisers
        unlocked it for the side); ``side`` None: a side that has found nothing."""
        if side is None:
            return self.definition.missing_before(clue, ())
        if clue.id in side.unlocked:
            return []
        return self.definition.missing_before(clue, side.found)
    def frozen_at(self, now_ms: int) -> bool:
        """Whether players see frozen standings at ``now_ms`` (frozen, or a scheduled freeze is due)."""
        return self.frozen is not None or (self.freeze_at is not None and now_ms >= self.freeze_at)

    def side_of(self, player_id: str) -> Side | None:
        player = self.players.get(player_id)
        return None if player is None else self.sides[player.side]

    # -- changing --------------------------------------------------------------------------

    def apply(self, recorded: Recorded) -> None:
        """Fold one recorded event into the aggregates. Events must come in seq order."""
        if recorded.seq != self.seq + 1:
            raise ValueError(f"event seq {recorded.seq} does not follow {self.seq}")
        self.seq = recorded.seq
        self.last_ts = recorded.ts
        if self.freeze_at is not None and recorded.ts >= self.freeze_at:
            freeze_standings(self)  # a scheduled freeze came due: the standings before this event
        event = recorded.event
        self.counts[event.TYPE] += 1
        match event:
            case Pinged(player=player_id, lat=lat, lon=lon):
                player = self.players[player_id]
                player.location = (lat, lon, recorded.ts)
                player.pings += 1
                cell = self.definition.heatmap_cell_deg
                key = (math.floor(lat / cell), math.floor(lon / cell))
                if key in self.heatmap or len(self.heatmap) < self.definition.heatmap_max_cells:
                    self.heatmap[key] += 1
                else:
                    self.heatmap_overflow += 1
            case AttemptFailed(player=player_id, clue=clue_id):
                player = self.players[player_id]
                player.wrong[clue_id] = player.wrong.get(clue_id, 0) + 1
                recent = player.recent_wrong.setdefault(clue_id, [])
                recent.append(recorded.ts)
                del recent[: -self.definition.wrong_attempts_max]
                stats = self.clue_stats[clue_id]
                stats.attempts += 1
                stats.wrong += 1
            case ClueFound():
                self._found(recorded, event)
            case EntrySubmitted():
                self._submitted(recorded, event)
            case EntryJudged():
                self._judged(recorded, event)
            case AttemptRepeated():
                pass
            case MediaAdded() | MediaSet() | MapSet():
                apply_media(self, recorded)
            case BoardFrozen(at=at):
                apply_freeze(self, at, recorded.ts)
            case BoardRevealed():
                self.frozen, self.frozen_rows, self.freeze_at = None, [], None
            case ScheduleSet():
                apply_schedule(self, event)
            case AttemptPartial(clue=clue_id):
                self.clue_stats[clue_id].attempts += 1
            case HintTaken(player=player_id, clue=clue_id, cost=cost):
                side = self.sides[self.players[player_id].side]
                side.hints[clue_id] = side.hints.get(clue_id, 0) + 1
                self.clue_stats[clue_id].hints_taken += 1
                entry = {"type": "hint_taken", "clue": clue_id, "player": player_id, "hint": event.index}
                if event.deferred:
                    entry["deferred"] = event.deferred
                self._score(side, -cost, recorded, entry)
            case PlayerJoined():
                self._joined(recorded, event)
            case ScoreAdjusted(player=player_id, delta=delta, reason=reason):
                side = self.sides[self.players[player_id].side]
                self._score(side, delta, recorded, {"type": "score_adjusted", "clue": None,
                                                    "player": player_id, "reason": reason})
            case PlayerBanned(player=player_id):
                player = self.players[player_id]
                player.banned = True
                side = self.sides[player.side]
                if side.members == [player_id] and side.active:
                    self.board_remove(side)
                    side.active = False
            case HuntStarted():
                self.manual_status = "active"
                if self.started_ts is None:
                    self.started_ts = recorded.ts
            case HuntPaused():
                self.manual_status = "paused"
            case HuntEnded():
                self.manual_status = "ended"
            case HuntCreated(incarnation=incarnation):
                self.incarnation = incarnation
            case ClueEdited() | ClueAdded() | ClueRetired() | TimesChanged():
                self.definition = revised(self.definition, event)
                for clue in self.definition.clues:  # an added clue
                    self.clue_stats.setdefault(clue.id, ClueStats())
            case ClueUnlocked() | HuntReopened() | PlayerUnbanned():
                apply_edit(self, event)
            case _ if isinstance(event, TEAM_EVENT_CLASSES):
                apply_team_event(self, recorded, event)

    def _joined(self, recorded: Recorded, event: PlayerJoined) -> None:
        side_id = event.player if event.team is None else event.side or team_side_id(event.team)
        side = self.sides.get(side_id)
        if side is None:
            side = Side(id=side_id, name=event.name if event.team is None else event.team.strip(),
                        members=[], order_seq=recorded.seq, last_ts=recorded.ts,
                        elapsed=elapsed_ms(self, side_id, recorded.ts), division=event.division)
            self.sides[side_id] = side
            self.board_add(side)
            if event.team is not None:
                self.team_names[fold_team_name(side.name)] = side_id
        side.members.append(event.player)
        if event.team is not None and side.captain is None:
            side.captain = event.player  # the first player of a team (or to join an empty one)
        self.players[event.player] = Player(
            id=event.player, name=event.name, side=side_id, team=event.team,
            joined_seq=recorded.seq, joined_ts=recorded.ts)

    def _found(self, recorded: Recorded, event: ClueFound) -> None:
        entry = {"type": "clue_found", "clue": event.clue, "player": event.player, "bonus": event.bonus}
        if event.method == "credit":
            entry["credited"] = True
        if event.hints_cost:
            entry["hints_cost"] = event.hints_cost
        self._award(recorded, event.player, event.clue, event.points, entry)

    def _submitted(self, recorded: Recorded, event: EntrySubmitted) -> None:
        side = self.players[event.player].side
        media = None
        if event.media_hash is not None:
            media = {"hash": event.media_hash, "size": event.media_size, "type": event.media_type}
        self.entries[recorded.seq] = {
            "seq": recorded.seq, "ts": recorded.ts, "player": event.player, "side": side, "clue": event.clue,
            "kind": event.kind, "text": event.text, "media": media, "status": "pending"}
        self.pending[(side, event.clue)] = recorded.seq
        self.side_entries.setdefault(side, {})[event.clue] = recorded.seq
        self.clue_stats[event.clue].attempts += 1

    def _judged(self, recorded: Recorded, event: EntryJudged) -> None:
        entry = self.entries[event.entry]
        self.pending.pop((entry["side"], entry["clue"]), None)
        self.entries[event.entry] = {**entry, "status": "approved" if event.approved else "rejected",
                                     "judged": {"seq": recorded.seq, "ts": recorded.ts, "points": event.points,
                                                "bonus": event.bonus, "message": event.message}}
        if event.approved:
            self._award(recorded, event.player, event.clue, event.points,
                        {"type": "entry_judged", "clue": event.clue, "player": event.player, "bonus": event.bonus,
                         "entry": event.entry})
        else:
            self.clue_stats[event.clue].wrong += 1

    def _award(self, recorded: Recorded, player_id: str, clue_id: str, points: int, ledger: dict[str, Any]) -> None:
        """A clue found by ``player_id``'s side (an answer, check-in or code, or an approved entry)."""
        player = self.players[player_id]
        side = self.sides[player.side]
        side.found[clue_id] = {"seq": recorded.seq, "ts": recorded.ts, "points": points, "by": player_id}
        stats = self.clue_stats[clue_id]
        stats.attempts += 1
        stats.finders += 1
        if stats.first_finder is None:
            stats.first_finder = side.id
        # From the side's own start (the hunt's start unless it has its own; a resume after a
        # pause is not a start), or from joining if that was later.
        began = max(player.joined_ts, own_start(self, side.id) or 0)
        stats.solve_times_ms.add(max(0, recorded.ts - began))
        self._score(side, points, recorded, ledger)

    def _score(self, side: Side, delta: int, recorded: Recorded, entry: dict[str, Any]) -> None:
        if side.active:
            self.board_remove(side)
        side.score += delta
        side.order_seq = recorded.seq
        side.last_ts = recorded.ts
        side.elapsed = elapsed_ms(self, side.id, recorded.ts)
        side.ledger.append({"seq": recorded.seq, "ts": recorded.ts, "points": delta, **entry})
        if side.active:
            self.board_add(side)

    # -- snapshots -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The whole state as plain data (the snapshot form; JSON-safe).

        A value: it shares no container that ``apply`` changes, so later events leave it alone
        (it may be encoded or compared on another thread while the hunt plays on). Ledger and
        found entries are never changed once written, so copying their containers is enough.
        """
        return {
            "version": SNAPSHOT_VERSION,
            "definition": dict(self.definition.document),
            "seq": self.seq,
            "last_ts": self.last_ts,
            "manual_status": self.manual_status,
            "started_ts": self.started_ts,
            "incarnation": self.incarnation,
            "players": [
                [p.id, p.name, p.side, p.team, p.joined_seq, p.joined_ts, p.banned, dict(p.wrong),
                 _copy_lists(p.recent_wrong), list(p.location) if p.location else None, p.pings]
                for p in self.players.values()
            ],
            "sides": [
                [s.id, s.name, list(s.members), s.score, s.order_seq, dict(s.found), dict(s.hints),
                 list(s.ledger), s.active, list(s.unlocked)]
                for s in self.sides.values()
            ],
            "clue_stats": {
                clue_id: [s.attempts, s.wrong, s.finders, s.first_finder, s.hints_taken,
                          list(s.solve_times_ms)]
                for clue_id, s in self.clue_stats.items()
            },
            "counts": dict(sorted(self.counts.items())),
            "heatmap": sorted([lat, lon, n] for (lat, lon), n in self.heatmap.items()),
            "heatmap_overflow": self.heatmap_overflow,
            "entries": list(self.entries.values()),
            "frozen": None if self.frozen is None else [[s, *self.frozen[s]] for s in self.frozen_rows],
            "media": media_to_dict(self),
            "timing": timing_snapshot(self),
            **team_extras(self),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HuntState:
        """Rebuild a state from :meth:`to_dict` (without sharing its containers); raises ValueError
        on an unknown version."""
        if data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"unsupported snapshot version {data.get('version')!r}")
        state = cls(parse_definition(data["definition"], RuleDefaults()))
        state.seq = data["seq"]
        state.last_ts = data["last_ts"]
        state.manual_status = data["manual_status"]
        state.started_ts = data["started_ts"]
        state.incarnation = data.get("incarnation")  # absent in snapshots written before it existed
        for row in data["players"]:
            pid, name, side, team, jseq, jts, banned, wrong, recent, location, pings = row
            state.players[pid] = Player(pid, name, side, team, jseq, jts, banned, dict(wrong),
                                        _copy_lists(recent), tuple(location) if location else None, pings)
        side_times = restore_timing(state, data.get("timing"))
        for row in data["sides"]:
            sid, name, members, score, order_seq, found, hints, ledger, active, *unlocked = row
            # unlocked: absent in snapshots written before unlocks existed
            side = Side(sid, name, list(members), score, order_seq, dict(found), dict(hints), list(ledger),
                        active, *side_times.get(sid, (0, 0)))
            side.unlocked = list(unlocked[0]) if unlocked else []
            state.sides[sid] = side
        team_extras_from_dict(state, data)  # captains, divisions, ...: before the boards are filled
        for side in state.sides.values():
            if side.active:
                state.board_add(side)
        for clue_id, row in data["clue_stats"].items():
            attempts, wrong, finders, first, hints_taken, times = row
            state.clue_stats[clue_id] = ClueStats(attempts, wrong, finders, first, hints_taken,
                                                  SortedList(times))
        state.counts = Counter(data["counts"])
        state.heatmap = Counter({(lat, lon): n for lat, lon, n in data["heatmap"]})
        state.heatmap_overflow = data.get("heatmap_overflow", 0)  # absent in older snapshots
        if data.get("frozen") is not None:  # absent in snapshots written before freezes existed
            state.frozen_rows = [side for side, _, _ in data["frozen"]]
            state.frozen = {side: [rank, score] for side, rank, score in data["frozen"]}
        media_from_dict(state, data.get("media"))  # absent in snapshots written before clue media existed
        for entry in data.get("entries", ()):  # absent in snapshots written before missions existed
            state.entries[entry["seq"]] = dict(entry)
            state.side_entries.setdefault(entry["side"], {})[entry["clue"]] = entry["seq"]
            if entry["status"] == "pending":
                state.pending[(entry["side"], entry["clue"])] = entry["seq"]
        return state


def _copy_lists(lists: dict[str, list[int]]) -> dict[str, list[int]]:
    return {key: list(values) for key, values in lists.items()}


def replay(events: list[Recorded] | deque[Recorded], state: HuntState | None = None) -> HuntState:
    """Fold events into ``state``, or into a new state built from the first (hunt_created) event."""
    iterator = iter(events)
    if state is None:
        first = next(iterator)
        if not isinstance(first.event, HuntCreated):
            raise ValueError("a log must begin with hunt_created")
        state = HuntState(parse_definition(first.event.definition, RuleDefaults()))
        state.apply(first)
    for recorded in iterator:
        state.apply(recorded)
    return state
