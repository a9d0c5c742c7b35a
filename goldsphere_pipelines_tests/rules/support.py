"""Connector rows for rule tests, written with plain SQL (no connector service involved)."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa

from goldsphere_pipelines import settings


def insert_connector(engine: sa.Engine, name: str = "bullion-shop") -> UUID:
    with engine.begin() as conn:
        connector_id = conn.execute(
            sa.text(
                "INSERT INTO external_connector (name, base_url) "
                "VALUES (:name, 'https://shop.example.com') RETURNING id"
            ),
            {"name": name},
        ).scalar_one()
    return UUID(str(connector_id))


def rule_rows(engine: sa.Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT connector_id, entity_type, source_field, target_field, transform_json "
                "FROM external_mapping_rule ORDER BY created_at, id"
            )
        ).mappings()
        return [dict(row) for row in rows]


def ensure_reference_data(engine: sa.Engine) -> None:
    """Reload goldsphere's reference data when it is missing.

    The shared `db` fixture truncates `users` with CASCADE, which also empties metal,
    productType, producer, currency and country (their createdBy columns reference
    users); rule validation needs them.
    """
    with engine.begin() as conn:
        if conn.execute(sa.text("SELECT count(*) FROM metal")).scalar_one():
            return
        sql = (settings.sql_dir() / "core" / "0002_goldsphere_reference_data.sql").read_text()
        conn.exec_driver_sql(sql)
