"""Fault harnesses: a killable server child, websocket crowds with a ledger, audits of the log.

Used by ``tests/reliability`` and by the ``hunt bench`` reliability commands (overload,
connections). See docs/reliability.md for what each one proves.
"""

from ._audit import RETRYABLE, Ledger, audit_log, read_log
from ._crash import CrashConfig, create_hunt, hunt_verify, run_crash
from ._players import Crowd, command_mix
from ._server import ServerFailed, ServerProcess, raise_fd_limit

__all__ = [
    "RETRYABLE",
    "CrashConfig",
    "Crowd",
    "Ledger",
    "ServerFailed",
    "ServerProcess",
    "audit_log",
    "command_mix",
    "create_hunt",
    "hunt_verify",
    "raise_fd_limit",
    "read_log",
    "run_crash",
]
