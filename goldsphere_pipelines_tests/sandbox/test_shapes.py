"""Sandbox payloads have exactly the keys and JSON types of WooCommerce's documented examples.

Every record of a small store is compared field by field (recursively) with the examples
in shared/reference/woocommerce-examples/, so every variant the generator makes (variable
parents, messy records, taxes, coupons, fees, refunds) is held to the documented shape.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2
import pytest

from goldsphere_pipelines.sandbox import SandboxStore
from goldsphere_pipelines_tests.sandbox.conftest import fetch_all

EXAMPLES = Path("/work/shared/reference/woocommerce-examples")

NULLABLE: dict[str, type | tuple[type, ...]] = {
    "stock_quantity": int,
    "date_on_sale_from": str,
    "date_on_sale_from_gmt": str,
    "date_on_sale_to": str,
    "date_on_sale_to_gmt": str,
    "date_paid": str,
    "date_paid_gmt": str,
    "date_completed": str,
    "date_completed_gmt": str,
}
"""Fields that are null in (some) examples and hold this type otherwise (WooCommerce docs)."""

ELEMENTS_OF_EMPTY_LISTS: dict[str, dict[str, Any]] = {
    "tags": {"id": 0, "name": "", "slug": ""},
    "meta_data": {"id": 0, "key": "", "value": ""},
    "variations": 0,
    "related_ids": 0,
    "default_attributes": {"id": 0, "name": "", "option": ""},
    "fee_lines": {
        "id": 0, "name": "", "tax_class": "", "tax_status": "", "total": "", "total_tax": "",
        "taxes": [], "meta_data": [],
    },
    "coupon_lines": {"id": 0, "code": "", "discount": "", "discount_tax": "", "meta_data": []},
    "options": "",
    "taxes": {"id": 0, "total": "", "subtotal": ""},
}  # fmt: skip
"""Element shapes for lists the examples leave empty, from WooCommerce's REST API docs."""

JSON_TYPE = {bool: "boolean", int: "number", float: "number", str: "string", list: "array",
             dict: "object", type(None): "null"}  # fmt: skip


def json_type(value: Any) -> str:
    return JSON_TYPE[type(value)]


def example(name: str) -> list[dict[str, Any]]:
    examples: list[dict[str, Any]] = json.loads((EXAMPLES / f"{name}.json").read_text())
    return examples


def merged_shape(values: list[Any]) -> Any:
    """One reference shape from several examples (union of keys, first non-null value)."""
    if values and all(isinstance(value, list) for value in values):
        return [item for value in values for item in value]
    dicts = [value for value in values if isinstance(value, dict)]
    if not dicts:
        return next((value for value in values if value is not None), values[0])
    shape: dict[str, Any] = {}
    for item in dicts:
        for key, value in item.items():
            shape.setdefault(key, [])
            shape[key].append(value)
    return {key: merged_shape(found) for key, found in shape.items()}


def mismatches(actual: Any, reference: Any, path: str, optional: frozenset[str]) -> list[str]:
    """Where `actual` differs from `reference` in keys or JSON types (empty: same shape)."""
    field = path.rsplit(".", 1)[-1].split("[")[0]
    if reference is None or actual is None:
        allowed = NULLABLE.get(field)
        if actual is None and (reference is None or allowed is not None):
            return []
        if reference is None and allowed is not None and isinstance(actual, allowed):
            return []
        return [f"{path}: {json_type(actual)} where the example has {json_type(reference)}"]
    if json_type(actual) != json_type(reference):
        return [f"{path}: {json_type(actual)} where the example has {json_type(reference)}"]
    if isinstance(reference, dict):
        problems = []
        missing = set(reference) - set(actual) - optional
        extra = set(actual) - set(reference)
        problems += [f"{path}.{key}: missing" for key in sorted(missing)]
        problems += [f"{path}.{key}: not in the example" for key in sorted(extra)]
        for key in set(reference) & set(actual):
            problems += mismatches(actual[key], reference[key], f"{path}.{key}", optional)
        return problems
    if isinstance(reference, list):
        element = merged_shape(reference) if reference else ELEMENTS_OF_EMPTY_LISTS.get(field)
        if element is None:
            return [f"{path}: non-empty where the example's list is always empty"] if actual else []
        problems = []
        for position, item in enumerate(actual):
            problems += mismatches(item, element, f"{path}[{position}]", optional)
        return problems
    return []


def assert_shape(records: list[dict[str, Any]], reference: dict[str, Any], **optional: Any) -> None:
    problems = []
    for record in records:
        found = mismatches(record, reference, f"#{record.get('id')}", frozenset(optional))
        problems += found
    assert not problems, "\n".join(problems[:20])


@pytest.fixture(scope="module")
def orders(api: httpx2.Client) -> list[dict[str, Any]]:
    return fetch_all(api, "/orders")


@pytest.fixture(scope="module")
def products(api: httpx2.Client) -> list[dict[str, Any]]:
    return fetch_all(api, "/products")


def test_products_have_the_documented_keys_and_types(products: list[dict[str, Any]]) -> None:
    assert {product["type"] for product in products} == {"simple", "variable"}
    assert_shape(products, merged_shape(example("products")))


def test_variations_have_the_documented_keys_and_types(
    api: httpx2.Client, small_store: SandboxStore
) -> None:
    variations = []
    for product_id in small_store.variable_product_ids():
        variations += fetch_all(api, f"/products/{product_id}/variations")
    assert len(variations) == len(small_store.variation_ids())
    assert_shape(variations, merged_shape(example("product_variations")))


def test_orders_have_the_documented_keys_and_types(orders: list[dict[str, Any]]) -> None:
    # The customer link appears only for registered customers, as in the examples.
    assert_shape(orders, merged_shape(example("orders")), customer=True)
    assert all(("customer" in order["_links"]) == (order["customer_id"] > 0) for order in orders)


def test_the_generator_makes_every_variant_the_shapes_must_cover(
    orders: list[dict[str, Any]],
) -> None:
    def some(key: str) -> bool:
        return any(order[key] for order in orders)

    for key in ("tax_lines", "fee_lines", "coupon_lines", "refunds"):
        assert some(key), key
    assert any(item["variation_id"] for order in orders for item in order["line_items"])
    assert any(item["taxes"] for order in orders for item in order["line_items"])


def test_money_and_dates_carry_woocommerces_oddities(
    products: list[dict[str, Any]], orders: list[dict[str, Any]]
) -> None:
    variable = [product for product in products if product["type"] == "variable"]
    assert variable
    assert all(product["price"] == "" for product in variable)
    simple_prices = [p["price"] for p in products if p["type"] == "simple" and p["price"]]
    assert all(isinstance(price, str) for price in simple_prices)
    assert any("." not in price for price in simple_prices), "some prices are whole units"
    unit_prices = [item["price"] for order in orders for item in order["line_items"]]
    assert all(isinstance(price, int | float) for price in unit_prices)
    assert any(isinstance(price, float) for price in unit_prices)
    refunds = [refund["total"] for order in orders for refund in order["refunds"]]
    assert all(re.fullmatch(r"-\d+\.\d\d", total) for total in refunds)
    gmt = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
    for record in [*products, *orders]:
        for key in ("date_created_gmt", "date_modified_gmt"):
            assert gmt.fullmatch(record[key]), record[key]


def test_order_totals_add_up_for_clean_orders(
    orders: list[dict[str, Any]], small_store: SandboxStore
) -> None:
    checked = 0
    for order in orders:
        if small_store.order_flaw(order["id"]) is not None:
            continue
        lines = order["line_items"]
        items_subtotal = sum(Decimal(item["subtotal"]) for item in lines)
        items_total = sum(Decimal(item["total"]) for item in lines)
        fees = sum(Decimal(fee["total"]) for fee in order["fee_lines"])
        shipping = Decimal(order["shipping_total"])
        taxes = Decimal(order["total_tax"])
        discount = Decimal(order["discount_total"])
        assert items_subtotal - discount == items_total, order["id"]
        assert Decimal(order["total"]) == items_subtotal + shipping + fees + taxes - discount
        assert taxes == Decimal(order["cart_tax"]) + Decimal(order["shipping_tax"])
        assert Decimal(order["cart_tax"]) == sum(Decimal(item["total_tax"]) for item in lines)
        checked += 1
    assert checked > 300


def test_clean_orders_buy_existing_products_and_variations(
    orders: list[dict[str, Any]], small_store: SandboxStore
) -> None:
    products = set(small_store.product_ids())
    for order in orders:
        if small_store.order_flaw(order["id"]) is not None:
            continue
        for item in order["line_items"]:
            assert item["product_id"] in products
            if item["variation_id"]:
                assert item["variation_id"] in small_store.variations_of(item["product_id"])


def test_messy_orders_have_their_flaw(
    orders: list[dict[str, Any]], small_store: SandboxStore
) -> None:
    ghosts = set(small_store.ghost_product_ids())
    flaws = {}
    for order in orders:
        flaw = small_store.order_flaw(order["id"])
        flaws[flaw] = flaws.get(flaw, 0) + 1
        items = order["line_items"]
        if flaw == "guest_without_email":
            assert order["billing"]["email"] == ""
            assert order["customer_id"] == 0
        elif flaw == "deleted_product":
            assert any(item["product_id"] in ghosts for item in items)
        elif flaw == "unknown_currency":
            assert order["currency"] not in {"USD", "EUR", "GBP", "CHF", "CAD", "AUD"}
        elif flaw == "custom_line_item":
            assert any(item["product_id"] == 0 for item in items)
    assert set(flaws) == {
        None, "guest_without_email", "deleted_product", "unknown_currency", "custom_line_item"
    }  # fmt: skip


def test_bullion_catalogue(products: list[dict[str, Any]], small_store: SandboxStore) -> None:
    categories = {p["categories"][0]["name"] for p in products}
    assert {"Gold Coins", "Silver Bars"} <= categories or len(categories) > 4
    for product in products:
        if small_store.product_flaw(product["id"]) is not None:
            continue
        names = {attribute["name"] for attribute in product["attributes"]}
        assert {"Metal", "Weight", "Purity"} <= names
        assert names & {"Mint", "Brand", "Producer"}
        assert product["sku"]
        assert product["categories"][0]["name"].split()[0] in {
            "Gold", "Silver", "Platinum", "Palladium"
        }  # fmt: skip


def test_served_json_equals_the_store_payload(
    api: httpx2.Client, small_store: SandboxStore, orders: list[dict[str, Any]]
) -> None:
    base = str(api.base_url).removesuffix("/wp-json/wc/v3/")
    for order in orders[:25]:
        assert order == small_store.order(order["id"], base_url=base)
    product_id = small_store.product_ids()[3]
    assert api.get(f"/products/{product_id}").json() == small_store.product(
        product_id, base_url=base
    )
