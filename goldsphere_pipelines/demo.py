"""The README's main job: a whole sync of a sandbox store, headless, on the embedded database.

Steps: migrate (with goldsphere's core subset), start a sandbox store on loopback, create
goldsphere users for its customers, register (or re-point) the demo connector, sync in full,
sync again to show that nothing is duplicated, and print a summary.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from goldsphere_pipelines.connectors.configuration import add_connector, update_connector
from goldsphere_pipelines.connectors.models import ConnectorCreate, ConnectorUpdate
from goldsphere_pipelines.connectors.runs import SyncRun, list_runs
from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.storage.connectors import ConnectorRepository
from goldsphere_pipelines.storage.credentials import CredentialCipher

DEMO_CONNECTOR = "demo-shop"
DEMO_PORT = 8099


@dataclass(frozen=True)
class DemoCounts:
    external_products: dict[str, int]
    external_orders: dict[str, int]
    products: int
    orders: int
    order_items: int
    references: int


def free_port(preferred: int) -> int:
    """The preferred port when it is free (so `make sandbox` + `make dev` reuse the
    connector), else any free loopback port."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])


def seed_customers(engine: Engine, emails: list[str]) -> int:
    """goldsphere users for the store's customers (demo only: in production they exist)."""
    if not emails:
        return 0
    with engine.begin() as conn:
        result = conn.execute(
            sa.text(
                "INSERT INTO users (email, username, passwordhash, role) "
                "SELECT e, e, 'demo-account-no-login', 'customer' "
                "FROM unnest(CAST(:emails AS text[])) "
                "AS u(e) ON CONFLICT (email) DO NOTHING"
            ),
            {"emails": emails},
        )
        return int(result.rowcount or 0)


def register_demo_connector(
    engine: Engine, cipher: CredentialCipher, base_url: str, key: str, secret: str
) -> str:
    existing = ConnectorRepository(engine).get_by_name(DEMO_CONNECTOR)
    if existing is None:
        add_connector(
            engine,
            cipher,
            ConnectorCreate(
                name=DEMO_CONNECTOR,
                base_url=base_url,
                consumer_key=SecretStr(key),
                consumer_secret=SecretStr(secret),
            ),
        )
    else:
        update_connector(
            engine,
            cipher,
            DEMO_CONNECTOR,
            ConnectorUpdate(
                base_url=base_url,
                consumer_key=SecretStr(key),
                consumer_secret=SecretStr(secret),
                sync_products=True,
                sync_orders=True,
            ),
        )
    return DEMO_CONNECTOR


def database_counts(engine: Engine, connector_id: Any) -> DemoCounts:
    def by_status(table: str) -> dict[str, int]:
        rows = conn.execute(
            sa.text(
                f"SELECT status, count(*) FROM {table} WHERE connector_id = :cid GROUP BY status"
            ),
            {"cid": connector_id},
        )
        return {s: int(n) for s, n in rows}

    source = f"woocommerce:{connector_id}"
    with engine.connect() as conn:
        refs: dict[str, int] = dict(
            conn.execute(
                sa.text(
                    "SELECT entity_type, count(*) FROM external_reference WHERE source = :s "
                    "GROUP BY entity_type"
                ),
                {"s": source},
            ).all()
        )
        items = conn.execute(
            sa.text(
                "SELECT count(*) FROM order_items i JOIN external_reference r "
                "ON r.internal_id = i.orderid AND r.source = :s AND r.entity_type = 'order'"
            ),
            {"s": source},
        ).scalar_one()
        return DemoCounts(
            external_products=by_status("external_product"),
            external_orders=by_status("external_order"),
            products=int(refs.get("product", 0)),
            orders=int(refs.get("order", 0)),
            order_items=int(items),
            references=int(sum(refs.values())),
        )


STEP_FIELDS = {
    "products_extract": (
        "mode", "fetched", "new", "changed", "unchanged", "invalid", "trashed", "requests",
    ),
    "products_map": ("mapped", "not_sellable", "failed"),
    "orders_extract": (
        "mode", "fetched", "new", "changed", "unchanged", "invalid", "trashed", "requests",
    ),
    "orders_map": ("mapped", "failed", "awaiting_dependency", "requeued"),
    "reconcile": ("mode", "held", "fetched", "gone", "trashed", "requests"),
}  # fmt: skip


def run_summary(run: SyncRun) -> list[str]:
    lines = [f"  run {run.id}: {run.status}" + (f" — {run.error}" if run.error else "")]
    for step, fields in STEP_FIELDS.items():
        stats = run.stats.get(step)
        if not isinstance(stats, dict):
            continue
        shown = ", ".join(f"{k}={stats[k]}" for k in fields if k in stats)
        lines.append(f"    {step:16} {shown}, {stats.get('seconds', 0)} s")
    return lines


def latest_run(engine: Engine) -> SyncRun:
    runs = list_runs(engine, DEMO_CONNECTOR, limit=1)
    if not runs:
        raise GoldsphereError("The demo sync left no run row; see the Dagster logs above.")
    return runs[0]


Echo = Callable[[str], None]
