"""Logging as configured in ``[logging]``: text for a terminal, or JSON lines for a collector.

A JSON line is one object: ``ts`` (ISO 8601, UTC), ``level``, ``logger``, ``message``, the
structured ``fields`` a record carries (command logs: hunt, player, cmd, op, result, seq,
latency_ms) and ``exc`` for a traceback. Nothing here adds secrets: callers never pass a token,
a join id or an answer to a log call.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from ..config import LoggingConfig

__all__ = ["JsonFormatter", "configure_logging"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            document.update(fields)
        if record.exc_info:
            document["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(document, default=str).decode()


def configure_logging(config: LoggingConfig, *, verbose: bool = False) -> None:
    """(Re)configure the root logger; safe to call again on a reload."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if config.format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else config.level.upper())
