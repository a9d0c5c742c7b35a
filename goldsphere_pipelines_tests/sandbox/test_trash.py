"""Trash, restore and delete through the REST API, and the listing fault knobs."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

from goldsphere_pipelines.sandbox import RunningSandbox, SandboxStore, run_sandbox
from goldsphere_pipelines_tests.sandbox.conftest import SMALL, api_client, fetch_all, ids


@pytest.fixture
def writable() -> Iterator[RunningSandbox]:
    with run_sandbox(SandboxStore(SMALL.with_changes(key_permissions="read_write"))) as running:
        yield running


def test_a_read_key_cannot_write(client: httpx2.Client, store: SandboxStore) -> None:
    response = client.delete(f"/products/{store.product_ids()[0]}")
    assert response.status_code == 401
    assert response.json()["code"] == "woocommerce_rest_authentication_error"


def test_a_product_goes_to_the_trash_and_back(writable: RunningSandbox) -> None:
    store = writable.store
    product_id = store.product_ids()[0]
    with api_client(writable) as client:
        trashed = client.delete(f"/products/{product_id}")
        assert trashed.status_code == 200
        assert trashed.json()["status"] == "trash"
        assert product_id not in ids(fetch_all(client, "/products"))
        assert product_id in ids(fetch_all(client, "/products", status="trash"))
        again = client.delete(f"/products/{product_id}")
        assert (again.status_code, again.json()["code"]) == (
            410,
            "woocommerce_rest_already_trashed",
        )
        restored = client.post(f"/products/{product_id}", json={"status": "publish"})
        assert restored.json()["status"] == "publish"
        assert product_id in ids(fetch_all(client, "/products"))


def test_force_deletes_for_good_and_a_variation_cannot_be_trashed(
    writable: RunningSandbox,
) -> None:
    store = writable.store
    parent = store.variable_product_ids()[0]
    variation = store.variations_of(parent)[0]
    order_id = store.order_ids()[0]
    with api_client(writable) as client:
        refused = client.delete(f"/products/{parent}/variations/{variation}")
        assert refused.status_code == 501
        gone = client.delete(f"/products/{parent}/variations/{variation}", params={"force": "true"})
        assert gone.json()["id"] == variation
        assert variation not in store.variation_ids()
        trashed = client.delete(f"/orders/{order_id}")
        assert trashed.json()["status"] == "trash"
        assert order_id in store.order_ids(include_trash=True)
        assert client.delete(f"/orders/{order_id}", params={"force": "true"}).status_code == 200
        assert order_id not in store.order_ids(include_trash=True)
        assert client.get(f"/orders/{order_id}").status_code == 404


def test_ids_vanish_and_appear_while_a_listing_is_read(sandbox: RunningSandbox) -> None:
    store = sandbox.store
    before = len(store.order_ids())
    store.set_faults(listing_vanish_per_page=2, listing_appear_per_page=1)
    with api_client(sandbox) as client:
        first = client.get("/orders", params={"per_page": 100, "_fields": "id", "page": 1})
        second = client.get("/orders", params={"per_page": 100, "_fields": "id", "page": 2})
    assert first.json()[0] == {"id": first.json()[0]["id"]}
    assert int(first.headers["X-WP-Total"]) == before
    assert int(second.headers["X-WP-Total"]) == before - 1
    assert len(store.order_ids()) == before - 2


def test_a_listing_fails_midway_or_comes_short(sandbox: RunningSandbox) -> None:
    store = sandbox.store
    store.set_faults(listing_fail_after_pages=1)
    with api_client(sandbox) as client:
        assert client.get("/products", params={"per_page": 10}).status_code == 200
        assert client.get("/products", params={"per_page": 10, "page": 2}).status_code == 500
        store.set_faults(listing_fail_after_pages=None, listing_short_page=1)
        short = client.get("/products", params={"per_page": 10})
    assert len(short.json()) == 9
    assert int(short.headers["X-WP-Total"]) == len(store.product_ids())


def test_creating_records_has_no_route(writable: RunningSandbox) -> None:
    with api_client(writable) as client:
        response = client.post("/orders", json={"status": "completed"})
    assert (response.status_code, response.json()["code"]) == (404, "rest_no_route")
