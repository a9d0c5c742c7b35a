"""Data-quality queries behind the asset checks. Each returns a count and a few examples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from goldsphere_pipelines.storage.goldsphere import reference_source


@dataclass(frozen=True)
class QualityFinding:
    count: int
    examples: list[dict[str, Any]]


class QualityRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def failed_mappings(self, connector_id: UUID, kind: str) -> QualityFinding:
        table = "external_product" if kind == "product" else "external_order"
        with self._engine.connect() as conn:
            count = conn.execute(
                sa.text(
                    f"SELECT count(*) FROM {table} WHERE connector_id = :cid AND status = 'failed'"
                ),
                {"cid": connector_id},
            ).scalar_one()
        return QualityFinding(int(count), [])

    def orders_missing_products(self, connector_id: UUID) -> QualityFinding:
        """Orders that failed because a line item names a product goldsphere does not have."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT external_id FROM external_order WHERE connector_id = :cid "
                    "AND status = 'failed' "
                    'AND mapping_errors @> \'[{"code": "product_not_found"}]\'::jsonb '
                    "ORDER BY length(external_id), external_id"
                ),
                {"cid": connector_id},
            ).all()
        return QualityFinding(len(rows), [{"externalId": r.external_id} for r in rows[:10]])

    def duplicate_references(self, connector_id: UUID) -> QualityFinding:
        """goldsphere rows that two shop records claim (should never happen)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT entity_type, internal_id, array_agg(external_id) AS ids "
                    "FROM external_reference WHERE source = :source "
                    "GROUP BY entity_type, internal_id HAVING count(*) > 1"
                ),
                {"source": reference_source(connector_id)},
            ).all()
        return QualityFinding(
            len(rows),
            [
                {"entity": r.entity_type, "internalId": str(r.internal_id), "externalIds": r.ids}
                for r in rows[:10]
            ],
        )
