"""MappingRuleRepository on real PostgreSQL."""

from __future__ import annotations

from uuid import uuid4

import pytest
import sqlalchemy as sa

from goldsphere_pipelines.mapping import RuleSpec, compile_rules
from goldsphere_pipelines.storage.mapping_rules import (
    MappingRuleRepository,
    RuleConnectorMissingError,
    RuleTargetTakenError,
)
from goldsphere_pipelines_tests.rules.support import insert_connector, rule_rows

STATUS_RULE = RuleSpec(
    entity_type="order",
    source_field="status",
    target_field="order_status",
    transform={"map": {"wc-shipped": "shipped", "completed": "completed"}},
)
PRODUCER_RULE = RuleSpec(
    entity_type="product",
    source_field="meta_data[key=_mint].value",
    target_field="producer",
    transform={"default": "Perth Mint"},
)


def test_add_list_remove(db: sa.Engine) -> None:
    connector_id = insert_connector(db)
    repository = MappingRuleRepository(db)
    stored = repository.add_rule(connector_id, STATUS_RULE)
    assert stored.spec == STATUS_RULE
    assert stored.connector_id == connector_id
    assert stored.created_at.tzinfo is not None
    assert rule_rows(db) == [
        {
            "connector_id": connector_id,
            "entity_type": "order",
            "source_field": "status",
            "target_field": "order_status",
            "transform_json": STATUS_RULE.transform,
        }
    ]
    second = repository.add_rule(connector_id, PRODUCER_RULE)
    assert [r.id for r in repository.list_rules(connector_id)] == [stored.id, second.id]
    assert [r.id for r in repository.list_rules(connector_id, "product")] == [second.id]
    assert repository.remove_rule(connector_id, stored.id) is True
    assert repository.remove_rule(connector_id, stored.id) is False
    assert [r.id for r in repository.list_rules(connector_id)] == [second.id]


def test_stored_rules_compile_as_the_pipeline_uses_them(db: sa.Engine) -> None:
    connector_id = insert_connector(db)
    repository = MappingRuleRepository(db)
    repository.add_rules(connector_id, [STATUS_RULE, PRODUCER_RULE])
    mapping = compile_rules("order", [r.spec for r in repository.list_rules(connector_id)])
    assert mapping.origins["order_status"] == "connector"
    assert mapping.origins["total"] == "template"


def test_one_rule_per_target_and_nothing_written_on_refusal(db: sa.Engine) -> None:
    connector_id = insert_connector(db)
    repository = MappingRuleRepository(db)
    first = repository.add_rule(connector_id, STATUS_RULE)
    with pytest.raises(RuleTargetTakenError) as refused:
        repository.add_rules(connector_id, [PRODUCER_RULE, STATUS_RULE])
    assert str(first.id) in str(refused.value)
    assert len(rule_rows(db)) == 1  # the producer rule was rolled back with it
    with pytest.raises(RuleTargetTakenError):
        repository.add_rules(insert_connector(db, "other"), [PRODUCER_RULE, PRODUCER_RULE])


def test_rules_belong_to_their_connector(db: sa.Engine) -> None:
    shop, other = insert_connector(db, "shop"), insert_connector(db, "other")
    repository = MappingRuleRepository(db)
    rule = repository.add_rule(shop, STATUS_RULE)
    repository.add_rule(other, STATUS_RULE)  # the same target on another connector is fine
    assert repository.remove_rule(other, rule.id) is False
    assert len(repository.list_rules(shop)) == 1


def test_an_unknown_connector_is_refused(db: sa.Engine) -> None:
    with pytest.raises(RuleConnectorMissingError):
        MappingRuleRepository(db).add_rule(uuid4(), STATUS_RULE)


def test_rules_go_with_their_connector(db: sa.Engine) -> None:
    connector_id = insert_connector(db)
    MappingRuleRepository(db).add_rule(connector_id, STATUS_RULE)
    with db.begin() as conn:
        conn.execute(sa.text("DELETE FROM external_connector WHERE id = :id"), {"id": connector_id})
    assert rule_rows(db) == []
