"""What "every record of the store in goldsphere exactly once" means, as checks on the
database against the sandbox store's own lists.

Every check reads the database as a whole (not the run's stats, not log lines), so that a
half-written batch, a duplicate or a lost record shows whatever the sync believed.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from typing import Any, Protocol
from uuid import UUID

import orjson
import sqlalchemy as sa

from goldsphere_pipelines.connectors.runs import SyncRun, list_runs
from goldsphere_pipelines.storage.locks import is_sync_locked


class StoreLists(Protocol):
    """What both an in-thread `SandboxStore` and the test's view of a sandbox process offer."""

    def product_ids(self) -> list[int]: ...

    def variation_ids(self) -> list[int]: ...

    def order_ids(self) -> list[int]: ...


def store_product_ids(store: StoreLists) -> set[str]:
    """Products and variations: both are rows of external_product."""
    return {str(i) for i in store.product_ids()} | {str(i) for i in store.variation_ids()}


def store_order_ids(store: StoreLists) -> set[str]:
    return {str(i) for i in store.order_ids()}


def rows(engine: sa.Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params).all())


def scalar(engine: sa.Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def external_ids(engine: sa.Engine, table: str, connector_id: UUID) -> Counter[str]:
    """external id → number of rows (more than one would be a duplicate)."""
    return Counter(
        r[0]
        for r in rows(
            engine, f"SELECT external_id FROM {table} WHERE connector_id = :c", c=connector_id
        )
    )


def deleted_external_ids(engine: sa.Engine, table: str, connector_id: UUID) -> set[str]:
    """Ids of rows stored with a deleted state (trashed, gone or deleted by webhook)."""
    return {
        r[0]
        for r in rows(
            engine,
            f"SELECT external_id FROM {table} WHERE connector_id = :c AND deleted_at IS NOT NULL",
            c=connector_id,
        )
    }


def payload_hash(payload: Any) -> str:
    """The hash the extractor stores for a payload (canonical JSON, sorted keys)."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def integrity_problems(engine: sa.Engine, connector_id: UUID) -> list[str]:
    """Everything that would betray a half-written batch or a duplicate, as sentences.

    - every external_reference points at an existing goldsphere row;
    - every goldsphere product/order row is reached by exactly one reference (this test
      database holds one connector's rows, or several connectors' with their own sources);
    - every mapped, sellable external row has its reference, and an order's items in
      goldsphere are exactly those of its mapped payload;
    - every failed external row says why.
    """
    source = f"woocommerce:{connector_id}"
    checks = {
        "references to missing products": (
            "SELECT r.external_id FROM external_reference r WHERE r.source = :s "
            "AND r.entity_type = 'product' AND NOT EXISTS "
            "(SELECT 1 FROM product p WHERE p.id = r.internal_id)"
        ),
        "references to missing orders": (
            "SELECT r.external_id FROM external_reference r WHERE r.source = :s "
            "AND r.entity_type = 'order' AND NOT EXISTS "
            "(SELECT 1 FROM orders o WHERE o.id = r.internal_id)"
        ),
        "products without a reference": (
            "SELECT p.id::text FROM product p WHERE NOT EXISTS (SELECT 1 FROM "
            "external_reference r WHERE r.entity_type = 'product' AND r.internal_id = p.id)"
        ),
        "orders without a reference": (
            "SELECT o.id::text FROM orders o WHERE NOT EXISTS (SELECT 1 FROM "
            "external_reference r WHERE r.entity_type = 'order' AND r.internal_id = o.id)"
        ),
        "goldsphere rows reached by two references": (
            "SELECT internal_id::text FROM external_reference GROUP BY entity_type, internal_id "
            "HAVING count(*) > 1"
        ),
        "mapped products without a reference": (
            "SELECT e.external_id FROM external_product e WHERE e.connector_id = :c "
            "AND e.status = 'mapped' "
            "AND e.mapped_payload_json->>'sellable' IS DISTINCT FROM 'false' "
            "AND NOT EXISTS (SELECT 1 FROM external_reference r WHERE r.source = :s "
            "AND r.entity_type = 'product' AND r.external_id = e.external_id)"
        ),
        "mapped orders without a reference": (
            "SELECT e.external_id FROM external_order e WHERE e.connector_id = :c "
            "AND e.status = 'mapped' AND NOT EXISTS (SELECT 1 FROM external_reference r "
            "WHERE r.source = :s AND r.entity_type = 'order' AND r.external_id = e.external_id)"
        ),
        "mapped orders whose goldsphere items differ from their mapped items": (
            "SELECT e.external_id FROM external_order e JOIN external_reference r "
            "ON r.source = :s AND r.entity_type = 'order' AND r.external_id = e.external_id "
            "WHERE e.connector_id = :c AND e.status = 'mapped' "
            "AND jsonb_array_length(e.mapped_payload_json->'items') <> "
            "(SELECT count(*) FROM order_items i WHERE i.orderid = r.internal_id)"
        ),
        "failed rows without errors": (
            "SELECT external_id FROM external_product WHERE connector_id = :c "
            "AND status = 'failed' AND jsonb_array_length(mapping_errors) = 0 "
            "UNION ALL SELECT external_id FROM external_order WHERE connector_id = :c "
            "AND status = 'failed' AND jsonb_array_length(mapping_errors) = 0"
        ),
    }
    problems = []
    for what, sql in checks.items():
        found = [r[0] for r in rows(engine, sql, s=source, c=connector_id)]
        if found:
            problems.append(f"{what}: {sorted(found)[:10]} ({len(found)})")
    return problems


def sync_problems(
    engine: sa.Engine,
    connector_id: UUID,
    store: StoreLists,
    *,
    deleted: set[str] = frozenset(),  # type: ignore[assignment]
    entities: tuple[str, ...] = ("product", "order"),
) -> list[str]:
    """What stands between the database and "every record of the store exactly once, none
    pending". `deleted`: ids deleted in the store after they were synced (the connector
    never deletes, so those rows stay). Rows stored as deleted (the shop's trash, records
    gone) are not records of the store's listing, but a listed record must not be one."""
    problems = integrity_problems(engine, connector_id)
    expected = {"product": store_product_ids(store), "order": store_order_ids(store)}
    for entity in entities:
        table = f"external_{entity}"
        stored = external_ids(engine, table, connector_id)
        stored_deleted = deleted_external_ids(engine, table, connector_id)
        twice = sorted(i for i, n in stored.items() if n > 1)
        missing = sorted(expected[entity] - set(stored), key=int)
        extra = sorted(set(stored) - expected[entity] - deleted - stored_deleted, key=int)
        listed_but_deleted = sorted(expected[entity] & stored_deleted, key=int)
        pending = [
            r[0]
            for r in rows(
                engine,
                f"SELECT external_id FROM {table} WHERE connector_id = :c AND status = 'pending'",
                c=connector_id,
            )
        ]
        for what, found in (
            ("stored twice", twice),
            ("missing", missing),
            ("not in the store", extra),
            ("listed by the store but stored as deleted", listed_but_deleted),
            ("still pending", pending),
        ):
            if found:
                problems.append(f"{entity}s {what}: {found[:10]} ({len(found)})")
    return problems


def stale_payloads(
    engine: sa.Engine, connector_id: UUID, entity: str, current: dict[str, Any]
) -> list[str]:
    """Ids whose stored raw payload is not the store's current one (`current`: id → payload)."""
    stored = dict(
        rows(
            engine,
            f"SELECT external_id, payload_hash FROM external_{entity} WHERE connector_id = :c",
            c=connector_id,
        )
    )
    return sorted(
        (i for i, payload in current.items() if stored.get(i) != payload_hash(payload)), key=int
    )


def newest_run(engine: sa.Engine, connector_name: str) -> SyncRun:
    return list_runs(engine, connector_name, limit=1)[0]


def wait_until_unlocked(engine: sa.Engine, connector_id: UUID, timeout_s: float = 20.0) -> None:
    """PostgreSQL drops a killed client's session (and its advisory lock) once it notices
    the closed socket; that takes a moment, never a sync."""
    deadline = time.monotonic() + timeout_s
    while is_sync_locked(engine, connector_id):
        if time.monotonic() > deadline:
            raise AssertionError("the connector's sync lock outlived the killed process")
        time.sleep(0.05)
