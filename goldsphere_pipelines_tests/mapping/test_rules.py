"""The rule language: what is refused when saved, and how each transform behaves."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from goldsphere_pipelines.mapping import (
    InvalidRuleError,
    ReferenceNames,
    RuleSpec,
    compile_rules,
    default_template,
    parse_rule,
    validate_rule,
)
from goldsphere_pipelines.mapping import errors as codes
from goldsphere_pipelines.mapping.engine import RuleFailure
from goldsphere_pipelines.mapping.targets import TARGETS, EntityType


def rule(target: str, source: str, entity: EntityType = "product", **transform: Any) -> RuleSpec:
    return RuleSpec(
        entity_type=entity, source_field=source, target_field=target, transform=transform
    )


def evaluate(spec: RuleSpec, payload: Any, **kwargs: Any) -> Any:
    mapping = compile_rules(spec.entity_type, [spec])
    compiled = mapping.rule(spec.target_field)
    assert compiled is not None
    return compiled.evaluate(payload, **kwargs)


def failure(spec: RuleSpec, payload: Any) -> RuleFailure:
    with pytest.raises(RuleFailure) as failed:
        evaluate(spec, payload)
    return failed.value


# --- the templates -------------------------------------------------------------------------


@pytest.mark.parametrize("entity", ["product", "order"])
def test_every_template_rule_passes_validation(entity: EntityType) -> None:
    for spec in default_template(entity):
        assert validate_rule(entity, spec) == [], spec


@pytest.mark.parametrize("entity", ["product", "order"])
def test_templates_fill_every_target(entity: EntityType) -> None:
    assert {spec.target_field for spec in default_template(entity)} == set(TARGETS[entity])


def test_connector_rules_replace_the_template_target_by_target() -> None:
    custom = rule("metal", "meta_data[key=metal].value", map={"au": "Gold"})
    mapping = compile_rules("product", [custom, rule("sku", "id", entity="order")])
    assert mapping.origins["metal"] == "connector"
    assert mapping.origins["weight"] == "template"
    assert mapping.specs["metal"] == custom
    assert mapping.specs["sku"].source_field == "sku"  # the order rule was ignored
    metal = mapping.rule("metal")
    assert metal is not None
    assert metal.evaluate({"meta_data": [{"key": "metal", "value": "AU"}]}) == "Gold"
    # the template would have read the Metal attribute; the connector's rule does not
    with pytest.raises(RuleFailure) as failed:
        metal.evaluate({"attributes": [{"name": "Metal", "options": ["Gold"]}]})
    assert failed.value.error.code == codes.MISSING_FIELD


def test_the_later_of_two_rules_for_one_target_wins() -> None:
    first = rule("sku", "sku")
    second = rule("sku", "meta_data[key=code].value")
    assert compile_rules("product", [first, second]).specs["sku"] == second


def test_a_stored_rule_that_cannot_work_fails_compilation_with_a_sentence() -> None:
    with pytest.raises(InvalidRuleError) as refused:
        compile_rules("order", [rule("order_status", "status", "order", map={"x": "shipped!"})])
    assert "order_status" in str(refused.value)


# --- refused when saved --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (rule("colour", "name"), "Unknown product target 'colour'"),
        (rule("name", "name", "order"), "Unknown order target 'name'"),
        (rule("name", "attributes[name=Metal"), "never closed"),
        (rule("name", "name", uppercase=True), "Unknown transform 'uppercase'"),
        (rule("price", "price", weight=True), "Transform 'weight' does not apply"),
        (rule("name", "name", sum=True), "Transform 'sum' adds amounts"),
        (rule("name", "name", required=False), "always required"),
        (rule("sku", "sku", required="yes"), "'required' takes true or false"),
        (rule("year", "name", regex="(\\d{4}"), "does not compile"),
        (rule("year", "name", regex="(a)(b)"), "at most one group"),
        (rule("year", "name", regex="(a+)+$"), "repeats a group"),
        (rule("order_status", "status", "order", map={"wc-shipped": "sent"}), "sent"),
        (rule("payment_status", "status", "order", map={"x": "free"}), "free"),
        (rule("type", "", "order", default="swap"), "swap"),
        (rule("metal", "name", map={"Bronze": "Bronze"}), "Bronze"),
        (rule("product_type", "name", keywords=[["round", "Round"]]), "Round"),
        (rule("product_type", "name", keywords=["coin"]), "[keyword, value] pairs"),
        (rule("producer", "name", default="Nobody Mint"), "Nobody Mint"),
        (rule("in_stock", "stock_status", map={"instock": "maybe"}), "maybe"),
        (rule("weight", "name", weight={"unit": "stone"}), "stone"),
        (rule("weight", "name", weight={"ounce": "metric"}), "troy or avoirdupois"),
        (rule("weight", "name", default="heavy"), "heavy"),
        (rule("purity", "name", default="24"), "ambiguous"),
        (rule("metal", "name", lookup="users_by_email"), "looked up in 'metals'"),
        (rule("currency", "currency", "order", default="JPY"), "JPY"),
        (rule("user", "", "order"), "give a source path or a default"),
        (rule("order_status", "status", "order", default=None), "cannot be null"),
        (rule("sku", "sku", map={}), "1 to 1000 entries"),
        (rule("sku", "sku", map={"a-b": "x", "A B": "y"}), "disagree"),
        (rule("sku", "sku", default={"a": 1}), "single value"),
        (rule("items", "line_items[*]", "order", default="x"), "no fixed value"),
        (rule("total", "total", "order", decimal={"places": 3}), "no options"),
    ],
)
def test_rules_that_cannot_work_are_refused(spec: RuleSpec, expected: str) -> None:
    problems = validate_rule(spec.entity_type, spec)
    assert problems, spec
    assert expected in " ".join(problems)


def test_validation_reports_every_problem_at_once() -> None:
    spec = rule("price", "a..b", weight=True, regex="(", bogus=1)
    assert len(validate_rule("product", spec)) == 4


def test_validation_against_a_databases_reference_names() -> None:
    spec = rule("product_type", "categories[*].name", map={"Rounds": "Round"})
    assert validate_rule("product", spec)
    reference = ReferenceNames(product_types=["Coin", "Round"])
    assert validate_rule("product", spec, reference=reference) == []


def test_a_rule_for_the_other_entity_is_refused() -> None:
    assert validate_rule("order", rule("name", "name")) == ["The rule is for products, not orders."]


def test_parse_rule_explains_bad_json_shapes() -> None:
    spec = parse_rule({"entity_type": "order", "source_field": "status", "target_field": "x"})
    assert spec.transform == {}
    # the pipeline builds rules without an entity type: they count for the compiled entity
    assert parse_rule({"source_field": "a", "target_field": "b"}).entity_type is None
    for bad, expected in [
        ({"entity_type": "customer", "source_field": "a", "target_field": "b"}, "entity_type"),
        ({"entity_type": "order", "source_field": "a", "target_field": "b", "x": 1}, "x"),
        ([1, 2], "rule"),
        ({"entity_type": "order", "source_field": 5, "target_field": "b"}, "source_field"),
    ]:
        with pytest.raises(InvalidRuleError) as refused:
            parse_rule(bad)
        assert expected in str(refused.value)
        assert "\n" not in str(refused.value)


# --- each transform ------------------------------------------------------------------------


def test_map_ignores_case_spacing_and_punctuation() -> None:
    spec = rule("order_status", "status", "order", map={"On Hold": "PENDING"})
    assert evaluate(spec, {"status": "on-hold"}) == "pending"


def test_map_drops_what_it_does_not_know_and_reports_it() -> None:
    spec = rule("order_status", "status", "order", map={"on-hold": "pending"})
    problem = failure(spec, {"status": "wc-shipped"})
    assert problem.error.code == codes.UNKNOWN_STATUS
    assert problem.error.value == "wc-shipped"
    assert "wc-shipped" in problem.error.message


def test_keywords_match_whole_words_and_plurals_in_list_order() -> None:
    spec = rule(
        "product_type",
        "categories[*].name",
        keywords=[["cast bar", "Cast Bar"], ["bar", "Bar"], ["coin", "Coin"]],
    )
    assert evaluate(spec, {"categories": [{"name": "Cast Bars"}]}) == "Cast Bar"
    assert evaluate(spec, {"categories": [{"name": "Silver Bars"}]}) == "Bar"
    assert evaluate(spec, {"categories": [{"name": "Bullion"}, {"name": "Coins"}]}) == "Coin"
    assert failure(spec, {"categories": [{"name": "Barrels"}]}).error.code == (
        codes.UNKNOWN_PRODUCT_TYPE
    )


def test_default_fills_absent_and_untranslated_values() -> None:
    spec = rule("producer", "attributes[name=Mint].options[0]", default="Perth Mint")
    assert evaluate(spec, {}) == "Perth Mint"
    spec = rule("metal", "name", keywords=[["gold", "Gold"]], default="Silver")
    assert evaluate(spec, {"name": "Kangaroo"}) == "Silver"
    assert evaluate(spec, {"name": "Gold Kangaroo"}) == "Gold"


def test_a_null_default_means_no_value() -> None:
    spec = rule("payment_status", "status", "order", map={"refunded": "refunded"}, default=None)
    assert evaluate(spec, {"status": "processing"}) is None
    assert evaluate(spec, {"status": "refunded"}) == "refunded"


def test_required_makes_an_optional_target_an_error_when_absent() -> None:
    assert evaluate(rule("sku", "sku"), {}) is None
    problem = failure(rule("sku", "sku", required=True), {"sku": ""})
    assert problem.error.code == codes.MISSING_FIELD
    assert problem.error.field == "sku"


def test_regex_extracts_its_group() -> None:
    spec = rule("year", "name", regex="\\b(\\d{4})\\b")
    assert evaluate(spec, {"name": "Gold Eagle 2024 1 oz"}) == 2024
    assert failure(spec, {"name": "Gold Eagle"}).error.code == codes.UNMAPPED_VALUE
    spec = rule("sku", "name", regex="[A-Z]{3}-\\d+")
    assert evaluate(spec, {"name": "Item ABC-12 (new)"}) == "ABC-12"


def test_regex_then_map() -> None:
    spec = rule("metal", "sku", regex="^([A-Z]{2})-", map={"AU": "Gold", "AG": "Silver"})
    assert evaluate(spec, {"sku": "AG-100G"}) == "Silver"


def test_decimal_and_sum() -> None:
    spec = rule("fees", "fee_lines[*].total", "order", decimal=True, sum=True, default="0")
    assert evaluate(spec, {"fee_lines": [{"total": "1.50"}, {"total": "-0.25"}]}) == Decimal("1.25")
    assert evaluate(spec, {"fee_lines": []}) == Decimal("0.00")
    problem = failure(spec, {"fee_lines": [{"total": "1.50"}, {"total": "NaN"}]})
    assert problem.error.code == codes.INVALID_DECIMAL
    assert problem.error.field == "fees"


def test_iso_currency() -> None:
    spec = rule("currency", "currency", "order", iso_currency=True)
    assert evaluate(spec, {"currency": "chf"}) == "CHF"
    assert failure(spec, {"currency": "JPY"}).error.code == codes.UNSUPPORTED_CURRENCY
    assert failure(spec, {"currency": "XYZ"}).error.code == codes.UNKNOWN_CURRENCY


def test_datetime() -> None:
    spec = rule("paid_at", "date_paid_gmt", "order", datetime=True)
    assert evaluate(spec, {"date_paid_gmt": "2017-03-22T19:28:08"}).isoformat() == (
        "2017-03-22T19:28:08+00:00"
    )
    assert failure(spec, {"date_paid_gmt": "2017-13-45"}).error.code == codes.INVALID_DATETIME


def test_weight_options() -> None:
    spec = rule("weight", "weight", weight={"unit": "kg"})
    assert evaluate(spec, {"weight": "0.25"}) == (Decimal("0.25"), "kilograms")
    spec = rule("weight", "weight", weight={"unit": "store"})
    assert evaluate(spec, {"weight": "250"}, store_unit="g") == (Decimal(250), "grams")
    spec = rule("weight", "attributes[name=Weight].options[0]", weight={"ounce": "avoirdupois"})
    payload = {"attributes": [{"name": "Weight", "options": ["2 oz"]}]}
    assert evaluate(spec, payload) == (Decimal("56.6990"), "grams")


def test_purity() -> None:
    spec = rule("purity", "attributes[name=Fineness].options[0]", purity=True)
    assert evaluate(spec, {"attributes": [{"name": "Fineness", "options": ["22K"]}]}) == (
        Decimal("0.9167")
    )
    payload = {"attributes": [{"name": "Fineness", "options": ["very pure"]}]}
    assert failure(spec, payload).error.code == codes.INVALID_PURITY


def test_lookup_names_the_table_the_target_uses() -> None:
    spec = rule("user", "meta_data[key=goldsphere_email].value", "order", lookup="users_by_email")
    payload = {"meta_data": [{"key": "goldsphere_email", "value": "Ann@Example.com"}]}
    assert evaluate(spec, payload) == "Ann@Example.com"


def test_errors_of_a_personal_field_never_carry_the_address() -> None:
    spec = rule("user", "billing.email", "order")
    problem = failure(spec, {"billing": {"email": "not-an-address"}})
    assert "not-an-address" not in problem.error.message
    assert problem.error.value == "***"


def test_item_fields_are_labelled_with_their_position() -> None:
    spec = rule("item.quantity", "quantity", "order")
    with pytest.raises(RuleFailure) as failed:
        evaluate(spec, {"quantity": -2}, label="items[3].quantity")
    assert failed.value.error.field == "items[3].quantity"
    assert failed.value.error.code == codes.INVALID_QUANTITY
