"""Connector rows for rule tests, written with plain SQL (no connector service involved),
and sandbox products whose producer the mapping cannot place (for the rules doctor)."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa

from goldsphere_pipelines import settings
from goldsphere_pipelines.sandbox.store import SandboxStore


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


def misspell_producers(store: SandboxStore, count: int, spelling: str) -> list[str]:
    """Give `count` simple products a producer goldsphere does not know by that name."""
    variable = set(store.variable_product_ids())
    changed = []
    for product_id in store.product_ids():
        if product_id in variable or store.product_flaw(product_id):
            continue
        attributes = store.product(product_id)["attributes"]
        if not any(a["name"] == "Brand" for a in attributes):
            continue
        edited = [{**a, "options": [spelling]} if a["name"] == "Brand" else a for a in attributes]
        # The name and description would state the producer: the inference reads them.
        overrides = {"attributes": edited, "name": f"Bullion {product_id}"}
        store.modify_product(
            product_id, overrides={**overrides, "description": "", "short_description": ""}
        )
        changed.append(str(product_id))
        if len(changed) == count:
            return changed
    raise AssertionError("the sandbox has too few simple products with a Brand")
