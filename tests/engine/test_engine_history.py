"""Resume with nothing missed (feed_since), and export/import of a hunt's whole history."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from hunt.config import Config
from hunt.domain import AdjustScore, AnswerClue, BanPlayer, CheckIn, PauseHunt, PingLocation, StartHunt
from hunt.engine import Engine, FeedItem, feed_item, open_engine
from hunt.store import HuntExists, InvalidImport, SqliteHuntStore, hunt_path, record_to_dict
from tests.support.engine import OpenHunt, disk_replay
from tests.support.hunts import CRANE, HUNT_ID

# -- feed --------------------------------------------------------------------------------------


async def play(engine: Engine) -> None:
    """Feed items for everybody (finds, pause, start) and for one player (adjustments, a ban)."""
    for commands in (
        [AnswerClue("p1", "a1", "c1", "lighthouse"), PingLocation("p2", "g1", 1.0, 1.0)],
        [AdjustScore("adj1", "p1", 5, "bonus round")],
        [CheckIn("p2", "k1", "c2", *CRANE), PingLocation("p3", "g1", 1.0, 1.0)],
        [BanPlayer("ban1", "p3", "cheating"), PauseHunt("pause1")],
        [StartHunt("resume1"), AdjustScore("adj2", "p2", -3, "")],
        [AnswerClue("p2", "a1", "c1", "Lighthouse"), PingLocation("p1", "g2", 1.0, 1.0)],
    ):
        await engine.submit(HUNT_ID, commands)


def expected_feed(engine: Engine, since: int, player: str | None) -> list[FeedItem]:
    """What a player resuming after ``since`` must get, derived from the log on disk."""
    state = disk_replay(engine)
    reader = SqliteHuntStore.open_reader(engine.data_dir, HUNT_ID)
    try:
        items = [item for record in reader.read(after=since) if (item := feed_item(record, state)) is not None]
    finally:
        reader.close()
    return [item for item in items if item[1] is None or player in item[1]]


SINCE = [0, 4, 5, 6, 9, 12, 100]
WHO = ["p1", "p2", "p3", None]


async def feed_pages(engine: Engine, since: int, player: str | None) -> list[list[FeedItem]]:
    """Every page of ``feed_since`` from ``since`` until it reaches the committed seq."""
    pages = []
    while True:
        items, upto = await engine.feed_since(HUNT_ID, since, player)
        assert upto >= since
        pages.append(items)
        if upto >= (await engine.state(HUNT_ID)).seq:
            return pages
        assert upto > since, "a page must make progress"
        since = upto


async def all_feed(engine: Engine, since: int, player: str | None) -> list[FeedItem]:
    return [item for page in await feed_pages(engine, since, player) for item in page]


@pytest.mark.parametrize("feed_buffer", [1024, 2])
@pytest.mark.parametrize("history_page", [500, 1, 2])
async def test_feed_since_returns_every_missed_item_for_the_player(open_hunt: OpenHunt, feed_buffer: int,
                                                                   history_page: int) -> None:
    async with open_hunt(engine={"feed_buffer": feed_buffer, "history_page": history_page}) as engine:
        await play(engine)
        assert len(expected_feed(engine, 0, None)) > feed_buffer or feed_buffer > 100
        for since in SINCE:
            for player in WHO:
                assert await all_feed(engine, since, player) == expected_feed(engine, since, player), (
                    since, player)


async def test_a_history_replay_is_read_a_bounded_page_at_a_time(open_hunt: OpenHunt) -> None:
    async with open_hunt(engine={"feed_buffer": 2, "history_page": 3}) as engine:
        await play(engine)
        pages = await feed_pages(engine, 0, None)
        assert len(pages) >= 3 and all(len(page) <= 3 for page in pages)
        assert [item for page in pages for item in page] == expected_feed(engine, 0, None)


async def test_feed_since_after_a_restart_comes_from_disk(open_hunt: OpenHunt) -> None:
    async with open_hunt() as engine:
        await play(engine)
    async with open_hunt() as engine:
        for since in SINCE:
            for player in WHO:
                assert await all_feed(engine, since, player) == expected_feed(engine, since, player)


async def test_feed_since_misses_nothing_committed_while_it_reads_the_disk(
        open_hunt: OpenHunt, monkeypatch: pytest.MonkeyPatch) -> None:
    """While older items are read from disk, new commits push the memory buffer's floor up."""
    async with open_hunt(engine={"feed_buffer": 2}) as engine:
        await play(engine)
        read_events = engine.read_events
        commits = iter(range(2))

        async def read_events_while_the_hunt_moves_on(*args: Any, **kwargs: Any) -> Any:
            for n in commits:  # the first two reads are each overtaken by three new feed items
                await engine.submit(HUNT_ID, [AdjustScore(f"race{n}-{k}", "p2", 1, "race") for k in range(3)])
                break
            return await read_events(*args, **kwargs)

        monkeypatch.setattr(engine, "read_events", read_events_while_the_hunt_moves_on)
        items = await all_feed(engine, 0, "p2")
        assert [seq for seq, _, _ in items] == [seq for seq, _, _ in expected_feed(engine, 0, "p2")]


# -- export and import -------------------------------------------------------------------------


def export(engine: Engine) -> list[bytes]:
    reader = SqliteHuntStore.open_reader(engine.data_dir, HUNT_ID)
    try:
        return [orjson.dumps(record_to_dict(record)) + b"\n" for record in reader.read()]
    finally:
        reader.close()


@pytest.fixture
async def exported(open_hunt: OpenHunt) -> tuple[list[bytes], dict[str, Any]]:
    """An export of a played hunt (NDJSON lines) and the state it must import to."""
    async with open_hunt() as engine:
        await play(engine)
        return export(engine), (await engine.state(HUNT_ID)).to_dict()


@pytest.fixture
def elsewhere(make_config: Callable[..., Config], tmp_path: Path) -> Config:
    return make_config(server={"data_dir": str(tmp_path / "elsewhere")})


async def test_an_import_of_an_export_round_trips(exported: tuple[list[bytes], dict[str, Any]],
                                                  elsewhere: Config) -> None:
    lines, state = exported
    async with open_engine(elsewhere) as engine:
        assert await engine.import_hunt(iter(lines)) == HUNT_ID
        assert (await engine.state(HUNT_ID)).to_dict() == state
        assert export(engine) == lines
        report = await engine.verify(HUNT_ID)
        assert report["ok"] and report["snapshots_checked"] >= 1, report
        # The imported hunt carries on where the original stopped, its dedup keys included.
        [again] = await engine.submit(HUNT_ID, [AnswerClue("p1", "a1", "c1", "lighthouse")])
        assert again.duplicate


async def test_an_import_never_replaces_a_hunt(exported: tuple[list[bytes], dict[str, Any]],
                                               open_hunt: OpenHunt) -> None:
    lines, state = exported
    async with open_hunt() as engine:
        with pytest.raises(HuntExists):
            await engine.import_hunt(iter(lines))
        assert (await engine.state(HUNT_ID)).to_dict() == state
        assert export(engine) == lines


def replace_line(lines: list[bytes], number: int, change: Callable[[dict[str, Any]], Any]) -> list[bytes]:
    """``lines`` with line ``number`` (1-based) replaced by ``change(its object)``."""
    item = change(orjson.loads(lines[number - 1]))
    return [*lines[:number - 1], orjson.dumps(item) + b"\n", *lines[number:]]


def mangle(how: str, lines: list[bytes]) -> list[bytes]:
    match how:
        case "bad json":
            return [*lines[:2], b'{"seq": 3, "ts": \n', *lines[3:]]
        case "not an object":
            return [*lines[:2], b"[3]\n", *lines[3:]]
        case "a gap in seq":
            return [*lines[:3], *lines[4:]]
        case "a repeated seq":
            return [*lines[:4], lines[3], *lines[4:]]
        case "an unknown type":
            return replace_line(lines, 4, lambda item: {**item, "type": "teleported"})
        case "an unknown player":
            return replace_line(lines, 7, lambda item: {**item, "player": "p99"})
        case "an unknown clue":
            return replace_line(lines, 6, lambda item: {**item, "type": "clue_found", "clue": "c9", "data": {
                "method": "answer", "points": 1, "bonus": 0, "score": 1}})
        case "a missing seq":
            return replace_line(lines, 5, lambda item: {k: v for k, v in item.items() if k != "seq"})
        case "no hunt_created first":
            return lines[1:]
        case "blank lines, then not hunt_created":
            return [b"\n", b"  \n", *lines[1:]]
        case "an invalid definition":
            return replace_line(lines, 1, lambda item: {**item, "data": {"definition": {"id": HUNT_ID}}})
        case "a second hunt_created":
            return [*lines[:5], *replace_line(lines, 1, lambda item: {**item, "seq": 6})[:1], *lines[6:]]
    raise AssertionError(how)


@pytest.mark.parametrize(("how", "line"), [
    ("bad json", 3), ("not an object", 3), ("a gap in seq", 4), ("a repeated seq", 5), ("an unknown type", 4),
    ("an unknown player", 7), ("an unknown clue", 6), ("a missing seq", 5), ("no hunt_created first", 1),
    ("a second hunt_created", 6), ("blank lines, then not hunt_created", 3), ("an invalid definition", 1),
])
async def test_a_malformed_import_names_the_line_and_leaves_no_file(
        exported: tuple[list[bytes], dict[str, Any]], elsewhere: Config, how: str, line: int) -> None:
    lines, _ = exported
    async with open_engine(elsewhere) as engine:
        with pytest.raises(InvalidImport, match=rf"\bline {line}\b"):
            await engine.import_hunt(iter(mangle(how, lines)))
        assert_no_trace(engine)


@pytest.mark.parametrize("how", ["a reused command id", "empty"])
async def test_other_bad_imports_leave_no_file(exported: tuple[list[bytes], dict[str, Any]], elsewhere: Config,
                                               how: str) -> None:
    lines, _ = exported
    if how == "a reused command id":  # line 7 takes the (principal, cmd) of line 2, a join
        first = orjson.loads(lines[1])
        bad = replace_line(lines, 7, lambda item: {**item, "principal": first["principal"], "cmd": first["cmd"]})
    else:
        bad = [] if how == "empty" else mangle(how, lines)
    async with open_engine(elsewhere) as engine:
        with pytest.raises(InvalidImport):
            await engine.import_hunt(iter(bad))
        assert_no_trace(engine)


def assert_no_trace(engine: Engine) -> None:
    path = hunt_path(engine.data_dir, HUNT_ID)
    leftovers = [p.name for p in path.parent.glob("*")] if path.parent.exists() else []
    assert leftovers == []
    assert not engine.exists(HUNT_ID)
