"""Managing a connector's mapping rules: the use cases behind `goldsphere rules …`.

A rule is checked with `mapping.validate_rule` against goldsphere's own reference data
(product types, metals, active producers) before anything is written; a refused rule
raises `InvalidRuleError` with every reason on one line and writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.mapping.rules import (
    InvalidRuleError,
    ReferenceNames,
    RuleSpec,
    parse_rule,
    validate_rule,
)
from goldsphere_pipelines.mapping.targets import ENTITY_TYPES, EntityType
from goldsphere_pipelines.storage.goldsphere import GoldsphereRepository
from goldsphere_pipelines.storage.mapping_rules import MappingRuleRepository, StoredMappingRule

MAX_RULES_PER_DOCUMENT = 200


class RuleConnectorNotFoundError(GoldsphereError):
    """No connector has the given name."""

    code = "connector_not_found"


class RuleNotFoundError(GoldsphereError):
    """The connector has no rule with the given id."""

    code = "rule_not_found"


def list_connector_rules(
    engine: Engine, connector_name: str, entity_type: EntityType | None = None
) -> list[StoredMappingRule]:
    """The connector's own rules (the template's are not listed), oldest first."""
    if entity_type is not None and entity_type not in ENTITY_TYPES:
        raise InvalidRuleError(f"Entity type must be product or order, not {entity_type!r}.")
    connector_id = connector_id_by_name(engine, connector_name)
    return MappingRuleRepository(engine).list_rules(connector_id, entity_type)


def add_connector_rules(
    engine: Engine, connector_name: str, rules: Sequence[RuleSpec]
) -> list[StoredMappingRule]:
    """Validate every rule, then store them all in one transaction (or none)."""
    connector_id = connector_id_by_name(engine, connector_name)
    if not rules:
        raise InvalidRuleError("No rule given: expected a rule object or a list of them.")
    reference = reference_names(engine)
    seen: set[tuple[str, str]] = set()
    for number, rule in enumerate(rules, start=1):
        where = f"Rule {number} of {len(rules)}" if len(rules) > 1 else "The rule"
        _check(rule, reference, where)
        key = (rule.entity_type or "", rule.target_field)
        if key in seen:
            raise InvalidRuleError(
                f"{where} repeats the {rule.entity_type} target '{rule.target_field}'; "
                "give one rule per target."
            )
        seen.add(key)
    return MappingRuleRepository(engine).add_rules(connector_id, rules)


def replace_connector_rule(
    engine: Engine, connector_name: str, rule: RuleSpec
) -> StoredMappingRule:
    """Validate `rule` as `add_connector_rules` does, then store it in place of the
    connector's rule for the same target (what `goldsphere rules doctor --apply` saves)."""
    connector_id = connector_id_by_name(engine, connector_name)
    _check(rule, reference_names(engine), "The rule")
    return MappingRuleRepository(engine).replace_rule(connector_id, rule)


def _check(rule: RuleSpec, reference: ReferenceNames, where: str) -> None:
    if rule.entity_type is None:
        raise InvalidRuleError(f"{where} needs an entity_type: product or order.")
    problems = validate_rule(rule.entity_type, rule, reference=reference)
    if problems:
        raise InvalidRuleError(
            f"{where} ({rule.entity_type} target '{rule.target_field}') is refused: "
            + " ".join(problems)
        )


def add_connector_rule(engine: Engine, connector_name: str, rule: RuleSpec) -> StoredMappingRule:
    """Validate one rule, then store it."""
    return add_connector_rules(engine, connector_name, [rule])[0]


def remove_connector_rule(engine: Engine, connector_name: str, rule_id: str | UUID) -> None:
    """Delete one of the connector's rules; `RuleNotFoundError` when it has no such rule."""
    connector_id = connector_id_by_name(engine, connector_name)
    try:
        parsed = rule_id if isinstance(rule_id, UUID) else UUID(rule_id.strip())
    except ValueError:
        raise RuleNotFoundError(
            f"{rule_id!r} is not a rule id; `goldsphere rules list {connector_name}` shows them."
        ) from None
    if not MappingRuleRepository(engine).remove_rule(connector_id, parsed):
        raise RuleNotFoundError(
            f"Connector '{connector_name}' has no rule {parsed}; "
            f"`goldsphere rules list {connector_name}` shows its rules."
        )


def parse_rules_document(text: str) -> list[RuleSpec]:
    """Rules from JSON text: one rule object or a list of them.

    Raises `InvalidRuleError` saying what is wrong with the JSON or which rule is malformed.
    """
    try:
        document: Any = json.loads(text)
    except ValueError as exc:
        raise InvalidRuleError(f"The rule is not valid JSON: {exc}.") from None
    items = document if isinstance(document, list) else [document]
    if len(items) > MAX_RULES_PER_DOCUMENT:
        raise InvalidRuleError(f"At most {MAX_RULES_PER_DOCUMENT} rules can be added at once.")
    rules: list[RuleSpec] = []
    for number, item in enumerate(items, start=1):
        try:
            rules.append(parse_rule(item))
        except InvalidRuleError as exc:
            if len(items) == 1:
                raise
            raise InvalidRuleError(f"Rule {number} of {len(items)}: {exc.message}") from None
    return rules


def connector_id_by_name(engine: Engine, connector_name: str) -> UUID:
    with engine.connect() as conn:
        connector_id = conn.execute(
            sa.text("SELECT id FROM external_connector WHERE name = :name"),
            {"name": connector_name},
        ).scalar_one_or_none()
    if connector_id is None:
        raise RuleConnectorNotFoundError(
            f"No connector is named '{connector_name}'; `goldsphere connectors list` shows them."
        )
    return UUID(str(connector_id))


def reference_names(engine: Engine) -> ReferenceNames:
    """goldsphere's product types, metals (names and symbols) and active producers."""
    data = GoldsphereRepository(engine).reference_data()
    return ReferenceNames(
        product_types=[name for name, _ in data.product_types if name],
        metals=[label for name, symbol, _ in data.metals for label in (name, symbol) if label],
        producers=[name for name, _ in data.producers if name],
    )
