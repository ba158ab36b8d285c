"""Print a hunt's leaderboard and the audit of one player's score.

    hunt run scripts/examples/leaderboard.py HUNT_ID [PLAYER_ID] [--at SEQ]
"""

import sys


async def main(engine, args):
    if not args:
        print("usage: leaderboard.py HUNT_ID [PLAYER_ID] [--at SEQ]", file=sys.stderr)
        return 2
    hunt, rest = args[0], args[1:]
    at = None
    if "--at" in rest:
        at = int(rest[rest.index("--at") + 1])
        del rest[rest.index("--at"):rest.index("--at") + 2]
    state = await engine.state(hunt) if at is None else await engine.state_at(hunt, at)
    if state is None:
        print(f"nothing recorded at seq {at}", file=sys.stderr)
        return 1
    print(f"{state.definition.title} — leaderboard at seq {state.seq}")
    for row in state.top(20):
        print(f"  {row['rank']:>3}. {row['name']:<20} {row['score']:>6}  ({row['player']})")
    if rest:
        player = state.players.get(rest[0])
        if player is None:
            print(f"no player {rest[0]!r}", file=sys.stderr)
            return 1
        side = state.sides[player.side]
        print(f"\nscore audit of {player.name} ({player.id}): {side.score} points")
        for entry in side.ledger:
            what = entry.get("clue") or entry.get("reason") or ""
            print(f"  seq {entry['seq']:>6}  {entry['type']:<15} {what:<12} {entry['points']:+d}")
        print(f"  {'':>10}  {'total':<15} {'':<12} {sum(e['points'] for e in side.ledger):+d}")
    return 0
