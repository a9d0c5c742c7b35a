"""The deletion model itself (connectors.deletions), on rows a real sync wrote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from goldsphere_pipelines.connectors import deletions
from goldsphere_pipelines_tests.pipeline.conftest import register, scalar, sync


def _mapped_simple_product(engine: sa.Engine, connector_id: Any) -> tuple[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT p.external_id, r.internal_id FROM external_product p "
                "JOIN external_reference r ON r.external_id = p.external_id "
                "AND r.entity_type = 'product' AND r.source = 'woocommerce:' || :c "
                "JOIN product g ON g.id = r.internal_id AND g.instock AND g.stockquantity > 0 "
                "WHERE p.connector_id = CAST(:c AS uuid) AND p.parent_external_id IS NULL "
                "AND p.status = 'mapped' ORDER BY p.external_id LIMIT 1"
            ),
            {"c": str(connector_id)},
        ).one()
    return row.external_id, row.internal_id


def _stock(engine: sa.Engine, product_id: Any) -> tuple[bool, int]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT instock, stockquantity FROM product WHERE id = :i"), {"i": product_id}
        ).one()
    return row.instock, row.stockquantity


def test_a_deleted_product_leaves_stock_and_a_restore_brings_the_shop_values_back(
    pipeline_db, shop_factory
):
    shop = shop_factory(products=30, orders=20)
    connector = register(pipeline_db, shop)
    assert sync(connector.name).success
    external_id, product_id = _mapped_simple_product(pipeline_db, connector.id)
    before = _stock(pipeline_db, product_id)

    marked = deletions.mark_deleted(pipeline_db, connector.id, "product", [external_id], "webhook")
    assert marked == [external_id]
    assert _stock(pipeline_db, product_id) == (False, 0)
    assert deletions.deletion_counts(pipeline_db, connector.id, "product")["webhook"] == 1
    # A second delivery of the same deletion changes nothing.
    assert deletions.mark_deleted(pipeline_db, connector.id, "product", [external_id], "gone") == []

    assert deletions.mark_restored(pipeline_db, connector.id, "product", [external_id]) == [
        external_id
    ]
    assert sync(connector.name).success
    assert _stock(pipeline_db, product_id) == before
    assert scalar(
        pipeline_db,
        "SELECT deleted_at IS NULL FROM external_reference WHERE internal_id = :i",
        i=product_id,
    )


def test_a_deleted_order_is_cancelled_only_under_the_cancel_setting(pipeline_db, shop_factory):
    shop = shop_factory(products=30, orders=20)
    connector = register(pipeline_db, shop)
    assert sync(connector.name).success
    with pipeline_db.connect() as conn:
        external_id, order_id, status = conn.execute(
            sa.text(
                "SELECT r.external_id, o.id, o.orderstatus::text FROM external_reference r "
                "JOIN orders o ON o.id = r.internal_id WHERE r.entity_type = 'order' "
                "AND o.orderstatus <> 'cancelled' ORDER BY r.external_id LIMIT 1"
            )
        ).one()

    def order_status() -> str:
        return str(
            scalar(pipeline_db, "SELECT orderstatus::text FROM orders WHERE id = :i", i=order_id)
        )

    deletions.mark_deleted(pipeline_db, connector.id, "order", [external_id], "trashed")
    assert order_status() == status
    assert scalar(
        pipeline_db,
        "SELECT deleted_at IS NOT NULL FROM external_reference WHERE internal_id = :i",
        i=order_id,
    )
    deletions.mark_restored(pipeline_db, connector.id, "order", [external_id])

    deletions.set_deletion_settings(pipeline_db, connector.id, on_order_deleted="cancel")
    deletions.mark_deleted(pipeline_db, connector.id, "order", [external_id], "webhook")
    assert order_status() == "cancelled"
    deletions.mark_restored(pipeline_db, connector.id, "order", [external_id])
    assert sync(connector.name).success
    assert order_status() == status


def test_a_listing_restores_only_deletions_learned_before_it_began(pipeline_db, shop_factory):
    shop = shop_factory(products=30, orders=20)
    connector = register(pipeline_db, shop)
    assert sync(connector.name).success
    earlier, _ = _mapped_simple_product(pipeline_db, connector.id)
    deletions.mark_deleted(pipeline_db, connector.id, "product", [earlier], "webhook")
    later, _ = _mapped_simple_product(pipeline_db, connector.id)
    # As if the webhook had arrived while the next sync was listing the shop.
    during = datetime.now(UTC) + timedelta(minutes=10)
    deletions.mark_deleted(pipeline_db, connector.id, "product", [later], "webhook", at=during)

    assert sync(connector.name, sync_settings={"full_refresh": True}).success
    still = deletions.deletion_counts(pipeline_db, connector.id, "product")
    assert still["webhook"] == 1
    assert (
        scalar(
            pipeline_db,
            "SELECT deleted_how FROM external_product WHERE connector_id = :c AND external_id = :e",
            c=connector.id,
            e=later,
        )
        == "webhook"
    )
