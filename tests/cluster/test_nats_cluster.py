"""The lab's 3-node NATS cluster: an R3 stream is writable once it is up, stays writable with
one node killed or paused, and a restarted node rejoins on its ports with its data."""

from __future__ import annotations

import asyncio
from typing import Any

import nats
import nats.errors
import pytest

from hunt_lab.servers.nats_cluster import LocalNatsCluster
from tests.support.relay import wait_for

STREAM = "LAB_R3"


async def _publish(urls: list[str], count: int, start: int, create: bool = False) -> list[int]:
    nc = await nats.connect(servers=urls, connect_timeout=2, max_reconnect_attempts=5)
    try:
        js = nc.jetstream(timeout=2)
        if create:
            await js.add_stream(name=STREAM, subjects=["lab.>"], num_replicas=3)
        return [await _publish_retrying(js, start + i) for i in range(count)]
    finally:
        await nc.close()


async def _publish_retrying(js: Any, n: int) -> int:
    """Publish message ``n`` (deduplicated by its id), retrying while the stream elects a new
    leader after a node went away (a few seconds), at most 20 s."""
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        try:
            return int((await js.publish("lab.x", str(n).encode(), headers={"Nats-Msg-Id": str(n)})).seq)
        except nats.errors.Error:  # a timeout, no responders, or the API saying "no leader"
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.1)


async def _stream_info(urls: list[str]) -> Any:
    nc = await nats.connect(servers=urls, connect_timeout=2)
    try:
        return await nc.jetstream(timeout=5).stream_info(STREAM)
    finally:
        await nc.close()


def test_a_replicated_stream_survives_one_node_killed_then_restarted(nats_cluster: LocalNatsCluster) -> None:
    assert len(nats_cluster.urls) == 3
    assert asyncio.run(_publish(nats_cluster.urls, 5, 0, create=True)) == [1, 2, 3, 4, 5]
    info = asyncio.run(_stream_info(nats_cluster.urls))
    assert info.config.num_replicas == 3 and info.cluster.leader is not None

    nats_cluster.kill(0)
    assert nats_cluster.running() == [1, 2]
    survivors = nats_cluster.urls[1:]
    assert asyncio.run(_publish(survivors, 5, 5)) == [6, 7, 8, 9, 10]

    nats_cluster.restart(0)
    assert nats_cluster.running() == [0, 1, 2]
    # the restarted replica catches up from the others (until then it may answer with what it had)
    wait_for(lambda: asyncio.run(_stream_info(nats_cluster.urls)).state.messages == 10, 15,
             "the stream to show all 10 messages after the restart", interval=0.2)


def test_a_paused_node_does_not_stop_the_others_and_resumes(nats_cluster: LocalNatsCluster) -> None:
    asyncio.run(_publish(nats_cluster.urls, 1, 0, create=True))
    nats_cluster.pause(2)
    assert nats_cluster.running() == [0, 1]
    assert asyncio.run(_publish(nats_cluster.urls[:2], 3, 1)) == [2, 3, 4]
    nats_cluster.resume(2)
    nats_cluster.wait_ready()
    assert nats_cluster.running() == [0, 1, 2]


def test_signals_to_a_node_that_is_not_running_are_refused(nats_cluster: LocalNatsCluster) -> None:
    nats_cluster.kill(1)
    with pytest.raises(RuntimeError, match="not running"):
        nats_cluster.pause(1)
