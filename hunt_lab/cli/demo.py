"""``hunt demo``: the server, the sample hunt and simulated players, with a live leaderboard.

Everything runs in one process: the engine, the HTTP/websocket server, and N bots that play
the sample hunt over real websockets (they peek at the answers, and are right only some of
the time). The terminal shows the leaderboard and the event rate until Ctrl-C, which stops
the bots, the server and then the engine (mailboxes drained, snapshots written).
"""

from __future__ import annotations

import argparse
import random
import signal
import tempfile
from functools import partial
from typing import TYPE_CHECKING, Any

import trio
from rich.live import Live
from rich.table import Table

from hunt.api import create_app, load_secrets, serve
from hunt.cli._cmd_serve import ensure_sample
from hunt.cli._common import add_config_options, config_from_args, console
from hunt.config import Config
from hunt.domain import Clue, HuntDefinition
from hunt.engine import Engine, open_engine

from ._extra import needs_lab_extra

if TYPE_CHECKING:
    from ..clients.player import SimPlayer


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser("demo", help="server + sample hunt + simulated players, live leaderboard",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_options(demo, network=True)
    demo.add_argument("--players", type=int, default=20, help="simulated players (default %(default)s)")
    demo.add_argument("--rate", type=float, default=2.0, help="actions per second per player (default %(default)s)")
    demo.add_argument("--seconds", type=float, help="stop after this long (default: until Ctrl-C)")
    demo.add_argument("--keep", action="store_true",
                      help="use the configured data dir instead of a throwaway one")
    demo.set_defaults(func=needs_lab_extra(_demo))


def _demo(args: argparse.Namespace) -> int:
    if args.players < 1 or args.rate <= 0:
        console.print("hunt demo: --players and --rate must be positive")
        return 2
    from ..clients.player import SimPlayer  # needs the lab extra (trio-websocket)

    with tempfile.TemporaryDirectory(prefix="hunt-demo-") as temp:
        extra: dict[str, Any] = {} if args.keep else {"server": {"data_dir": temp}}
        if args.port is None:
            extra.setdefault("server", {})["port"] = 0
        config = config_from_args(args, **extra)
        trio.run(_main, config, SimPlayer, args.players, args.rate, args.seconds)
    return 0


async def _main(config: Config, player_class: type[SimPlayer], players: int, rate: float,
                seconds: float | None) -> None:
    secrets = load_secrets(config)
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with open_engine(config) as engine:
            hunt = await ensure_sample(engine)
            app = create_app(config, engine, secrets=secrets)
            stop_server = trio.Event()
            async with trio.open_nursery() as server:
                port = await server.start(partial(serve, config, engine, app=app, shutdown_trigger=stop_server.wait))
                console.print(f"demo: http://127.0.0.1:{port}/play/{hunt} (player page), "
                              f"http://127.0.0.1:{port}/admin (token in {secrets.admin_token_path or 'config'}); "
                              "Ctrl-C stops")
                with trio.move_on_after(seconds if seconds is not None else float("inf")):
                    async with trio.open_nursery() as play:
                        play.start_soon(_until_signal, signals, play.cancel_scope)
                        state = await engine.state(hunt)
                        url = f"ws://127.0.0.1:{port}/ws/hunts/{hunt}"
                        for i in range(players):
                            play.start_soon(_bot, player_class, url, f"bot-{i + 1}", state.definition, rate,
                                            random.Random(i))
                        await _show(engine, hunt)
                stop_server.set()
    console.print("demo stopped: mailboxes drained, snapshots written")


async def _until_signal(signals: Any, scope: trio.CancelScope) -> None:
    async for _ in signals:
        scope.cancel()
        return


async def _bot(player_class: type[SimPlayer], url: str, name: str, definition: HuntDefinition, rate: float,
               rng: random.Random) -> None:
    stop = trio.Event()
    player = player_class(url, name, lambda *_: None)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lambda: player.run(team=None, stop=stop))
        await player.connected.wait()
        n = 0
        while True:
            await trio.sleep(rng.expovariate(rate))
            n += 1
            await player.send(_action(definition, rng, f"{name}-{n}"), trio.current_time())


def _action(definition: HuntDefinition, rng: random.Random, cmd: str) -> dict[str, Any]:
    clue: Clue = rng.choice(definition.clues)
    roll = rng.random()
    if roll < 0.5:
        return {"op": "ping", "id": cmd, "lat": 53.545 + rng.uniform(-0.003, 0.003),
                "lon": 9.96 + rng.uniform(-0.01, 0.01)}
    if roll < 0.58:
        return {"op": "hint", "id": cmd, "clue": clue.id}
    right = roll < 0.75
    if clue.kind == "geo":
        spread = 0.0001 if right else 0.01
        return {"op": "checkin", "id": cmd, "clue": clue.id, "lat": clue.lat + rng.uniform(-spread, spread),
                "lon": clue.lon + rng.uniform(-spread, spread)}
    if clue.kind == "code":
        return {"op": "code", "id": cmd, "clue": clue.id, "code": _secret(clue, right)}
    return {"op": "answer", "id": cmd, "clue": clue.id, "answer": _secret(clue, right)}


def _secret(clue: Clue, right: bool) -> str:
    secrets = sorted(clue.answers or clue.codes)
    return secrets[0] if right and secrets else "no idea"


async def _show(engine: Engine, hunt: str) -> None:
    last_seq, last_time = 0, trio.current_time()
    rate = 0.0
    with Live(console=console, refresh_per_second=4, transient=False) as live:
        while True:
            state = await engine.state(hunt)
            now = trio.current_time()
            if now > last_time:
                rate = 0.7 * rate + 0.3 * (state.seq - last_seq) / (now - last_time)
            last_seq, last_time = state.seq, now
            table = Table(title=f"{state.definition.title} — seq {state.seq:,}, {len(state.players)} players, "
                                f"{rate:,.0f} events/s")
            for column, justify in (("rank", "right"), ("name", "left"), ("score", "right"), ("found", "right")):
                table.add_column(column, justify=justify)  # type: ignore[arg-type]
            for row in state.top(10):
                found = len(state.sides[row["player"]].found)
                table.add_row(str(row["rank"]), row["name"], str(row["score"]), str(found))
            live.update(table)
            await trio.sleep(0.5)
