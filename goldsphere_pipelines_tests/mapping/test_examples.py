"""Every documented WooCommerce example maps, or fails with errors naming field and reason."""

from __future__ import annotations

from decimal import Decimal

from goldsphere_pipelines.mapping import RuleSpec, compile_rules, map_order, map_product
from goldsphere_pipelines.mapping import errors as codes
from goldsphere_pipelines_tests.mapping.factories import (
    example,
    fixed_id,
    order_lookups,
    product_lookups,
)

PRODUCTS = example("products")
VARIATIONS = example("product_variations")
ORDERS = example("orders")
BULLION_FIELDS_MISSING = {
    "product_type": codes.UNKNOWN_PRODUCT_TYPE,
    "metal": codes.UNKNOWN_METAL,
    "producer": codes.MISSING_FIELD,
    "weight": codes.MISSING_FIELD,
    "purity": codes.MISSING_FIELD,
}


def product_codes(
    payload: object, parent: object = None, rules: list[RuleSpec] | None = None
) -> dict[str, str]:
    result = map_product(
        payload,
        parent=parent,
        store_currency="USD",
        mapping=compile_rules("product", rules or []),
        lookups=product_lookups(),
    )
    assert (result.product is None) == bool(result.errors) or not result.sellable
    return {error.field: error.code for error in result.errors}


def test_the_variable_example_is_not_sellable() -> None:
    variable = PRODUCTS[0]
    assert variable["type"] == "variable"
    result = map_product(
        variable,
        store_currency="USD",
        mapping=compile_rules("product"),
        lookups=product_lookups(),
    )
    assert (result.product, result.errors, result.sellable) == (None, [], False)


def test_the_t_shirt_examples_fail_naming_every_missing_bullion_field() -> None:
    # WooCommerce's examples sell clothing: no metal, weight or purity to find.
    assert product_codes(PRODUCTS[1]) == BULLION_FIELDS_MISSING
    for variation in VARIATIONS:
        assert product_codes(variation, parent=PRODUCTS[0]) == BULLION_FIELDS_MISSING


def test_the_t_shirt_examples_map_once_a_connector_says_what_they_are() -> None:
    def constant(target: str, value: str) -> RuleSpec:
        return RuleSpec(
            entity_type="product",
            source_field="",
            target_field=target,
            transform={"default": value},
        )

    rules = [
        constant("product_type", "Medallion"),
        constant("metal", "Silver"),
        constant("producer", "Perth Mint"),
        constant("weight", "1 oz"),
        constant("purity", "999"),
    ]
    assert product_codes(PRODUCTS[1], rules=rules) == {}
    for variation in VARIATIONS:
        assert product_codes(variation, parent=PRODUCTS[0], rules=rules) == {}
    result = map_product(
        VARIATIONS[0],
        parent=PRODUCTS[0],
        store_currency="EUR",
        mapping=compile_rules("product", rules),
        lookups=product_lookups(),
    )
    assert result.product is not None
    assert result.product.name == "Ship Your Idea – Green"
    assert result.product.price == Decimal("9.00")
    assert result.product.parent_external_id == "799"


def test_order_727_maps() -> None:
    result = map_order(ORDERS[0], mapping=compile_rules("order"), lookups=order_lookups())
    assert result.errors == []
    assert result.order is not None
    assert result.order.total == Decimal("29.35")


def test_order_723_awaits_its_user_and_products_then_maps() -> None:
    mapping = compile_rules("order")
    result = map_order(ORDERS[1], mapping=mapping, lookups=order_lookups())
    assert {e.field: e.code for e in result.errors} == {
        "user": codes.USER_NOT_FOUND,
        "items[0].product_id": codes.PRODUCT_NOT_FOUND,
        "items[1].product_id": codes.PRODUCT_NOT_FOUND,
    }
    assert result.awaiting_dependency
    lookups = order_lookups(emails=("joao.silva@example.com",), external_ids=("87", "34"))
    order = map_order(ORDERS[1], mapping=mapping, lookups=lookups).order
    assert order is not None
    assert order.user_id == fixed_id("user:joao.silva@example.com")
    assert (order.order_status, order.payment_status) == ("completed", "pending")
    assert order.subtotal + order.shipping == order.total == Decimal("39.00")
