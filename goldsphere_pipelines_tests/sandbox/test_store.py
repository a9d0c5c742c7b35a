"""The store's data: deterministic per seed, sized as asked, and changeable while it serves."""

from __future__ import annotations

import httpx2
import pytest

from goldsphere_pipelines.sandbox import REMOVED, RunningSandbox, SandboxConfig, SandboxStore
from goldsphere_pipelines.sandbox.dates import DATA_END, iso, now
from goldsphere_pipelines_tests.sandbox.conftest import SMALL, fetch_all, ids


def test_the_same_seed_gives_the_same_store() -> None:
    first, second = SandboxStore(SMALL), SandboxStore(SMALL)
    assert first.order_ids() == second.order_ids()
    assert first.product_ids() == second.product_ids()
    for order_id in first.order_ids()[::37]:
        assert first.order(order_id) == second.order(order_id)
    for product_id in first.product_ids()[::7]:
        assert first.product(product_id) == second.product(product_id)
    for variation_id in first.variation_ids()[::5]:
        assert first.variation(variation_id) == second.variation(variation_id)
    assert first.customer_emails() == second.customer_emails()


def test_another_seed_gives_another_store() -> None:
    first, other = SandboxStore(SMALL), SandboxStore(SMALL.with_changes(seed=8))
    order_id = first.order_ids()[10]
    assert first.product(first.product_ids()[0]) != other.product(other.product_ids()[0])
    assert first.order(order_id) != other.order(other.order_ids()[10])


def test_sizes_follow_the_configuration() -> None:
    store = SandboxStore(
        SandboxConfig(products=120, variable_share=0.25, variations_per_product=4, orders=500)
    )
    assert len(store.product_ids()) == 120
    assert len(store.variable_product_ids()) == 30
    assert len(store.variation_ids()) == 120
    assert all(len(store.variations_of(p)) == 4 for p in store.variable_product_ids())
    trash = len(store.order_ids(include_trash=True)) - len(store.order_ids())
    assert len(store.order_ids(include_trash=True)) == 500
    assert 0 < trash < 50
    messy = sum(
        store.order_flaw(order_id) is not None for order_id in store.order_ids(include_trash=True)
    )
    assert messy == 25  # messy_share 0.05


def test_customer_emails_are_the_billing_emails_of_the_orders(small_store: SandboxStore) -> None:
    emails = {
        small_store.order(order_id)["billing"]["email"] for order_id in small_store.order_ids()
    }
    emails.discard("")
    assert set(small_store.customer_emails()) == emails
    assert len(emails) > 10


def test_no_generated_date_is_in_the_future(small_store: SandboxStore) -> None:
    latest = max(small_store.order(i)["date_modified_gmt"] for i in small_store.order_ids())
    assert latest <= iso(DATA_END) < iso(now())


def test_a_modified_order_moves_past_every_watermark(
    sandbox: RunningSandbox, client: httpx2.Client
) -> None:
    store = sandbox.store
    watermark = max(o["date_modified_gmt"] for o in fetch_all(client, "/orders"))
    changed = store.order_ids()[3]
    before = store.order(changed)
    store.modify_order(changed, status="completed")
    delta = fetch_all(client, "/orders", modified_after=watermark, dates_are_gmt="true")
    assert ids(delta) == [changed]
    after = delta[0]
    assert after["status"] == "completed"
    assert after["date_modified_gmt"] > before["date_modified_gmt"]
    assert after["date_created_gmt"] == before["date_created_gmt"]
    assert after["line_items"] == before["line_items"]
    assert after == client.get(f"/orders/{changed}").json()


def test_orders_added_deleted_and_trashed(sandbox: RunningSandbox, client: httpx2.Client) -> None:
    store = sandbox.store
    product = store.product_ids()[0]
    added = store.add_order(items=[(product, 0, 2)], email="new.buyer@example.com")
    assert added > max(store.order_ids()[:-1])
    order = client.get(f"/orders/{added}").json()
    assert order["billing"]["email"] == "new.buyer@example.com"
    assert order["line_items"][0]["product_id"] == product
    assert order["line_items"][0]["quantity"] == 2
    assert "new.buyer@example.com" in store.customer_emails()
    assert ids(fetch_all(client, "/orders"))[-1] == added

    gone = store.order_ids()[0]
    store.delete_order(gone)
    assert gone not in ids(fetch_all(client, "/orders"))
    assert client.get(f"/orders/{gone}").status_code == 404
    with pytest.raises(KeyError):
        store.order(gone)

    trashed = store.order_ids()[0]
    store.modify_order(trashed, status="trash")
    assert trashed not in ids(fetch_all(client, "/orders"))
    assert trashed in ids(fetch_all(client, "/orders", status="trash"))


def test_products_added_modified_and_deleted(
    sandbox: RunningSandbox, client: httpx2.Client
) -> None:
    store = sandbox.store
    added = store.add_product(name="1 oz Test Eagle", sku="TEST-1", price="99.50")
    product = client.get(f"/products/{added}").json()
    assert (product["name"], product["sku"], product["price"]) == (
        "1 oz Test Eagle",
        "TEST-1",
        "99.50",
    )
    variable = store.add_product(variations=3)
    assert len(client.get(f"/products/{variable}/variations").json()) == 3

    simple = next(p for p in store.product_ids() if not store.variations_of(p))
    before = store.product(simple)
    store.modify_product(simple)
    after = client.get(f"/products/{simple}").json()
    assert after["date_modified_gmt"] > before["date_modified_gmt"]
    assert after["regular_price"] != before["regular_price"] or not before["regular_price"]

    parent = store.variable_product_ids()[0]
    variation = store.variations_of(parent)[1]
    parent_before = store.product(parent)["date_modified_gmt"]
    store.modify_variation(variation)
    assert store.variation(variation)["date_modified_gmt"] > parent_before
    # WooCommerce re-saves the parent when a variation changes.
    assert store.product(parent)["date_modified_gmt"] > parent_before

    store.delete_product(parent)
    assert parent not in ids(fetch_all(client, "/products"))
    assert client.get(f"/products/{parent}").status_code == 404
    assert client.get(f"/products/{parent}/variations/{variation}").status_code == 404
    assert variation not in store.variation_ids()


def test_orders_keep_their_lines_when_products_change_or_vanish(store: SandboxStore) -> None:
    order_id = next(
        i for i in store.order_ids() if store.order_flaw(i) is None and store.order(i)["line_items"]
    )
    before = store.order(order_id)
    product = before["line_items"][0]["product_id"]
    store.modify_product(product)
    store.delete_product(product)
    assert store.order(order_id) == before


def test_overrides_write_hostile_payloads(store: SandboxStore) -> None:
    order_id = store.order_ids()[5]
    store.modify_order(order_id, overrides={"total": "NaN", "billing": REMOVED})
    order = store.order(order_id)
    assert order["total"] == "NaN"
    assert "billing" not in order
    product_id = store.add_product(overrides={"price": 12.5, "name": "<b>Gold</b>"})
    assert store.product(product_id)["price"] == 12.5


def test_modify_random_picks_distinct_records_and_changes_them(store: SandboxStore) -> None:
    before = {i: store.order(i)["date_modified_gmt"] for i in store.order_ids()}
    chosen = store.modify_random("orders", 12)
    assert len(set(chosen)) == 12
    for order_id in chosen:
        assert store.order(order_id)["date_modified_gmt"] > before[order_id]
    assert len(store.modify_random("products", 3)) == 3


def test_admin_endpoint_changes_the_store(sandbox: RunningSandbox) -> None:
    admin = f"{sandbox.base_url}/_sandbox"
    order_id = sandbox.store.order_ids()[2]
    done = httpx2.post(f"{admin}/mutate", json={"action": "modify_order", "id": order_id,
                                               "status": "cancelled"})  # fmt: skip
    assert done.status_code == 200
    assert sandbox.store.order(order_id)["status"] == "cancelled"
    added = httpx2.post(f"{admin}/mutate", json={"action": "add_order"}).json()["result"]
    assert added in sandbox.store.order_ids()
    assert httpx2.get(f"{admin}/ids/orders").json()["ids"] == sandbox.store.order_ids()
    assert httpx2.get(f"{admin}/customers").json()["emails"] == sandbox.store.customer_emails()
    missing = httpx2.post(f"{admin}/mutate", json={"action": "delete_order", "id": 1})
    assert missing.status_code == 404
    unknown = httpx2.post(f"{admin}/mutate", json={"action": "drop_database"})
    assert unknown.status_code == 400


def test_warmed_cache_serves_changes(sandbox: RunningSandbox, client: httpx2.Client) -> None:
    sandbox.store.warm_up()
    order_id = sandbox.store.order_ids()[7]
    sandbox.store.modify_order(order_id, status="on-hold")
    listed = {o["id"]: o for o in fetch_all(client, "/orders")}
    assert listed[order_id]["status"] == "on-hold"
    assert listed[order_id] == sandbox.store.order(order_id, base_url=sandbox.base_url)
