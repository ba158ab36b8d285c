"""The configuration: config.toml is the defaults written out, and every bound is checked."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from hunt.config import Config, ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


def test_config_toml_lists_every_setting_with_its_default() -> None:
    written = tomllib.loads((ROOT / "config.toml").read_text())
    defaults = Config()
    for section in dataclasses.fields(defaults):
        values = getattr(defaults, section.name)
        expected = {field.name: getattr(values, field.name) for field in dataclasses.fields(values)}
        expected = {key: list(value) if isinstance(value, tuple) else value for key, value in expected.items()}
        assert written[section.name] == expected, section.name


@pytest.mark.parametrize(("section", "key", "value"), [
    ("engine", "mailbox_capacity", 0),
    ("engine", "admission_timeout_ms", -1),
    ("engine", "admission_queue", -1),
    ("limits", "outbox_capacity", 0),
    ("limits", "overload_strikes", 0),
    ("limits", "window", 0),
    ("limits", "address_window", 99),  # below the window (100): a connection could wait forever
    ("limits", "hunt_window", 99),
])
def test_a_bound_out_of_range_is_refused(section: str, key: str, value: int) -> None:
    with pytest.raises(ConfigError, match=f"{section}.{key}"):
        load_config(None, env={}, overrides={section: {key: value}})


def test_environment_variables_override_the_file() -> None:
    config = load_config(None, env={"HUNT_ENGINE_ADMISSION_QUEUE": "7", "HUNT_LIMITS_OVERLOAD_STRIKES": "3"})
    assert (config.engine.admission_queue, config.limits.overload_strikes) == (7, 3)
