"""Secrets: the key that signs player tokens, and the admin token.

A player token is ``"<player>.<signature>"`` where the signature is the base64url (unpadded)
HMAC-SHA256, under the server's secret key, of the hunt id, the player id and the hunt's
incarnation (drawn when the hunt was created). It proves that this server issued it to this
player of this hunt: a token of another hunt, of an earlier hunt deleted and created again
under the same id, or a forged or altered one, does not verify. (Hunts created before
incarnations existed have none; their tokens are signed without it, as they always were.)

The same key, through keys derived for each purpose, also gives:

- the **join key** of a join ``id``: the keyed hash that the log, the events API, the export
  and the broker see instead of the id, which is a bearer secret (resending it returns the
  player's token);
- each team's **team code**, the passcode that lets a player join a team that exists. It is
  derived, not stored: the captain and the organiser can always be told it again, and no log,
  export or broker message holds it. A new code is a new *generation* (the team's
  ``code_gen``, counted in the log);
- the **passcode hash** of a passcode the organiser chose for a team instead: the log keeps only
  this keyed hash, so neither the log, an export nor the broker can give the passcode away
  (and, without the server's key, it cannot be guessed offline either). Nobody can be told it
  again; the organiser hands it out.

Both secrets live in the data directory, created on first start with mode 0600; an admin
token set in the configuration (``HUNT_ADMIN_TOKEN`` or ``server.admin_token``) takes the
place of the generated one.
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
from ..domain import Side

__all__ = ["PlayerTokens", "Secrets", "fold_passcode", "load_secrets"]

log = logging.getLogger("hunt.api")

SECRET_FILE = "secret.key"
ADMIN_TOKEN_FILE = "admin.token"
MAX_TOKEN_CHARS = 256


JOIN_KEY_PREFIX = "jk-"
# Team codes are typed by people: no 0/O, 1/I/L. 8 characters of 31 are about 40 bits, and
# guessing is an online attack that the join limits slow down.
TEAM_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TEAM_CODE_CHARS = 8


class PlayerTokens:
    """Issues and checks player tokens, join keys and team codes with one secret key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the token key must be at least 16 bytes")
        self._key = key
        self._join_key = hmac.new(key, b"hunt join ids", hashlib.sha256).digest()
        self._team_key = hmac.new(key, b"hunt team codes", hashlib.sha256).digest()
        self._passcode_key = hmac.new(key, b"hunt team passcodes", hashlib.sha256).digest()

    def issue(self, hunt_id: str, player: str, incarnation: str | None = None) -> str:
        return f"{player}.{self._sign(hunt_id, player, incarnation)}"

    def verify(self, hunt_id: str, token: object, incarnation: str | None = None) -> str | None:
        """The player a token was issued to for this incarnation of this hunt, or None if it
        does not verify."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
            return None
        player, dot, signature = token.rpartition(".")
        if not dot or not player or "\0" in player:
            return None
        expected = self._sign(hunt_id, player, incarnation)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return None
        return player

    def join_key(self, hunt_id: str, join_id: str) -> str:
        """The keyed hash stored (and shown) instead of a join ``id``: ``jk-`` + 22 base64url."""
        digest = hmac.new(self._join_key, f"{hunt_id}\0{join_id}".encode(), hashlib.sha256).digest()
        return JOIN_KEY_PREFIX + _b64(digest[:16])

    def team_code(self, hunt_id: str, incarnation: str | None, side_id: str, generation: int = 0) -> str:
        """The generated passcode of a team (by its side id, e.g. ``team:gulls``) in its
        ``generation``: two groups of four letters or digits, e.g. ``K7QM-3XWA``."""
        message = f"{hunt_id}\0{incarnation or ''}\0{side_id}".encode()
        if generation:
            message += f"\0{generation}".encode()
        number = int.from_bytes(hmac.new(self._team_key, message, hashlib.sha256).digest(), "big")
        chars = []
        for _ in range(TEAM_CODE_CHARS):
            number, index = divmod(number, len(TEAM_CODE_ALPHABET))
            chars.append(TEAM_CODE_ALPHABET[index])
        half = TEAM_CODE_CHARS // 2
        return "".join(chars[:half]) + "-" + "".join(chars[half:])

    def team_code_matches(self, hunt_id: str, incarnation: str | None, side: Side, given: object) -> bool:
        """Whether ``given`` is the team's passcode (the organiser's, else its generated code);
        case, spaces and dashes do not matter."""
        if not isinstance(given, str) or len(given) > 64:
            return False
        if side.passcode is not None:
            return hmac.compare_digest(self.passcode_hash(hunt_id, incarnation, given).encode(), side.passcode.encode())
        typed = fold_passcode(given)
        expected = self.team_code(hunt_id, incarnation, side.id, side.code_gen).replace("-", "")
        return hmac.compare_digest(typed.encode(), expected.encode())

    def passcode_hash(self, hunt_id: str, incarnation: str | None, passcode: str) -> str:
        """The keyed hash (64 hex digits) the log keeps of a passcode the organiser chose."""
        message = f"{hunt_id}\0{incarnation or ''}\0{fold_passcode(passcode)}".encode()
        return hmac.new(self._passcode_key, message, hashlib.sha256).hexdigest()

    def shown_code(self, hunt_id: str, incarnation: str | None, side: Side) -> str | None:
        """The team's code as the captain and the organiser may be told it: the generated one;
        None when the organiser chose the passcode (only its hash is kept)."""
        if side.passcode is not None:
            return None
        return self.team_code(hunt_id, incarnation, side.id, side.code_gen)

    def _sign(self, hunt_id: str, player: str, incarnation: str | None) -> str:
        # A NUL separator: no id contains one, so (hunt, player, incarnation) never collide.
        message = f"{hunt_id}\0{player}" if incarnation is None else f"{hunt_id}\0{player}\0{incarnation}"
        return _b64(hmac.new(self._key, message.encode(), hashlib.sha256).digest())


def fold_passcode(text: str) -> str:
    """A passcode as it is compared: upper case, without spaces and dashes."""
    return "".join(ch for ch in text.upper() if ch not in " -")


def _b64(digest: bytes) -> str:
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
    if config.cluster.key_file:  # every node of a cluster signs and checks the same tokens
        key = _cluster_key(Path(config.cluster.key_file))
    else:
        key = bytes.fromhex(_read_or_create(data_dir / SECRET_FILE, lambda: secrets.token_hex(32)))
    if config.server.admin_token:
        return Secrets(key, config.server.admin_token, None)
    path = data_dir / ADMIN_TOKEN_FILE
    token = _read_or_create(path, lambda: secrets.token_urlsafe(32))
    return Secrets(key, token, path)


def _cluster_key(path: Path) -> bytes:
    """The player-token key every cluster node shares (``cluster.key_file``: 64 hex digits).
    Raises ValueError naming the file when it is missing or malformed."""
    try:
        text = path.read_text().strip()
        key = bytes.fromhex(text)
    except (OSError, ValueError) as err:
        raise ValueError(f"cluster.key_file {path}: cannot read 64 hex digits ({err}); make one with "
                         "`python -c 'import secrets; print(secrets.token_hex(32))' > FILE`") from err
    if len(key) != 32:
        raise ValueError(f"cluster.key_file {path}: 64 hex digits expected, got {len(text)} characters")
    if path.stat().st_mode & 0o077:
        log.warning("%s is readable by other users: chmod 600 it", path)
    return key


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
