"""A writer to kill: runs an engine and prints every durable ack, for test_engine_crash.py.

    python -m tests.engine.crash_writer DATA_DIR setup      create the hunt, join the players, start it; exit
    python -m tests.engine.crash_writer DATA_DIR run ROUND  resubmit the previous round's commands, then submit
                                               new ones forever, printing each ack as it arrives

An ack line is ``ack SEQ PRINCIPAL CMD DUPLICATE`` and is flushed before the next one is
written, so whatever line the parent reads complete was acknowledged by the engine first.
``pipelined N`` lines tell how many batches were decided while another was committed.
Commands are a pure function of (round, index), so a later round can resend them exactly.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import trio

from actors import Overloaded
from hunt.config import load_config
from hunt.domain import AnswerClue, CheckIn, Command, JoinHunt, PingLocation, StartHunt, TakeHint
from hunt.engine import Ack, open_engine
from tests.support.hunts import HUNT_ID, harbor

PLAYERS = 8
SUBMITTERS = 4
RESENT = 30  # commands of the previous round sent again at the start of a round


def command(round_: int, index: int) -> Command:
    player = f"p{index % PLAYERS + 1}"
    cmd = f"r{round_}-{index}"
    match index % 10:
        case 6:
            return AnswerClue(player, cmd, "c1", "nope")
        case 7:
            return AnswerClue(player, cmd, "c1", "Lighthouse")
        case 8:
            return CheckIn(player, cmd, "c2", 53.5441, 9.9667 + (index % 3) * 0.001)
        case 9:
            return TakeHint(player, cmd, "c1")
    return PingLocation(player, cmd, 53.5 + (index % 97) * 0.001, 9.9 + round_ * 0.01)


def report(results: list[Any]) -> None:
    for result in results:
        if isinstance(result, Ack):
            record = result.record
            sys.stdout.write(f"ack {result.seq} {record.principal} {record.cmd} {int(result.duplicate)}\n")
            sys.stdout.flush()


async def main(data_dir: str, mode: str, round_: int) -> None:
    config = load_config(None, env={}, overrides={
        "server": {"data_dir": data_dir}, "store": {"snapshot_every": 25},
        "engine": {"max_batch": 16},
    })
    async with open_engine(config) as engine:
        if mode == "setup":
            await engine.create_hunt(harbor(title="Crash Hunt"))
            joins = [JoinHunt(f"join-{n}", f"Player {n}") for n in range(1, PLAYERS + 1)]
            await engine.submit(HUNT_ID, [*joins, StartHunt("start")])
            return
        for start in range(0, RESENT if round_ else 0, 3):
            report(await engine.submit(HUNT_ID, [command(round_ - 1, i) for i in range(start, start + 3)]))
        counter = iter(range(sys.maxsize))

        async def submitter(size: int) -> None:
            while True:
                report(await engine.submit(HUNT_ID, [command(round_, next(counter)) for _ in range(size)]))

        async def stream() -> None:
            """Commands that do not wait for their acks: new batches arrive while one commits,
            so the kill comes with batches decided on top of a commit in flight (the pipeline)."""
            while True:
                with contextlib.suppress(Overloaded):
                    engine.submit_nowait(HUNT_ID, [command(round_, next(counter))],
                                         lambda results, error: report(results) if error is None else None)
                hunt = engine.statistics().hunt(HUNT_ID)
                if hunt is not None and hunt.pipelined_batches:
                    sys.stdout.write(f"pipelined {hunt.pipelined_batches}\n")
                await trio.sleep(0.001)

        async with trio.open_nursery() as nursery:
            for n in range(SUBMITTERS):
                nursery.start_soon(submitter, n % 3 + 1)
            nursery.start_soon(stream)


if __name__ == "__main__":
    trio.run(main, sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 0)
