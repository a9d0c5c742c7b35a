"""A throw-away PostgreSQL database for each test session, never a mock.

The server is `GOLDSPHERE_TEST_DATABASE_URL` when set (any database on it; the tests
create their own next to it), else PostgreSQL on 127.0.0.1:5432 as user postgres when
one answers there, else the project's embedded PostgreSQL under a temporary folder, so
`make test` passes on a machine with no PostgreSQL at all.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from goldsphere_pipelines.mapping.targets import DEFAULT_PRODUCERS
from goldsphere_pipelines.storage.embedded import ensure_embedded_database
from goldsphere_pipelines.storage.engine import create_engine, normalize_database_url

LOCAL_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

# Tables a test may fill; reference data (metal, productType, producer, currency,
# country) stays as the migration loaded it.
DATA_TABLES = (
    "external_webhook_delivery",
    "external_webhook",
    "external_reference",
    "external_gone_product",
    "external_product",
    "external_order",
    "external_mapping_rule",
    "external_sync_run",
    "external_sync_config",
    "external_credential",
    "external_connector",
    "order_items",
    "orders",
    "product",
)


def _server_answers(url: str) -> bool:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def admin_server_url() -> str:
    configured = os.environ.get("GOLDSPHERE_TEST_DATABASE_URL")
    if configured:
        return normalize_database_url(configured)
    if _server_answers(LOCAL_SERVER):
        return LOCAL_SERVER
    home = Path(tempfile.gettempdir()) / "goldsphere-test-embedded"
    return ensure_embedded_database(home, database="postgres")


@contextmanager
def scratch_database(prefix: str = "gs_test") -> Iterator[str]:
    """Create an empty database on the test server; drop it afterwards."""
    admin_url = admin_server_url()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# What sql/core/0002_goldsphere_reference_data.sql seeds.
SEEDED_COUNTRIES = ("CH", "AT", "AU", "CA", "US", "GB", "DE", "BE", "ZA", "JP", "MX", "CN")


def truncate_data_tables(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        # No CASCADE: every reference table points at users (createdBy), and a cascade
        # would empty metal, producer and the rest. Users go by DELETE for the same reason.
        conn.execute(sa.text(f"TRUNCATE {', '.join(DATA_TABLES)}"))
        conn.execute(sa.text("DELETE FROM users"))
        # Producers (and their countries) a sync created from the knowledge file.
        conn.execute(
            sa.text("DELETE FROM producer WHERE NOT (producername = ANY(:seeded))"),
            {"seeded": list(DEFAULT_PRODUCERS)},
        )
        conn.execute(
            sa.text(
                "DELETE FROM country c WHERE NOT (c.isocode2 = ANY(:seeded)) "
                "AND NOT EXISTS (SELECT 1 FROM producer p WHERE p.countryid = c.id)"
            ),
            {"seeded": list(SEEDED_COUNTRIES)},
        )


def migrated_engine(url: str) -> sa.Engine:
    from goldsphere_pipelines.storage.migrations import migrate

    engine = create_engine(url)
    migrate(engine, with_core_schema=True)
    return engine
