"""A hunt driven the way the hunt actor drives it, so the rules tests read like a game.

``Game.send`` decides a command at the game clock, records the event with the next sequence
number and the current time, applies it and returns the ack fields (``outcome``). A command
that may or must be refused goes through ``Game.attempt`` or ``Game.reject``, which also check
that the refusal changed nothing.
"""

from __future__ import annotations

import copy
import itertools
import math
from typing import Any

import orjson

from hunt.domain import (
    AdjustScore,
    AnswerClue,
    BanPlayer,
    CheckIn,
    Command,
    EndHunt,
    HuntCreated,
    HuntState,
    JoinHunt,
    PauseHunt,
    PingLocation,
    Recorded,
    Rejected,
    StartHunt,
    SubmitCode,
    TakeHint,
    decide,
    event_from_fields,
    event_to_fields,
    outcome,
    parse_definition,
)

from .hunts import CRANE, harbor

T0 = 1_780_000_000_000  # epoch milliseconds: 2026-05-28 20:26:40 UTC
STEP_MS = 1000  # how far the game clock moves for a command sent without ``at``

# The standard test hunt as the domain tests know it: under its own id, with no time window.
EXAMPLE: dict[str, Any] = harbor("harbor-2026", starts_at=None, ends_at=None)


def example() -> dict[str, Any]:
    """A fresh deep copy of :data:`EXAMPLE`, safe to mutate."""
    return copy.deepcopy(EXAMPLE)


def clue(clue_id: str, kind: str = "answer", **fields: Any) -> dict[str, Any]:
    """A clue document with sensible secrets for its kind; ``fields`` override or add."""
    secrets: dict[str, Any] = {
        "answer": {"answers": ["lighthouse"]},
        "geo": {"lat": CRANE[0], "lon": CRANE[1], "radius_m": 30},
        "code": {"codes": ["X7K2"]},
    }[kind]
    return {"id": clue_id, "title": f"Clue {clue_id}", "kind": kind, "points": 100, **secrets, **fields}


def hunt(*clues: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A hunt document around ``clues`` (one answer clue ``c1`` if none are given)."""
    return {"id": "test-hunt", "title": "Test Hunt", "clues": list(clues) or [clue("c1")], **top}


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    """The point ``metres`` due north of ``point`` (along a meridian, so haversine agrees)."""
    return point[0] + math.degrees(metres / 6_371_008.8), point[1]


def stored(recorded: Recorded) -> Recorded:
    """A recorded event as it comes back from the store: its fields through JSON and back."""
    fields = orjson.loads(orjson.dumps(event_to_fields(recorded.event)))
    return Recorded(recorded.seq, recorded.ts, event_from_fields(*fields), recorded.cmd, recorded.principal)


# -- commands, each with a fresh client id ----------------------------------------------------

_cmd_ids = itertools.count(1)


def _cmd() -> str:
    return f"cmd-{next(_cmd_ids)}"


def join(name: Any, team: Any = None, *, team_code_ok: bool = True, division: Any = None) -> JoinHunt:
    """A join; ``team_code_ok``: the joiner gave the team's code (the API checks it)."""
    return JoinHunt(_cmd(), name, team, team_code_ok=team_code_ok, division=division)


def answer(player: str, clue_id: Any, text: Any) -> AnswerClue:
    return AnswerClue(player, _cmd(), clue_id, text)


def checkin(player: str, clue_id: Any, lat: Any, lon: Any) -> CheckIn:
    return CheckIn(player, _cmd(), clue_id, lat, lon)


def code(player: str, clue_id: Any, text: Any) -> SubmitCode:
    return SubmitCode(player, _cmd(), clue_id, text)


def hint(player: str, clue_id: Any) -> TakeHint:
    return TakeHint(player, _cmd(), clue_id)


def ping(player: str, lat: Any, lon: Any) -> PingLocation:
    return PingLocation(player, _cmd(), lat, lon)


def start() -> StartHunt:
    return StartHunt(_cmd())


def pause() -> PauseHunt:
    return PauseHunt(_cmd())


def end() -> EndHunt:
    return EndHunt(_cmd())


def adjust(player: Any, delta: Any, reason: Any = "correction") -> AdjustScore:
    return AdjustScore(_cmd(), player, delta, reason)


def ban(player: Any, reason: Any = "cheating") -> BanPlayer:
    return BanPlayer(_cmd(), player, reason)


class Game:
    """One hunt, its log and its clock. ``active=True`` starts it by hand straight away."""

    def __init__(self, document: dict[str, Any] | None = None, *, active: bool = True, now: int = T0) -> None:
        definition = parse_definition(example() if document is None else document)
        self.state = HuntState(definition)
        self.now = now
        self.log: list[Recorded] = []
        self.acks: dict[int, dict[str, Any]] = {}  # seq -> ack fields, as first answered
        self._record(HuntCreated(dict(definition.document)), None, None)
        if active:
            self.send(start())

    def _record(self, event: Any, cmd: str | None, principal: str | None) -> Recorded:
        recorded = Recorded(self.state.seq + 1, self.now, event, cmd, principal)
        self.state.apply(recorded)
        self.log.append(recorded)
        return recorded

    def _tick(self, at: int | None) -> None:
        if at is not None:
            assert at >= self.now, "the game clock never goes back"
            self.now = at
        else:
            self.now += STEP_MS

    def send(self, command: Command, *, at: int | None = None) -> dict[str, Any]:
        """Decide, record and apply ``command``; return its ack fields (Rejected propagates)."""
        self._tick(at)
        event = decide(self.state, command, self.now)
        recorded = self._record(event, command.cmd, command.principal)
        ack = outcome(self.state, recorded)
        self.acks[recorded.seq] = ack
        return ack

    def attempt(self, command: Command, *, at: int | None = None) -> dict[str, Any] | Rejected:
        """Send a command that may be refused: its ack, or its refusal (checked to change nothing)."""
        before = self.state.to_dict()
        try:
            return self.send(command, at=at)
        except Rejected as refusal:
            assert self.state.to_dict() == before
            return refusal

    def reject(self, command: Command, *, at: int | None = None) -> Rejected:
        """Send a command that must be refused; check that the refusal changed nothing."""
        refusal = self.attempt(command, at=at)
        assert isinstance(refusal, Rejected), f"accepted: {refusal}"
        return refusal

    def join(self, name: str, team: str | None = None, *, at: int | None = None) -> str:
        """Join a player; return its id."""
        ack = self.send(join(name, team), at=at)
        assert ack["result"] == "joined"
        return ack["player"]

    def score(self, player: str) -> int:
        side = self.state.side_of(player)
        assert side is not None
        return side.score

    def ledger(self, player: str) -> list[dict[str, Any]]:
        side = self.state.side_of(player)
        assert side is not None
        return side.ledger
