"""``hunt serve --cluster URL --node NAME`` as a user runs it: it refuses what cannot work, and
two node processes (own data dirs) serve one hunt through either node, then stop on SIGTERM."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import orjson
import pytest
import trio

from hunt.cli import main
from hunt.config import ConfigError, load_config
from hunt_lab.clients.player import open_websocket
from hunt_lab.servers.nats import LocalNatsServer
from hunt_lab.servers.nodes import node_env, node_process, write_cluster_key
from tests.support.hunts import harbor

pytestmark = pytest.mark.cluster


@pytest.mark.parametrize(("flags", "env", "says"), [
    (["--cluster", "nats://127.0.0.1:1"], {}, "needs --node NAME"),
    (["--cluster", "nats://127.0.0.1:1", "--node", "a"], {}, "needs cluster.key_file"),
    (["--cluster", "nats://127.0.0.1:1", "--node", "a"], {"HUNT_CLUSTER_KEY_FILE": "k"}, "admin token"),
    (["--cluster", "nats://127.0.0.1:1", "--node", "a", "--workers", "2"],
     {"HUNT_CLUSTER_KEY_FILE": "k", "HUNT_ADMIN_TOKEN": "t"}, "do not combine"),
])
def test_serve_refuses_a_cluster_node_that_cannot_work(
        flags: list[str], env: dict[str, str], says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", "--data-dir", str(tmp_path / "data"), *flags]) == 2
    assert says in capsys.readouterr().err


@pytest.mark.parametrize(("values", "key"), [({"node": "a.b"}, "cluster.node"), ({"lease_s": 0}, "cluster.lease_s"),
                                             ({"ack_guard_s": 3.0}, "cluster.ack_guard_s"),
                                             ({"history_chunk_bytes": 2_000_000}, "cluster.history_chunk_bytes"),
                                             ({"bucket_prefix": "a b"}, "cluster.bucket_prefix")])
def test_bad_cluster_settings_are_refused_by_name(values: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load_config(None, env={}, overrides={"cluster": values})


def test_the_environment_names_the_node() -> None:
    config = load_config(None, env={"HUNT_CLUSTER_NODE": "n1", "HUNT_CLUSTER_LEASE_S": "3"})
    assert (config.cluster.node, config.cluster.lease_s) == ("n1", 3.0)


def test_a_malformed_key_file_is_refused_with_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "short.key").write_text("abcd\n")
    monkeypatch.setenv("HUNT_ADMIN_TOKEN", "t")
    monkeypatch.setenv("HUNT_CLUSTER_KEY_FILE", str(tmp_path / "short.key"))
    assert main(["serve", "--data-dir", str(tmp_path / "data"), "--cluster", "nats://127.0.0.1:1",
                 "--node", "a", "--port", "0"]) == 2
    assert "short.key: 64 hex digits expected" in capsys.readouterr().err


@pytest.mark.slow
async def test_two_node_processes_serve_one_hunt_through_either(tmp_path: Path, jetstream: LocalNatsServer) -> None:
    env = node_env(jetstream.url, write_cluster_key(tmp_path / "cluster.key"))
    a, b = node_process(tmp_path, "a", env), node_process(tmp_path, "b", env)
    async with a, b:
        await a.start()
        await b.start()
        async with httpx.AsyncClient(headers=a.admin_headers, timeout=10) as http:
            assert (await http.post(f"{a.url}/admin/hunts", json=harbor("h1"))).status_code == 201
            assert (await http.post(f"{b.url}/admin/hunts/h1/start")).status_code == 200
            async with open_websocket(b.ws_url("h1")) as ws:
                await ws.send_message(orjson.dumps({"op": "join", "id": secrets.token_hex(16), "name": "A"}).decode())
                with trio.fail_after(10):
                    joined = orjson.loads(await ws.get_message())
                assert joined["op"] == "ack", joined
            status = (await http.get(f"{b.url}/admin/cluster")).json()
            assert {node["name"] for node in status["nodes"]} == {"a", "b"}
            assert [hunt["owner"] for hunt in status["hunts"]] == ["a"]
        assert await a.stop() == 0
        assert await b.stop() == 0
