"""goldsphere's own tables: reference lookups, and product/order upserts through
external_reference so the same shop record always lands on the same goldsphere row.

The connector holds the per-connector sync lock while it writes, and every reference's
`source` names the connector, so two writers never race for the same reference.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from goldsphere_pipelines.storage.id_lookup import by_external_ids_sql

EntityType = Literal["product", "order"]


@dataclass(frozen=True)
class ReferenceData:
    """Names and ids of goldsphere's reference tables, as stored."""

    metals: list[tuple[str, str, UUID]]  # (name, symbol, id)
    product_types: list[tuple[str, UUID]]
    producers: list[tuple[str, UUID]]


@dataclass(frozen=True)
class NewProducerRow:
    """A producer to create: the id it gets, its name, and its country."""

    id: UUID
    name: str
    country_code: str
    country_name: str


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

    def ensure_producers(self, producers: Sequence[NewProducerRow]) -> dict[str, UUID | None]:
        """Create the producers goldsphere lacks (active, in their country, which is created
        too when missing), in one transaction; the id of each by name afterwards.

        A producer that exists already keeps its row and id; one that exists but is
        inactive gives None (goldsphere retired it: products must not point at it). Ids are
        the callers' when the row is new, so that a retry creates nothing twice.
        """
        if not producers:
            return {}
        payload = [
            {"id": str(p.id), "name": p.name, "iso": p.country_code, "country": p.country_name}
            for p in producers
        ]
        rows = orjson.dumps(payload).decode()
        with self._engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO country (countryname, isocode2) "
                    "SELECT DISTINCT p.country, p.iso "
                    "FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS p(id uuid, name text, "
                    "iso text, country text) "
                    "WHERE NOT EXISTS (SELECT 1 FROM country c WHERE c.isocode2 = p.iso)"
                ),
                {"rows": rows},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO producer (id, producername, status, countryid) "
                    "SELECT p.id, p.name, 'active', "
                    "(SELECT c.id FROM country c WHERE c.isocode2 = p.iso ORDER BY c.id LIMIT 1) "
                    "FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS p(id uuid, name text, "
                    "iso text, country text) "
                    "ON CONFLICT (producername) DO NOTHING"
                ),
                {"rows": rows},
            )
            found = conn.execute(
                sa.text(
                    "SELECT producername, id, status FROM producer WHERE producername = ANY(:names)"
                ),
                {"names": [p.name for p in producers]},
            ).all()
        ids: dict[str, UUID | None] = {p.name: None for p in producers}
        for name, producer_id, status in found:
            ids[name] = producer_id if status == "active" else None
        return ids

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
        rows = [_product_values(ids[p.external_id][0], p) for p in products]
        conn.execute(
            sa.text(
                _INSERT_PRODUCTS + "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, "
                "producttypeid = EXCLUDED.producttypeid, metalid = EXCLUDED.metalid, "
                "producerid = EXCLUDED.producerid, weight = EXCLUDED.weight, "
                "weightunit = EXCLUDED.weightunit, purity = EXCLUDED.purity, "
                "price = EXCLUDED.price, currency = EXCLUDED.currency, year = EXCLUDED.year, "
                "description = EXCLUDED.description, imageurl = EXCLUDED.imageurl, "
                "instock = EXCLUDED.instock, stockquantity = EXCLUDED.stockquantity, "
                "updatedat = now()"
            ),
            {"batch": _document(rows)},
        )
        _insert_new_references(conn, source, "product", ids)
        return {external_id: internal for external_id, (internal, _) in ids.items()}

    def insert_order_line_products(
        self, conn: Connection, source: str, products: Sequence[tuple[UUID, ProductRow]]
    ) -> None:
        """Products built from order lines whose product the shop no longer has, with the
        ids the mapping gave them, and their references flagged `derived_from = 'order_line'`.

        A product that exists already is left as it is. Rows go in id order, so two
        transactions never wait on each other in opposite orders.
        """
        if not products:
            return
        unique = sorted({internal: row for internal, row in products}.items())
        conn.execute(
            sa.text(_INSERT_PRODUCTS + "ON CONFLICT (id) DO NOTHING"),
            {"batch": _document([_product_values(internal, row) for internal, row in unique])},
        )
        conn.execute(
            sa.text(
                "INSERT INTO external_reference (source, entity_type, external_id, internal_id, "
                "derived_from) SELECT :source, 'product', e, i, 'order_line' "
                "FROM unnest(CAST(:eids AS text[]), CAST(:iids AS uuid[])) AS u(e, i) "
                "ON CONFLICT (source, entity_type, external_id) DO NOTHING"
            ),
            {
                "source": source,
                "eids": [row.external_id for _, row in unique],
                "iids": [internal for internal, _ in unique],
            },
        )

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
                "SELECT x.id, x.userid, x.type, x.orderstatus, x.payment_status, x.paid_at, "
                "COALESCE(x.createdat, now()), now() "
                "FROM jsonb_to_recordset(CAST(:batch AS jsonb)) AS x(id uuid, userid uuid, "
                "type text, orderstatus orderstatus, payment_status text, paid_at timestamp, "
                "createdat timestamp) "
                "ON CONFLICT (id) DO UPDATE SET userid = EXCLUDED.userid, type = EXCLUDED.type, "
                "orderstatus = EXCLUDED.orderstatus, payment_status = EXCLUDED.payment_status, "
                "paid_at = EXCLUDED.paid_at, updatedat = now()"
            ),
            {"batch": _orders_document(order_ids, orders)},
        )
        # Items are replaced as a whole: a shop edit can add, drop or reorder lines. An
        # order seen for the first time has none yet.
        known_ids = [internal for internal, is_new in ids.values() if not is_new]
        if known_ids:
            conn.execute(
                sa.text("DELETE FROM order_items WHERE orderid = ANY(CAST(:ids AS uuid[]))"),
                {"ids": known_ids},
            )
        items = _items_document(order_ids, orders)
        if items:
            conn.execute(
                sa.text(
                    "INSERT INTO order_items (orderid, productid, productname, quantity, "
                    "unitprice, totalprice) "
                    "SELECT * FROM jsonb_to_recordset(CAST(:batch AS jsonb)) AS x(orderid uuid, "
                    "productid uuid, productname text, quantity numeric, unitprice numeric, "
                    "totalprice numeric)"
                ),
                {"batch": items},
            )
        _insert_new_references(conn, source, "order", ids)
        return {external_id: internal for external_id, (internal, _) in ids.items()}


_INSERT_PRODUCTS = (
    "INSERT INTO product (id, name, producttypeid, metalid, producerid, weight, "
    "weightunit, purity, price, currency, year, description, imageurl, instock, "
    "stockquantity) "
    "SELECT * FROM jsonb_to_recordset(CAST(:batch AS jsonb)) AS x(id uuid, "
    "name text, producttypeid uuid, metalid uuid, producerid uuid, weight numeric, "
    "weightunit unitofmeasure, purity numeric, price numeric, currency text, "
    "year integer, description text, imageurl text, instock boolean, "
    "stockquantity integer) "
)


def _product_values(internal_id: UUID, p: ProductRow) -> dict[str, object]:
    return {
        "id": internal_id,
        "name": p.name,
        "producttypeid": p.product_type_id,
        "metalid": p.metal_id,
        "producerid": p.producer_id,
        "weight": p.weight,
        "weightunit": p.weight_unit,
        "purity": p.purity,
        "price": p.price,
        "currency": p.currency,
        "year": p.year,
        "description": p.description,
        "imageurl": p.image_url,
        "instock": p.in_stock,
        "stockquantity": p.stock_quantity,
    }


def _orders_document(order_ids: Sequence[UUID], orders: Sequence[OrderRow]) -> str:
    """The orders of a batch as `upsert_orders` sends them (one JSON array)."""
    return _document(
        [
            {
                "id": order_id,
                "userid": o.user_id,
                "type": o.type,
                "orderstatus": o.order_status,
                "payment_status": o.payment_status,
                "paid_at": _utc_naive(o.paid_at),
                "createdat": _utc_naive(o.created_at),
            }
            for order_id, o in zip(order_ids, orders, strict=True)
        ]
    )


def _items_document(order_ids: Sequence[UUID], orders: Sequence[OrderRow]) -> str | None:
    """The items of a batch's orders as one JSON array, None when there are none: the text
    `_document` writes, with each Decimal turned into text here rather than by orjson's
    call back into Python for every one of them (three per item)."""
    items = [
        {
            "orderid": order_id,
            "productid": i.product_id,
            "productname": i.product_name,
            "quantity": _decimal_text(i.quantity),
            "unitprice": _decimal_text(i.unit_price),
            "totalprice": _decimal_text(i.total_price),
        }
        for order_id, o in zip(order_ids, orders, strict=True)
        for i in o.items
    ]
    return _document(items) if items else None


def _decimal_text(value: object) -> object:
    return str(value) if type(value) is Decimal else value


def _document(rows: Sequence[Mapping[str, object]]) -> str:
    """A batch as one JSON array (Decimals as strings: exact, never through float)."""
    return orjson.dumps(rows, default=_json_default).decode()


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to the database")


def _utc_naive(value: datetime | None) -> datetime | None:
    """`timestamp` columns hold UTC without an offset."""
    if value is None or value.tzinfo is None:
        return value
    if value.tzinfo is UTC:  # what the mapper gives: no conversion to make
        return value.replace(tzinfo=None)
    return value.astimezone(UTC).replace(tzinfo=None)


def resolve_ids_sql() -> str:
    """`(external id, goldsphere id or NULL)` for each of `:ids` of `:source` and `:type`."""
    return by_external_ids_sql(
        "t.internal_id", "external_reference", "t.source = :source AND t.entity_type = :type"
    )


def _resolve_ids(
    conn: Connection, source: str, entity_type: EntityType, external_ids: Sequence[str]
) -> dict[str, tuple[UUID, bool]]:
    """external id → (goldsphere id, is_new); new ids are minted here, before any insert."""
    found = conn.execute(
        sa.text(resolve_ids_sql()),
        {"source": source, "type": entity_type, "ids": list(external_ids)},
    ).all()
    known: dict[str, UUID] = {eid: internal for eid, internal in found if internal is not None}
    minted = _new_ids(len(external_ids) - len(known))
    return {
        eid: (known[eid], False) if eid in known else (next(minted), True) for eid in external_ids
    }


def _new_ids(count: int) -> Iterator[UUID]:
    """`count` random (version 4) UUIDs, as `uuid.uuid4` makes them, from one read of the
    system's random source rather than one per id."""
    random = os.urandom(16 * max(count, 0))
    for start in range(0, len(random), 16):
        yield UUID(bytes=random[start : start + 16], version=4)


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
