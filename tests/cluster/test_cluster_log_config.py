"""The [cluster] settings of the log of record: checked when loaded, set by HUNT_CLUSTER_*."""

from __future__ import annotations

import pytest

from hunt.config import ConfigError, load_config


@pytest.mark.parametrize(("values", "key"), [({"replicas": 0}, "cluster.replicas"),
                                             ({"replicas": 6}, "cluster.replicas"),
                                             ({"log_stream": "a.b"}, "cluster.log_stream"),
                                             ({"log_subject_prefix": "log.>"}, "cluster.log_subject_prefix"),
                                             ({"log_publish_timeout_s": 0}, "cluster.log_publish_timeout_s"),
                                             ({"log_catch_up_batch": 0}, "cluster.log_catch_up_batch")])
def test_bad_log_settings_are_refused_by_name(values: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load_config(None, env={}, overrides={"cluster": values})


def test_a_misspelt_cluster_key_is_an_error() -> None:
    with pytest.raises(ConfigError, match="replica"):
        load_config(None, env={}, overrides={"cluster": {"replica": 3}})


def test_the_environment_sets_the_log_settings() -> None:
    config = load_config(None, env={"HUNT_CLUSTER_REPLICAS": "1", "HUNT_CLUSTER_LOG_STREAM": "LOG_B"})
    assert (config.cluster.replicas, config.cluster.log_stream) == (1, "LOG_B")
