"""Edits of a running hunt through the engine: every edit event survives the disk, snapshots,
export and import and `hunt verify`; time travel before an edit shows the old definition."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from hunt.config import Config
from hunt.domain import (
    DEFINITION_EDITS,
    AddClue,
    AdjustScore,
    AnswerClue,
    BanPlayer,
    ChangeTimes,
    CreditClue,
    EditClue,
    EndHunt,
    ReopenHunt,
    RetireClue,
    UnbanPlayer,
    UnlockClue,
)
from hunt.engine import open_engine
from hunt.store import record_to_dict
from tests.support.engine import OpenHunt, disk_replay
from tests.support.hunts import HUNT_ID

EDITS = ("clue_edited", "clue_added", "clue_retired", "times_changed", "clue_unlocked", "hunt_reopened",
         "player_unbanned")


async def edit_everything(engine: Any) -> int:
    """Every kind of edit, in batches as the admin API sends them; the seq just before the first edit."""
    [wrong] = await engine.submit(HUNT_ID, [AnswerClue("p1", "w1", "c1", "beacon")])
    before = wrong.seq
    for commands in (
        [EditClue("e1", "c1", {"answers": ["lighthouse", "beacon"], "prompt": "What blinks?"}, 0),
         CreditClue("e1:credit:p1", "p1", "c1", 1)],
        [AnswerClue("p2", "a2", "c1", "Lighthouse")],
        [EditClue("e2", "c1", {"points": 150}, 1, 2), AdjustScore("e2:fix:p1", "p1", 50, "edited", version=2),
         AdjustScore("e2:fix:p2", "p2", 50, "edited", version=2)],
        [AddClue("add1", {"id": "c4", "title": "Anchor", "kind": "answer", "answers": ["anchor"], "points": 40,
                          "after": ["c2"]})],
        [UnlockClue("u1", "c4", player="p3"), AnswerClue("p3", "a3", "c4", "anchor")],
        [RetireClue("r1", "c2", 3)],
        [BanPlayer("b1", "p2", "testing"), UnbanPlayer("ub1", "p2", "sorry")],
        [EndHunt("end1"), ReopenHunt("reopen1"), ChangeTimes("t1", {"ends_at": 4_102_444_800_000})],
    ):
        results = await engine.submit(HUNT_ID, commands)
        assert all(not hasattr(r, "code") for r in results), results
    return before


async def test_edits_replay_snapshot_export_import_and_verify(open_hunt: OpenHunt,
                                                              make_config: Callable[..., Config],
                                                              tmp_path: Path) -> None:
    async with open_hunt(store={"snapshot_every": 3}) as engine:
        before = await edit_everything(engine)
        state = await engine.state(HUNT_ID)
        live = state.to_dict()
        assert {kind for kind in EDITS if state.counts[kind]} == set(EDITS)
        assert state.version == sum(state.counts[kind] for kind in DEFINITION_EDITS) == 5
        assert disk_replay(engine).to_dict() == live
        report = await engine.verify(HUNT_ID)
        assert report["ok"] and report["snapshots_checked"] >= 1, report
        old = await engine.state_at(HUNT_ID, before)
        assert old is not None and old.definition.clue_index["c1"].prompt == "What guards the harbor at night?"
        assert "c4" not in old.definition.clue_index and old.version == 0
        assert state.definition.clue_index["c1"].prompt == "What blinks?"
        for side in state.sides.values():
            assert side.score == sum(entry["points"] for entry in side.ledger)
        lines = [orjson.dumps(record_to_dict(r)) + b"\n" for r in await engine.read_events(HUNT_ID, limit=10_000)]
    elsewhere = make_config(server={"data_dir": str(tmp_path / "elsewhere")})
    async with open_engine(elsewhere) as other:
        assert await other.import_hunt(iter(lines)) == HUNT_ID
        assert (await other.state(HUNT_ID)).to_dict() == live
        assert (await other.verify(HUNT_ID))["ok"]
    async with open_hunt() as engine:  # a restart: snapshot + tail
        assert (await engine.state(HUNT_ID)).to_dict() == live
