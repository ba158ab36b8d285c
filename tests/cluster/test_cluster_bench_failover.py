"""`hunt bench failover` end to end at a tiny scale: one node's capacity and half-load latency,
the same on a 3-node cluster, a SIGKILL timed to the first ack on the new owner, the audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hunt.cli import main

pytestmark = [pytest.mark.cluster, pytest.mark.slow]


def test_the_failover_benchmark_reports_every_figure(tmp_path: Path, nats_binary: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bench", "failover", "--kills", "1", "--lease", "1.5", "--rates", "20,40", "--seconds", "1",
                 "--players", "6", "--failover-players", "2", "--json", "--keep", str(tmp_path / "kept")])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["problems"] == {}
    assert result["capacity_per_s"] in (20, 40) and result["half_load_per_s"] == result["capacity_per_s"] / 2
    assert result["single"]["lost"] == 0 and result["cluster"]["lost"] == 0
    assert set(result["cluster"]["events_per_s_by_node"]) == {"a", "b", "c"}
    assert [row["offered_per_s"] for row in result["cluster_sweep"]] == [20, 40]
    [took] = result["failover_s"]
    assert 0 < took <= 1.5 + 2 and result["failover_p99_s"] == took
    assert result["acked"] > 0
