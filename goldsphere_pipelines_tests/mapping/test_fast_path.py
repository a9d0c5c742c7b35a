"""The fast path gives what the reference evaluation gives, and the unvalidated result
models are the ones validation would build (compiled.py, paths.py readers, trusted.py)."""

from __future__ import annotations

import copy
import pickle
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, field_validator

from goldsphere_pipelines.mapping import (
    MappedOrder,
    MappedOrderItem,
    MappedProduct,
    RuleSpec,
    compile_rules,
    map_order,
    map_product,
)
from goldsphere_pipelines.mapping.compiled import FALLBACK, compile_parser
from goldsphere_pipelines.mapping.engine import CompiledRule, RuleFailure
from goldsphere_pipelines.mapping.normalize import name_words
from goldsphere_pipelines.mapping.parsers import Rejected
from goldsphere_pipelines.mapping.paths import (
    MAX_CANDIDATES,
    parse_source,
    path_reader,
    read_source,
    value_reader,
)
from goldsphere_pipelines.mapping.rules import validate_rule
from goldsphere_pipelines.mapping.targets import EntityType
from goldsphere_pipelines.mapping.transforms import Keyword, contains_words, first_keyword
from goldsphere_pipelines.mapping.trusted import checked_model
from goldsphere_pipelines_tests.mapping.factories import (
    gold_coin,
    order_lookups,
    paid_order,
    product_lookups,
    silver_bar_parent,
    silver_bar_variation,
)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TEXTS = [
    "",
    " ",
    "0",
    "1",
    "10.00",
    "1e3",
    "NaN",
    "on-hold",
    "processing",
    "trash",
    "USD",
    "Gold",
    "gold coins",
    "Cast Bar",
    "1 oz",
    "100 g",
    "999.9",
    "24K",
    "2024",
    "Year 2024",
    "true",
    " yes ",
    "<b>A</b> &amp; B",
    "2025-03-22T19:28:08",
    "\x00",
    "\ud800",
    "john.doe@example.com",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**140), max_value=2**140)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(TEXTS)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["name", "options", "total", "key", "value", "src", "x"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=15,
)

SOURCES = [
    "",
    "name",
    "status",
    "total",
    "billing.email",
    "images[0].src | images[-1].src",
    "fee_lines[*].total",
    "line_items[*].total",
    "attributes[name=Metal].options[*] | categories[*].name | name",
    "attributes[name=Year].options[0]",
    "meta_data[key=metal].value",
    "attributes[*].options[*]",
]
TRANSFORMS = st.fixed_dictionaries(
    {},
    optional={
        "regex": st.sampled_from([r"\b(\d{4})\b", r"\d+", r"(gold|silver)"]),
        "map": st.sampled_from(
            [
                {"au": "Gold", "ag": "Silver", "1": "Gold"},
                {"processing": "confirmed", "on-hold": "pending", "trash": "cancelled"},
                {"instock": True, "outofstock": False, "true": True},
            ]
        ),
        "keywords": st.sampled_from(
            [
                [["gold", "Gold"], ["silver", "Silver"]],
                [["cast bar", "Cast Bar"], ["coin", "Coin"], ["bar", "Bar"]],
                [["hold", "pending"], ["process", "confirmed"]],
            ]
        ),
        "default": st.sampled_from([None, "0", "buy", "Gold", "1 oz", "999.9", "2000", True]),
        "required": st.booleans(),
        "sum": st.booleans(),
    },
)
TARGETS: dict[EntityType, list[str]] = {
    "order": [
        "order_status",
        "payment_status",
        "total",
        "fees",
        "paid_at",
        "user",
        "items",
        "item.variation_id",
        "item.quantity",
        "item.product_name",
    ],
    "product": ["metal", "product_type", "weight", "purity", "year", "in_stock", "price", "sku"],
}


def _rule(entity: EntityType, target: str, source: str, transform: dict[str, Any]) -> CompiledRule:
    spec = RuleSpec(
        entity_type=entity, source_field=source, target_field=target, transform=transform
    )
    compiled = compile_rules(entity, [spec] if not validate_rule(entity, spec) else [])
    rule = compiled.rule(target)
    assert rule is not None
    return rule


def _reference(rule: CompiledRule, payload: Any, store_unit: str | None) -> tuple[str, Any]:
    try:
        return "value", repr(rule.evaluate_reference(payload, store_unit=store_unit))
    except RuleFailure as failure:
        return "failure", failure.error
    except Rejected as problem:  # a huge number where a regex reads text
        return "rejected", problem.code


def _assert_same(rule: CompiledRule, payload: Any, store_unit: str | None) -> None:
    expected = _reference(rule, payload, store_unit)
    fast = rule.fast_path(payload, store_unit)
    if fast is FALLBACK:
        return
    # repr: Decimal("1.0") == Decimal("1.00"), but they are not the same value to store
    assert expected == ("value", repr(fast)), (rule.source_text, payload)
    assert repr(rule.evaluate(payload, store_unit=store_unit)) == repr(fast)


@SETTINGS
@given(
    st.sampled_from(["order", "product"]).flatmap(
        lambda entity: st.tuples(
            st.just(entity), st.sampled_from(TARGETS[entity]), st.sampled_from(SOURCES), TRANSFORMS
        )
    ),
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "name": json_values,
                "status": json_values,
                "total": json_values,
                "billing": st.fixed_dictionaries({}, optional={"email": json_values}),
                "images": st.lists(st.fixed_dictionaries({"src": json_values}), max_size=2),
                "fee_lines": st.lists(json_values, max_size=3),
                "line_items": json_values,
                "attributes": json_values,
                "categories": json_values,
                "meta_data": json_values,
            },
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([None, "g", "oz"]),
)
def test_fast_path_agrees_with_the_reference(
    rule_parts: tuple[EntityType, str, str, dict[str, Any]],
    payloads: list[dict[str, Any]],
    store_unit: str | None,
) -> None:
    rule = _rule(*rule_parts)
    # twice over: the second round answers from what the rule remembers
    for payload in [*payloads, *payloads]:
        _assert_same(rule, payload, store_unit)


@pytest.mark.parametrize("entity", ["order", "product"])
def test_every_template_rule_takes_the_fast_path_on_the_examples(entity: EntityType) -> None:
    mapping = compile_rules(entity)
    payloads = [paid_order()] if entity == "order" else [gold_coin(), silver_bar_parent()]
    for payload in payloads:
        for rule in mapping.rules.values():
            if rule.fast_path(payload, None) is FALLBACK:
                with pytest.raises(RuleFailure):  # only failures are left to the reference
                    rule.evaluate_reference(payload)
            else:
                _assert_same(rule, payload, None)


@pytest.mark.parametrize(
    ("transform", "expected"),
    [
        ({"map": {"processing": "confirmed"}}, FALLBACK),  # unknown_status, from the reference
        ({"map": {"processing": "confirmed"}, "default": "pending"}, "pending"),
        ({"keywords": [["process", "confirmed"]]}, FALLBACK),
        ({"regex": "^(p)", "map": {"p": "pending"}}, FALLBACK),
    ],
)
def test_values_nothing_translates(transform: dict[str, Any], expected: Any) -> None:
    rule = _rule("order", "order_status", "status | meta_data[*].value", transform)
    payload = {"status": "on-hold", "meta_data": [{"value": "x"}]}
    assert rule.fast_path(payload, None) == expected
    _assert_same(rule, payload, None)


def test_values_nothing_translates_are_an_error_even_where_optional() -> None:
    rule = _rule("order", "payment_status", "status", {"map": {"refunded": "refunded"}})
    assert rule.fast_path({"status": "on-hold"}, None) is FALLBACK
    with pytest.raises(RuleFailure):
        rule.evaluate({"status": "on-hold"})


def test_values_nothing_translates_are_absent_with_a_null_default() -> None:
    transform = {"map": {"refunded": "refunded"}, "default": None}
    rule = _rule("order", "payment_status", "status", transform)
    assert rule.fast_path({"status": "on-hold"}, None) is None
    assert rule.evaluate({"status": "on-hold"}) is None


@pytest.mark.parametrize("value", [-1, 0, 2**63, True, 1.0, "007", " 12 ", "-3", "", None])
def test_unusual_ids_and_quantities(value: Any) -> None:
    for target in ("item.product_id", "item.quantity", "item.external_line_id"):
        rule = _rule("order", target, "id", {})
        _assert_same(rule, {"id": value}, None)


def test_a_regex_rule_reports_a_huge_number_among_its_candidates_like_the_reference() -> None:
    rule = _rule("product", "year", "attributes[*].options[*]", {"regex": r"\b(\d{4})\b"})
    payload = {"attributes": [{"options": ["2024", 2**200]}]}
    assert rule.fast_path(payload, None) is FALLBACK
    with pytest.raises(Rejected):
        rule.evaluate(payload)


def test_compiled_mappings_still_pickle() -> None:
    mapping = compile_rules("product")
    copied = pickle.loads(pickle.dumps(mapping))  # noqa: S301 - our own bytes
    for target, rule in mapping.rules.items():
        assert copied.rules[target] == rule
        assert repr(copied.rules[target].evaluate(gold_coin())) == repr(rule.evaluate(gold_coin()))


def test_a_rule_remembers_a_bounded_number_of_values() -> None:
    rule = _rule("order", "total", "total", {})
    parse, memory = compile_parser(rule)
    assert memory is not None
    for cents in range(10_000):
        assert parse(f"{cents / 100:.2f}", None) == Decimal(cents) / 100
    assert 0 < len(memory) < 5_000  # bounded: far fewer than the values it has seen
    assert repr(parse("10.00", None)) == "Decimal('10.00')"


# --- compiled path readers -------------------------------------------------------------------


@SETTINGS
@given(
    st.sampled_from(
        [
            "a",
            "a.b",
            "a[0]",
            "a[-1].b",
            "a[*]",
            "a[*].b[*]",
            "a[name=Metal].options[0]",
            "a[name=Metal].options[*]",
            "a[*][*]",
            "a[2].b.c[0]",
        ]
    ),
    st.dictionaries(st.sampled_from(["a", "b"]), json_values, max_size=2),
)
def test_compiled_readers_read_what_the_reference_reads(source: str, payload: Any) -> None:
    (path,) = parse_source(source)
    read = path_reader(path)(payload)
    present = [v for v in read if v is not None and not (isinstance(v, str) and not v.strip())]
    assert present[:MAX_CANDIDATES] == read_source([path], payload)
    single = value_reader(path)
    if single is not None:
        assert len(read) <= 1
        assert single(payload) == (read[0] if read else None)


def test_compiled_readers_cut_long_lists_like_the_reference() -> None:
    payload = {"a": [{"name": "metal", "options": list(range(700))}] * 3}
    for source in ("a[*].options[*]", "a[name=Metal].options[*]", "a[*]"):
        (path,) = parse_source(source)
        assert path_reader(path)(payload) == read_source([path], payload)


# --- keywords ---------------------------------------------------------------------------------

WORDS = ["gold", "golds", "goldes", "coin", "coins", "bar", "bars", "es", "s", "cast", "casts"]
words = st.lists(st.sampled_from(WORDS), max_size=6)


@settings(max_examples=300, deadline=None)
@given(words, st.lists(words, max_size=5))
@example(["goldes"], [["gold"]])
@example(["casts", "bars"], [["bar"], ["cast", "bar"]])
@example(["es"], [[""], ["es"]])
def test_first_keyword_is_the_first_that_contains_words_finds(
    text: list[str], keyword_words: list[list[str]]
) -> None:
    keywords = [Keyword(words=tuple(k), value=i) for i, k in enumerate(keyword_words)]
    expected = next((k for k in keywords if contains_words(tuple(text), k.words)), None)
    assert first_keyword(tuple(text), keywords) == expected


def test_first_keyword_folds_like_name_words() -> None:
    keywords = [Keyword(words=name_words("Cast Bar"), value="Cast Bar")]
    assert first_keyword(name_words("2 CAST BARS, Gold"), keywords) == keywords[0]


# --- result models without validation ---------------------------------------------------------


def _same_model(built: BaseModel) -> None:
    validated = type(built).model_validate(dict(built.__dict__))
    assert built == validated
    assert repr(built) == repr(validated)
    assert built.model_fields_set == validated.model_fields_set
    assert built.model_dump_json() == validated.model_dump_json()
    assert built.__pydantic_extra__ == validated.__pydantic_extra__
    assert built.__pydantic_private__ == validated.__pydantic_private__


def test_mapped_orders_are_what_validation_builds() -> None:
    order = paid_order(fee_lines=[{"total": "0.00"}], date_paid_gmt="2025-03-22T19:28:08")
    result = map_order(order, mapping=compile_rules("order"), lookups=order_lookups())
    assert result.order is not None
    assert type(result.order) is MappedOrder
    _same_model(result.order)
    for item in result.order.items:
        assert type(item) is MappedOrderItem
        _same_model(item)


@pytest.mark.parametrize("parent", [None, "silver"])
def test_mapped_products_are_what_validation_builds(parent: str | None) -> None:
    payload, parent_payload = (
        (gold_coin(), None) if parent is None else (silver_bar_variation(), silver_bar_parent())
    )
    result = map_product(
        copy.deepcopy(payload),
        parent=parent_payload,
        store_currency="USD",
        mapping=compile_rules("product"),
        lookups=product_lookups(),
    )
    assert result.product is not None
    assert type(result.product) is MappedProduct
    _same_model(result.product)


def test_models_with_validators_cannot_skip_validation() -> None:
    class Checked(BaseModel):
        name: str

        @field_validator("name")
        @classmethod
        def _upper(cls, name: str) -> str:
            return name.upper()

    with pytest.raises(TypeError):
        checked_model(Checked)
