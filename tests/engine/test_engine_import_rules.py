"""An import, and ``hunt verify``, accept only events the rules could have produced.

Each doctored export below replays without an error (``apply`` trusts its events), so only a
check against the rules catches it: a score of 2x10^15, a locked clue found, a hint that does
not exist, a timestamp in 2100, a player id the next live joiner would get too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from hunt.config import Config
from hunt.domain import AdjustScore, AnswerClue, FreezeBoard, PingLocation, SetSchedule, TakeHint, replay
from hunt.engine import Engine, InvalidImport, open_engine, verify_hunt
from hunt.store import SqliteHuntStore, dict_to_record, encode_snapshot, hunt_path, record_to_dict
from tests.support.engine import OpenHunt
from tests.support.hunts import HUNT_ID

YEAR_2100_MS = 4_102_444_800_000
YEAR_2099_MS = 4_070_908_800_000


async def play(engine: Engine) -> None:
    # After the fixture's lines 1-5 (created, p1..p3 joined, started):
    for command in (AnswerClue("p1", "a1", "c1", "lighthouse"),  # line 6: clue_found
                    TakeHint("p2", "h1", "c1"),  # line 7: hint_taken
                    PingLocation("p3", "g1", 1.0, 1.0),  # line 8: pinged
                    AnswerClue("p2", "w1", "c1", "nope"),  # line 9: attempt_failed
                    AdjustScore("adj1", "p3", 5, "bonus"),  # line 10: score_adjusted
                    SetSchedule("sch1", player="p3", offset_s=0, window_s=3600),  # line 11: schedule_set
                    FreezeBoard("frz1", at=YEAR_2099_MS)):  # line 12: board_frozen, scheduled
        await engine.submit(HUNT_ID, [command])


@pytest.fixture
async def lines(open_hunt: OpenHunt) -> list[bytes]:
    async with open_hunt() as engine:
        await play(engine)
        reader = SqliteHuntStore.open_reader(engine.data_dir, HUNT_ID)
        try:
            return [orjson.dumps(record_to_dict(record)) for record in reader.read()]
        finally:
            reader.close()


def doctor(lines: list[bytes], number: int, change: Callable[[dict[str, Any]], None]) -> list[bytes]:
    item = orjson.loads(lines[number - 1])
    change(item)
    return [*lines[:number - 1], orjson.dumps(item), *lines[number:]]


def huge_score(item: dict[str, Any]) -> None:
    item["data"].update(points=2 * 10**15, score=2 * 10**15)


def locked_clue(item: dict[str, Any]) -> None:  # c3 opens after c1, which p2 has not found
    item.update(type="clue_found", clue="c3",
                data={"method": "code", "points": 30, "bonus": 0, "score": 20, "nth": 1})


def missing_hint(item: dict[str, Any]) -> None:  # c1 has two hints, p2 took none yet
    item["data"].update(index=7, cost=0, score=0)


def future(item: dict[str, Any]) -> None:
    item["ts"] = YEAR_2100_MS


def taken_player_id(item: dict[str, Any]) -> None:  # the third joiner as p4: the next live joiner gets p4
    item["player"] = "p4"


def huge_adjustment(item: dict[str, Any]) -> None:
    item["data"].update(delta=2 * 10**15, score=2 * 10**15)


def someone_else(item: dict[str, Any]) -> None:  # p2's hint recorded as a command of p1
    item["principal"] = "p1"


def window_of_another_side(item: dict[str, Any]) -> None:  # p3's schedule moved onto p1's side
    item["data"]["side"] = "p1"


def freeze_in_the_past(item: dict[str, Any]) -> None:  # a "scheduled" freeze for a time already past
    item["data"]["at"] = 1


DOCTORED = [(6, huge_score), (9, locked_clue), (7, missing_hint), (8, future), (4, taken_player_id),
            (10, huge_adjustment), (7, someone_else), (11, window_of_another_side), (12, freeze_in_the_past)]


async def test_an_honest_export_imports(lines: list[bytes], make_config: Callable[..., Config],
                                        tmp_path: Path) -> None:
    async with open_engine(make_config(server={"data_dir": str(tmp_path / "copy")})) as engine:
        assert await engine.import_hunt(iter(lines)) == HUNT_ID
        assert (await engine.verify(HUNT_ID))["ok"]


@pytest.mark.parametrize(("line", "change"), DOCTORED, ids=[change.__name__ for _, change in DOCTORED])
async def test_an_import_refuses_what_the_rules_would_not_have_produced(
        lines: list[bytes], make_config: Callable[..., Config], tmp_path: Path, line: int,
        change: Callable[[dict[str, Any]], None]) -> None:
    async with open_engine(make_config(server={"data_dir": str(tmp_path / "copy")})) as engine:
        with pytest.raises(InvalidImport, match=rf"^line {line}: "):
            await engine.import_hunt(iter(doctor(lines, line, change)))
        assert not engine.exists(HUNT_ID)
        assert list(hunt_path(engine.data_dir, HUNT_ID).parent.iterdir()) == []


def write_unchecked(data_dir: Path, lines: list[bytes]) -> None:
    """A hunt file holding ``lines`` as they are, with a snapshot that agrees (a careful forger)."""
    records = [dict_to_record(orjson.loads(line)) for line in lines]
    state = replay(records)
    store = SqliteHuntStore.create(data_dir, HUNT_ID, first=records[:1])
    try:
        store.append(records[1:], (state.seq, state.last_ts, encode_snapshot(state)))
    finally:
        store.close()


@pytest.mark.parametrize(("line", "change"), DOCTORED, ids=[change.__name__ for _, change in DOCTORED])
async def test_verify_catches_the_same_doctored_files(lines: list[bytes], tmp_path: Path, line: int,
                                                change: Callable[[dict[str, Any]], None]) -> None:
    write_unchecked(tmp_path / "forged", doctor(lines, line, change)[:line])  # later lines may not replay
    report = verify_hunt(tmp_path / "forged", HUNT_ID)
    assert not report["ok"]
    assert report["problems"][0].startswith(f"seq {line}: "), report


async def test_verify_passes_the_honest_file(lines: list[bytes], tmp_path: Path) -> None:
    write_unchecked(tmp_path / "honest", lines)
    assert verify_hunt(tmp_path / "honest", HUNT_ID)["ok"]
