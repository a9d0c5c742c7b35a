"""Deleted state of external_product / external_order rows, and its effect on goldsphere's rows.

Every function that changes state takes the caller's connection, so the external rows, the
goldsphere rows and the references change in one transaction. Nothing here deletes a row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from goldsphere_pipelines.storage.external_records import RecordKind

DeletedHow = Literal["trashed", "gone", "webhook"]
OrderDeletedPolicy = Literal["keep", "cancel"]

DELETED_HOWS: tuple[DeletedHow, ...] = ("trashed", "gone", "webhook")
_TABLE: dict[RecordKind, str] = {"product": "external_product", "order": "external_order"}


@dataclass(frozen=True)
class DeletionSettings:
    on_order_deleted: OrderDeletedPolicy
    removal_share_limit: Decimal


def deletion_settings(conn: Connection, connector_id: UUID) -> DeletionSettings:
    """The connector's settings; the defaults (keep, 20 %) when it has no config row yet."""
    row = conn.execute(
        sa.text(
            "SELECT on_order_deleted, removal_share_limit FROM external_sync_config "
            "WHERE connector_id = :cid"
        ),
        {"cid": connector_id},
    ).first()
    if row is None:
        return DeletionSettings("keep", Decimal("0.2"))
    return DeletionSettings(row.on_order_deleted, Decimal(row.removal_share_limit))


def set_deletion_settings(
    conn: Connection,
    connector_id: UUID,
    *,
    on_order_deleted: OrderDeletedPolicy | None = None,
    removal_share_limit: Decimal | None = None,
) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO external_sync_config (connector_id) VALUES (:cid) "
            "ON CONFLICT (connector_id) DO NOTHING"
        ),
        {"cid": connector_id},
    )
    conn.execute(
        sa.text(
            "UPDATE external_sync_config SET "
            "on_order_deleted = COALESCE(:policy, on_order_deleted), "
            "removal_share_limit = COALESCE(:share, removal_share_limit), updated_at = now() "
            "WHERE connector_id = :cid"
        ),
        {"cid": connector_id, "policy": on_order_deleted, "share": removal_share_limit},
    )


def mark_rows_deleted(
    conn: Connection,
    connector_id: UUID,
    kind: RecordKind,
    external_ids: Sequence[str],
    how: DeletedHow,
    at: datetime,
) -> list[str]:
    """Mark the rows deleted; return the ids newly marked (already deleted rows keep their
    state). A product's variations go with it: WooCommerce cannot sell a variation of a
    product it no longer has."""
    if not external_ids:
        return []
    table = _TABLE[kind]
    children = " OR parent_external_id = ANY(CAST(:ids AS text[]))" if kind == "product" else ""
    # An order waiting for a product is no longer worth waiting for.
    awaiting = ", awaiting_dependency = false" if kind == "order" else ""
    rows = conn.execute(
        sa.text(
            f"UPDATE {table} SET deleted_at = :at, deleted_how = :how, status = 'deleted', "
            f"updated_at = now(){awaiting} "
            "WHERE connector_id = :cid AND deleted_at IS NULL "
            f"AND (external_id = ANY(CAST(:ids AS text[])){children}) RETURNING external_id"
        ),
        {"cid": connector_id, "ids": list(external_ids), "how": how, "at": at},
    )
    return [r.external_id for r in rows]


def mark_rows_restored(
    conn: Connection,
    connector_id: UUID,
    kind: RecordKind,
    external_ids: Sequence[str],
    deleted_before: datetime | None = None,
) -> list[str]:
    """Clear the deleted state and send the rows back to mapping (status pending), so the
    next mapping step writes the shop's values again. A product's variations deleted with
    it (same time, same way) come back with it; one deleted on its own stays deleted.
    `deleted_before`: only rows marked before then (a deletion learned after a listing
    was read is newer than what the listing says)."""
    if not external_ids:
        return []
    table = _TABLE[kind]
    restore = (
        "deleted_at = NULL, deleted_how = NULL, status = 'pending', "
        "mapping_errors = '[]'::jsonb, updated_at = now()"
    )
    params = {"cid": connector_id, "ids": list(external_ids), "before": deleted_before}
    older = " AND {t}deleted_at < CAST(:before AS timestamp)" if deleted_before else ""
    restored: list[str] = []
    if kind == "product":
        restored += [
            r.external_id
            for r in conn.execute(
                sa.text(
                    f"UPDATE external_product AS c SET {restore} FROM external_product AS p "
                    "WHERE p.connector_id = :cid AND p.external_id = ANY(CAST(:ids AS text[])) "
                    f"AND p.deleted_at IS NOT NULL{older.format(t='p.')} "
                    "AND c.connector_id = :cid "
                    "AND c.parent_external_id = p.external_id "
                    "AND c.deleted_at = p.deleted_at AND c.deleted_how = p.deleted_how "
                    "RETURNING c.external_id"
                ),
                params,
            )
        ]
    restored += [
        r.external_id
        for r in conn.execute(
            sa.text(
                f"UPDATE {table} SET {restore} WHERE connector_id = :cid "
                "AND external_id = ANY(CAST(:ids AS text[])) AND deleted_at IS NOT NULL"
                f"{older.format(t='')} RETURNING external_id"
            ),
            params,
        )
    ]
    return restored


def flag_references(
    conn: Connection,
    source: str,
    kind: RecordKind,
    external_ids: Sequence[str],
    deleted_at: datetime | None,
) -> None:
    """Set (a time) or clear (None) the deleted flag of the records' external_reference."""
    if not external_ids:
        return
    conn.execute(
        sa.text(
            "UPDATE external_reference SET deleted_at = :at, updated_at = now() "
            "WHERE source = :source AND entity_type = :type "
            "AND external_id = ANY(CAST(:ids AS text[])) AND deleted_at IS DISTINCT FROM :at"
        ),
        {"source": source, "type": kind, "ids": list(external_ids), "at": deleted_at},
    )


def withdraw_products(conn: Connection, source: str, external_ids: Sequence[str]) -> int:
    """goldsphere products of deleted shop products: out of stock, never deleted (orders
    reference them). Returns how many goldsphere rows changed."""
    if not external_ids:
        return 0
    result = conn.execute(
        sa.text(
            "UPDATE product AS p SET instock = false, stockquantity = 0, updatedat = now() "
            "FROM external_reference AS r WHERE r.source = :source "
            "AND r.entity_type = 'product' AND r.external_id = ANY(CAST(:ids AS text[])) "
            "AND p.id = r.internal_id "
            "AND (p.instock, p.stockquantity) IS DISTINCT FROM (false, 0)"
        ),
        {"source": source, "ids": list(external_ids)},
    )
    return int(result.rowcount or 0)


def cancel_orders(conn: Connection, source: str, external_ids: Sequence[str]) -> int:
    """goldsphere orders of deleted shop orders, under `on_order_deleted: cancel`."""
    if not external_ids:
        return 0
    result = conn.execute(
        sa.text(
            "UPDATE orders AS o SET orderstatus = 'cancelled', updatedat = now() "
            "FROM external_reference AS r WHERE r.source = :source "
            "AND r.entity_type = 'order' AND r.external_id = ANY(CAST(:ids AS text[])) "
            "AND o.id = r.internal_id AND o.orderstatus <> 'cancelled'"
        ),
        {"source": source, "ids": list(external_ids)},
    )
    return int(result.rowcount or 0)


class DeletionStateRepository:
    """Reads of the deleted state, for extraction, reconciliation, checks and reports."""

    def __init__(self, engine: Engine, kind: RecordKind) -> None:
        self._engine = engine
        self._kind = kind
        self._table = _TABLE[kind]

    def deleted_ids(self, connector_id: UUID) -> set[str]:
        """Ids of the connector's deleted rows (a partial index holds exactly these)."""
        with self._engine.connect() as conn:
            return set(
                conn.execute(
                    sa.text(
                        f"SELECT external_id FROM {self._table} "
                        "WHERE connector_id = :cid AND deleted_at IS NOT NULL"
                    ),
                    {"cid": connector_id},
                ).scalars()
            )

    def iter_held_ids(
        self, connector_id: UUID, *, variations: bool | None = None, batch: int = 10_000
    ) -> Iterator[list[int]]:
        """Ids of the rows not deleted, as ints, in batches. `variations`: only variations
        (True), only top-level products (False), or all (None; orders)."""
        where = ""
        if variations is True:
            where = " AND parent_external_id IS NOT NULL"
        elif variations is False:
            where = " AND parent_external_id IS NULL"
        with self._engine.connect() as conn:
            result = conn.execution_options(stream_results=True, max_row_buffer=batch).execute(
                sa.text(
                    f"SELECT external_id FROM {self._table} WHERE connector_id = :cid "
                    f"AND deleted_at IS NULL{where}"
                ),
                {"cid": connector_id},
            )
            for part in result.scalars().partitions(batch):
                yield [int(i) for i in part if i.isdigit()]

    def counts(self, connector_id: UUID) -> dict[str, int]:
        """Deleted rows by how we learned of it: {trashed, gone, webhook}."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    f"SELECT deleted_how, count(*) FROM {self._table} "
                    "WHERE connector_id = :cid AND deleted_at IS NOT NULL GROUP BY deleted_how"
                ),
                {"cid": connector_id},
            )
            counts: dict[str, int] = dict.fromkeys(DELETED_HOWS, 0)
            counts.update({how: int(n) for how, n in rows})
            return counts

    def held_variations(self, connector_id: UUID) -> dict[int, set[int]]:
        """parent id → ids of its variations not deleted (variations are a small share)."""
        held: dict[int, set[int]] = {}
        if self._kind != "product":
            return held
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT external_id, parent_external_id FROM external_product "
                    "WHERE connector_id = :cid AND parent_external_id IS NOT NULL "
                    "AND deleted_at IS NULL"
                ),
                {"cid": connector_id},
            )
            for variation, parent in rows:
                if variation.isdigit() and parent.isdigit():
                    held.setdefault(int(parent), set()).add(int(variation))
        return held
