"""What the rules doctor proposes per failure group: pure, no database."""

from __future__ import annotations

from goldsphere_pipelines.connectors.doctor_proposals import NeedsValue, Proposal, propose
from goldsphere_pipelines.mapping import default_template
from goldsphere_pipelines.mapping.rules import validate_rule

REFERENCE = {
    "producers": ["Perth Mint", "Royal Canadian Mint", "Valcambi"],
    "metals": ["Gold", "Silver"],
    "product_types": ["Coin", "Bar"],
}


def _template(entity: str, target: str):
    return next(r for r in default_template(entity) if r.target_field == target)


def _propose(entity: str, target: str, code: str, values, **kwargs):
    return propose(
        entity=entity,
        target=target,
        code=code,
        failing_values=values,
        current=_template(entity, target),
        reference=REFERENCE,
        common_value=kwargs.pop("common_value", None),
        **kwargs,
    )


def test_an_unknown_value_maps_to_the_name_it_resembles_and_known_names_keep_mapping():
    found = _propose("product", "producer", "unknown_producer", ["Perth", "Royal Canadien Mint"])
    assert isinstance(found, Proposal)
    mapping = found.rule.transform["map"]
    assert mapping["Perth"] == "Perth Mint"
    assert mapping["Royal Canadien Mint"] == "Royal Canadian Mint"
    assert mapping["Valcambi"] == "Valcambi"
    assert "default" not in found.rule.transform  # an unknown value is never replaced by a guess
    assert found.rule.source_field == _template("product", "producer").source_field


def test_a_value_like_nothing_needs_the_admin_to_name_it_then_maps_to_that():
    asked = _propose("product", "producer", "unknown_producer", ["Acme Refining"])
    assert isinstance(asked, NeedsValue)
    assert "--value" in asked.explanation
    given = _propose("product", "producer", "unknown_producer", ["Acme Refining"], value="Valcambi")
    assert isinstance(given, Proposal)
    assert given.rule.transform["map"]["Acme Refining"] == "Valcambi"


def test_a_missing_value_gets_the_value_every_mapped_record_shares_as_default():
    found = _propose("product", "producer", "missing_field", [], common_value="Perth Mint")
    assert isinstance(found, Proposal)
    assert found.rule.transform["default"] == "Perth Mint"
    assert "every mapped record" in found.explanation
    assert _propose("product", "producer", "missing_field", []).__class__ is NeedsValue


def test_an_unknown_status_is_mapped_only_to_the_status_the_admin_names():
    assert isinstance(_propose("order", "order_status", "unknown_status", ["wc-x"]), NeedsValue)
    found = _propose("order", "order_status", "unknown_status", ["wc-x"], value="shipped")
    assert isinstance(found, Proposal)
    assert found.rule.transform["map"]["wc-x"] == "shipped"
    assert found.rule.transform["map"]["processing"] == "confirmed"  # the template's entries stay
    assert validate_rule("order", found.rule) == []


def test_failures_no_rule_fixes_get_advice():
    advice = _propose("order", "user", "user_not_found", [])
    assert isinstance(advice, str)
    assert "users" in advice
