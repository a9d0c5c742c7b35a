"""Orders: user, statuses, payment, items by variation/product/SKU, money reconciliation."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from goldsphere_pipelines.mapping import (
    OrderLookups,
    OrderMappingResult,
    RuleSpec,
    compile_rules,
    map_order,
)
from goldsphere_pipelines.mapping import errors as codes
from goldsphere_pipelines_tests.mapping.factories import fixed_id, order_lookups, paid_order

TEMPLATE = compile_rules("order")
LOOKUPS = order_lookups()


def mapped(
    payload: Any, lookups: OrderLookups = LOOKUPS, rules: list[RuleSpec] | None = None
) -> OrderMappingResult:
    mapping = compile_rules("order", rules) if rules else TEMPLATE
    return map_order(payload, mapping=mapping, lookups=lookups)


def codes_of(result: OrderMappingResult) -> dict[str, str]:
    return {error.field: error.code for error in result.errors}


def test_example_order_727_maps_exactly() -> None:
    result = mapped(paid_order())
    assert result.errors == []
    order = result.order
    assert order is not None
    assert order.external_id == "727"
    assert order.user_id == fixed_id("user:john.doe@example.com")
    assert (order.type, order.order_status, order.payment_status) == ("buy", "confirmed", "paid")
    assert order.paid_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    assert order.created_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)
    assert order.currency == "USD"
    assert (order.subtotal, order.shipping, order.taxes, order.fees, order.discounts) == (
        Decimal("18.00"),
        Decimal("10.00"),
        Decimal("1.35"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert order.total == Decimal("29.35")
    first, second = order.items
    assert first.product_id == fixed_id("product:93")
    assert (first.quantity, first.unit_price, first.total_price) == (
        Decimal(2),
        Decimal("3.00"),
        Decimal("6.00"),
    )
    assert first.external_line_id == "315"
    # a variation is found by its own id before its product's
    assert second.product_id == fixed_id("product:23")
    assert second.product_name == "Ship Your Idea – Color: Black, Size: M Test"
    assert second.sku == "Bar3"
    assert order.to_json()["items"][1]["unit_price"] == "12.00"


@pytest.mark.parametrize(
    ("woocommerce", "goldsphere"),
    [
        ("pending", "pending"),
        ("on-hold", "pending"),
        ("processing", "confirmed"),
        ("completed", "completed"),
        ("cancelled", "cancelled"),
        ("failed", "cancelled"),
        ("refunded", "cancelled"),
        ("ON-HOLD", "pending"),
    ],
)
def test_each_status(woocommerce: str, goldsphere: str) -> None:
    order = mapped(paid_order(status=woocommerce)).order
    assert order is not None
    assert order.order_status == goldsphere


@pytest.mark.parametrize("status", ["trash", "checkout-draft", "wc-shipped", "partially-paid"])
def test_statuses_without_a_rule_are_errors_naming_them(status: str) -> None:
    result = mapped(paid_order(status=status))
    assert codes_of(result) == {"order_status": codes.UNKNOWN_STATUS}
    assert result.errors[0].value == status
    assert status in result.errors[0].message
    assert not result.awaiting_dependency


def test_a_rule_maps_a_plugins_status() -> None:
    rule = RuleSpec(
        entity_type="order",
        source_field="status",
        target_field="order_status",
        transform={"map": {"wc-shipped": "shipped", "processing": "processing"}},
    )
    order = mapped(paid_order(status="wc-shipped"), rules=[rule]).order
    assert order is not None
    assert order.order_status == "shipped"
    # the connector's rule replaced the template's status map entirely
    assert codes_of(mapped(paid_order(status="completed"), rules=[rule])) == {
        "order_status": codes.UNKNOWN_STATUS
    }


@pytest.mark.parametrize(
    ("status", "date_paid", "payment"),
    [
        ("processing", "2017-03-22T19:28:08", "paid"),
        ("pending", None, "pending"),
        ("completed", None, "pending"),
        ("refunded", "2017-03-22T19:28:08", "refunded"),
        ("failed", None, "failed"),
        ("cancelled", "2017-03-22T19:28:08", "paid"),
    ],
)
def test_payment_status(status: str, date_paid: str | None, payment: str) -> None:
    order = mapped(paid_order(status=status, date_paid_gmt=date_paid)).order
    assert order is not None
    assert order.payment_status == payment
    assert order.paid_at == (
        None if date_paid is None else datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    )


def test_user_by_trimmed_case_insensitive_email() -> None:
    payload = paid_order()
    payload["billing"]["email"] = "  John.Doe@EXAMPLE.com "
    order = mapped(payload).order
    assert order is not None
    assert order.user_id == fixed_id("user:john.doe@example.com")


def test_no_user_fails_the_order_without_spilling_the_address() -> None:
    result = mapped(paid_order(), lookups=order_lookups(emails=()))
    assert codes_of(result) == {"user": codes.USER_NOT_FOUND}
    assert result.awaiting_dependency
    error = result.errors[0]
    assert "john.doe@example.com" not in error.message
    assert error.value == "j***@example.com"


def test_a_missing_email_is_not_a_dependency() -> None:
    payload = paid_order()
    payload["billing"]["email"] = ""
    result = mapped(payload)
    assert codes_of(result) == {"user": codes.MISSING_FIELD}
    assert not result.awaiting_dependency


def test_items_match_by_variation_then_product_then_sku() -> None:
    payload = paid_order()
    lookups = order_lookups(external_ids=("93", "22"), skus=("Bar3",))
    # variation 23 is unknown: its product 22 is used
    assert mapped(payload, lookups).order.items[1].product_id == fixed_id("product:22")  # type: ignore[union-attr]
    lookups = order_lookups(external_ids=("93",), skus=("Bar3",))
    assert mapped(payload, lookups).order.items[1].product_id == fixed_id("sku:Bar3")  # type: ignore[union-attr]


def test_unmatched_items_name_the_item_and_await_the_product() -> None:
    result = mapped(paid_order(), lookups=order_lookups(external_ids=("93",)))
    assert codes_of(result) == {"items[1].product_id": codes.PRODUCT_NOT_FOUND}
    assert result.awaiting_dependency
    message = result.errors[0].message
    for part in ("316", "Ship Your Idea", "Bar3"):
        assert part in message


def test_user_and_products_missing_together_are_all_reported() -> None:
    result = mapped(paid_order(), lookups=OrderLookups())
    assert set(codes_of(result).values()) == {codes.USER_NOT_FOUND, codes.PRODUCT_NOT_FOUND}
    assert len(result.errors) == 3
    assert result.awaiting_dependency


def test_an_item_of_a_deleted_product_is_not_awaited() -> None:
    payload = paid_order()
    payload["line_items"][0].update(product_id=0, variation_id=0, sku="")
    result = mapped(payload)
    assert codes_of(result) == {"items[0].product_id": codes.MISSING_FIELD}
    assert not result.awaiting_dependency


def test_unit_price_comes_from_the_string_total_not_the_float_price() -> None:
    payload = paid_order()
    item = payload["line_items"][0]
    item.update(quantity=3, total="42.93", subtotal="42.93", price=14.309999999999999)
    payload["total"] = "66.28"
    order = mapped(payload).order
    assert order is not None
    assert order.items[0].unit_price == Decimal("14.31")
    assert order.items[0].total_price == Decimal("42.93")


def test_an_uneven_unit_price_keeps_four_places() -> None:
    payload = paid_order()
    payload["line_items"][0].update(quantity=3, total="10.00")
    payload["total"] = "33.35"
    order = mapped(payload).order
    assert order is not None
    assert order.items[0].unit_price == Decimal("3.3333")


def test_discounts_are_already_in_the_item_totals() -> None:
    payload = paid_order(discount_total="2.00")
    payload["line_items"][0].update(subtotal="8.00", total="6.00")
    order = mapped(payload).order
    assert order is not None
    assert order.discounts == Decimal("2.00")
    assert order.total == Decimal("29.35")


def test_fees_count_towards_the_total() -> None:
    payload = paid_order(total="31.85")
    payload["fee_lines"] = [{"id": 1, "name": "Insurance", "total": "2.50", "total_tax": "0"}]
    order = mapped(payload).order
    assert order is not None
    assert order.fees == Decimal("2.50")


@pytest.mark.parametrize(("total", "ok"), [("29.35", True), ("29.36", True), ("29.37", False)])
def test_totals_reconcile_within_a_cent(total: str, ok: bool) -> None:
    result = mapped(paid_order(total=total))
    if ok:
        assert result.errors == []
    else:
        assert codes_of(result) == {"total": codes.TOTALS_MISMATCH}
        assert "29.35" in result.errors[0].message
        assert "29.37" in result.errors[0].message


def test_a_broken_amount_is_reported_once_not_as_a_mismatch_too() -> None:
    result = mapped(paid_order(shipping_total="ten"))
    assert codes_of(result) == {"shipping": codes.INVALID_DECIMAL}


@pytest.mark.parametrize(
    ("quantity", "code"),
    [(-1, codes.INVALID_QUANTITY), (0, codes.INVALID_QUANTITY), (2.5, codes.INVALID_TYPE)],
)
def test_bad_quantities(quantity: Any, code: str) -> None:
    payload = paid_order()
    payload["line_items"][0]["quantity"] = quantity
    assert codes_of(mapped(payload)) == {"items[0].quantity": code}


def test_currency_is_upper_case_iso_and_limited() -> None:
    assert mapped(paid_order(currency="eur")).order.currency == "EUR"  # type: ignore[union-attr]
    assert codes_of(mapped(paid_order(currency="BRL"))) == {"currency": codes.UNSUPPORTED_CURRENCY}
    assert codes_of(mapped(paid_order(currency="EURO"))) == {"currency": codes.UNKNOWN_CURRENCY}


def test_an_order_without_items_is_an_error() -> None:
    result = mapped(paid_order(line_items=[], total="11.35"))
    assert codes_of(result) == {"items": codes.MISSING_FIELD}


def test_a_line_item_that_is_not_an_object() -> None:
    payload = paid_order()
    payload["line_items"][1] = "oops"
    assert codes_of(mapped(payload)) == {"items[1]": codes.INVALID_TYPE}
