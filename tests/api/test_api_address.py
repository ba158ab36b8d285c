"""The client address behind trusted proxies (``server.trusted_proxies``)."""

from __future__ import annotations

import pytest

from hunt.api._address import ClientAddresses
from hunt.config import ConfigError, load_config


@pytest.mark.parametrize(("peer", "header", "expected"), [
    ("198.51.100.7", "203.0.113.1", "198.51.100.7"),  # not a proxy: its header is never believed
    ("127.0.0.1", "203.0.113.1", "203.0.113.1"),
    ("127.0.0.1", "6.6.6.6, 203.0.113.1", "203.0.113.1"),  # hops left of the first untrusted one are the client's
    ("127.0.0.1", "203.0.113.1, 10.0.0.5", "203.0.113.1"),  # 10.0.0.5 is a trusted proxy too
    ("127.0.0.1", "", "127.0.0.1"),
    ("127.0.0.1", "not-an-address", "127.0.0.1"),
    ("127.0.0.1", "203.0.113.1, junk", "127.0.0.1"),  # stop at the last hop we trusted
])
def test_the_client_is_the_right_most_hop_that_is_not_a_trusted_proxy(peer: str, header: str, expected: str) -> None:
    assert ClientAddresses(["127.0.0.1", "10.0.0.0/8"]).resolve(peer, header) == expected


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    scope = {"client": ("127.0.0.1", 5000), "headers": [(b"x-forwarded-for", b"198.51.100.1")]}
    assert ClientAddresses([]).of_scope(scope) == "127.0.0.1"
    assert ClientAddresses(["127.0.0.1"]).of_scope(scope) == "198.51.100.1"


def test_trusted_proxies_come_from_toml_lists_and_comma_separated_variables() -> None:
    assert load_config(None, env={"HUNT_SERVER_TRUSTED_PROXIES": "127.0.0.1, ::1"}).server.trusted_proxies == (
        "127.0.0.1", "::1")
    assert load_config(None, env={}, overrides={"server": {"trusted_proxies": ["10.0.0.0/8"]}}
                       ).server.trusted_proxies == ("10.0.0.0/8",)
    with pytest.raises(ConfigError, match="trusted_proxies"):
        load_config(None, env={"HUNT_SERVER_TRUSTED_PROXIES": "proxy.example"})
