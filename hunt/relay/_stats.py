"""The relay's statistics: frozen snapshots, their JSON form, and the status file.

Whoever runs the relay loop (``hunt relay`` or the server's relay process) writes a snapshot
to ``<data_dir>/relay.status.json`` about once a second, so tools in other processes
(``hunt inspect``, ``hunt relay --status``) can show the lag without asking the broker.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

__all__ = ["STATUS_FILE", "HuntLag", "RelayStatistics", "read_relay_status", "write_relay_status"]

STATUS_FILE = "relay.status.json"


@dataclass(frozen=True, slots=True)
class HuntLag:
    """How far one hunt's stream is behind its log.

    ``committed``: last seq in the hunt file; ``published``: last seq the broker acknowledged
    (or that reconciliation found in the stream); ``cursor``: the relay cursor stored in the
    hunt file (it trails ``published``; see docs/relay.md); ``lag_s``: age of the oldest event
    not yet published (0 when none).
    """

    hunt: str
    committed: int
    published: int
    cursor: int
    lag_events: int
    lag_s: float


@dataclass(frozen=True, slots=True)
class RelayStatistics:
    """A snapshot of the relay. ``state``: starting, connected, backoff, stopped (or disabled: no broker.url)."""

    state: str
    url: str
    stream: str
    sessions: int
    published: int
    duplicates: int
    reconciliations: int
    errors: int
    last_error: str | None
    updated_ts: float
    hunts: tuple[HuntLag, ...]

    @property
    def lag_events(self) -> int:
        return sum(h.lag_events for h in self.hunts)

    @property
    def lag_s(self) -> float:
        return max((h.lag_s for h in self.hunts), default=0.0)

    def hunt(self, hunt_id: str) -> HuntLag | None:
        return next((h for h in self.hunts if h.hunt == hunt_id), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RelayStatistics:
        fields = dict(data)
        fields["hunts"] = tuple(HuntLag(**h) for h in fields.get("hunts", ()))
        return cls(**fields)

    @classmethod
    def initial(cls, url: str, stream: str, state: str = "starting") -> RelayStatistics:
        return cls(state, url, stream, 0, 0, 0, 0, 0, None, time.time(), ())


def write_relay_status(data_dir: str | os.PathLike[str], stats: RelayStatistics) -> None:
    """Replace the status file atomically (blocking: call it from a worker thread)."""
    path = Path(data_dir, STATUS_FILE)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the data dir is owner-only
    with os.fdopen(fd, "wb") as f:
        f.write(orjson.dumps(stats.to_dict()))
    os.replace(temporary, path)


def read_relay_status(data_dir: str | os.PathLike[str]) -> RelayStatistics | None:
    """The last snapshot a relay wrote into ``data_dir``, or None if none ever ran there.

    Check ``updated_ts``: a relay that stopped leaves its last snapshot behind.
    """
    try:
        return RelayStatistics.from_dict(orjson.loads(Path(data_dir, STATUS_FILE).read_bytes()))
    except (FileNotFoundError, orjson.JSONDecodeError, TypeError):
        return None
