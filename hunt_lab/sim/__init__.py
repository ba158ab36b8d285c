"""The player simulator: real websocket players against a running server (``hunt simulate``)."""

from ..clients.player import Pending, SimPlayer
from .run import GAME_CODES, SimConfig, simulate, verify_acks

__all__ = ["GAME_CODES", "Pending", "SimConfig", "SimPlayer", "simulate", "verify_acks"]
