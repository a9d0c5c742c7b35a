"""The deletion model: what leaves the shop leaves goldsphere's catalogue, and nothing is lost.

One model for syncs (trash listing, reconciliation) and webhooks. API:

- `mark_deleted(engine, connector_id, kind, external_ids, how, at=None) -> list[str]`
  `kind` is "product" or "order"; `how` is "trashed" (listed with status=trash), "gone"
  (missing from a complete id listing) or "webhook" (a product.deleted / order.deleted
  delivery). Returns the ids newly marked; ids already deleted, or that we do not hold,
  are left alone, so a repeated call changes nothing. In one transaction:
  * the external row gets `deleted_at` (= `at`, default now, UTC), `deleted_how` and
    status `deleted`; its raw payload stays. Mapping skips deleted rows.
  * a product: its variations are marked with it; the goldsphere `product` rows become
    `instock = false`, `stockquantity = 0` (never deleted: orders reference them).
  * an order: the goldsphere order stays; under the connector's `on_order_deleted: cancel`
    its `orderstatus` becomes `cancelled` (default `keep` leaves it).
  * the records' `external_reference` rows are flagged (`deleted_at`). References stay
    usable: an order whose product was deleted still maps.
- `mark_restored(engine, connector_id, kind, external_ids, deleted_before=None) -> list[str]`
  Returns the ids restored (with a product's variations deleted together with it). Clears
  the deleted state and the references' flag and sets the rows `pending`: the next mapping
  step (`transform.map_pending_products` / `map_pending_orders`) writes the shop's values
  into goldsphere again (stock, price, order status). To restore with a new payload (a
  webhook's `product.restored`), store the payload first (`ExternalRecordRepository.
  upsert_raw`: a deleted row stays deleted when its payload is rewritten), then call this.
- `deletion_counts(engine, connector_id, kind) -> {"trashed": n, "gone": n, "webhook": n}`
  The rows deleted now, by how.
- `deletion_settings` / `set_deletion_settings`: the per-connector settings
  (`on_order_deleted`, `removal_share_limit` of reconciliation).

Changes to goldsphere's rows happen here only; callers that write in a sync should hold the
connector's sync lock (`storage.locks`) as the sync does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy.engine import Connection, Engine

from goldsphere_pipelines.storage import deletions as store
from goldsphere_pipelines.storage.deletions import (
    DeletedHow,
    DeletionSettings,
    DeletionStateRepository,
    OrderDeletedPolicy,
)
from goldsphere_pipelines.storage.external_records import RecordKind
from goldsphere_pipelines.storage.goldsphere import reference_source

__all__ = [
    "DeletedHow",
    "DeletionSettings",
    "OrderDeletedPolicy",
    "deletion_counts",
    "deletion_settings",
    "mark_deleted",
    "mark_restored",
    "set_deletion_settings",
]

logger = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def mark_deleted(
    engine: Engine,
    connector_id: UUID,
    kind: RecordKind,
    external_ids: Sequence[str],
    how: DeletedHow,
    *,
    at: datetime | None = None,
) -> list[str]:
    """Mark records deleted and apply it to goldsphere (see the module docstring)."""
    if not external_ids:
        return []
    when = _utc_naive(at) if at is not None else _now()
    with engine.begin() as conn:
        return mark_deleted_in(conn, connector_id, kind, external_ids, how, when)


def mark_deleted_in(
    conn: Connection,
    connector_id: UUID,
    kind: RecordKind,
    external_ids: Sequence[str],
    how: DeletedHow,
    at: datetime,
) -> list[str]:
    """`mark_deleted` inside the caller's transaction."""
    marked = store.mark_rows_deleted(conn, connector_id, kind, external_ids, how, at)
    if not marked:
        return []
    source = reference_source(connector_id)
    store.flag_references(conn, source, kind, marked, at)
    if kind == "product":
        store.withdraw_products(conn, source, marked)
    elif store.deletion_settings(conn, connector_id).on_order_deleted == "cancel":
        store.cancel_orders(conn, source, marked)
    logger.info("Marked %d %s(s) deleted (%s).", len(marked), kind, how)
    return marked


def mark_restored(
    engine: Engine,
    connector_id: UUID,
    kind: RecordKind,
    external_ids: Sequence[str],
    *,
    deleted_before: datetime | None = None,
) -> list[str]:
    """Clear the deleted state; the rows are mapped again from the shop's payload.
    `deleted_before` (UTC): restore only deletions learned before then, e.g. the moment
    a listing that shows the records began."""
    if not external_ids:
        return []
    before = _utc_naive(deleted_before) if deleted_before is not None else None
    with engine.begin() as conn:
        restored = store.mark_rows_restored(conn, connector_id, kind, external_ids, before)
        store.flag_references(conn, reference_source(connector_id), kind, restored, None)
    if restored:
        logger.info("Restored %d %s(s); they are mapped again.", len(restored), kind)
    return restored


def deletion_counts(engine: Engine, connector_id: UUID, kind: RecordKind) -> dict[str, int]:
    return DeletionStateRepository(engine, kind).counts(connector_id)


def deletion_settings(engine: Engine, connector_id: UUID) -> DeletionSettings:
    with engine.connect() as conn:
        return store.deletion_settings(conn, connector_id)


def set_deletion_settings(
    engine: Engine,
    connector_id: UUID,
    *,
    on_order_deleted: OrderDeletedPolicy | None = None,
    removal_share_limit: Decimal | None = None,
) -> DeletionSettings:
    with engine.begin() as conn:
        store.set_deletion_settings(
            conn,
            connector_id,
            on_order_deleted=on_order_deleted,
            removal_share_limit=removal_share_limit,
        )
        return store.deletion_settings(conn, connector_id)


def _utc_naive(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)
