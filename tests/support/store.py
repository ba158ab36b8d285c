"""A realistic event log, built the way the hunt actor builds one: decide, record, apply."""

from __future__ import annotations

import itertools
from typing import Any

from hunt.domain import (
    AnswerClue,
    CheckIn,
    Command,
    HuntCreated,
    HuntState,
    JoinHunt,
    PingLocation,
    Recorded,
    Rejected,
    StartHunt,
    SubmitCode,
    TakeHint,
    decide,
    replay,
)

from .hunts import CRANE

T0 = 1_780_000_000_000  # epoch ms
PLAYERS = ("p1", "p2", "p3")


def script(i: int) -> Command:
    """The i-th command of an endless game of three players (every event type shows up)."""
    player = PLAYERS[i % 3]
    match (i // 3) % 7:
        case 0:
            return PingLocation(player, f"x{i}", 53.54 + i * 1e-4, 9.96)
        case 1:
            return AnswerClue(player, f"x{i}", "c1", "lamp")
        case 2:
            return TakeHint(player, f"x{i}", "c1")
        case 3:
            return AnswerClue(player, f"x{i}", "c1", " LightHouse ")
        case 4:
            return CheckIn(player, f"x{i}", "c2", *CRANE)
        case 5:
            return SubmitCode(player, f"x{i}", "c3", "x7k2")
        case _:
            return PingLocation(player, f"x{i}", 53.55, 9.97 + i * 1e-4)


def build_log(document: dict[str, Any], length: int) -> list[Recorded]:
    """``length`` events: hunt_created, three joins, the start, then :func:`script` (rejections skipped)."""
    log = [Recorded(1, T0, HuntCreated(document))]
    state = replay(log)
    opening: list[Command] = [JoinHunt("j1", "Ann"), JoinHunt("j2", "Bob"), JoinHunt("j3", "Cy"), StartHunt("s1")]
    commands = itertools.chain(opening, map(script, itertools.count()))
    while len(log) < length:
        command = next(commands)
        try:
            event = decide(state, command, T0 + len(log) * 1000)
        except Rejected:
            continue
        record = Recorded(state.seq + 1, T0 + len(log) * 1000, event, command.cmd, command.principal)
        state.apply(record)
        log.append(record)
    return log


def replayed(log: list[Recorded]) -> dict[str, Any] | None:
    """The state a full replay of ``log`` gives, as plain data (None for an empty log)."""
    return replay(log).to_dict() if log else None


def as_dict(state: HuntState | None) -> dict[str, Any] | None:
    return None if state is None else state.to_dict()
