"""Clients of a running server: a websocket player, a raw socket that misbehaves on purpose,
a crowd of players with a ledger of every answer, and the admin calls the harnesses make."""
