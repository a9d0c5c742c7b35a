"""Per-connector incremental state on external_sync_config: toggles and watermarks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

Entity = Literal["products", "orders"]

_WATERMARK_COLUMN: dict[Entity, str] = {
    "products": "products_modified_watermark",
    "orders": "orders_modified_watermark",
}


@dataclass(frozen=True)
class SyncState:
    sync_products: bool
    sync_orders: bool
    products_watermark: datetime | None
    orders_watermark: datetime | None
    last_full_product_sync_at: datetime | None
    modified_filter_unsupported: bool

    def watermark(self, entity: Entity) -> datetime | None:
        return self.products_watermark if entity == "products" else self.orders_watermark


class SyncStateRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, connector_id: UUID) -> SyncState:
        with self._engine.begin() as conn:
            # A connector created before its config row existed still gets one, with defaults.
            conn.execute(
                sa.text(
                    "INSERT INTO external_sync_config (connector_id) VALUES (:cid) "
                    "ON CONFLICT (connector_id) DO NOTHING"
                ),
                {"cid": connector_id},
            )
            row = conn.execute(
                sa.text(
                    "SELECT sync_products, sync_orders, products_modified_watermark, "
                    "orders_modified_watermark, last_full_product_sync_at, "
                    "modified_filter_unsupported FROM external_sync_config "
                    "WHERE connector_id = :cid"
                ),
                {"cid": connector_id},
            ).one()
        return SyncState(
            sync_products=row.sync_products,
            sync_orders=row.sync_orders,
            products_watermark=row.products_modified_watermark,
            orders_watermark=row.orders_modified_watermark,
            last_full_product_sync_at=row.last_full_product_sync_at,
            modified_filter_unsupported=row.modified_filter_unsupported,
        )

    def advance_watermark(
        self, connector_id: UUID, entity: Entity, watermark: datetime, *, full_sync: bool
    ) -> None:
        """Move the watermark forward (never back); call after the rows it covers are committed."""
        column = _WATERMARK_COLUMN[entity]
        full = ", last_full_product_sync_at = now()" if full_sync and entity == "products" else ""
        with self._engine.begin() as conn:
            conn.execute(
                sa.text(
                    f"UPDATE external_sync_config SET {column} = GREATEST({column}, :wm), "
                    f"updated_at = now(){full} WHERE connector_id = :cid"
                ),
                {"cid": connector_id, "wm": watermark},
            )

    def mark_modified_filter_unsupported(self, connector_id: UUID) -> None:
        with self._engine.begin() as conn:
            _set_flag(conn, connector_id, True)

    def reset_watermarks(self, connector_id: UUID) -> None:
        """Forget incremental state: the next sync of each entity is a full one."""
        with self._engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE external_sync_config SET products_modified_watermark = NULL, "
                    "orders_modified_watermark = NULL, last_full_product_sync_at = NULL, "
                    "updated_at = now() WHERE connector_id = :cid"
                ),
                {"cid": connector_id},
            )


def _set_flag(conn: Connection, connector_id: UUID, value: bool) -> None:
    conn.execute(
        sa.text(
            "UPDATE external_sync_config SET modified_filter_unsupported = :v, updated_at = now() "
            "WHERE connector_id = :cid"
        ),
        {"cid": connector_id, "v": value},
    )


@dataclass(frozen=True)
class StoreFacts:
    currency: str | None
    woocommerce_version: str | None


class StoreFactsRepository:
    """What a store told us about itself (currency, version) at the last test or sync."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, connector_id: UUID) -> StoreFacts:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT store_currency, woocommerce_version FROM external_connector "
                    "WHERE id = :cid"
                ),
                {"cid": connector_id},
            ).one()
        return StoreFacts(currency=row.store_currency, woocommerce_version=row.woocommerce_version)

    def record(self, connector_id: UUID, *, currency: str | None, version: str | None) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE external_connector SET "
                    "store_currency = COALESCE(:currency, store_currency), "
                    "woocommerce_version = COALESCE(:version, woocommerce_version) "
                    "WHERE id = :cid"
                ),
                {"cid": connector_id, "currency": currency, "version": version},
            )
