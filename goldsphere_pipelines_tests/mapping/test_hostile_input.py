"""Hostile and broken input: the mapper never raises; it returns an entity or errors.

The property tests feed arbitrary JSON and real payloads mutated at random places; the
corpus below names the shapes issue 8 lists (wrong types everywhere, NaN and exponent
prices, negative quantities, huge strings and arrays, deep nesting, broken text, HTML,
dates out of range). `internal_error` is the mapper's last-resort code for its own
bugs: no input may produce it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goldsphere_pipelines.mapping import (
    OrderMappingResult,
    ProductMappingResult,
    compile_rules,
    map_order,
    map_product,
)
from goldsphere_pipelines.mapping import errors as codes
from goldsphere_pipelines.mapping.errors import MAX_VALUE_LENGTH
from goldsphere_pipelines_tests.mapping.factories import (
    gold_coin,
    order_lookups,
    paid_order,
    product_lookups,
    silver_bar_parent,
    silver_bar_variation,
)
from goldsphere_pipelines_tests.mapping.reference_orders import assert_same_as_reference

PRODUCT_MAPPING = compile_rules("product")
ORDER_MAPPING = compile_rules("order")
PRODUCT_LOOKUPS = product_lookups()
ORDER_LOOKUPS = order_lookups()

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["", " ", "NaN", "1e308", "-0", "0", "1/0 oz", "24K", "9" * 60, "\x00"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=25,
)
FIELD_NAMES = sorted(set(gold_coin()) | set(paid_order()) | {"option", "options", "name"})
payload_like = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=15)


def product(payload: Any, parent: Any = None, currency: Any = "USD") -> ProductMappingResult:
    result = map_product(
        payload,
        parent=parent,
        store_currency=currency,
        mapping=PRODUCT_MAPPING,
        lookups=PRODUCT_LOOKUPS,
    )
    check_product_result(result)
    return result


def order(payload: Any) -> OrderMappingResult:
    result = map_order(payload, mapping=ORDER_MAPPING, lookups=ORDER_LOOKUPS)
    check_order_result(result)
    # the compiled order rules give what the general engine gives, on every hostile input
    assert_same_as_reference(payload, ORDER_MAPPING, ORDER_LOOKUPS, fast=result)
    return result


def check_errors(errors: list[codes.MappingError]) -> None:
    for error in errors:
        assert error.code != codes.INTERNAL_ERROR, error.message
        assert error.field
        assert error.message
        assert error.value is None or len(error.value) <= MAX_VALUE_LENGTH
        # every error must be storable in jsonb
        json.dumps(error.model_dump()).encode("utf-8")
        assert "\\u0000" not in json.dumps(error.model_dump())


def check_product_result(result: ProductMappingResult) -> None:
    check_errors(result.errors)
    if result.product is not None:
        assert result.errors == []
        assert result.sellable
        json.dumps(result.product.to_json()).encode("utf-8")
    else:
        assert result.errors or not result.sellable


def check_order_result(result: OrderMappingResult) -> None:
    check_errors(result.errors)
    if result.order is not None:
        assert result.errors == []
        mapped = result.order
        assert abs(
            mapped.subtotal + mapped.shipping + mapped.fees + mapped.taxes - mapped.total
        ) <= (0.01)
        json.dumps(mapped.to_json()).encode("utf-8")
    else:
        assert result.errors


# --- property tests ------------------------------------------------------------------------

PROPERTY_SETTINGS = settings(
    max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(json_values, st.one_of(st.none(), json_values), json_values)
def test_arbitrary_json_as_a_product(payload: Any, parent: Any, currency: Any) -> None:
    product(payload, parent=parent, currency=currency)


@PROPERTY_SETTINGS
@given(payload_like, st.one_of(st.none(), payload_like))
def test_product_shaped_junk(payload: Any, parent: Any) -> None:
    product(payload, parent=parent)


@PROPERTY_SETTINGS
@given(json_values)
def test_arbitrary_json_as_an_order(payload: Any) -> None:
    order(payload)


@PROPERTY_SETTINGS
@given(payload_like)
def test_order_shaped_junk(payload: Any) -> None:
    order(payload)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, original: dict[str, Any]) -> dict[str, Any]:
    """The payload with one to four values replaced by arbitrary JSON or removed."""
    payload = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(payload)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        container = payload
        for step in path[:-1]:
            container = container[step]
        if isinstance(container, dict) and draw(st.booleans()) and draw(st.booleans()):
            del container[path[-1]]
        else:
            container[path[-1]] = draw(json_values)
    return payload


@PROPERTY_SETTINGS
@given(mutated(gold_coin()))
def test_mutated_products(payload: dict[str, Any]) -> None:
    product(payload)


@PROPERTY_SETTINGS
@given(mutated(silver_bar_variation()), mutated(silver_bar_parent()))
def test_mutated_variations_and_parents(variation: dict[str, Any], parent: dict[str, Any]) -> None:
    product(variation, parent=parent)


@PROPERTY_SETTINGS
@given(mutated(paid_order()))
def test_mutated_orders(payload: dict[str, Any]) -> None:
    order(payload)


# --- the corpus ----------------------------------------------------------------------------

WRONG_TYPES: list[Any] = [None, True, 0, -1, 1.5, float("nan"), "", "x", [], {}, [{}], {"a": 1}]


@pytest.mark.parametrize("key", sorted(gold_coin()))
def test_wrong_types_in_every_product_field(key: str) -> None:
    for value in WRONG_TYPES:
        product(gold_coin(**{key: value}))


@pytest.mark.parametrize("key", sorted(paid_order()))
def test_wrong_types_in_every_order_field(key: str) -> None:
    for value in WRONG_TYPES:
        order(paid_order(**{key: value}))


@pytest.mark.parametrize("key", sorted(paid_order()["line_items"][0]))
def test_wrong_types_in_every_line_item_field(key: str) -> None:
    for value in WRONG_TYPES:
        payload = paid_order()
        payload["line_items"][0][key] = value
        order(payload)


@pytest.mark.parametrize(
    ("price", "code"),
    [
        ("NaN", codes.INVALID_DECIMAL),
        ("Infinity", codes.INVALID_DECIMAL),
        ("1e3", codes.INVALID_DECIMAL),
        ("1E+2", codes.INVALID_DECIMAL),
        (float("nan"), codes.INVALID_TYPE),
        (float("inf"), codes.INVALID_TYPE),
        (1e3, codes.INVALID_TYPE),
        ("-5.00", codes.OUT_OF_RANGE),
        ("99999999999.99", codes.OUT_OF_RANGE),
        ("5,210.50", codes.INVALID_DECIMAL),
    ],
)
def test_nan_exponent_and_out_of_range_prices(price: Any, code: str) -> None:
    result = product(gold_coin(price=price))
    assert {e.field: e.code for e in result.errors} == {"price": code}
    result = order(paid_order(total=price))
    if code == codes.OUT_OF_RANGE and price != "-5.00":
        code = codes.TOTALS_MISMATCH  # an order may be larger than a product's price
    assert {e.field: e.code for e in result.errors} == {"total": code}


def test_negative_quantity_and_line_total() -> None:
    payload = paid_order()
    payload["line_items"][0].update(quantity=-2, total="-6.00")
    result = order(payload)
    assert {e.field: e.code for e in result.errors} == {
        "items[0].quantity": codes.INVALID_QUANTITY,
        "items[0].total_price": codes.OUT_OF_RANGE,
    }


def test_huge_strings() -> None:
    huge = "A" * 5_000_000
    result = product(gold_coin(name=huge, sku=huge, description=huge, short_description=huge))
    assert {e.field: e.code for e in result.errors} == {
        "name": codes.TOO_LONG,
        "sku": codes.TOO_LONG,
        "description": codes.TOO_LONG,
    }
    assert all(len(e.message) < 1000 for e in result.errors)
    result = order(paid_order(status=huge, currency=huge, billing={"email": huge + "@x.com"}))
    assert {e.field: e.code for e in result.errors} == {
        "order_status": codes.UNKNOWN_STATUS,
        "currency": codes.UNKNOWN_CURRENCY,
        "user": codes.INVALID_TYPE,
    }


def test_huge_arrays() -> None:
    result = product(gold_coin(name="1 oz Gold", categories=[{"name": "Misc"}] * 200_000))
    assert {e.field: e.code for e in result.errors} == {"product_type": codes.UNKNOWN_PRODUCT_TYPE}
    assert len(result.errors[0].message) < 2000
    # The series in the name says what the categories do not.
    mapped = product(gold_coin(categories=[{"name": "Misc"}] * 200_000)).product
    assert mapped is not None
    assert mapped.product_type_name == "Coin"
    payload = paid_order()
    payload["line_items"] = payload["line_items"] * 50_000
    assert {e.field: e.code for e in order(payload).errors} == {"items": codes.TOO_LONG}


def test_deeply_nested_json() -> None:
    deep: Any = "bottom"
    for _ in range(50_000):
        deep = {"a": [deep]}
    # Without attributes the name says it all ("1 oz Gold Maple Leaf"): it maps, no crash.
    deeply = product(gold_coin(meta_data=deep, attributes=[deep]))
    assert deeply.product is not None
    assert deeply.product.provenance["producer"] == "series 'Maple Leaf' in name"
    assert product(gold_coin(name="Thing", meta_data=deep, attributes=[deep])).errors
    assert order(paid_order(billing=deep, line_items=[deep])).errors


def test_broken_text_is_refused_not_stored() -> None:
    result = product(gold_coin(name="Gold\x00Coin", sku="\ud800"))
    assert {e.field: e.code for e in result.errors} == {
        "name": codes.INVALID_TEXT,
        "sku": codes.INVALID_TEXT,
    }


def test_html_in_names() -> None:
    payload = paid_order()
    payload["line_items"][0]["name"] = '<img src=x onerror="alert(1)">Gold &lt;b&gt;'
    mapped = order(payload).order
    assert mapped is not None
    assert mapped.items[0].product_name == "Gold <b>"


@pytest.mark.parametrize(
    "date",
    [
        "0000-00-00 00:00:00",
        "9999-12-31T23:59:59",
        "0001-01-01T00:00:00",
        "2017-02-30T00:00:00",
        "2017-03-22T19:28:08+25:00",
    ],
)
def test_dates_out_of_range(date: str) -> None:
    result = order(paid_order(date_paid_gmt=date))
    assert {e.field: e.code for e in result.errors} == {"paid_at": codes.INVALID_DATETIME}


def test_ids_out_of_range() -> None:
    for bad in (-727, 2**64, "1e3", "727abc", 7.27):
        result = order(paid_order(id=bad))
        assert {e.field: e.code for e in result.errors} == {"external_id": codes.INVALID_ID}
    assert {e.field: e.code for e in order(paid_order(id=10**5000)).errors} == {
        "external_id": codes.INVALID_ID
    }
