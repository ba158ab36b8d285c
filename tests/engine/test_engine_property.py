"""Random command streams through the engine: it behaves like the pure rules applied one by one,
and live state == full replay == snapshot + tail (docs/architecture.md, Guarantees).

The model decides each command in order against its own state with the same clock, remembers
idempotency keys forever and records nothing for a rejection. The engine must give the same
answer to every command, whatever its batching, cache size, snapshots and restarts.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from hunt.config import load_config
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
    outcome,
    replay,
)
from hunt.engine import Ack, Engine, open_engine
from hunt.store import SqliteHuntStore
from tests.support.engine import wait_until
from tests.support.hunts import CRANE, HARBOR, HUNT_ID

T0 = 1_780_000_000_000
SNAPSHOT_EVERY = 7

players = st.sampled_from(["p1", "p2", "p1", "p2", "p3", "p4"])
ids = st.sampled_from([f"k{n}" for n in range(40)])  # a small pool: keys are reused
clues = st.sampled_from(["c1", "c2", "c3", "nope"])
COMMANDS = {
    "answer": st.builds(AnswerClue, principal=players, cmd=ids, clue=clues,
                        answer=st.sampled_from(["lighthouse", "Light House", "LIGHTHOUSE ", "lamp"])),
    "checkin": st.builds(CheckIn, principal=players, cmd=ids, clue=clues,
                         lat=st.sampled_from([CRANE[0], 53.6, 91.0]), lon=st.just(CRANE[1])),
    "code": st.builds(SubmitCode, principal=players, cmd=ids, clue=clues, code=st.sampled_from(["x7k2", "nope"])),
    "hint": st.builds(TakeHint, principal=players, cmd=ids, clue=clues),
    "ping": st.builds(PingLocation, principal=players, cmd=ids, lat=st.floats(-90, 90), lon=st.floats(-180, 180)),
    "join": st.builds(JoinHunt, cmd=ids, name=st.sampled_from(["Ann", " Bob ", "", "Cy"])),
    "adjust": st.builds(AdjustScore, cmd=ids, player=players, delta=st.integers(-50, 50), reason=st.just("fix")),
    "start": st.builds(StartHunt, cmd=ids),
    "pause": st.builds(PauseHunt, cmd=ids),
    "end": st.builds(EndHunt, cmd=ids),
    "ban": st.builds(BanPlayer, cmd=ids, player=players, reason=st.just("ban")),
}
# Weights (one_of would pick its branches about evenly): a pause, an end or a ban turns many
# later commands into rejections, so they are rare.
WEIGHTS = {"answer": 30, "checkin": 18, "code": 15, "hint": 12, "ping": 40, "join": 15, "adjust": 9, "start": 6,
           "pause": 2, "end": 1, "ban": 2}
commands = st.sampled_from([kind for kind, weight in WEIGHTS.items() for _ in range(weight)]).flatmap(
    COMMANDS.__getitem__)
# A round: submissions queued together (one actor batch), then the clock moves on. ``resend``
# adds a copy of a submission as a client does after a lost ack: 0 resends the round's first
# one within the same batch, k > 0 the k-th command sent before this round, -1 nothing.
rounds = st.tuples(st.lists(st.lists(commands, min_size=1, max_size=4), min_size=1, max_size=4),
                   st.integers(0, 40_000), st.integers(-1, 40))


def with_resend(submissions: list[list[Command]], resend: int, sent: list[Command]) -> list[list[Command]]:
    if resend == 0:
        return [*submissions, submissions[0]]
    if 0 < resend <= len(sent):
        return [*submissions, [sent[-resend]]]
    return submissions


@dataclass
class Model:
    """The pure rules applied one command at a time, with idempotency keys kept forever."""

    state: HuntState
    keys: dict[tuple[str, str], Recorded] = field(default_factory=dict)

    def submit(self, command: Command, clock: int) -> tuple[Any, ...]:
        key = (command.principal, command.cmd)
        if key in self.keys:
            earlier = self.keys[key]
            return ("ack", earlier.seq, outcome(self.state, earlier), True)
        now = max(clock, self.state.last_ts)
        try:
            event = decide(self.state, command, now)
        except Rejected as rejection:
            return ("rejected", rejection.code)
        record = Recorded(self.state.seq + 1, now, event, command.cmd, command.principal)
        self.state.apply(record)
        self.keys[key] = record
        return ("ack", record.seq, outcome(self.state, record), False)


def seen(result: Ack | Rejected) -> tuple[Any, ...]:
    if isinstance(result, Rejected):
        return ("rejected", result.code)
    return ("ack", result.seq, result.fields, result.duplicate)


async def run_round(engine: Engine, submissions: list[list[Command]]) -> list[list[Any]]:
    settled: dict[int, Any] = {}
    for n, batch in enumerate(submissions):
        engine.submit_nowait(HUNT_ID, batch, lambda results, error, n=n: settled.__setitem__(n, (results, error)))
    await wait_until(lambda: len(settled) == len(submissions))
    out = []
    for n in range(len(submissions)):
        results, error = settled[n]
        assert error is None, error
        out.append(results)
    return out


def recovered(data_dir: str) -> tuple[dict[str, Any], dict[str, Any], list[int]]:
    """(full replay of the log, snapshot + tail, the snapshots' seqs), read from the hunt file."""
    reader = SqliteHuntStore.open_reader(data_dir, HUNT_ID)
    try:
        state, _ = reader.load()
        assert state is not None
        snapshots = [row["seq"] for row in reader.query("SELECT seq FROM snapshots")]
        return replay(list(reader.read())).to_dict(), state.to_dict(), snapshots
    finally:
        reader.close()


@settings(max_examples=40, deadline=None)
@given(stream=st.lists(rounds, min_size=2, max_size=12), dedup_cache=st.sampled_from([1, 3, 100_000]),
       restart_after=st.integers(0, 12))
async def test_the_engine_decides_like_the_rules_and_recovers_the_same_state(
        stream: list[tuple[list[list[Command]], int, int]], dedup_cache: int, restart_after: int) -> None:
    # Most commands need joined players and a started hunt.
    stream = [([[JoinHunt("j1", "Ann"), JoinHunt("j2", "Bob")], [StartHunt("go")]], 0, -1), *stream]
    clock = [T0]
    sent: list[Command] = []
    with tempfile.TemporaryDirectory() as data_dir:
        config = load_config(None, env={}, overrides={
            "server": {"data_dir": data_dir}, "store": {"snapshot_every": SNAPSHOT_EVERY, "synchronous": "OFF"},
            # A small max_batch: a round's submissions span batches, each decided while the one
            # before it is committed (the pipeline).
            "engine": {"dedup_cache": dedup_cache, "max_batch": 2},
        })
        model = Model(replay([Recorded(1, T0, HuntCreated(HARBOR))]))
        # Two lives of the engine: recovery and dedup after the restart come from the disk.
        for segment in (stream[:restart_after], stream[restart_after:]):
            async with open_engine(config, clock=lambda: clock[0]) as engine:
                if not engine.exists(HUNT_ID):
                    await engine.create_hunt(HARBOR)
                for submissions, step, resend in segment:
                    submissions = with_resend(submissions, resend, sent)
                    sent += [command for batch in submissions for command in batch]
                    expected = [[model.submit(command, clock[0]) for command in batch] for batch in submissions]
                    got = await run_round(engine, submissions)
                    assert [[seen(r) for r in results] for results in got] == expected
                    clock[0] += step
                live = (await engine.state(HUNT_ID)).to_dict()
                report = await engine.verify(HUNT_ID)
                pipelined = engine.statistics().hunt(HUNT_ID)
                event(f"pipelined batches: {'some' if pipelined and pipelined.pipelined_batches else 'none'}")
        full, snapshot_plus_tail, snapshots = recovered(data_dir)
    event(f"{live['seq'] // 10 * 10}+ events")
    assert live["incarnation"]  # drawn at random when the engine created the hunt; the model has none
    assert live == model.state.to_dict() | {"incarnation": live["incarnation"]}
    assert live == full == snapshot_plus_tail
    assert report["ok"] and report["live_checked"], report["problems"]
    # Snapshots land mid-stream: a commit crossing the first multiple of 7 ends by seq 7 + 16.
    assert any(seq < live["seq"] for seq in snapshots) or live["seq"] <= SNAPSHOT_EVERY + 16
