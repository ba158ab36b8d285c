"""`hunt export --media` and `hunt import --media`: mission photos and videos, and the organiser's clue
media, travel beside the NDJSON."""

from __future__ import annotations

import copy
import hashlib
import json
import os
from pathlib import Path

import pytest

from hunt.cli import main
from hunt.config import load_config
from hunt.domain import AddMedia, JoinHunt, SetMedia, StartHunt, SubmitEntry
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


async def test_clue_media_an_organiser_uploaded_travel_too(tmp_path: Path) -> None:
    data = tmp_path / "data"
    await make_hunt_with_a_photo(data)
    sound = b"ID3\x04" + b"foghorn" * 40
    digest = hashlib.sha256(sound).hexdigest()
    (data / "media" / "harbor-2026" / digest).write_bytes(sound)
    config = load_config(None, env={}, overrides={"server": {"data_dir": str(data)}})
    async with open_engine(config) as engine:
        results = await engine.submit("harbor-2026", [
            AddMedia("up", digest, len(sound), "audio/mpeg"),
            SetMedia("at", "clue", [{"hash": digest, "alt": "Foghorn"}], "c1")])
        assert [r.fields["result"] for r in results] == ["ok", "ok"]
    out = tmp_path / "harbor.ndjson"
    assert main(["export", "harbor-2026", "-o", str(out), "--data-dir", str(data), "--media", str(tmp_path / "m")]) == 0
    assert (tmp_path / "m" / digest).read_bytes() == sound
    assert main(["import", str(out), "--data-dir", str(tmp_path / "copy"), "--media", str(tmp_path / "m")]) == 0
    assert (tmp_path / "copy" / "media" / "harbor-2026" / digest).read_bytes() == sound
    assert main(["verify", "harbor-2026", "--data-dir", str(tmp_path / "copy")]) == 0
