"""A full sync's reconciliation compares with the ids its own full read listed
(`connectors.pass_listing`): those ids are the shop's listings, and what the read cannot
vouch for is listed again."""

from __future__ import annotations

from array import array

from goldsphere_pipelines.connectors.extract import extract_orders, extract_products
from goldsphere_pipelines.connectors.pass_listing import PassListing
from goldsphere_pipelines.connectors.reconcile import reconcile
from goldsphere_pipelines.connectors.runs import list_runs
from goldsphere_pipelines.connectors.sync_settings import SyncSettings
from goldsphere_pipelines.defs.resources import WooCommerceResource, utc_now
from goldsphere_pipelines_tests.deletions.test_sync_deletions import _deleted_how
from goldsphere_pipelines_tests.pipeline.conftest import register, sync


def test_a_full_read_lists_exactly_what_the_shops_id_listings_list(pipeline_db, shop_factory):
    shop = shop_factory(variable_share=0.3)
    store = shop.store
    trashed = {"/products": store.product_ids()[3], "/orders": store.order_ids()[5]}
    store.trash_product(trashed["/products"])
    store.trash_order(trashed["/orders"])
    connector = register(pipeline_db, shop)
    products, orders = PassListing(), PassListing()
    with WooCommerceResource(concurrency=4).client_for(pipeline_db, connector) as client:
        extract_products(
            pipeline_db, connector.id, client, SyncSettings(), now=utc_now(), listing=products
        )
        extract_orders(
            pipeline_db, connector.id, client, SyncSettings(), now=utc_now(), listing=orders
        )
        assert products.usable
        assert orders.usable
        for listing, collection in ((products, "/products"), (orders, "/orders")):
            live = client.list_ids(collection).ids
            trash = client.list_ids(collection, {"status": "trash"}).ids
            assert sorted(listing.live) == sorted(live)
            assert sorted(listing.trash) == sorted(trash)
            assert trashed[collection] in trash
        assert products.variations, "the shop has variable products"
        for parent, variations in products.variations.items():
            assert sorted(variations) == sorted(
                client.list_ids(f"/products/{parent}/variations").ids
            )


def test_a_delta_read_lists_nothing(pipeline_db, shop_factory):
    connector = register(pipeline_db, shop_factory())
    assert sync(connector.name).success
    listing = PassListing()
    with WooCommerceResource(concurrency=4).client_for(pipeline_db, connector) as client:
        stats = extract_orders(
            pipeline_db, connector.id, client, SyncSettings(), now=utc_now(), listing=listing
        )
    assert stats.mode == "delta"
    assert not listing.usable
    assert len(listing.live) == 0


def test_a_full_sync_marks_what_the_shop_deleted_without_listing_it_again(
    pipeline_db, shop_factory
):
    shop = shop_factory(variable_share=0.3)
    connector = register(pipeline_db, shop)
    assert sync(connector.name).success
    store = shop.store
    product = next(p for p in store.product_ids() if p not in store.variable_product_ids())
    variation = store.variation_ids()[0]
    order = store.order_ids()[7]
    store.delete_product(product)
    store.delete_variation(variation)
    store.delete_order(order)

    assert sync(connector.name, sync_settings={"full_refresh": True}).success
    assert _deleted_how(pipeline_db, "external_product", connector, product) == "gone"
    assert _deleted_how(pipeline_db, "external_product", connector, variation) == "gone"
    assert _deleted_how(pipeline_db, "external_order", connector, order) == "gone"
    stats = list_runs(pipeline_db, connector.name, limit=1)[0].stats["reconcile"]
    assert stats["gone"] == 3
    assert stats["listings"] == {
        "product": "this sync's full read",
        "order": "this sync's full read",
    }
    assert stats.get("requests", 0) == 0, "every id came from the sync's own full read"


def test_what_a_full_read_cannot_vouch_for_is_listed_again(pipeline_db, shop_factory):
    shop = shop_factory(variable_share=0.3)
    connector = register(pipeline_db, shop)
    assert sync(connector.name).success
    store = shop.store
    variation = store.variation_ids()[0]
    store.delete_variation(variation)
    with WooCommerceResource(concurrency=4).client_for(pipeline_db, connector) as client:
        # An order without a usable id: were the (empty) read used, every order we hold
        # would look deleted and the share guard would stop the pass.
        orders = PassListing(complete=True, unusable=1)
        # Every product read, but no variable product's variations.
        products = PassListing(
            live=array("q", sorted(client.list_ids("/products").ids)), complete=True
        )
        stats = reconcile(
            pipeline_db,
            connector.id,
            client,
            read_in_full={"product": products, "order": orders},
        )
        requests = client.stats.requests
    assert stats.listings == {"product": "this sync's full read", "order": "id listing"}
    assert stats.gone == 1
    assert stats.held > 0
    assert _deleted_how(pipeline_db, "external_product", connector, variation) == "gone"
    assert requests > len(store.variable_product_ids()), "orders and every parent's variations"
