"""One typed, frozen configuration, loaded once and passed down explicitly.

Sources, later ones winning: built-in defaults, a TOML file, ``HUNT_<SECTION>_<KEY>``
environment variables (plus the short forms ``HUNT_HOST``, ``HUNT_PORT``, ``HUNT_DATA_DIR``
and ``HUNT_ADMIN_TOKEN``), then explicit overrides (command-line flags). Unknown sections or
keys and values of the wrong type raise :class:`ConfigError` naming the key.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Config", "ConfigError", "load_config", "tile_origin"]


class ConfigError(Exception):
    """Raised when a configuration file, variable or flag is unknown or malformed."""


@dataclass(frozen=True, slots=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: str = "data"
    admin_token: str = field(default="", repr=False)
    shutdown_timeout_s: float = 10.0
    trusted_proxies: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    metrics_access: str = "loopback"
    metrics_token: str = field(default="", repr=False)
    backlog: int = 4096


@dataclass(frozen=True, slots=True)
class EngineConfig:
    mailbox_capacity: int = 4096
    admission_timeout_ms: int = 50
    admission_queue: int = 4096
    max_batch: int = 512
    request_timeout_s: float = 10.0
    idle_passivate_s: float = 300.0
    restart_backoff_min_s: float = 0.05
    restart_backoff_max_s: float = 5.0
    max_restarts: int = 5
    restart_window_s: float = 60.0
    dedup_cache: int = 4096
    dedup_filter_keys: int = 4_000_000
    dedup_filter_error: float = 0.001
    feed_buffer: int = 1024
    join_feed: int = 20
    gc_freeze_every_s: float = 1.0
    commit_threads: int = 8
    read_threads: int = 4
    import_threads: int = 2
    history_page: int = 500
    gc_full_every_s: float = 600.0


@dataclass(frozen=True, slots=True)
class StoreConfig:
    synchronous: str = "FULL"
    snapshot_every: int = 5000
    busy_timeout_ms: int = 5000
    future_tolerance_s: float = 300.0


@dataclass(frozen=True, slots=True)
class LimitsConfig:
    max_frame_bytes: int = 65536
    max_body_bytes: int = 1_048_576
    max_import_bytes: int = 268_435_456
    import_idle_timeout_s: float = 30.0
    max_batch_items: int = 100
    outbox_capacity: int = 256
    leaderboard_top: int = 10
    leaderboard_push_interval_ms: int = 1000
    leaderboard_pushes_per_s: int = 250
    page_limit_max: int = 1000
    ws_idle_timeout_s: float = 120.0
    overload_strikes: int = 20
    window: int = 100
    address_window: int = 512
    hunt_window: int = 1024
    connections_per_address: int = 256
    max_photo_bytes: int = 10_485_760
    max_video_bytes: int = 52_428_800
    uploads_in_flight: int = 16
    max_clue_image_bytes: int = 5_242_880
    max_clue_audio_bytes: int = 20_971_520
    max_hunt_media: int = 200
    connections: int = 4096
    body_timeout_s: float = 30.0
    import_body_timeout_s: float = 600.0
    body_idle_timeout_s: float = 10.0
    admin_failures_max: int = 10
    admin_failures_window_s: float = 60.0


@dataclass(frozen=True, slots=True)
class RatesConfig:
    connection_commands_per_s: float = 50.0
    connection_commands_burst: int = 200
    player_commands_per_s: float = 50.0
    player_commands_burst: int = 200
    address_commands_per_s: float = 500.0
    address_commands_burst: int = 2000
    player_pings_per_s: float = 10.0
    player_pings_burst: int = 100
    address_pings_per_s: float = 200.0
    address_pings_burst: int = 1000
    connection_joins_per_s: float = 0.5
    connection_joins_burst: int = 5
    address_joins_per_s: float = 5.0
    address_joins_burst: int = 50
    tracked: int = 100_000


@dataclass(frozen=True, slots=True)
class GameConfig:
    wrong_attempts_max: int = 5
    wrong_attempts_window_s: float = 60.0
    heatmap_cell_deg: float = 0.001
    heatmap_max_cells: int = 10000
    address_wrong_attempts_max: int = 20
    ban_addresses: bool = True
    guard_addresses_max: int = 10_000


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    url: str = ""
    stream: str = "HUNT_EVENTS"
    batch: int = 1024
    publish_timeout_s: float = 5.0
    retry_backoff_max_s: float = 10.0
    connect_timeout_s: float = 2.0
    duplicate_window_s: float = 120.0
    poll_interval_ms: int = 20
    cursor_interval_s: float = 1.0
    consumer_durable: str = "hunt-analytics"
    consumer_ack_wait_s: float = 10.0


@dataclass(frozen=True, slots=True)
class WorkersConfig:
    count: int = 1
    nats_url: str = ""
    subject_prefix: str = "hunt-workers"
    forward_inflight: int = 2
    forward_max_commands: int = 512
    forward_queue: int = 4096
    push_buffer: int = 256
    owner_inflight: int = 1024
    catch_up_ms: int = 200
    stats_interval_s: float = 0.25


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    log_stream: str = "HUNT_LOG"
    log_subject_prefix: str = "hunt-log"
    replicas: int = 3
    log_publish_timeout_s: float = 2.0
    log_catch_up_batch: int = 64
    nats_url: str = ""
    node: str = ""
    key_file: str = ""
    bucket_prefix: str = "hunt"
    lease_s: float = 5.0
    ack_guard_s: float = 1.0
    claim_every_s: float = 0.25
    claims_at_once: int = 4
    history_chunk_bytes: int = 524_288
    history_max_bytes: int = 67_108_864
    history_cached: int = 16


@dataclass(frozen=True, slots=True)
class BackupConfig:
    dir: str = ""
    every_s: float = 3600.0
    keep: int = 24


@dataclass(frozen=True, slots=True)
class LoggingConfig:
    level: str = "INFO"
    format: str = "text"
    commands: bool = False


@dataclass(frozen=True, slots=True)
class MapConfig:
    tile_url: str = ""
    tile_attribution: str = ""


@dataclass(frozen=True, slots=True)
class Config:
    server: ServerConfig = ServerConfig()
    engine: EngineConfig = EngineConfig()
    store: StoreConfig = StoreConfig()
    limits: LimitsConfig = LimitsConfig()
    rates: RatesConfig = RatesConfig()
    game: GameConfig = GameConfig()
    broker: BrokerConfig = BrokerConfig()
    workers: WorkersConfig = WorkersConfig()
    cluster: ClusterConfig = ClusterConfig()
    logging: LoggingConfig = LoggingConfig()
    backup: BackupConfig = BackupConfig()
    map: MapConfig = MapConfig()

    @property
    def data_path(self) -> Path:
        return Path(self.server.data_dir)

    def replace(self, **sections: Mapping[str, Any]) -> Config:
        """Return a copy with some keys changed, e.g. ``replace(server={"port": 0})``."""
        return _merge(self, {name: dict(values) for name, values in sections.items()}, "override")


_SHORT_ENV = {
    "HUNT_HOST": ("server", "host"),
    "HUNT_PORT": ("server", "port"),
    "HUNT_DATA_DIR": ("server", "data_dir"),
    "HUNT_ADMIN_TOKEN": ("server", "admin_token"),
}
_SYNC_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")
METRICS_ACCESS = ("loopback", "token", "open")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # NATS stream and consumer names (no ., *, > or spaces)


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Config:
    """Build the configuration from a TOML file, the environment and explicit overrides.

    Raises ConfigError for a missing file, invalid TOML, unknown keys or wrong types.
    """
    config = Config()
    if path is not None:
        try:
            with open(path, "rb") as f:
                document = tomllib.load(f)
        except FileNotFoundError as err:
            raise ConfigError(f"config file not found: {path}") from err
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"invalid TOML in {path}: {err}") from err
        config = _merge(config, document, str(path))
    config = _merge(config, _from_env(os.environ if env is None else env), "environment")
    if overrides:
        config = _merge(config, {k: dict(v) for k, v in overrides.items()}, "override")
    _validate(config)
    return config


def _from_env(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    section_names = {f.name for f in dataclasses.fields(Config)}
    for name, value in env.items():
        if name in _SHORT_ENV:
            section, key = _SHORT_ENV[name]
        elif name.startswith("HUNT_"):
            rest = name[5:].lower()
            section, _, key = rest.partition("_")
            if section not in section_names:
                continue  # HUNT_* variables of other tools (or ours, e.g. HUNT_TEST_*) are not config
        else:
            continue
        found.setdefault(section, {})[key] = _EnvValue(name, value)
    return found


@dataclass(frozen=True, slots=True)
class _EnvValue:
    name: str
    raw: str


def _merge(config: Config, document: Mapping[str, Any], source: str) -> Config:
    sections: dict[str, Any] = {}
    known = {f.name: f for f in dataclasses.fields(Config)}
    for section_name, values in document.items():
        if section_name not in known:
            raise ConfigError(f"{source}: unknown section [{section_name}]")
        if not isinstance(values, Mapping):
            raise ConfigError(f"{source}: [{section_name}] must be a table")
        current = getattr(config, section_name)
        fields = {f.name: f for f in dataclasses.fields(current)}
        changes = {}
        for key, value in values.items():
            if key not in fields:
                raise ConfigError(f"{source}: unknown key {section_name}.{key}")
            changes[key] = _coerce(value, type(getattr(current, key)), f"{section_name}.{key}", source)
        sections[section_name] = dataclasses.replace(current, **changes)
    return dataclasses.replace(config, **sections)


def _coerce(value: Any, expected: type, key: str, source: str) -> Any:
    if isinstance(value, _EnvValue):
        source, raw = value.name, value.raw
        if expected is tuple:  # a list in the environment: comma-separated
            return tuple(item.strip() for item in raw.split(",") if item.strip())
        try:
            if expected is bool:
                if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
                    raise ValueError(raw)
                return raw.lower() in ("1", "true", "yes")
            return expected(raw)
        except ValueError as err:
            raise ConfigError(f"{source}: {key} must be {expected.__name__}, got {raw!r}") from err
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{source}: {key} must be a list of strings, got {value!r}")
        return tuple(value)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ConfigError(f"{source}: {key} must be {expected.__name__}, got {value!r}")
    return value


def _validate(config: Config) -> None:
    positive = {
        "engine.mailbox_capacity": config.engine.mailbox_capacity,
        "engine.max_batch": config.engine.max_batch,
        "engine.dedup_filter_keys": config.engine.dedup_filter_keys,
        "engine.feed_buffer": config.engine.feed_buffer,
        "engine.commit_threads": config.engine.commit_threads,
        "engine.read_threads": config.engine.read_threads,
        "engine.import_threads": config.engine.import_threads,
        "engine.history_page": config.engine.history_page,
        "store.snapshot_every": config.store.snapshot_every,
        "store.future_tolerance_s": config.store.future_tolerance_s,
        "backup.every_s": config.backup.every_s,
        "backup.keep": config.backup.keep,
        "limits.max_frame_bytes": config.limits.max_frame_bytes,
        "limits.max_body_bytes": config.limits.max_body_bytes,
        "limits.import_idle_timeout_s": config.limits.import_idle_timeout_s,
        "limits.max_batch_items": config.limits.max_batch_items,
        "limits.connections_per_address": config.limits.connections_per_address,
        "limits.outbox_capacity": config.limits.outbox_capacity,
        "limits.leaderboard_top": config.limits.leaderboard_top,
        "limits.leaderboard_pushes_per_s": config.limits.leaderboard_pushes_per_s,
        "limits.page_limit_max": config.limits.page_limit_max,
        "limits.overload_strikes": config.limits.overload_strikes,
        "limits.connections": config.limits.connections,
        "limits.body_timeout_s": config.limits.body_timeout_s,
        "limits.import_body_timeout_s": config.limits.import_body_timeout_s,
        "limits.body_idle_timeout_s": config.limits.body_idle_timeout_s,
        "limits.admin_failures_max": config.limits.admin_failures_max,
        "limits.admin_failures_window_s": config.limits.admin_failures_window_s,
        "game.heatmap_max_cells": config.game.heatmap_max_cells,
        "limits.window": config.limits.window,
        "limits.max_photo_bytes": config.limits.max_photo_bytes,
        "limits.max_video_bytes": config.limits.max_video_bytes,
        "limits.uploads_in_flight": config.limits.uploads_in_flight,
        "limits.max_clue_image_bytes": config.limits.max_clue_image_bytes,
        "limits.max_clue_audio_bytes": config.limits.max_clue_audio_bytes,
        "limits.max_hunt_media": config.limits.max_hunt_media,
        "game.wrong_attempts_max": config.game.wrong_attempts_max,
        "game.address_wrong_attempts_max": config.game.address_wrong_attempts_max,
        "game.guard_addresses_max": config.game.guard_addresses_max,
        "broker.batch": config.broker.batch,
        "broker.publish_timeout_s": config.broker.publish_timeout_s,
        "broker.retry_backoff_max_s": config.broker.retry_backoff_max_s,
        "broker.connect_timeout_s": config.broker.connect_timeout_s,
        "broker.duplicate_window_s": config.broker.duplicate_window_s,
        "broker.poll_interval_ms": config.broker.poll_interval_ms,
        "broker.cursor_interval_s": config.broker.cursor_interval_s,
        "broker.consumer_ack_wait_s": config.broker.consumer_ack_wait_s,
        "workers.count": config.workers.count,
        "workers.forward_inflight": config.workers.forward_inflight,
        "workers.forward_max_commands": config.workers.forward_max_commands,
        "workers.forward_queue": config.workers.forward_queue,
        "workers.push_buffer": config.workers.push_buffer,
        "workers.owner_inflight": config.workers.owner_inflight,
        "workers.catch_up_ms": config.workers.catch_up_ms,
        "workers.stats_interval_s": config.workers.stats_interval_s,
        "cluster.replicas": config.cluster.replicas,
        "cluster.log_publish_timeout_s": config.cluster.log_publish_timeout_s,
        "cluster.log_catch_up_batch": config.cluster.log_catch_up_batch,
        "cluster.lease_s": config.cluster.lease_s,
        "cluster.claim_every_s": config.cluster.claim_every_s,
        "cluster.claims_at_once": config.cluster.claims_at_once,
        "cluster.history_chunk_bytes": config.cluster.history_chunk_bytes,
        "cluster.history_max_bytes": config.cluster.history_max_bytes,
        "cluster.history_cached": config.cluster.history_cached,
    }
    positive.update({f"rates.{f.name}": getattr(config.rates, f.name) for f in dataclasses.fields(RatesConfig)})
    for key, value in positive.items():
        if value <= 0:
            raise ConfigError(f"{key} must be positive, got {value}")
    for key, value in (("engine.admission_timeout_ms", config.engine.admission_timeout_ms),
                       ("engine.admission_queue", config.engine.admission_queue),
                       ("engine.dedup_cache", config.engine.dedup_cache),
                       ("engine.join_feed", config.engine.join_feed)):
        if value < 0:
            raise ConfigError(f"{key} must not be negative, got {value}")
    if not 1 <= config.server.backlog <= 65535:
        raise ConfigError(f"server.backlog must be 1..65535, got {config.server.backlog}")
    if not 0 <= config.server.port <= 65535:
        raise ConfigError(f"server.port must be 0..65535, got {config.server.port}")
    if config.store.synchronous.upper() not in _SYNC_MODES:
        raise ConfigError(f"store.synchronous must be one of {', '.join(_SYNC_MODES)}")
    if not _NAME.fullmatch(config.broker.stream):
        raise ConfigError("broker.stream must be a stream name of letters, digits, - and _, "
                          f"got {config.broker.stream!r}")
    if not _NAME.fullmatch(config.broker.consumer_durable):
        raise ConfigError("broker.consumer_durable must be a consumer name of letters, digits, - and _, "
                          f"got {config.broker.consumer_durable!r}")
    if config.server.metrics_access not in METRICS_ACCESS:
        raise ConfigError(f"server.metrics_access must be one of {', '.join(METRICS_ACCESS)}, "
                          f"got {config.server.metrics_access!r}")
    for proxy in config.server.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError as err:
            raise ConfigError(f"server.trusted_proxies: {proxy!r} is not an IP address or network") from err
    if not _NAME.fullmatch(config.workers.subject_prefix):
        raise ConfigError("workers.subject_prefix must be letters, digits, - and _, "
                          f"got {config.workers.subject_prefix!r}")
    _validate_cluster(config.cluster)
    for key, value in (("limits.address_window", config.limits.address_window),
                       ("limits.hunt_window", config.limits.hunt_window)):
        if value < config.limits.window:  # else a connection could wait forever for its own window
            raise ConfigError(f"{key} must be at least limits.window ({config.limits.window}), got {value}")
    if config.logging.level.upper() not in _LOG_LEVELS:
        raise ConfigError(f"logging.level must be one of {', '.join(_LOG_LEVELS)}, got {config.logging.level!r}")
    if config.logging.format not in ("text", "json"):
        raise ConfigError(f"logging.format must be text or json, got {config.logging.format!r}")
    if not 0 < config.engine.dedup_filter_error < 1:
        raise ConfigError(f"engine.dedup_filter_error must be between 0 and 1, got {config.engine.dedup_filter_error}")
    if config.game.heatmap_cell_deg <= 0:
        raise ConfigError("game.heatmap_cell_deg must be positive")
    _validate_map(config.map)


def _validate_cluster(cluster: ClusterConfig) -> None:
    for key, value in (("cluster.log_stream", cluster.log_stream),
                       ("cluster.log_subject_prefix", cluster.log_subject_prefix)):
        if not _NAME.fullmatch(value):
            raise ConfigError(f"{key} must be letters, digits, - and _, got {value!r}")
    if cluster.replicas > 5:  # JetStream's limit for a replicated stream
        raise ConfigError(f"cluster.replicas must be 1..5, got {cluster.replicas}")
    if cluster.node and not _NAME.fullmatch(cluster.node):
        raise ConfigError(f"cluster.node must be letters, digits, - and _, got {cluster.node!r}")
    if not _NAME.fullmatch(cluster.bucket_prefix):
        raise ConfigError(f"cluster.bucket_prefix must be letters, digits, - and _, got {cluster.bucket_prefix!r}")
    if not 0 <= cluster.ack_guard_s < cluster.lease_s / 2:
        # a renewal every lease/3 must leave the guard room, else a node would stop acking between renewals
        raise ConfigError(f"cluster.ack_guard_s must be at least 0 and below half of cluster.lease_s "
                          f"({cluster.lease_s}), got {cluster.ack_guard_s}")
    if cluster.history_chunk_bytes > 900_000:
        raise ConfigError("cluster.history_chunk_bytes must stay under NATS's 1 MB max_payload (at most 900000), "
                          f"got {cluster.history_chunk_bytes}")


# A tile server's URL template: http(s), a host (and port), and {z}, {x} and {y} in the path. No
# quotes, spaces or semicolons: its origin goes into the pages' Content-Security-Policy.
_TILE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/[A-Za-z0-9._~/{}@%&=?+-]*")


def _validate_map(config: MapConfig) -> None:
    url = config.tile_url
    if url and (not _TILE_URL.fullmatch(url) or not all(part in url for part in ("{z}", "{x}", "{y}"))):
        raise ConfigError("map.tile_url must be empty or an http(s) URL template with {z}, {x} and {y}, "
                          f"e.g. https://tile.example.org/{{z}}/{{x}}/{{y}}.png; got {url!r}")
    if len(config.tile_attribution) > 200:
        raise ConfigError("map.tile_attribution must have at most 200 characters")


def tile_origin(config: Config) -> str | None:
    """The origin (scheme://host[:port]) of ``map.tile_url``, or None when no tiles are configured."""
    url = config.map.tile_url
    if not url:
        return None
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
