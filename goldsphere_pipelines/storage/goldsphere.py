"""goldsphere's own tables: reference lookups, and product/order upserts through
external_reference so the same shop record always lands on the same goldsphere row.

The connector holds the per-connector sync lock while it writes, and every reference's
`source` names the connector, so two writers never race for the same reference.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

EntityType = Literal["product", "order"]


@dataclass(frozen=True)
class ReferenceData:
    """Names and ids of goldsphere's reference tables, as stored."""

    metals: list[tuple[str, str, UUID]]  # (name, symbol, id)
    product_types: list[tuple[str, UUID]]
    producers: list[tuple[str, UUID]]


@dataclass(frozen=True)
class ProductRow:
    external_id: str
    name: str
    product_type_id: UUID
    metal_id: UUID
    producer_id: UUID
    weight: Decimal
    weight_unit: str
    purity: Decimal
    price: Decimal
    currency: str
    year: int | None
    description: str | None
    image_url: str
    in_stock: bool
    stock_quantity: int | None


@dataclass(frozen=True)
class OrderItemRow:
    product_id: UUID
    product_name: str
    quantity: Decimal
    unit_price: Decimal | None
    total_price: Decimal


@dataclass(frozen=True)
class OrderRow:
    external_id: str
    user_id: UUID
    type: str
    order_status: str
    payment_status: str
    paid_at: datetime | None
    created_at: datetime | None
    items: list[OrderItemRow]


def reference_source(connector_id: UUID) -> str:
    """`external_reference.source` for a connector: the shop, not only the platform."""
    return f"woocommerce:{connector_id}"


class GoldsphereRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # --- lookups, loaded once per run -------------------------------------------------

    def reference_data(self) -> ReferenceData:
        with self._engine.connect() as conn:
            metals = [
                (r.name or "", (r.symbol or "").strip(), r.id)
                for r in conn.execute(sa.text("SELECT id, name, symbol FROM metal"))
            ]
            types = [
                (r.producttypename or "", r.id)
                for r in conn.execute(sa.text("SELECT id, producttypename FROM producttype"))
            ]
            producers = [
                (r.producername or "", r.id)
                for r in conn.execute(
                    sa.text("SELECT id, producername FROM producer WHERE status = 'active'")
                )
            ]
        return ReferenceData(metals=metals, product_types=types, producers=producers)

    def users_by_email(self) -> list[tuple[str, UUID]]:
        """Every user an order may belong to (deleted accounts excluded)."""
        with self._engine.connect() as conn:
            return [
                (r.email, r.id)
                for r in conn.execute(
                    sa.text("SELECT id, email FROM users WHERE account_status <> 'deleted'")
                )
            ]

    def references(self, source: str, entity_type: EntityType) -> dict[str, UUID]:
        with self._engine.connect() as conn:
            return dict(
                conn.execute(
                    sa.text(
                        "SELECT external_id, internal_id FROM external_reference "
                        "WHERE source = :source AND entity_type = :type"
                    ),
                    {"source": source, "type": entity_type},
                ).all()
            )

    def products_by_sku(self, connector_id: UUID) -> dict[str, UUID]:
        """SKU → goldsphere product for the connector's mapped products (first id wins)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT DISTINCT ON (p.sku) p.sku, r.internal_id FROM external_product p "
                    "JOIN external_reference r ON r.source = :source AND r.entity_type = 'product' "
                    "AND r.external_id = p.external_id "
                    "WHERE p.connector_id = :cid AND p.sku IS NOT NULL AND p.sku <> '' "
                    "ORDER BY p.sku, length(p.external_id), p.external_id"
                ),
                {"cid": connector_id, "source": reference_source(connector_id)},
            )
            return {sku: internal for sku, internal in rows}

    # --- writes, inside the caller's transaction -----------------------------------------

    def upsert_products(
        self, conn: Connection, source: str, products: Sequence[ProductRow]
    ) -> dict[str, UUID]:
        """Insert new products, update known ones; return external id → goldsphere id."""
        if not products:
            return {}
        ids = _resolve_ids(conn, source, "product", [p.external_id for p in products])
        params = {
            "ids": [ids[p.external_id][0] for p in products],
            "names": [p.name for p in products],
            "types": [p.product_type_id for p in products],
            "metals": [p.metal_id for p in products],
            "producers": [p.producer_id for p in products],
            "weights": [p.weight for p in products],
            "units": [p.weight_unit for p in products],
            "purities": [p.purity for p in products],
            "prices": [p.price for p in products],
            "currencies": [p.currency for p in products],
            "years": [p.year for p in products],
            "descriptions": [p.description for p in products],
            "images": [p.image_url for p in products],
            "in_stock": [p.in_stock for p in products],
            "quantities": [p.stock_quantity for p in products],
        }
        conn.execute(
            sa.text(
                "INSERT INTO product (id, name, producttypeid, metalid, producerid, weight, "
                "weightunit, purity, price, currency, year, description, imageurl, instock, "
                "stockquantity) "
                "SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:names AS text[]), "
                "CAST(:types AS uuid[]), CAST(:metals AS uuid[]), CAST(:producers AS uuid[]), "
                "CAST(:weights AS numeric[]), CAST(:units AS unitofmeasure[]), "
                "CAST(:purities AS numeric[]), CAST(:prices AS numeric[]), "
                "CAST(:currencies AS text[]), CAST(:years AS integer[]), "
                "CAST(:descriptions AS text[]), CAST(:images AS text[]), "
                "CAST(:in_stock AS boolean[]), CAST(:quantities AS integer[])) "
                "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, "
                "producttypeid = EXCLUDED.producttypeid, metalid = EXCLUDED.metalid, "
                "producerid = EXCLUDED.producerid, weight = EXCLUDED.weight, "
                "weightunit = EXCLUDED.weightunit, purity = EXCLUDED.purity, "
                "price = EXCLUDED.price, currency = EXCLUDED.currency, year = EXCLUDED.year, "
                "description = EXCLUDED.description, imageurl = EXCLUDED.imageurl, "
                "instock = EXCLUDED.instock, stockquantity = EXCLUDED.stockquantity, "
                "updatedat = now()"
            ),
            params,
        )
        _insert_new_references(conn, source, "product", ids)
        return {external_id: internal for external_id, (internal, _) in ids.items()}

    def upsert_orders(
        self, conn: Connection, source: str, orders: Sequence[OrderRow]
    ) -> dict[str, UUID]:
        """Insert or update orders and replace their items as a whole."""
        if not orders:
            return {}
        ids = _resolve_ids(conn, source, "order", [o.external_id for o in orders])
        order_ids = [ids[o.external_id][0] for o in orders]
        conn.execute(
            sa.text(
                "INSERT INTO orders (id, userid, type, orderstatus, payment_status, paid_at, "
                "createdat, updatedat) "
                "SELECT u.id, u.userid, u.type, u.status, u.payment_status, u.paid_at, "
                "COALESCE(u.created_at, now()), now() "
                "FROM unnest(CAST(:ids AS uuid[]), CAST(:users AS uuid[]), CAST(:types AS text[]), "
                "CAST(:statuses AS orderstatus[]), CAST(:payment AS text[]), "
                "CAST(:paid AS timestamp[]), CAST(:created AS timestamp[])) "
                "AS u(id, userid, type, status, payment_status, paid_at, created_at) "
                "ON CONFLICT (id) DO UPDATE SET userid = EXCLUDED.userid, type = EXCLUDED.type, "
                "orderstatus = EXCLUDED.orderstatus, payment_status = EXCLUDED.payment_status, "
                "paid_at = EXCLUDED.paid_at, updatedat = now()"
            ),
            {
                "ids": order_ids,
                "users": [o.user_id for o in orders],
                "types": [o.type for o in orders],
                "statuses": [o.order_status for o in orders],
                "payment": [o.payment_status for o in orders],
                "paid": [o.paid_at for o in orders],
                "created": [o.created_at for o in orders],
            },
        )
        conn.execute(
            sa.text("DELETE FROM order_items WHERE orderid = ANY(CAST(:ids AS uuid[]))"),
            {"ids": order_ids},
        )
        item_orders: list[UUID] = []
        items: list[OrderItemRow] = []
        for order_id, order in zip(order_ids, orders, strict=True):
            for item in order.items:
                item_orders.append(order_id)
                items.append(item)
        if items:
            conn.execute(
                sa.text(
                    "INSERT INTO order_items (orderid, productid, productname, quantity, "
                    "unitprice, totalprice) "
                    "SELECT * FROM unnest(CAST(:orders AS uuid[]), CAST(:products AS uuid[]), "
                    "CAST(:names AS text[]), CAST(:quantities AS numeric[]), "
                    "CAST(:units AS numeric[]), CAST(:totals AS numeric[]))"
                ),
                {
                    "orders": item_orders,
                    "products": [i.product_id for i in items],
                    "names": [i.product_name for i in items],
                    "quantities": [i.quantity for i in items],
                    "units": [i.unit_price for i in items],
                    "totals": [i.total_price for i in items],
                },
            )
        _insert_new_references(conn, source, "order", ids)
        return {external_id: internal for external_id, (internal, _) in ids.items()}


def _resolve_ids(
    conn: Connection, source: str, entity_type: EntityType, external_ids: Sequence[str]
) -> dict[str, tuple[UUID, bool]]:
    """external id → (goldsphere id, is_new); new ids are minted here, before any insert."""
    known: dict[str, UUID] = dict(
        conn.execute(
            sa.text(
                "SELECT external_id, internal_id FROM external_reference "
                "WHERE source = :source AND entity_type = :type AND external_id = ANY(:ids)"
            ),
            {"source": source, "type": entity_type, "ids": list(external_ids)},
        ).all()
    )
    return {
        eid: (known[eid], False) if eid in known else (uuid.uuid4(), True) for eid in external_ids
    }


def _insert_new_references(
    conn: Connection, source: str, entity_type: EntityType, ids: dict[str, tuple[UUID, bool]]
) -> None:
    new = [(eid, internal) for eid, (internal, is_new) in ids.items() if is_new]
    if not new:
        return
    conn.execute(
        sa.text(
            "INSERT INTO external_reference (source, entity_type, external_id, internal_id) "
            "SELECT :source, :type, e, i FROM unnest(CAST(:eids AS text[]), CAST(:iids AS uuid[])) "
            "AS u(e, i)"
        ),
        {
            "source": source,
            "type": entity_type,
            "eids": [e for e, _ in new],
            "iids": [i for _, i in new],
        },
    )
