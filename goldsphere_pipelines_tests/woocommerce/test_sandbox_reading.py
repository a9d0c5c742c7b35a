"""Reading a whole sandbox store: every product, variation and order exactly once, in each
auth mode, and every filter doing what WooCommerce's does."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pytest

from goldsphere_pipelines.sandbox import RunningSandbox, SandboxConfig, run_sandbox
from goldsphere_pipelines.woocommerce import (
    AuthMode,
    Page,
    PermissionDeniedError,
    TLSError,
)
from goldsphere_pipelines_tests.woocommerce.conftest import SHOP, SMALL_SHOP, connect


def ids(pages: Iterable[Page]) -> list[int]:
    return [record["id"] for page in pages for record in page.records]


def gmt(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def read_everything(sandbox: RunningSandbox, mode: AuthMode, **options: Any) -> None:
    store = sandbox.store
    with connect(sandbox, mode, **options) as client:
        product_pages = list(client.iter_products())
        order_pages = list(client.iter_orders())
        variations = dict(client.iter_variations_many(store.variable_product_ids()))

    assert ids(product_pages) == store.product_ids()
    assert ids(order_pages) == store.order_ids()
    assert len(ids(order_pages)) == order_pages[0].total, "exactly X-WP-Total records"
    assert len(ids(product_pages)) == product_pages[0].total
    assert {pid: [v["id"] for v in vs] for pid, vs in variations.items()} == {
        pid: store.variations_of(pid) for pid in store.variable_product_ids()
    }
    assert sorted(v["id"] for vs in variations.values() for v in vs) == sorted(
        store.variation_ids()
    )
    assert client.stats.retries == 0
    assert client.stats.requests == client.stats.pages


def test_oauth1_over_http_reads_every_record_once(shop: RunningSandbox) -> None:
    read_everything(shop, AuthMode.OAUTH1)


def test_oauth1_with_the_signature_in_the_header() -> None:
    with run_sandbox(SMALL_SHOP) as sandbox:
        read_everything(sandbox, AuthMode.OAUTH1, oauth_signature_in="header", per_page=30)


@pytest.mark.parametrize(("mode", "shop"), [(AuthMode.BASIC, SHOP), (AuthMode.QUERY, SMALL_SHOP)])
def test_keys_over_tls_with_the_stores_ca_bundle_read_every_record_once(
    mode: AuthMode, shop: SandboxConfig
) -> None:
    with run_sandbox(shop, tls=True) as sandbox:
        read_everything(sandbox, mode)


def test_basic_auth_behind_a_tls_proxy_works_over_plain_http() -> None:
    with run_sandbox(SMALL_SHOP.with_changes(behind_tls_proxy=True)) as sandbox:
        read_everything(sandbox, AuthMode.BASIC, concurrency=3, per_page=37)


def test_basic_auth_over_plain_http_is_refused_with_advice() -> None:
    with run_sandbox(SMALL_SHOP) as sandbox, connect(sandbox, AuthMode.BASIC) as client:
        with pytest.raises(PermissionDeniedError, match="--auth oauth1"):
            list(client.iter_orders())
        result = client.test_connection()
    assert not result.success
    assert "--auth oauth1" in result.message


def test_tls_without_the_stores_certificate_fails_once_and_clearly() -> None:
    with run_sandbox(SMALL_SHOP, tls=True) as sandbox:
        with connect(sandbox, AuthMode.BASIC) as trusting:
            assert trusting.test_connection().success
        bare = sandbox.__class__(
            base_url=sandbox.base_url,
            store=sandbox.store,
            consumer_key=sandbox.consumer_key,
            consumer_secret=sandbox.consumer_secret,
        )
        with connect(bare, AuthMode.BASIC) as client:
            with pytest.raises(TLSError, match="--ca-bundle"):
                client.get_order(sandbox.store.order_ids()[0])
            assert client.stats.requests == 1, "a certificate failure is not retried"
            result = client.test_connection()
    assert not result.success
    assert "certificate could not be verified" in result.message


def test_connection_reports_what_the_store_is(shop: RunningSandbox) -> None:
    with connect(shop) as client:
        result = client.test_connection()
    assert result.success
    assert (result.woocommerce_version, result.currency) == ("8.9.1", "USD")
    assert result.supports_modified_filters is True
    counts = f"{len(shop.store.product_ids())} products, {len(shop.store.order_ids()):,} orders"
    assert counts in result.message


def test_connection_to_an_old_store_without_system_status_access() -> None:
    old = SMALL_SHOP.with_changes(
        woocommerce_version="5.6.0", supports_modified_filters=False, currency="EUR"
    )
    with run_sandbox(old) as sandbox, connect(sandbox) as client:
        assert client.test_connection().supports_modified_filters is False
    hidden = SMALL_SHOP.with_changes(system_status_allowed=False, currency="CHF")
    with run_sandbox(hidden) as sandbox, connect(sandbox) as client:
        result = client.test_connection()
    assert result.success
    assert result.woocommerce_version is None
    assert result.supports_modified_filters is None


def test_count_and_single_records_match_the_store(shop: RunningSandbox) -> None:
    store = shop.store
    order_id, product_id = store.order_ids()[17], store.product_ids()[3]
    with connect(shop) as client:
        assert client.count("/orders") == len(store.order_ids())
        assert client.count("/products", {"type": "variable"}) == len(store.variable_product_ids())
        assert client.get_order(order_id) == store.order(order_id, base_url=shop.base_url)
        assert client.get_product(product_id) == store.product(product_id, base_url=shop.base_url)


# -- filters ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def orders(shop: RunningSandbox) -> list[dict[str, Any]]:
    return [shop.store.order(i) for i in shop.store.order_ids()]


@pytest.fixture(scope="module")
def products(shop: RunningSandbox) -> list[dict[str, Any]]:
    return [shop.store.product(i) for i in shop.store.product_ids()]


def test_order_date_filters_are_strict_utc_bounds(
    shop: RunningSandbox, orders: list[dict[str, Any]]
) -> None:
    created = sorted({gmt(o["date_created_gmt"]) for o in orders})
    modified = sorted({gmt(o["date_modified_gmt"]) for o in orders})
    after, before = created[len(created) // 4], created[3 * len(created) // 4]
    modified_after, modified_before = modified[len(modified) // 3], modified[-len(modified) // 3]
    with connect(shop) as client:
        got_created = ids(client.iter_orders(after=after, before=before))
        got_modified = ids(
            client.iter_orders(modified_after=modified_after, modified_before=modified_before)
        )
    assert got_created == [o["id"] for o in orders if after < gmt(o["date_created_gmt"]) < before]
    assert got_modified == [
        o["id"] for o in orders if modified_after < gmt(o["date_modified_gmt"]) < modified_before
    ]
    assert 0 < len(got_created) < len(orders)
    assert 0 < len(got_modified) < len(orders)


def test_order_status_and_include_filters(
    shop: RunningSandbox, orders: list[dict[str, Any]]
) -> None:
    wanted = {"completed", "refunded"}
    chosen = [orders[5]["id"], orders[700]["id"], orders[2500]["id"]]
    with connect(shop) as client:
        by_status = ids(client.iter_orders(status=sorted(wanted)))
        by_include = ids(client.iter_orders(include=chosen))
        fields = [
            r for page in client.iter_orders(include=chosen, _fields="status") for r in page.records
        ]
    assert by_status == [o["id"] for o in orders if o["status"] in wanted]
    assert by_include == sorted(chosen)
    assert [set(r) for r in fields] == [{"id", "status"}] * 3


def test_product_filters(shop: RunningSandbox, products: list[dict[str, Any]]) -> None:
    store = shop.store
    with_sku = next(p for p in products if p["sku"])
    term = with_sku["name"].split()[0].lower()
    created = sorted(gmt(p["date_created_gmt"]) for p in products)
    middle = created[len(created) // 2]
    with connect(shop) as client:
        variable = ids(client.iter_products(type="variable"))
        by_sku = ids(client.iter_products(sku=with_sku["sku"]))
        found = [r for page in client.iter_products(search=term) for r in page.records]
        newer = ids(client.iter_products(after=middle))
        published = ids(client.iter_products(status="publish"))
        top_level = ids(client.iter_products(parent=0))
        slim = [r for page in client.iter_products(_fields=["sku", "price"]) for r in page.records]
    assert variable == store.variable_product_ids()
    assert by_sku == [with_sku["id"]]
    expected = {p["id"] for p in products if term in p["name"].lower()}
    assert expected <= {r["id"] for r in found}
    assert all(
        term in (r["name"] + r["description"] + r["short_description"] + r["sku"]).lower()
        for r in found
    )
    assert newer == [p["id"] for p in products if gmt(p["date_created_gmt"]) > middle]
    assert published == [p["id"] for p in products if p["status"] == "publish"]
    assert top_level == [p["id"] for p in products if p["parent_id"] == 0]
    assert len(slim) == len(products)
    assert all(set(r) == {"id", "sku", "price"} for r in slim)


def test_variation_filters(shop: RunningSandbox) -> None:
    store = shop.store
    parent = store.variable_product_ids()[0]
    variations = [store.variation(v) for v in store.variations_of(parent)]
    with connect(shop) as client:
        every = ids(client.iter_variations(parent))
        one = ids(client.iter_variations(parent, sku=variations[1]["sku"]))
        some = ids(
            client.iter_variations(parent, include=[variations[0]["id"], variations[2]["id"]])
        )
    assert every == store.variations_of(parent)
    assert one == [variations[1]["id"]]
    assert some == [variations[0]["id"], variations[2]["id"]]
