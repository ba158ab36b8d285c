"""The lab's fault wrapper (hunt_lab.faults.store) around both stores: what each fault does to the log."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from hunt.store import HuntExists, MemoryHuntStores, SqliteHuntStores, WriteFailed
from hunt_lab.faults.store import FaultPlan, FaultyStore, FaultyStores
from tests.support.hunts import HUNT_ID
from tests.support.store import build_log


def test_a_failed_commit_writes_nothing(store: Any, hunt_document: dict[str, Any]) -> None:
    log = build_log(hunt_document, 10)
    plan = FaultPlan()
    faulty = FaultyStore(store, HUNT_ID, plan)
    plan.fail(HUNT_ID, times=2)
    for _ in range(2):
        with pytest.raises(WriteFailed, match="injected commit failure"):
            faulty.append(log[:5])
    assert faulty.last_seq() == 0
    faulty.append(log[:5])
    assert list(faulty.read()) == log[:5]


def test_a_lost_ack_is_written_but_reported_as_failed(store: Any, hunt_document: dict[str, Any]) -> None:
    log = build_log(hunt_document, 10)
    plan = FaultPlan()
    faulty = FaultyStore(store, HUNT_ID, plan)
    plan.fail_after_commit(HUNT_ID)
    with pytest.raises(WriteFailed, match="after the commit"):
        faulty.append(log[:5])
    assert list(store.read()) == log[:5]  # durable, although the caller was told it failed
    faulty.append(log[5:])
    assert faulty.last_seq() == 10


def test_faults_are_per_hunt(store: Any, hunt_document: dict[str, Any]) -> None:
    plan = FaultPlan()
    plan.fail("another-hunt")
    FaultyStore(store, HUNT_ID, plan).append(build_log(hunt_document, 3))
    assert store.last_seq() == 3


def test_a_stall_holds_the_commit_until_released(store: Any, hunt_document: dict[str, Any]) -> None:
    log = build_log(hunt_document, 3)
    plan = FaultPlan()
    faulty = FaultyStore(store, HUNT_ID, plan)
    stall = plan.stall(HUNT_ID)
    writer = threading.Thread(target=faulty.append, args=(log,))
    writer.start()
    assert stall.entered.wait(5)
    time.sleep(0.05)
    assert store.last_seq() == 0  # still waiting at the gate
    stall.release()
    writer.join(5)
    assert store.last_seq() == 3


def test_a_stall_opens_by_itself_after_its_limit(store: Any, hunt_document: dict[str, Any]) -> None:
    plan = FaultPlan()
    plan.stall(HUNT_ID, limit_s=0.05)
    FaultyStore(store, HUNT_ID, plan).append(build_log(hunt_document, 2))
    assert store.last_seq() == 2


def test_a_slow_disk_delays_every_commit(store: Any, hunt_document: dict[str, Any]) -> None:
    plan = FaultPlan()
    plan.slow(0.05)
    started = time.monotonic()
    FaultyStore(store, HUNT_ID, plan).append(build_log(hunt_document, 2))
    assert time.monotonic() - started >= 0.05


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_the_stores_wrapper_wraps_writers_only(kind: str, tmp_path: Any, hunt_document: dict[str, Any]) -> None:
    inner = MemoryHuntStores() if kind == "memory" else SqliteHuntStores(tmp_path, synchronous="NORMAL")
    plan = FaultPlan()
    stores = FaultyStores(inner, plan)
    log = build_log(hunt_document, 4)
    stores.create(HUNT_ID, log[:1])
    with pytest.raises(HuntExists):
        stores.create(HUNT_ID, log[:1])
    assert stores.ids() == [HUNT_ID]
    writer = stores.open(HUNT_ID)
    assert isinstance(writer, FaultyStore)
    plan.fail(HUNT_ID)
    with pytest.raises(WriteFailed):
        writer.append(log[1:])
    writer.append(log[1:])
    reader = stores.open_reader(HUNT_ID)
    assert not isinstance(reader, FaultyStore) and list(reader.read()) == log
    reader.close()
    writer.close()
