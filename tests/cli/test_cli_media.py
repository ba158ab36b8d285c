"""`hunt export --media` and `hunt import --media`: mission photos and videos travel beside the NDJSON."""

from __future__ import annotations

import copy
import hashlib
import json
import os
from pathlib import Path

import pytest

from hunt.cli import main
from hunt.config import load_config
from hunt.domain import JoinHunt, StartHunt, SubmitEntry
from hunt.engine import open_engine

PNG = b"\x89PNG\r\n\x1a\n" + b"crew photo" * 50
SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "hunt" / "sample_hunt.json").read_text())


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("HUNT_")]:
        monkeypatch.delenv(name)


async def make_hunt_with_a_photo(data: Path) -> str:
    digest = hashlib.sha256(PNG).hexdigest()
    config = load_config(None, env={}, overrides={"server": {"data_dir": str(data)}})
    async with open_engine(config) as engine:
        await engine.create_hunt(copy.deepcopy(SAMPLE))
        [_, joined] = await engine.submit("harbor-2026", [StartHunt("s"), JoinHunt("j" * 32, "Ann")])
        folder = data / "media" / "harbor-2026"
        folder.mkdir(parents=True)
        (folder / digest).write_bytes(PNG)
        [entry] = await engine.submit("harbor-2026", [SubmitEntry(joined.fields["player"], "e1", "c7", "photo", "",
                                                                  digest, len(PNG), "image/png")])
        assert entry.fields["result"] == "submitted"
    return digest


async def test_media_go_out_beside_the_export_and_come_back_with_the_import(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digest = await make_hunt_with_a_photo(tmp_path / "data")
    out = tmp_path / "harbor.ndjson"
    assert main(["export", "harbor-2026", "-o", str(out), "--data-dir", str(tmp_path / "data"),
                 "--media", str(tmp_path / "media-out")]) == 0
    assert (tmp_path / "media-out" / digest).read_bytes() == PNG
    assert "1 copied" in capsys.readouterr().err
    assert main(["import", str(out), "--data-dir", str(tmp_path / "copy"), "--media", str(tmp_path / "media-out")]) == 0
    assert (tmp_path / "copy" / "media" / "harbor-2026" / digest).read_bytes() == PNG


async def test_a_missing_or_altered_file_is_reported_and_is_an_exit_code(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digest = await make_hunt_with_a_photo(tmp_path / "data")
    out = tmp_path / "harbor.ndjson"
    assert main(["export", "harbor-2026", "-o", str(out), "--data-dir", str(tmp_path / "data"),
                 "--media", str(tmp_path / "media-out")]) == 0
    (tmp_path / "media-out" / digest).write_bytes(b"not the photo")
    assert main(["import", str(out), "--data-dir", str(tmp_path / "copy"), "--media", str(tmp_path / "media-out")]) == 1
    err = " ".join(capsys.readouterr().err.split())  # the console wraps long lines
    assert "1 not matching their hash" in err and digest in err
    assert not (tmp_path / "copy" / "media" / "harbor-2026" / digest).exists()
    (tmp_path / "data" / "media" / "harbor-2026" / digest).unlink()
    assert main(["export", "harbor-2026", "-o", str(out), "--data-dir", str(tmp_path / "data"),
                 "--media", str(tmp_path / "again")]) == 1
    assert "1 missing" in " ".join(capsys.readouterr().err.split())
