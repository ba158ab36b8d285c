"""The dashboard's cluster panel in headless Chromium: hidden on a single server; on a cluster
node (``hunt serve --cluster`` over a nats-server with JetStream) it lists the node with its
hunt and the hunt's owner and lease age."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hunt_lab.servers.nats import LocalNatsServer, find_nats_server
from hunt_lab.servers.nodes import write_cluster_key
from tests.support.browser import Chromium, LiveServer, Page, live_server, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.cluster]


@pytest.fixture
def node(tmp_path: Path, browser_ready: None) -> Iterator[LiveServer]:
    binary = find_nats_server()
    if binary is None:
        if os.environ.get("HUNT_TEST_REQUIRE_NATS"):
            pytest.fail("nats-server is not installed, and HUNT_TEST_REQUIRE_NATS is set")
        pytest.skip("nats-server is not installed: cluster mode needs it")
    nats = LocalNatsServer(binary, tmp_path / "js", tmp_path / "nats.log")
    nats.start()
    try:
        key = write_cluster_key(tmp_path / "cluster.key")
        with live_server(tmp_path / "node", CLUSTER_NATS_URL=nats.url, CLUSTER_NODE="n1",
                         CLUSTER_KEY_FILE=str(key), CLUSTER_REPLICAS="1") as running:
            yield running
    finally:
        nats.kill()


def test_the_panel_stays_hidden_outside_cluster_mode(page: Page, server: LiveServer) -> None:
    sign_in(page)
    page.until(lambda: page.js("return document.querySelector('#cluster') !== null"), "the cluster panel's markup")
    page.js("return new Promise((done) => setTimeout(done, 2500))")  # past one poll
    assert not page.q("#cluster").is_displayed()
    assert (server.http.get("/admin/cluster")).status_code == 404


def test_a_cluster_node_shows_its_nodes_hunts_and_leases(chromium: Chromium, node: LiveServer) -> None:
    node.create_hunt("clustered")
    page = Page(chromium.driver, node.base)
    page.open("/health")
    page.js("localStorage.clear(); sessionStorage.clear();")
    sign_in(page)
    page.until(lambda: page.q("#cluster").is_displayed(), "the cluster panel")
    assert page.text("#cluster-node") == "n1"
    page.until(lambda: page.q('#cluster-nodes tr[data-node="n1"]'), "the node's row")

    def cells() -> list[str]:
        return [td.text for td in page.q('#cluster-nodes tr[data-node="n1"]').find_elements("css selector", "td")]

    # The load is the node's last heartbeat: the panel's next poll shows the hunt counted.
    page.until(lambda: cells()[:3] == ["n1 (this node)", "clustered", "1"], "the node's hunt and load")
    hunt = [td.text for td in page.q('#cluster-hunts tr[data-hunt="clustered"]').find_elements("css selector", "td")]
    assert hunt[:2] == ["clustered", "n1"] and hunt[2].endswith(" s"), hunt
