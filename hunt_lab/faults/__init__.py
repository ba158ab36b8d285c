"""Fault harnesses: kill -9 under load with an audit of the log afterwards.

Used by ``tests/reliability`` and by ``hunt bench crash``. See docs/reliability.md for what
each one proves.
"""

from ..audit import RETRYABLE, Ledger, audit_log, read_log
from ..clients.admin import create_hunt
from ..clients.crowd import Crowd, command_mix
from ..servers.process import ServerFailed, ServerProcess, raise_fd_limit
from .crash import CrashConfig, hunt_verify, run_crash

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
