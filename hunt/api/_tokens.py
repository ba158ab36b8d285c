"""Secrets: the key that signs player tokens, and the admin token.

A player token is ``"<player>.<signature>"`` where the signature is the base64url (unpadded)
HMAC-SHA256, under the server's secret key, of the hunt id and the player id. It proves that
this server issued it to this player of this hunt: a token of another hunt, or a forged or
altered one, does not verify. Both secrets live in the data directory, created on first
start with mode 0600; an admin token set in the configuration (``HUNT_ADMIN_TOKEN`` or
``server.admin_token``) takes the place of the generated one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config

__all__ = ["PlayerTokens", "Secrets", "load_secrets"]

log = logging.getLogger("hunt.api")

SECRET_FILE = "secret.key"
ADMIN_TOKEN_FILE = "admin.token"
MAX_TOKEN_CHARS = 256


class PlayerTokens:
    """Issues and checks player tokens with one secret key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the token key must be at least 16 bytes")
        self._key = key

    def issue(self, hunt_id: str, player: str) -> str:
        return f"{player}.{self._sign(hunt_id, player)}"

    def verify(self, hunt_id: str, token: object) -> str | None:
        """The player a token was issued to for this hunt, or None if it does not verify."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
            return None
        player, dot, signature = token.rpartition(".")
        if not dot or not player:
            return None
        expected = self._sign(hunt_id, player)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return None
        return player

    def _sign(self, hunt_id: str, player: str) -> str:
        # A NUL separator: neither id can contain one, so (hunt, player) pairs never collide.
        message = f"{hunt_id}\0{player}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class Secrets:
    player_key: bytes = field(repr=False)
    admin_token: str = field(repr=False)
    # Where the generated admin token is, or None when it comes from the configuration.
    admin_token_path: Path | None


def load_secrets(config: Config) -> Secrets:
    """Read the secrets from the data directory, creating the missing ones (mode 0600).

    Creates the data directory too. Blocking (small file I/O): call it before serving.
    """
    data_dir = config.data_path
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # hunt files hold secrets: owner only
    key = bytes.fromhex(_read_or_create(data_dir / SECRET_FILE, lambda: secrets.token_hex(32)))
    if config.server.admin_token:
        return Secrets(key, config.server.admin_token, None)
    path = data_dir / ADMIN_TOKEN_FILE
    token = _read_or_create(path, lambda: secrets.token_urlsafe(32))
    return Secrets(key, token, path)


def _read_or_create(path: Path, make: Callable[[], str]) -> str:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = path.stat().st_mode
        if mode & 0o077:
            log.warning("%s is readable by other users (mode %o): chmod 600 it", path, mode & 0o777)
        value = path.read_text().strip()
        if not value:
            raise ValueError(f"{path} is empty: remove it to generate a new one") from None
        return value
    value = make()
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    log.info("created %s", path)
    return value
