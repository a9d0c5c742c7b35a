"""Many stores from one sandbox process: each port is its own shop, keys and admin included."""

from __future__ import annotations

import os

import httpx2

from goldsphere_pipelines.sandbox import SandboxConfig
from goldsphere_pipelines.sandbox.fleet import run_fleet_process
from goldsphere_pipelines_tests.sandbox.conftest import OAuthQuery


def test_each_port_of_a_fleet_serves_its_own_store() -> None:
    configs = [
        SandboxConfig(products=4, orders=12, seed=1),
        SandboxConfig(products=9, orders=30, seed=2, consumer_secret="cs_" + "cd" * 20),
    ]
    with run_fleet_process(configs) as fleet:
        first, second = fleet.shops
        assert fleet.pid != os.getpid()
        assert first.pid == second.pid
        assert first.base_url != second.base_url
        assert fleet.first_requests() == {}
        for shop, config in zip(fleet.shops, configs, strict=True):
            auth = OAuthQuery(shop.consumer_key, shop.consumer_secret)
            with httpx2.Client(base_url=shop.api_url, auth=auth) as client:
                response = client.get("/products", params={"per_page": 100})
            assert response.status_code == 200
            assert int(response.headers["X-WP-Total"]) == config.products
            assert shop.counts()["products"] == config.products
        # The second shop's secret does not open the first shop.
        wrong = OAuthQuery(second.consumer_key, second.consumer_secret)
        assert httpx2.get(f"{first.api_url}/products", auth=wrong).status_code == 401
        before = (first.counts()["orders"], second.counts()["orders"])
        second.mutate("delete_order", id=second.ids("orders")[0])
        assert (first.counts()["orders"], second.counts()["orders"]) == (before[0], before[1] - 1)
        seen = fleet.first_requests()
        assert set(seen) == {first.base_url, second.base_url}
        assert seen[first.base_url] <= seen[second.base_url]
        process = first.process
    assert process.poll() is not None
