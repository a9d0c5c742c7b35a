"""The JSON `upsert_orders` sends for a batch is the text it always sent (so the rows it
writes are the same): Decimals turned into text before orjson sees them, UTC datetimes
made naive without a conversion, new ids minted from one read of the random source."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import orjson

from goldsphere_pipelines.storage import goldsphere
from goldsphere_pipelines.storage.goldsphere import OrderItemRow, OrderRow

AMOUNTS = [Decimal("10.00"), Decimal("1E+3"), Decimal("-0.00"), Decimal("1e-7"), Decimal("0.3333")]
MOMENTS = [
    None,
    datetime(2025, 3, 22, 19, 28, 8, tzinfo=UTC),
    datetime(2025, 3, 22, 19, 28, 8, 4500, tzinfo=UTC),
    datetime(2025, 3, 22, 21, 28, 8, tzinfo=timezone(timedelta(hours=2))),
    datetime(2025, 3, 22, 19, 28, 8, tzinfo=timezone(timedelta(0))),
    datetime(2025, 3, 22, 19, 28, 8),
]


def _orders() -> list[OrderRow]:
    return [
        OrderRow(
            external_id=str(n),
            user_id=uuid.uuid4(),
            type="buy",
            order_status="completed",
            payment_status="paid",
            paid_at=MOMENTS[n % len(MOMENTS)],
            created_at=MOMENTS[(n + 1) % len(MOMENTS)],
            items=[
                OrderItemRow(
                    product_id=uuid.uuid4(),
                    product_name=f'Coin \u2013 {n} "{k}"',
                    quantity=AMOUNTS[(n + k) % len(AMOUNTS)],
                    unit_price=None if k == 2 else AMOUNTS[k % len(AMOUNTS)],
                    total_price=AMOUNTS[n % len(AMOUNTS)],
                )
                for k in range(n % 4)
            ],
        )
        for n in range(60)
    ]


def _utc_naive_before(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _as_before(rows: list[dict[str, object]]) -> str:
    def default(value: object) -> str:
        if isinstance(value, Decimal):
            return str(value)
        raise TypeError

    return orjson.dumps(rows, default=default).decode()


def test_the_orders_and_items_documents_are_the_text_sent_before() -> None:
    orders = _orders()
    ids = [uuid.uuid4() for _ in orders]
    assert goldsphere._orders_document(ids, orders) == _as_before(
        [
            {
                "id": order_id,
                "userid": o.user_id,
                "type": o.type,
                "orderstatus": o.order_status,
                "payment_status": o.payment_status,
                "paid_at": _utc_naive_before(o.paid_at),
                "createdat": _utc_naive_before(o.created_at),
            }
            for order_id, o in zip(ids, orders, strict=True)
        ]
    )
    assert goldsphere._items_document(ids, orders) == _as_before(
        [
            {
                "orderid": order_id,
                "productid": i.product_id,
                "productname": i.product_name,
                "quantity": i.quantity,
                "unitprice": i.unit_price,
                "totalprice": i.total_price,
            }
            for order_id, o in zip(ids, orders, strict=True)
            for i in o.items
        ]
    )
    assert goldsphere._items_document(ids[:1], orders[:1]) is None  # order 0 has no items


def test_moments_are_made_naive_utc_as_before() -> None:
    for moment in MOMENTS:
        assert goldsphere._utc_naive(moment) == _utc_naive_before(moment)


def test_new_ids_are_random_version_4_uuids() -> None:
    ids = list(goldsphere._new_ids(500))
    assert len(set(ids)) == 500
    assert {i.version for i in ids} == {4}
    assert {i.variant for i in ids} == {uuid.RFC_4122}
    assert list(goldsphere._new_ids(0)) == []
