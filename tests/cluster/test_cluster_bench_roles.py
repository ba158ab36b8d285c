"""The arithmetic of `hunt bench e2e --workers 1,2`: CPU per 1,000 acks by role, and the
projection built from it (labelled as one, bounded by the owner's single core)."""

from __future__ import annotations

import os

from hunt_lab.bench.roles import per_thousand, projection, server_roles


def test_cpu_per_thousand_acks_by_role_and_in_total() -> None:
    rows = per_thousand({"owner": 0.5, "gateway-0": 1.0, "gateway-1": 1.5}, acked=5000)
    assert rows == {"owner": 0.1, "gateway-0": 0.2, "gateway-1": 0.3, "total": 0.6}
    assert per_thousand({"server": 1.0}, acked=0) == {}


def test_one_hot_hunt_is_bound_by_the_owner_core_and_the_rest_by_the_other_cores() -> None:
    # 0.1 ms of owner CPU per command: at most 10,000/s; gateways + NATS 0.5 ms spread over n - 1 cores.
    single = {"server": 0.6}
    workers = {"owner": 0.1, "gateway-0": 0.25, "gateway-1": 0.23, "nats-server": 0.02}
    result = projection(single, workers, cores=(4, 16))
    assert "projection" in result["label"] and "not measured" in result["label"]
    four, sixteen = result["rows"]
    assert four["one_process_per_s"] == sixteen["one_process_per_s"] == 1667
    assert four["hot_hunt_per_s"] == 6000  # (4 - 1) / 0.0005
    assert sixteen["hot_hunt_per_s"] == 10000  # the owner's core
    assert sixteen["owner_per_core_all_hunts_per_s"] == 26667  # 16 / 0.0006


def test_a_single_process_is_one_role() -> None:
    assert list(server_roles(os.getpid())) == ["server"]
