"""The relay's pieces that need no broker: wire forms, the cursor through the actor, statistics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
import trio

from hunt.config import Config, ConfigError, load_config
from hunt.domain import AttemptFailed, ClueEdited, ClueFound, HuntCreated, Pinged, PlayerJoined, Recorded
from hunt.engine import open_engine
from hunt.relay import CURSOR_KEY, HuntLag, RelayStatistics, read_analytics, read_relay_status, run_relay
from hunt.relay._analytics import APPLIED, DUPLICATE, FOREIGN, GAP, Projection
from hunt.relay._outbox import HuntOutbox, save_cursor_if_unlocked
from hunt.relay._stats import write_relay_status
from hunt.relay._wire import hunt_of_subject, parse_msg_id
from hunt.store import InvalidHuntId, SqliteHuntStore, record_to_dict
from tests.support.hunts import sample_hunt

RECORDS = [
    Recorded(1, 1_000, HuntCreated(sample_hunt("alpha"))),
    Recorded(2, 2_000, PlayerJoined("p1", "Ann", None), "j1", "join"),
    Recorded(3, 3_000, Pinged("p1", 53.5, 9.9), "c1", "p1"),
    Recorded(4, 4_000, AttemptFailed("p1", "c1", "answer", "wrong"), "c2", "p1"),
    Recorded(5, 5_000, ClueFound("p1", "c1", "answer", 120, 20, 120), "c3", "p1"),
]


def test_a_message_body_is_the_public_event_form_plus_the_hunt(data_dir: Path) -> None:
    store = SqliteHuntStore.create(data_dir, "alpha")
    try:
        store.append(RECORDS)
    finally:
        store.close()
    outbox = HuntOutbox(data_dir, "alpha")
    try:
        rows = outbox.read(0, 100)
        assert [seq for seq, _, _ in rows] == [1, 2, 3, 4, 5]
        for (seq, ts, body), record in zip(rows, RECORDS, strict=True):
            assert (seq, ts) == (record.seq, record.ts)
            if record.event.TYPE != "hunt_created":  # its clues' secrets are left out: the test below
                assert body == orjson.dumps({**record_to_dict(record), "hunt": "alpha"})
        assert outbox.read(3, 1)[0][0] == 4
        assert outbox.committed() == 5 and outbox.cursor() == 0 and outbox.ts_of(4) == 4_000
    finally:
        outbox.close()


def test_a_message_body_carries_no_wrong_answer_text_and_no_edited_clue_secrets(data_dir: Path) -> None:
    edited = {"id": "c1", "title": "Old light", "kind": "answer", "answers": ["lighthouse"], "patterns": ["light.*"],
              "points": 150, "hints": [{"text": "It blinks.", "cost": 10}]}
    records = [*RECORDS[:3], Recorded(4, 4_000, AttemptFailed("p1", "c1", "answer", "wrong", text="lite house"),
                                      "c2", "p1"),
               Recorded(5, 5_000, ClueEdited("c1", edited), "e1", "admin")]
    store = SqliteHuntStore.create(data_dir, "alpha")
    try:
        store.append(records)
    finally:
        store.close()
    outbox = HuntOutbox(data_dir, "alpha")
    try:
        bodies = [orjson.loads(body) for _, _, body in outbox.read(0, 100)]
    finally:
        outbox.close()
    assert bodies[3]["data"]["text"] is None
    assert bodies[4]["data"]["document"] == {"id": "c1", "title": "Old light", "kind": "answer", "points": 150,
                                             "hints": [{"cost": 10}]}
    for secret in (b'"answers"', b'"codes"', b'"patterns"', b"It blinks", b"X7K2", b'"bronze"', b"53.5441"):
        assert secret not in orjson.dumps(bodies), secret
    # The analytics projection reads what it needs from the redacted definition all the same.
    projection = Projection(data_dir)
    try:
        assert projection.apply([("alpha", i + 1, orjson.dumps(body)) for i, body in enumerate(bodies)]) \
            == [APPLIED] * 5
    finally:
        projection.close()
    assert [c["clue"] for c in read_analytics(data_dir, "alpha")["clues"]] == [f"c{n}" for n in range(1, 8)]


def test_message_ids_and_subjects_parse_strictly() -> None:
    assert parse_msg_id("harbor-2026:12") == ("harbor-2026", 12)
    for bad in (None, "", "harbor", "harbor:", "harbor:x", "Harbor:1", "a.b:1", ":3"):
        assert parse_msg_id(bad) is None
    assert hunt_of_subject("hunt.harbor.events") == "harbor"
    for bad in ("hunt.harbor", "hunt.a.b.events", "hunt.*.events", "x.harbor.events"):
        assert hunt_of_subject(bad) is None


async def test_the_cursor_goes_through_the_hunt_actor(make_config: Callable[..., Config], data_dir: Path) -> None:
    async with open_engine(make_config()) as engine:
        await engine.create_hunt(sample_hunt("alpha"))
        assert await engine.save_relay_cursor("alpha", 1) is False  # not loaded: not woken for it
        assert not engine.is_active("alpha")
        await engine.state("alpha")
        assert await engine.save_relay_cursor("alpha", 1) is True
        reader = SqliteHuntStore.open_reader(data_dir, "alpha")
        try:
            assert reader.get_meta(CURSOR_KEY) == "1"
        finally:
            reader.close()
        # The actor holds the writer lock: a standalone relay keeps its cursor in memory.
        assert save_cursor_if_unlocked(data_dir, "alpha", 9, make_config().store) is False
    assert save_cursor_if_unlocked(data_dir, "alpha", 9, make_config().store) is True
    outbox = HuntOutbox(data_dir, "alpha")
    try:
        assert outbox.cursor() == 9
    finally:
        outbox.close()


def test_statistics_survive_the_status_file(data_dir: Path) -> None:
    assert read_relay_status(data_dir) is None
    stats = RelayStatistics("connected", "nats://x", "S", 2, 10, 1, 3, 1, "boom", 12.5,
                            (HuntLag("alpha", 12, 10, 8, 2, 0.25), HuntLag("bravo", 5, 5, 5, 0, 0.0)))
    write_relay_status(data_dir, stats)
    again = read_relay_status(data_dir)
    assert again == stats
    assert again.lag_events == 2 and again.lag_s == 0.25 and again.hunt("bravo") == stats.hunts[1]


def test_analytics_of_an_unknown_hunt_are_empty_and_bad_ids_refused(data_dir: Path) -> None:
    assert read_analytics(data_dir, "alpha") == {"hunt": "alpha", "last_seq": 0, "last_ts": None,
                                                 "activity": [], "clues": []}
    with pytest.raises(InvalidHuntId):
        read_analytics(data_dir, "../etc")


@pytest.mark.parametrize("key,value", [("stream", "a.b"), ("stream", ""), ("consumer_durable", "x y"),
                                       ("poll_interval_ms", 0), ("publish_timeout_s", 0.0)])
def test_broker_settings_are_checked(key: str, value: object) -> None:
    with pytest.raises(ConfigError, match=key):
        load_config(None, env={}, overrides={"broker": {key: value}})


async def test_without_a_broker_url_the_relay_is_disabled(make_config: Callable[..., Config]) -> None:
    config = make_config()
    async with open_engine(config) as engine:
        async with trio.open_nursery() as nursery:
            relay = await nursery.start(run_relay, config, engine)
        assert relay.statistics().state == "disabled"


def test_the_projection_applies_each_event_once_and_in_order(data_dir: Path) -> None:
    projection = Projection(data_dir)
    try:
        bodies = {r.seq: orjson.dumps({**record_to_dict(r), "hunt": "alpha"}) for r in RECORDS}
        assert projection.apply([("alpha", 1, bodies[1]), ("alpha", 3, bodies[3]), ("alpha", 2, bodies[2]),
                                 (None, 0, b"{}")]) == [APPLIED, GAP, APPLIED, FOREIGN]
        assert projection.apply([("alpha", 2, bodies[2]), ("alpha", 3, bodies[3]), ("alpha", 4, bodies[4]),
                                 ("alpha", 5, bodies[5])]) == [DUPLICATE, APPLIED, APPLIED, APPLIED]
    finally:
        projection.close()
    analytics = read_analytics(data_dir, "alpha")
    assert analytics["last_seq"] == 5
    assert [(m["minute_ts"], m["events"]) for m in analytics["activity"]] == [(0, 5)]
    c1 = analytics["clues"][0]
    # joined at 2 s, found at 5 s (the hunt has no start time and was never started)
    assert c1 == {"clue": "c1", "attempts": 2, "solves": 1, "wrong": 1, "hints": 0, "median_solve_s": 3.0}
