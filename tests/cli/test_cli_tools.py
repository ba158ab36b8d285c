"""The `hunt` command as a developer uses it: run, verify, export, import, inspect, bench, help."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hunt.cli import build_parser, main
from hunt.store import SqliteHuntStore

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "scripts" / "examples"
SAMPLE = ROOT / "hunt" / "sample_hunt.json"



def hunt(*args: str) -> int:
    return main(list(args))


def make_hunt(data: Path) -> None:
    assert hunt("run", "--data-dir", str(data), str(EXAMPLES / "create_hunt.py"), str(SAMPLE), "--start") == 0
    assert hunt("run", "--data-dir", str(data), str(EXAMPLES / "play_session.py"), "harbor-2026") == 0


def test_every_command_has_help() -> None:
    parser = build_parser()
    names = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert {"run", "verify", "export", "import", "inspect", "bench", "simulate", "demo", "serve"} <= names
    for name in names:
        with pytest.raises(SystemExit) as exit_:
            main([name, "--help"])
        assert exit_.value.code == 0


def test_run_plays_a_session_in_a_throwaway_data_dir(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert hunt("run", "--temp", str(EXAMPLES / "play_session.py")) == 0
    out = capsys.readouterr().out
    assert "Ada resends it (lost ack): seq 12" in out  # the duplicate got the original seq
    assert "1. Ada" in out
    assert not (tmp_path / "data").exists()


def test_run_reports_a_failing_script_with_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "broken.py"
    script.write_text("async def main(engine, args):\n    raise RuntimeError('boom in script')\n")
    assert hunt("run", "--temp", str(script)) == 1
    assert "boom in script" in capsys.readouterr().err


def test_run_refuses_a_script_without_async_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "plain.py"
    script.write_text("def main(engine, args):\n    return 0\n")
    assert hunt("run", "--temp", str(script)) == 2
    assert "async def main(engine, args)" in capsys.readouterr().err
    assert hunt("run", "--temp", str(tmp_path / "missing.py")) == 2


def test_run_passes_arguments_and_exit_code(tmp_path: Path) -> None:
    script = tmp_path / "args.py"
    script.write_text("async def main(engine, args):\n    return int(args[0])\n")
    assert hunt("run", "--temp", str(script), "7") == 7


def test_verify_export_import_inspect_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, copy = tmp_path / "data", tmp_path / "copy"
    make_hunt(data)
    capsys.readouterr()
    assert hunt("verify", "--data-dir", str(data), "--json") == 0
    [report] = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["events"] >= 12

    export = tmp_path / "harbor.ndjson"
    assert hunt("export", "harbor-2026", "--data-dir", str(data), "-o", str(export)) == 0
    lines = export.read_bytes().splitlines()
    assert len(lines) == report["events"]
    assert [json.loads(line)["seq"] for line in lines] == list(range(1, len(lines) + 1))

    assert hunt("import", str(export), "--data-dir", str(copy)) == 0
    assert hunt("import", str(export), "--data-dir", str(copy)) == 1  # already there
    capsys.readouterr()
    assert hunt("inspect", "harbor-2026", "--data-dir", str(copy), "--json") == 0
    imported = json.loads(capsys.readouterr().out)
    assert hunt("inspect", "harbor-2026", "--data-dir", str(data), "--json") == 0
    original = json.loads(capsys.readouterr().out)
    assert imported["leaderboard"] == original["leaderboard"]
    assert imported["counts"] == original["counts"]


def test_verify_fails_on_a_tampered_snapshot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    make_hunt(data)
    with sqlite3.connect(data / "hunts" / "harbor-2026.sqlite3") as conn:
        seq, blob = conn.execute("SELECT seq, state FROM snapshots ORDER BY seq DESC LIMIT 1").fetchone()
        state = json.loads(blob)
        state["sides"][0][3] += 1000  # a score nobody earned
        conn.execute("UPDATE snapshots SET state = ? WHERE seq = ?", (json.dumps(state).encode(), seq))
    assert hunt("verify", "--data-dir", str(data)) == 1
    assert "differs from the replay" in capsys.readouterr().out


def test_import_rejects_a_malformed_file_and_leaves_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    make_hunt(data)
    export = tmp_path / "harbor.ndjson"
    assert hunt("export", "harbor-2026", "--data-dir", str(data), "-o", str(export)) == 0
    lines = export.read_bytes().splitlines()
    del lines[5]  # a gap in the sequence
    broken = tmp_path / "broken.ndjson"
    broken.write_bytes(b"\n".join(lines) + b"\n")
    target = tmp_path / "target"
    assert hunt("import", str(broken), "--data-dir", str(target)) == 1
    assert "line 6" in capsys.readouterr().err
    assert list((target / "hunts").glob("*.sqlite3")) == []


def test_tools_explain_unknown_hunts_and_bad_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    assert hunt("inspect", "nope", "--data-dir", str(data)) == 2
    assert hunt("export", "../escape", "--data-dir", str(data)) == 2
    err = capsys.readouterr().err
    assert "no hunt 'nope'" in err and "invalid hunt id" in err


def test_a_config_typo_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[engine]\nmailbox_capacty = 10\n")
    assert hunt("inspect", "--config", str(config)) == 2
    assert "engine.mailbox_capacty" in capsys.readouterr().err


def test_bench_engine_prints_the_promised_json_fields(tmp_path: Path) -> None:
    # A smoke run of the benchmark command (tiny and short): not a timing test.
    result = subprocess.run(
        [sys.executable, "-m", "hunt", "bench", "engine", "--seconds", "0.3", "--repeat", "1", "--players", "20",
         "--data-dir", str(tmp_path / "unused"), "--json"],
        capture_output=True, text=True, timeout=240, cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout)
    for key in ("events_per_s", "p50_ms", "p99_ms", "peak_rss_mb", "baseline_events_per_s", "baseline_p99_ms",
                "throughput_ratio", "p99_reduction"):
        assert key in figures
    assert figures["events_per_s"] > 0 and figures["baseline_events_per_s"] > 0
    assert figures["runs"]["engine_max"][0]["errors"] == 0


def test_create_hunt_example_fails_in_one_line_beside_a_running_server(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    make_hunt(data)
    capsys.readouterr()
    # A running server holds the write lock of a hunt it has loaded.
    server_side = SqliteHuntStore.open(data, "harbor-2026")
    try:
        assert hunt("run", "--data-dir", str(data), str(EXAMPLES / "create_hunt.py"), str(SAMPLE)) == 1
    finally:
        server_side.close()
    err = capsys.readouterr().err
    assert err.strip() == "create_hunt.py: hunt 'harbor-2026' already exists"
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert hunt("run", "--data-dir", str(data), str(EXAMPLES / "create_hunt.py"), str(broken)) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
