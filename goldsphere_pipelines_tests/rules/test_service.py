"""Rule services by connector name: validated against the database's reference data."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from goldsphere_pipelines.connectors.rules import (
    RuleConnectorNotFoundError,
    RuleNotFoundError,
    add_connector_rule,
    add_connector_rules,
    list_connector_rules,
    parse_rules_document,
    reference_names,
    remove_connector_rule,
)
from goldsphere_pipelines.mapping import InvalidRuleError, RuleSpec
from goldsphere_pipelines.storage.mapping_rules import RuleTargetTakenError
from goldsphere_pipelines_tests.rules.support import (
    ensure_reference_data,
    insert_connector,
    rule_rows,
)


@pytest.fixture(autouse=True)
def _reference_data(db: sa.Engine) -> None:
    ensure_reference_data(db)


def spec(target: str, source: str, entity: str = "product", **transform: object) -> RuleSpec:
    return RuleSpec.model_validate(
        {
            "entity_type": entity,
            "source_field": source,
            "target_field": target,
            "transform": transform,
        }
    )


def test_reference_names_come_from_the_database(db: sa.Engine) -> None:
    names = reference_names(db)
    assert "Cast Bar" in names.product_types
    assert {"Gold", "AU"} <= set(names.metals)
    assert "Perth Mint" in names.producers


def test_a_rule_naming_a_new_goldsphere_product_type_is_accepted_once_it_exists(
    db: sa.Engine,
) -> None:
    insert_connector(db)
    rounds = spec("product_type", "categories[*].name", keywords=[["round", "Round"]])
    with pytest.raises(InvalidRuleError) as refused:
        add_connector_rule(db, "bullion-shop", rounds)
    assert "'Round' is not a known goldsphere product type" in str(refused.value)
    with db.begin() as conn:
        conn.execute(sa.text("INSERT INTO producttype (producttypename) VALUES ('Round')"))
    try:
        assert add_connector_rule(db, "bullion-shop", rounds).target_field == "product_type"
    finally:
        with db.begin() as conn:
            conn.execute(sa.text("DELETE FROM producttype WHERE producttypename = 'Round'"))


def test_an_inactive_producer_cannot_be_a_rules_default(db: sa.Engine) -> None:
    insert_connector(db)
    with db.begin() as conn:
        conn.execute(
            sa.text("UPDATE producer SET status = 'inactive' WHERE producername = 'Degussa'")
        )
    try:
        with pytest.raises(InvalidRuleError):
            add_connector_rule(db, "bullion-shop", spec("producer", "", default="Degussa"))
    finally:
        with db.begin() as conn:
            conn.execute(
                sa.text("UPDATE producer SET status = 'active' WHERE producername = 'Degussa'")
            )


def test_add_list_remove_by_name(db: sa.Engine) -> None:
    insert_connector(db)
    insert_connector(db, "other-shop")
    stored = add_connector_rules(
        db,
        "bullion-shop",
        [
            spec("order_status", "status", "order", map={"wc-shipped": "shipped"}),
            spec("producer", "", default="Perth Mint"),
        ],
    )
    assert [r.target_field for r in list_connector_rules(db, "bullion-shop")] == [
        "order_status",
        "producer",
    ]
    assert [r.target_field for r in list_connector_rules(db, "bullion-shop", "order")] == [
        "order_status"
    ]
    assert list_connector_rules(db, "other-shop") == []
    remove_connector_rule(db, "bullion-shop", str(stored[0].id))
    assert [r.target_field for r in list_connector_rules(db, "bullion-shop")] == ["producer"]
    with pytest.raises(RuleNotFoundError):
        remove_connector_rule(db, "bullion-shop", str(stored[0].id))
    with pytest.raises(RuleNotFoundError):
        remove_connector_rule(db, "other-shop", stored[1].id)
    with pytest.raises(RuleNotFoundError) as refused:
        remove_connector_rule(db, "bullion-shop", "not-a-uuid")
    assert "goldsphere rules list bullion-shop" in str(refused.value)


def test_an_invalid_rule_among_several_writes_nothing(db: sa.Engine) -> None:
    insert_connector(db)
    with pytest.raises(InvalidRuleError) as refused:
        add_connector_rules(
            db,
            "bullion-shop",
            [
                spec("producer", "", default="Perth Mint"),
                spec("order_status", "status", "order", map={"wc-shipped": "posted"}),
            ],
        )
    message = str(refused.value)
    assert message.startswith("Rule 2 of 2 (order target 'order_status') is refused:")
    assert "posted" in message
    assert "\n" not in message
    assert rule_rows(db) == []


def test_duplicate_targets_are_refused(db: sa.Engine) -> None:
    insert_connector(db)
    status = spec("order_status", "status", "order", map={"wc-shipped": "shipped"})
    with pytest.raises(InvalidRuleError):
        add_connector_rules(db, "bullion-shop", [status, status])
    add_connector_rule(db, "bullion-shop", status)
    with pytest.raises(RuleTargetTakenError):
        add_connector_rule(db, "bullion-shop", status)
    assert len(rule_rows(db)) == 1


def test_a_rule_must_name_its_entity(db: sa.Engine) -> None:
    insert_connector(db)
    rule = RuleSpec(source_field="status", target_field="order_status", transform={})
    with pytest.raises(InvalidRuleError) as refused:
        add_connector_rule(db, "bullion-shop", rule)
    assert "entity_type" in str(refused.value)


def test_an_unknown_connector(db: sa.Engine) -> None:
    with pytest.raises(RuleConnectorNotFoundError) as refused:
        list_connector_rules(db, "nowhere")
    assert "goldsphere connectors list" in str(refused.value)
    with pytest.raises(RuleConnectorNotFoundError):
        add_connector_rule(db, "nowhere", spec("sku", "sku"))


def test_parse_rules_document() -> None:
    one = parse_rules_document('{"entity_type": "order", "source_field": "status", '
                               '"target_field": "order_status", "transform": {}}')  # fmt: skip
    assert [r.target_field for r in one] == ["order_status"]
    many = '[{"entity_type": "product", "source_field": "sku", "target_field": "sku"}]'
    assert len(parse_rules_document(many)) == 1
    for text, expected in [
        ("{", "not valid JSON"),
        ("[]", None),
        ('{"source_field": "a"}', "target_field"),
        ('{"entity_type": "customer", "source_field": "a", "target_field": "b"}', "entity_type"),
        ('[{"entity_type": "order", "source_field": "a", "target_field": "b"}, 5]', "Rule 2 of 2"),
    ]:
        if expected is None:
            assert parse_rules_document(text) == []
            continue
        with pytest.raises(InvalidRuleError) as refused:
            parse_rules_document(text)
        assert expected in str(refused.value)
