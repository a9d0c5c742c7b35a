"""Every sandbox record maps with the default templates, or fails with the errors its flaw
explains (the sandbox plants flaws in a share of its records on purpose)."""

from __future__ import annotations

from collections import Counter
from uuid import UUID

import pytest

from goldsphere_pipelines.mapping import (
    OrderLookups,
    ProductLookups,
    compile_rules,
    map_order,
    map_product,
    normalize_email,
    normalize_name,
)
from goldsphere_pipelines.mapping import errors as codes
from goldsphere_pipelines.mapping.currencies import SUPPORTED_CURRENCIES
from goldsphere_pipelines.mapping.targets import DEFAULT_PRODUCERS
from goldsphere_pipelines.sandbox.store import SandboxStore
from goldsphere_pipelines_tests.mapping.factories import fixed_id, product_lookups

PRODUCT_FLAW_CODES: dict[str | None, set[frozenset[tuple[str, str]]]] = {
    None: {frozenset()},
    "missing_sku": {frozenset()},
    "empty_price": {frozenset({("price", codes.MISSING_FIELD)})},
    # the product's name may still say what it is
    "unknown_category": {frozenset(), frozenset({("product_type", codes.UNKNOWN_PRODUCT_TYPE)})},
}
ORDER_FLAW_CODES: dict[str | None, set[str]] = {
    None: set(),
    "guest_without_email": {codes.MISSING_FIELD},
    "deleted_product": {codes.PRODUCT_NOT_FOUND},
    "unknown_currency": {codes.UNSUPPORTED_CURRENCY, codes.UNKNOWN_CURRENCY},
    "custom_line_item": {codes.MISSING_FIELD},
}
# WooCommerce statuses the issue leaves to per-connector rules.
STATUSES_FOR_RULES = {"trash", "checkout-draft"}


@pytest.fixture(scope="module", params=["USD", "CHF"])
def store(request: pytest.FixtureRequest) -> SandboxStore:
    return SandboxStore(products=150, orders=300, customers=40, currency=request.param)


def _products(store: SandboxStore) -> dict[str, UUID]:
    mapping, lookups = compile_rules("product"), product_lookups_with_all_producers()
    imported: dict[str, UUID] = {}
    outcomes: Counter[str] = Counter()
    for product_id in store.product_ids():
        payload = store.product(product_id)
        flaw = store.product_flaw(product_id)
        result = map_product(
            payload, store_currency=store.config.currency, mapping=mapping, lookups=lookups
        )
        found = frozenset((e.field, e.code) for e in result.errors)
        assert found in PRODUCT_FLAW_CODES[flaw], (product_id, flaw, result.errors)
        if payload["type"] == "variable":
            assert not result.sellable
            outcomes["variable"] += 1
        if result.product is not None:
            assert result.product.currency == store.config.currency
            imported[str(product_id)] = fixed_id(f"product:{product_id}")
        for variation_id in store.variations_of(product_id):
            variation = map_product(
                store.variation(variation_id),
                parent=payload,
                store_currency=store.config.currency,
                mapping=mapping,
                lookups=lookups,
            )
            assert variation.errors == [], (variation_id, variation.errors)
            assert variation.product is not None
            assert variation.product.parent_external_id == str(product_id)
            imported[str(variation_id)] = fixed_id(f"product:{variation_id}")
            outcomes["variation"] += 1
    assert outcomes["variable"]
    assert outcomes["variation"]
    return imported


def product_lookups_with_all_producers() -> ProductLookups:
    """The reference lookups with every producer the core migration loads."""
    base = product_lookups()
    producers = {normalize_name(name): fixed_id(name) for name in DEFAULT_PRODUCERS}
    return ProductLookups(
        metals=base.metals,
        product_types=base.product_types,
        producers={**base.producers, **producers},
    )


def test_every_sandbox_product_and_order(store: SandboxStore) -> None:
    imported = _products(store)
    lookups = OrderLookups(
        users_by_email={normalize_email(e): fixed_id(e) for e in store.customer_emails()},
        products_by_external_id=imported,
    )
    mapping = compile_rules("order")
    seen: Counter[str] = Counter()
    for order_id in store.order_ids(include_trash=True):
        payload = store.order(order_id)
        flaw = store.order_flaw(order_id)
        result = map_order(payload, mapping=mapping, lookups=lookups)
        found = {e.code for e in result.errors}
        if payload["status"] in STATUSES_FOR_RULES:
            assert codes.UNKNOWN_STATUS in found
            found.discard(codes.UNKNOWN_STATUS)
            seen["for rules"] += 1
        assert found <= ORDER_FLAW_CODES[flaw], (order_id, flaw, result.errors)
        assert bool(found) == (flaw is not None), (order_id, flaw, result.errors)
        if result.order is not None:
            seen["mapped"] += 1
            # multi-currency shops: an order may be in another currency goldsphere accepts
            assert result.order.currency in SUPPORTED_CURRENCIES
    assert seen["mapped"] > 200
