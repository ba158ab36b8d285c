"""`hunt simulate` against a real server on loopback: open loop, resume, and the lost-event audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest

from hunt.cli import main
from hunt_lab.cli.simulate import parse_peak
from hunt_lab.servers.inprocess import open_local_server
from hunt_lab.sim import SimConfig, simulate, verify_acks
from hunt_lab.sim.run import _Acked

TOKEN = "sim-test-token"


@pytest.fixture
async def base_url(tmp_path: Path) -> AsyncIterator[str]:
    async with open_local_server(tmp_path / "data", server={"admin_token": TOKEN},
                                 store={"synchronous": "OFF"}) as server:
        yield server.url


async def test_simulate_acks_everything_and_loses_nothing_across_reconnects(base_url: str) -> None:
    lines: list[str] = []
    config = SimConfig(url=base_url, admin_token=TOKEN, players=8, rate=200, duration=1.5, drop_per_s=3,
                       connect_timeout_s=20)
    result = await simulate(config, lines.append)
    assert result["unanswered"] == 0
    assert result["errors"] == 0, result["codes"]
    assert result["acked"] > 0.8 * 200 * 1.5 - result["rejected"]
    assert result["reconnects"] >= 3  # connections really dropped and resumed
    assert result["verified"] and result["lost"] == 0
    assert any(line.startswith("created and started hunt sim-") for line in lines)


async def test_simulate_with_batch_frames(base_url: str) -> None:
    config = SimConfig(url=base_url, admin_token=TOKEN, players=4, rate=1000, duration=1.0, batch=25)
    result = await simulate(config, lambda _: None)
    assert result["unanswered"] == 0 and result["errors"] == 0 and result["lost"] == 0
    assert result["acked"] >= 500


async def test_the_audit_reports_an_ack_that_is_not_in_the_log(base_url: str) -> None:
    result = await simulate(SimConfig(url=base_url, admin_token=TOKEN, players=2, rate=50, duration=0.5),
                            lambda _: None)
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        page = (await client.get(f"/admin/hunts/{result['hunt']}/events", params={"limit": 100})).json()
        real = next(e for e in page["events"] if e["type"] == "pinged")
        honest = _Acked(real["player"], real["cmd"], real["seq"])
        invented = _Acked(real["player"], "never-sent", real["seq"])
        moved = _Acked(real["player"], real["cmd"], real["seq"] + 1)
        assert await verify_acks(client, result["hunt"], [honest, invented, moved]) == [invented, moved]


def test_peak_option_parses_and_refuses_nonsense() -> None:
    assert parse_peak("3x2/10") == (3.0, 2.0, 10.0)
    assert parse_peak(None) == (1.0, 0.0, 10.0)
    for bad in ("0x2/10", "3x20/10", "axb"):
        with pytest.raises(ValueError):
            parse_peak(bad)


async def test_simulate_against_a_real_hunt_uses_its_own_clue_ids(base_url: str) -> None:
    sample = orjson.loads((Path(__file__).resolve().parents[2] / "hunt" / "sample_hunt.json").read_bytes())
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        assert (await client.post("/admin/hunts", json=sample)).status_code == 201
        assert (await client.post(f"/admin/hunts/{sample['id']}/start")).status_code == 200
        result = await simulate(SimConfig(url=base_url, admin_token=TOKEN, hunt=sample["id"], players=4, rate=300,
                                          duration=1.0), lambda _: None)
        page = (await client.get(f"/admin/hunts/{sample['id']}/events", params={"limit": 1000})).json()
    assert "unknown_clue" not in result["codes"] and result["unanswered"] == 0
    tried = {e["clue"] for e in page["events"] if e["type"] in ("attempt_failed", "hint_taken")}
    assert tried and tried <= {"c1", "c4", "c2", "c6"}  # answer clues, and clues with hints


def test_simulate_help_has_no_doubled_percent_signs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    out = capsys.readouterr().out
    assert "80% pings" in out and "%%" not in out
