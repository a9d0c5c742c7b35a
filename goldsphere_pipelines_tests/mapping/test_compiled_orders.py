"""The order rules compiled into straight-line code (compiled_orders.py) map exactly as the
general engine does: the same stored bytes, the same errors, on the benchmark's orders
varied at random, on sandbox orders of several dialects and on the bench's own store.

The hostile-input corpus (test_hostile_input.py) makes the same comparison on every
payload it maps."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goldsphere_pipelines.mapping import (
    CompiledMapping,
    OrderLookups,
    RuleSpec,
    compile_rules,
    map_order,
    normalize_email,
)
from goldsphere_pipelines.mapping.benchmark import example_lookups, example_order
from goldsphere_pipelines.mapping.compiled_orders import compile_order_readers
from goldsphere_pipelines.mapping.line_products import GoneProducts
from goldsphere_pipelines.mapping.orders import map_order_reference
from goldsphere_pipelines.sandbox.store import SandboxStore
from goldsphere_pipelines_tests.mapping.factories import fixed_id, product_lookups
from goldsphere_pipelines_tests.mapping.reference_orders import (
    assert_same_as_reference,
    serialised,
)

TEMPLATE = compile_rules("order")
LOOKUPS = example_lookups()


def _connector_rules(*rules: tuple[str, str, dict[str, Any]]) -> CompiledMapping:
    return compile_rules(
        "order",
        [
            RuleSpec(entity_type="order", target_field=t, source_field=s, transform=tr)
            for t, s, tr in rules
        ],
    )


# Connector rules of every shape the compiled code treats apart: alternatives, a chain of
# fields, a regex, keywords, a map with a default, `sum`, lists read by selectors.
MAPPINGS = {
    "template": TEMPLATE,
    "connector": _connector_rules(
        ("user", "billing.email | meta_data[key=_email].value", {}),
        ("order_status", "status", {"keywords": [["hold", "pending"], ["process", "confirmed"]],
                                    "map": {"completed": "completed"}, "default": "cancelled"}),
        ("currency", "currency | meta_data[key=currency].value", {"iso_currency": True}),
        ("total", "total", {"regex": r"(\d+\.\d\d)"}),
        ("taxes", "tax_lines[*].tax_total", {"sum": True, "default": "0"}),
        ("shipping", "shipping_lines[0].total", {"default": "0"}),
        ("paid_at", "date_paid_gmt | date_completed_gmt", {"datetime": True}),
        ("item.product_name", "name", {"regex": r"^(.*?)(?: &ndash;.*)?$"}),
        ("item.sku", "sku", {"map": {"sku-1": "SKU-ONE"}, "default": None}),
        ("item.quantity", "quantity | meta_data[key=qty].value", {"decimal": True}),
        ("item.external_line_id", "meta_data[key=_line].value | id", {}),
    ),
}  # fmt: skip

AMOUNTS = st.sampled_from(
    ["10.00", "10", "0.00", " 7.50 ", "1e3", "-5.00", "-0.00", "", "NaN", "9" * 50, 10, 10.5,
     None, True, "\u0663.\u0660\u0660", "00012.30", "999999999999.99", "1000000000000.00",
     "9" * 37 + ".00", "1.5", ".50", "1.00\x00"]
)  # fmt: skip
IDS = st.sampled_from([0, 1, -1, 1000, 1499, 5000, 2**63, 2**200, "1000", " 12 ", "", None, 1.0])
QUANTITIES = st.sampled_from([1, 2, 0, -1, "2", "1.5", 2.0, True, None, 10**30, "x"])
TEXTS = st.sampled_from(["Gold Coin", "", " ", "SKU-1", "sku-1", "\x00", "<b>A</b>", 7, None])
EMAILS = st.sampled_from(
    [" Customer1@Example.com ", "customer2@example.com", "nobody@example.com", "no-at", "", 42]
)
STATUSES = st.sampled_from(
    ["processing", "on-hold", "completed", "refunded", "failed", "trash", "PENDING", "", 3]
)
DATES = st.sampled_from(
    ["2025-03-22T19:28:08", "2025-03-22T19:28:08+02:00", "", "not a date", "1960-01-01", None]
)
CURRENCIES = st.sampled_from(["USD", "usd", " EUR ", "XXX", "ZZZ", "", None])
FEES = st.sampled_from([[], [{"total": "1.00"}], [{"total": "x"}], [{"total": "1"}] * 3, "junk"])

LINE_CHANGES = st.fixed_dictionaries(
    {},
    optional={
        "id": IDS,
        "name": TEXTS,
        "quantity": QUANTITIES,
        "total": AMOUNTS,
        "product_id": IDS,
        "variation_id": IDS,
        "sku": TEXTS,
        "meta_data": st.sampled_from([[], [{"key": "qty", "value": "3"}], [{"key": "_line"}]]),
    },
)
ORDER_CHANGES = st.fixed_dictionaries(
    {},
    optional={
        "id": IDS,
        "status": STATUSES,
        "currency": CURRENCIES,
        "total": AMOUNTS,
        "total_tax": AMOUNTS,
        "shipping_total": AMOUNTS,
        "discount_total": AMOUNTS,
        "date_paid_gmt": DATES,
        "date_created_gmt": DATES,
        "fee_lines": FEES,
        "billing": st.one_of(
            st.fixed_dictionaries({"email": EMAILS}), st.sampled_from([None, {}, "x"])
        ),
    },
)


@st.composite
def varied_orders(draw: st.DrawFn) -> dict[str, Any]:
    """The benchmark's example order, some of its fields and lines changed or removed."""
    order = example_order(draw(st.integers(0, 100_000)))
    for key, value in draw(ORDER_CHANGES).items():
        order[key] = value
    lines = order["line_items"]
    for line in lines:
        for key, value in draw(LINE_CHANGES).items():
            line[key] = value
        if draw(st.integers(0, 9)) == 0:
            del line[draw(st.sampled_from(sorted(line)))]
    shape = draw(st.integers(0, 19))
    if shape == 0:
        order["line_items"] = []
    elif shape == 1:
        order["line_items"] = [*lines, "not a line"]
    elif shape == 2:
        del order["line_items"]
    elif shape == 3:
        order["line_items"] = [None, *lines, " "]  # `[*]` skips null and blank values
    elif shape == 4:
        order["line_items"] = {"0": lines[0]}
    return order


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(MAPPINGS)), st.lists(varied_orders(), min_size=1, max_size=4))
def test_varied_benchmark_orders_map_as_the_general_engine_maps_them(
    mapping: str, orders: list[dict[str, Any]]
) -> None:
    # twice over: the second round answers from what the compiled rules remember
    for order in [*orders, *copy.deepcopy(orders)]:
        assert_same_as_reference(order, MAPPINGS[mapping], LOOKUPS)


def test_the_benchmark_orders_map_and_the_comparison_sees_a_difference() -> None:
    for number in range(300):
        result = assert_same_as_reference(example_order(number), TEMPLATE, LOOKUPS)
        assert result.order is not None
    # the comparison is not blind: one cent less is another stored row
    order = example_order(1)
    fast = map_order(order, mapping=TEMPLATE, lookups=LOOKUPS)
    order["line_items"][0]["total"] = "0.01"
    order["total"] = "0.01"
    other = map_order_reference(order, mapping=TEMPLATE, lookups=LOOKUPS)
    assert serialised(fast, reference=False) != serialised(other, reference=True)


def _sandbox_lookups(store: SandboxStore, share_known: int = 9) -> OrderLookups:
    """Users for every customer; most products and variations, so that some lines miss."""
    ids = [*store.product_ids(), *store.variation_ids()]
    return OrderLookups(
        users_by_email={normalize_email(e): fixed_id(e) for e in store.customer_emails()},
        products_by_external_id={
            str(i): fixed_id(f"product:{i}") for n, i in enumerate(ids) if n % 10 < share_known
        },
    )


def _gone_products(store: SandboxStore) -> GoneProducts:
    """Products the shop no longer has, built from the lines that sold them."""
    return GoneProducts(
        ids={str(i): fixed_id(f"gone:{i}") for i in store.ghost_product_ids()},
        mapping=compile_rules("product"),
        lookups=product_lookups(),
        store_currency=store.config.currency,
    )


@pytest.mark.parametrize("dialect", ["classic", "german", "french", "mixed"])
def test_sandbox_orders_of_every_dialect_map_as_the_general_engine_maps_them(
    dialect: str,
) -> None:
    store = SandboxStore(products=80, orders=250, customers=30, dialect=dialect, seed=11)
    lookups, gone = _sandbox_lookups(store), _gone_products(store)
    outcomes = {"mapped": 0, "failed": 0, "derived": 0}
    for mapping in MAPPINGS.values():
        for order_id in store.order_ids(include_trash=True):
            result = assert_same_as_reference(store.order(order_id), mapping, lookups, gone)
            outcomes["mapped" if result.order is not None else "failed"] += 1
            outcomes["derived"] += len(result.derived_products)
    # both kinds of outcome were compared, not only one
    assert outcomes["mapped"] > 100
    assert outcomes["failed"] > 10


def test_mapping_results_are_byte_identical_over_the_bench_store() -> None:
    """The bench's store (classic dialect, its seed and shape, a few hundred orders), every
    order mapped by the compiled rules and by the general engine: the same bytes."""
    from goldsphere_pipelines.bench import BenchOptions

    options = BenchOptions(products=150, orders=600)
    store = SandboxStore(
        products=options.products,
        variable_share=options.variable_share,
        variations_per_product=options.variations_per_product,
        orders=options.orders,
        customers=max(50, options.orders // 20),
        seed=options.seed,
        dialect=options.dialect,
    )
    lookups, gone = _sandbox_lookups(store, share_known=10), _gone_products(store)
    fast = b"\n".join(
        serialised(
            map_order(store.order(i), mapping=TEMPLATE, lookups=lookups, gone_products=gone),
            reference=False,
        )
        for i in store.order_ids(include_trash=True)
    )
    general = b"\n".join(
        serialised(
            map_order_reference(
                store.order(i), mapping=TEMPLATE, lookups=lookups, gone_products=gone
            ),
            reference=True,
        )
        for i in store.order_ids(include_trash=True)
    )
    assert fast.count(b"\n") + 1 == len(store.order_ids(include_trash=True)) >= 600
    assert fast.count(b'"mapped": {') > 500
    assert fast == general


def test_the_generated_code_names_no_rule_text() -> None:
    """Field names and rule values live in the code's namespace, never in its text."""
    hostile = _connector_rules(("item.sku", "x__import__", {"map": {"a": "'); import os; ('"}}))
    readers = compile_order_readers(
        [(t, r) for t, r in hostile.rules.items() if not t.startswith("item.") and t != "items"],
        [(t[len("item.") :], r) for t, r in hostile.rules.items() if t.startswith("item.")],
    )
    assert "x__import__" not in readers.source
    assert "import" not in readers.source
    errors: list[Any] = []
    values, failed = readers.line({"x__import__": "a"}, 0, errors)
    assert values["sku"] == "'); import os; ('"
    assert failed  # the line has no quantity or total
    assert "items[0].sku" not in {error.field for error in errors}


def test_a_mapping_without_some_target_is_asked_rule_by_rule() -> None:
    rules = {t: r for t, r in TEMPLATE.rules.items() if t != "item.sku"}
    partial = CompiledMapping(
        entity_type="order", rules=rules, origins=TEMPLATE.origins, specs=TEMPLATE.specs
    )
    for number in range(20):
        result = assert_same_as_reference(example_order(number), partial, LOOKUPS)
        assert result.order is not None
        assert {item.sku for item in result.order.items} == {None}


def test_ids_quantities_and_texts_at_their_edges() -> None:
    """Whole numbers at the bounds of the inline conversions, and bool (an int in Python)."""
    for value in [0, 1, 2**63 - 1, 2**63, -1, True, False, 10**9, 2**31 - 1, 2**31]:
        for field in ("id", "product_id", "variation_id", "quantity"):
            order = example_order(3)
            order["line_items"][0][field] = value
            assert_same_as_reference(order, TEMPLATE, LOOKUPS)
            assert_same_as_reference(copy.deepcopy(order), TEMPLATE, LOOKUPS)


@pytest.mark.parametrize("count", [1, 998, 999, 1000, 1001])
def test_orders_of_many_lines_map_alike(count: int) -> None:
    """Up to the most lines a source path reads (MAX_CANDIDATES), and past it."""
    order = example_order(4)
    line = order["line_items"][0]
    order["line_items"] = [{**line, "id": n} for n in range(count)]
    order["total"] = (
        f"{Decimal(line['total']) * count + Decimal('10.00') + Decimal(order['total_tax']):.2f}"
    )
    result = assert_same_as_reference(order, TEMPLATE, LOOKUPS)
    assert (result.order is not None) == (count < 1000)


def test_an_unknown_user_is_reported_alike() -> None:
    order = example_order(5)
    order["billing"]["email"] = "someone.else@example.com"
    result = assert_same_as_reference(order, TEMPLATE, LOOKUPS)
    assert [e.code for e in result.errors] == ["user_not_found"]
    assert result.awaiting_dependency
    assert isinstance(LOOKUPS.users_by_email[normalize_email("customer5@example.com")], UUID)
