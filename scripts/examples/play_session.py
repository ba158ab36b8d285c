"""Play a scripted session: three players join, answer, take hints and check in.

    hunt run --temp scripts/examples/play_session.py
    hunt run scripts/examples/play_session.py HUNT_ID      (an existing, started hunt)
"""

import secrets
from pathlib import Path

import orjson

from hunt.domain import AnswerClue, CheckIn, JoinHunt, Rejected, StartHunt, SubmitCode, TakeHint

SAMPLE = Path(__file__).resolve().parents[2] / "hunt" / "sample_hunt.json"


def show(label, results):
    for result in results:
        if isinstance(result, Rejected):
            print(f"  {label}: rejected ({result.code}) {result.message}")
        else:
            print(f"  {label}: seq {result.seq} {result.fields}")


async def main(engine, args):
    if args:
        hunt = args[0]
    else:
        definition = await engine.create_hunt(orjson.loads(SAMPLE.read_bytes()))
        hunt = definition.id
        show("start", await engine.submit(hunt, [StartHunt("session-start")]))
    joins = await engine.submit(hunt, [JoinHunt(secrets.token_urlsafe(16), n) for n in ("Ada", "Grace", "Linus")])
    show("join", joins)
    ada, grace, linus = (r.fields["player"] for r in joins)
    show("Ada answers", await engine.submit(hunt, [AnswerClue(ada, "a1", "c1", "  LIGHTHOUSE ")]))
    show("Grace guesses", await engine.submit(hunt, [AnswerClue(grace, "g1", "c1", "a crane")]))
    show("Grace takes a hint", await engine.submit(hunt, [TakeHint(grace, "g2", "c1")]))
    show("Grace answers", await engine.submit(hunt, [AnswerClue(grace, "g3", "c1", "lighthouse")]))
    show("Linus checks in far away", await engine.submit(hunt, [CheckIn(linus, "l1", "c2", 53.55, 9.97)]))
    show("Linus checks in on the spot", await engine.submit(hunt, [CheckIn(linus, "l2", "c2", 53.5441, 9.9667)]))
    show("Ada submits a code", await engine.submit(hunt, [SubmitCode(ada, "a2", "c3", "x7k2")]))
    show("Ada resends it (lost ack)", await engine.submit(hunt, [SubmitCode(ada, "a2", "c3", "x7k2")]))
    state = await engine.state(hunt)
    print("leaderboard:")
    for row in state.top(10):
        print(f"  {row['rank']}. {row['name']:<8} {row['score']:>5}")
    return 0
