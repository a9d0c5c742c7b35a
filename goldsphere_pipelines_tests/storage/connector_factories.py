"""Test material for connector configuration: WooCommerce-shaped keys and a database scan."""

from __future__ import annotations

import secrets

import sqlalchemy as sa


def consumer_key() -> str:
    """A fresh key of WooCommerce's shape (ck_ + 40 hex), unique per call."""
    return "ck_" + secrets.token_hex(20)


def consumer_secret() -> str:
    """A fresh secret of WooCommerce's shape (cs_ + 40 hex), unique per call."""
    return "cs_" + secrets.token_hex(20)


def database_text(engine: sa.Engine) -> str:
    """The text of every row of every table in the public schema, as a dump would hold it."""
    with engine.connect() as conn:
        tables = conn.execute(
            sa.text(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
            )
        ).scalars()
        return "\n".join(
            row
            for table in list(tables)
            for row in conn.execute(sa.text(f'SELECT t::text FROM "{table}" t')).scalars()
        )


def row_counts(engine: sa.Engine) -> dict[str, int]:
    """How many rows each connector configuration table holds."""
    with engine.connect() as conn:
        return {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("external_connector", "external_credential", "external_sync_config")
        }
