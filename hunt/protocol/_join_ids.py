"""The rule for join ids: a join ``id`` is a bearer secret, so it must be long and random.

Resending a join's ``id`` returns the player and token it first got (that is how a client
whose ack was lost gets its player back), so whoever knows the id can sign in as that player.
The server cannot measure randomness; it refuses ids that cannot hold 128 bits of it:

- 22 to 128 characters, all from the base64url alphabet ``A-Z a-z 0-9 - _`` (22 of them
  carry 132 bits);
- at least 32 characters when they are all hexadecimal digits (4 bits each: a UUID's 32 hex
  digits plus dashes, or ``secrets.token_hex(16)``, pass);
- at least 8 different characters (``aaaa...`` is long but guessable).

``secrets.token_urlsafe(16)`` in Python, ``crypto.randomUUID()`` in a browser, or any 16
random bytes in base64url pass. Only a keyed hash of the id is kept (``PlayerTokens.join_key``).
"""

from __future__ import annotations

import re

from ._errors import BadRequest

__all__ = ["JOIN_ID_MIN_CHARS", "JOIN_ID_MIN_HEX_CHARS", "check_join_id"]

JOIN_ID_MIN_CHARS = 22
JOIN_ID_MIN_HEX_CHARS = 32
JOIN_ID_MIN_DISTINCT = 8
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_HEX = re.compile(r"[0-9A-Fa-f]+")


def check_join_id(join_id: str) -> str:
    """Return ``join_id`` if it can be a random 128-bit secret; raise BadRequest saying why not."""
    problem = None
    if _BASE64URL.fullmatch(join_id) is None:
        problem = "may only use the characters A-Z a-z 0-9 - _"
    elif len(join_id) < JOIN_ID_MIN_CHARS:
        problem = f"has {len(join_id)} characters, fewer than {JOIN_ID_MIN_CHARS}"
    elif _HEX.fullmatch(join_id) is not None and len(join_id) < JOIN_ID_MIN_HEX_CHARS:
        problem = f"is {len(join_id)} hex digits, fewer than {JOIN_ID_MIN_HEX_CHARS}"
    elif len(set(join_id)) < JOIN_ID_MIN_DISTINCT:
        problem = f"uses fewer than {JOIN_ID_MIN_DISTINCT} different characters"
    if problem is not None:
        raise BadRequest(f'a join "id" is a secret that gives back the player: it must be random, at '
                         f"least 128 bits (e.g. 22 base64url characters, or a UUID); this one {problem}")
    return join_id
