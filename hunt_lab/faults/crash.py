"""Kill -9 under load, end to end: a real ``hunt serve`` child, real websocket players.

The harness starts the server, creates and starts a hunt, connects a :class:`Crowd` and lets
it play. Then, ``kills`` times: after a random while it SIGKILLs the server (no shutdown of
any kind), notes which commands were in flight (their fate unknown to the players), and
restarts the server on the same data directory and port. Players reconnect and resend what
was never answered, with the same ids. Finally it stops the load, waits for every command
to get its final answer, and audits:

- the log against every answer the players got (:func:`audit_log`): every ack at its seq,
  exactly once; seqs contiguous; refused commands absent; nothing unanswered;
- the live leaderboard of the restarted server against a replay of the log from zero;
- ``hunt verify`` on the data directory (every snapshot equals the replay);
- and counts the in-doubt commands: applied before the kill (their resend said
  ``duplicate``) or after it (a fresh ack), each in the log once.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import trio

from hunt.domain import replay

from ..audit import audit_log, read_log
from ..clients.admin import create_hunt
from ..clients.crowd import Crowd, Reporter
from ..servers.process import ServerProcess

__all__ = ["CrashConfig", "hunt_verify", "run_crash"]


@dataclass(frozen=True)
class CrashConfig:
    data_dir: Path
    log_dir: Path
    players: int = 12
    kills: int = 3
    in_flight: int = 4  # commands in flight per player
    load_s: tuple[float, float] = (0.4, 1.2)  # play this long (uniformly drawn) before each kill ...
    down_s: tuple[float, float] = (0.0, 0.3)  # ... and stay down this long before the restart
    final_load_s: float = 0.5
    settle_timeout_s: float = 20.0
    clues: int = 5
    seed: int = 1
    hunt: str = "crash"
    env: dict[str, str] | None = None  # more HUNT_* settings for the server


async def hunt_verify(data_dir: Path, cwd: Path) -> tuple[int, list[dict[str, Any]]]:
    """Run ``hunt verify --json`` on a data directory; (exit code, reports)."""
    result = await trio.run_process([sys.executable, "-m", "hunt.cli", "verify", "--data-dir", str(data_dir),
                                     "--json"], capture_stdout=True, capture_stderr=True, check=False, cwd=cwd)
    try:
        reports = orjson.loads(result.stdout)
    except orjson.JSONDecodeError:
        reports = [{"ok": False, "problems": [result.stdout.decode(errors="replace")[-500:],
                                              result.stderr.decode(errors="replace")[-500:]]}]
    return result.returncode, reports


async def run_crash(config: CrashConfig, report: Reporter) -> dict[str, Any]:
    """Run the harness; return its figures and ``problems`` (empty when every promise held)."""
    rng = random.Random(config.seed)
    env = {"HUNT_STORE_SYNCHRONOUS": "FULL", **(config.env or {})}
    started = time.monotonic()
    async with ServerProcess(config.data_dir, config.log_dir, env=env) as server:
        await server.start()
        async with httpx.AsyncClient(base_url=server.url, headers=server.admin_headers, timeout=10) as http:
            await create_hunt(http, config.hunt, config.clues)
        crowd = Crowd(server.ws_url(config.hunt), config.players, clues=config.clues, in_flight=config.in_flight,
                      seed=config.seed)
        stop = trio.Event()
        in_doubt: set[tuple[str, str]] = set()
        kills = []
        async with trio.open_nursery() as nursery:
            with trio.fail_after(60):
                await nursery.start(crowd.run, stop)
            report(f"{config.players} players joined {server.url}; playing")
            for round_ in range(1, config.kills + 1):
                await trio.sleep(rng.uniform(*config.load_s))
                doubt = crowd.in_doubt()
                server.kill()
                kills.append({"round": round_, "acks_so_far": crowd.ledger.codes["ack"], "in_doubt": len(doubt)})
                in_doubt |= doubt
                report(f"kill {round_}: SIGKILL with {len(doubt)} commands in flight")
                await trio.sleep(rng.uniform(*config.down_s))
                await server.start()
            await trio.sleep(config.final_load_s)
            crowd.stop_load()
            settled = await crowd.wait_answered(config.settle_timeout_s)
            stop.set()
        report(f"load stopped; every command answered: {settled}")
        problems = [] if settled else [f"{len(crowd.in_doubt())} commands unanswered after "
                                       f"{config.settle_timeout_s} s"]
        log = await trio.to_thread.run_sync(read_log, config.data_dir, config.hunt)
        problems += audit_log(log, crowd.ledger)
        problems += await _compare_live(server, config.hunt, log)
        report("audited the log and the live state")
        code, reports = await hunt_verify(config.data_dir, config.log_dir)
        report(f"hunt verify exited {code}")
        if code != 0 or not all(r.get("ok") for r in reports):
            problems.append(f"hunt verify failed (exit {code}): {[r.get('problems') for r in reports]}")
        graceful = await server.stop()
        report(f"graceful stop: {graceful}")
        if graceful != 0:
            problems.append(f"the final graceful stop did not exit 0 (got {graceful})")
    in_log = {(record.principal or "", record.cmd) for record in log}
    resent_applied = sum(1 for key in in_doubt if key in crowd.ledger.acks and key in in_log)
    resent_refused = sum(1 for key in in_doubt if key in crowd.ledger.refused and key not in in_log)
    return {
        "seed": config.seed, "players": config.players, "kills": kills, "seconds": round(time.monotonic() - started, 1),
        "events": len(log), "acked": len(crowd.ledger.acks), "duplicate_acks": crowd.ledger.duplicates,
        "codes": dict(sorted(crowd.ledger.codes.items())), "in_doubt": len(in_doubt),
        "in_doubt_applied_once": resent_applied, "in_doubt_refused": resent_refused,
        "client_errors": len(crowd.client_errors),
        "problems": problems,
    }


async def _compare_live(server: ServerProcess, hunt_id: str, log: list[Any]) -> list[str]:
    """The restarted server's live leaderboard and counts must equal a replay of the log."""
    replayed = replay(log)
    async with httpx.AsyncClient(base_url=server.url, headers=server.admin_headers, timeout=10) as http:
        board = (await http.get(f"/admin/hunts/{hunt_id}/leaderboard", params={"limit": 1000})).json()
        detail = (await http.get(f"/admin/hunts/{hunt_id}")).json()
    problems = []
    if board.get("seq") != replayed.seq or detail.get("seq") != replayed.seq:
        problems.append(f"live seq {board.get('seq')}/{detail.get('seq')} != log seq {replayed.seq}")
    if orjson.loads(orjson.dumps(replayed.top(1000))) != board.get("rows"):
        problems.append("the live leaderboard differs from a replay of the log")
    if detail.get("stats", {}).get("by_type") != dict(sorted(replayed.counts.items())):
        problems.append("the live event counts differ from a replay of the log")
    return problems
