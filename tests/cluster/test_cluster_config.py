"""The [workers] settings: checked when loaded, and `hunt serve --workers N` refuses nonsense."""

from __future__ import annotations

import pytest

from hunt.cli import main
from hunt.config import ConfigError, load_config


@pytest.mark.parametrize(("values", "key"), [({"count": 0}, "workers.count"),
                                             ({"forward_queue": 0}, "workers.forward_queue"),
                                             ({"subject_prefix": "a.b"}, "workers.subject_prefix"),
                                             ({"subject_prefix": "a>"}, "workers.subject_prefix")])
def test_bad_workers_settings_are_refused_by_name(values: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load_config(None, env={}, overrides={"workers": values})


def test_the_environment_sets_the_worker_count() -> None:
    assert load_config(None, env={"HUNT_WORKERS_COUNT": "4"}).workers.count == 4


def test_serve_refuses_fewer_than_one_worker(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err
