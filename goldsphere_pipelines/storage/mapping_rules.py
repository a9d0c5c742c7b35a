"""Persistence of per-connector mapping rules (`external_mapping_rule`).

Rules are checked by `mapping.validate_rule` before they get here (see
`connectors/rules.py`); this module only keeps them. A connector has at most one rule
per entity type and target: a second one is refused, so which rule applies is never a
question of insertion order. Timestamps come back UTC-aware.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.mapping.rules import RuleSpec
from goldsphere_pipelines.mapping.targets import EntityType


class RuleTargetTakenError(GoldsphereError):
    """The connector already has a rule for this entity type and target."""

    code = "rule_target_taken"


class RuleConnectorMissingError(GoldsphereError):
    """The connector the rule is for does not exist."""

    code = "connector_not_found"


@dataclass(frozen=True)
class StoredMappingRule:
    """One `external_mapping_rule` row."""

    id: UUID
    connector_id: UUID
    entity_type: EntityType
    source_field: str
    target_field: str
    transform: dict[str, Any] = field(hash=False)
    created_at: datetime
    updated_at: datetime

    @property
    def spec(self) -> RuleSpec:
        return RuleSpec(
            entity_type=self.entity_type,
            source_field=self.source_field,
            target_field=self.target_field,
            transform=self.transform,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "connector_id": str(self.connector_id),
            "entity_type": self.entity_type,
            "source_field": self.source_field,
            "target_field": self.target_field,
            "transform": self.transform,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


_COLUMNS = (
    "id, connector_id, entity_type, source_field, target_field, transform_json, "
    "created_at, updated_at"
)


class MappingRuleRepository:
    """A connector's mapping rules in PostgreSQL; each method is one transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def list_rules(
        self, connector_id: UUID, entity_type: EntityType | str | None = None
    ) -> list[StoredMappingRule]:
        """The connector's rules, oldest first; only `entity_type`'s when given."""
        query = f"SELECT {_COLUMNS} FROM external_mapping_rule WHERE connector_id = :connector_id"
        params: dict[str, Any] = {"connector_id": connector_id}
        if entity_type is not None:
            query += " AND entity_type = :entity_type"
            params["entity_type"] = entity_type
        with self._engine.connect() as conn:
            rows = conn.execute(sa.text(query + " ORDER BY created_at, id"), params).mappings()
            return [_record(row) for row in rows]

    def add_rule(self, connector_id: UUID, rule: RuleSpec) -> StoredMappingRule:
        """Store one rule; see `add_rules`."""
        return self.add_rules(connector_id, [rule])[0]

    def add_rules(self, connector_id: UUID, rules: Sequence[RuleSpec]) -> list[StoredMappingRule]:
        """Store rules, all or none.

        `RuleTargetTakenError` when the connector already has a rule for one of the
        targets (or two of `rules` share one); `RuleConnectorMissingError` when the
        connector does not exist. Every rule must name its entity type.
        """
        with self._engine.begin() as conn:
            _lock_connector(conn, connector_id)
            taken = {
                (r.entity_type, r.target_field): r.id for r in self._rules_on(conn, connector_id)
            }
            stored: list[StoredMappingRule] = []
            for rule in rules:
                if rule.entity_type is None:
                    raise ValueError("a stored rule must name its entity type")
                key = (rule.entity_type, rule.target_field)
                if key in taken:
                    raise RuleTargetTakenError(
                        f"The connector already has {_article(rule.entity_type)} rule for target "
                        f"'{rule.target_field}' (rule {taken[key]}). Remove it first with "
                        "`goldsphere rules remove`."
                    )
                record = _insert(conn, connector_id, rule)
                taken[key] = record.id
                stored.append(record)
            return stored

    def replace_rule(self, connector_id: UUID, rule: RuleSpec) -> StoredMappingRule:
        """Store `rule` in place of the connector's rule for its target, if any, in one
        transaction: the target always has exactly one rule or the template's."""
        if rule.entity_type is None:
            raise ValueError("a stored rule must name its entity type")
        with self._engine.begin() as conn:
            _lock_connector(conn, connector_id)
            conn.execute(
                sa.text(
                    "DELETE FROM external_mapping_rule WHERE connector_id = :connector_id "
                    "AND entity_type = :entity_type AND target_field = :target_field"
                ),
                {
                    "connector_id": connector_id,
                    "entity_type": rule.entity_type,
                    "target_field": rule.target_field,
                },
            )
            return _insert(conn, connector_id, rule)

    def remove_rule(self, connector_id: UUID, rule_id: UUID) -> bool:
        """Delete the connector's rule; False when it has no rule with that id."""
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.text(
                    "DELETE FROM external_mapping_rule "
                    "WHERE id = :id AND connector_id = :connector_id"
                ),
                {"id": rule_id, "connector_id": connector_id},
            )
            return result.rowcount > 0

    @staticmethod
    def _rules_on(conn: Connection, connector_id: UUID) -> list[StoredMappingRule]:
        rows = conn.execute(
            sa.text(f"SELECT {_COLUMNS} FROM external_mapping_rule WHERE connector_id = :id"),
            {"id": connector_id},
        ).mappings()
        return [_record(row) for row in rows]


_INSERT = sa.text(
    "INSERT INTO external_mapping_rule "
    "(connector_id, entity_type, source_field, target_field, transform_json, "
    "created_at, updated_at) "
    "VALUES (:connector_id, :entity_type, :source_field, :target_field, "
    # clock_timestamp, not now(): rules added together keep their order in `list_rules`.
    "CAST(:transform AS jsonb), clock_timestamp(), clock_timestamp()) "
    f"RETURNING {_COLUMNS}"
)


def _insert(conn: Connection, connector_id: UUID, rule: RuleSpec) -> StoredMappingRule:
    parameters = {
        "connector_id": connector_id,
        "entity_type": rule.entity_type,
        "source_field": rule.source_field,
        "target_field": rule.target_field,
        "transform": json.dumps(rule.transform),
    }
    return _record(conn.execute(_INSERT, parameters).mappings().one())


def _lock_connector(conn: Connection, connector_id: UUID) -> None:
    # Serializes concurrent adds for one connector, so the one-rule-per-target check holds.
    found = conn.execute(
        sa.text("SELECT id FROM external_connector WHERE id = :id FOR UPDATE"),
        {"id": connector_id},
    ).first()
    if found is None:
        raise RuleConnectorMissingError(f"No connector has the id {connector_id}.")


def _record(row: RowMapping) -> StoredMappingRule:
    return StoredMappingRule(
        id=row["id"],
        connector_id=row["connector_id"],
        entity_type=row["entity_type"],
        source_field=row["source_field"],
        target_field=row["target_field"],
        transform=dict(row["transform_json"] or {}),
        created_at=_utc(row["created_at"]),
        updated_at=_utc(row["updated_at"]),
    )


def _article(entity_type: str) -> str:
    return f"an {entity_type}" if entity_type[:1] in "aeiou" else f"a {entity_type}"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
