"""Deletions as a sync and a reconciliation see them: a sandbox shop trashes, restores and
deletes for good; goldsphere follows, and a partial listing never marks anything."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from goldsphere_pipelines.connectors import deletions
from goldsphere_pipelines.connectors.runs import list_runs
from goldsphere_pipelines_tests.pipeline.conftest import register, scalar, sync


def _in_stock_product(
    engine: sa.Engine, connector: Any, *, variation: bool = False
) -> tuple[int, Any]:
    """(WooCommerce id, goldsphere id) of a mapped product in stock."""
    negation = "NOT " if variation else ""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT e.external_id, r.internal_id FROM external_product e "
                "JOIN external_reference r ON r.source = :s AND r.entity_type = 'product' "
                "AND r.external_id = e.external_id JOIN product p ON p.id = r.internal_id "
                f"WHERE e.connector_id = :c AND e.parent_external_id IS {negation}"
                "NULL AND e.status = 'mapped' AND p.instock AND p.stockquantity > 0 "
                "ORDER BY length(e.external_id), e.external_id LIMIT 1"
            ),
            {"s": f"woocommerce:{connector.id}", "c": connector.id},
        ).one()
    return int(row.external_id), row.internal_id


def _stock(engine: sa.Engine, product_id: Any) -> tuple[bool, int]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT instock, stockquantity FROM product WHERE id = :i"), {"i": product_id}
        ).one()
    return row.instock, row.stockquantity


def _deleted_how(engine: sa.Engine, table: str, connector: Any, external_id: int) -> str | None:
    return scalar(
        engine,
        f"SELECT deleted_how FROM {table} WHERE connector_id = :c AND external_id = :e",
        c=connector.id,
        e=str(external_id),
    )


def _mapped_order(engine: sa.Engine, connector: Any) -> tuple[int, Any, str]:
    """(WooCommerce id, goldsphere id, goldsphere status) of a mapped, not cancelled order."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT e.external_id, o.id, o.orderstatus::text AS status FROM external_order e "
                "JOIN external_reference r ON r.source = :s AND r.entity_type = 'order' "
                "AND r.external_id = e.external_id JOIN orders o ON o.id = r.internal_id "
                "WHERE e.connector_id = :c AND e.status = 'mapped' "
                "AND o.orderstatus <> 'cancelled' ORDER BY e.external_id LIMIT 1"
            ),
            {"s": f"woocommerce:{connector.id}", "c": connector.id},
        ).one()
    return int(row.external_id), row.id, row.status


def _order_status(engine: sa.Engine, order_id: Any) -> str:
    return str(scalar(engine, "SELECT orderstatus::text FROM orders WHERE id = :i", i=order_id))


def _last_stats(engine: sa.Engine, name: str) -> dict[str, Any]:
    return list_runs(engine, name, limit=1)[0].stats


def test_a_trashed_product_leaves_stock_and_comes_back_when_restored(pipeline_db, shop_factory):
    shop = shop_factory()
    connector = register(pipeline_db, shop)
    assert sync(connector.name).success
    product, goldsphere_id = _in_stock_product(pipeline_db, connector)
    before = _stock(pipeline_db, goldsphere_id)

    shop.store.trash_product(product)
    assert sync(connector.name).success  # a delta: the trash listing has it
    assert _stock(pipeline_db, goldsphere_id) == (False, 0)
    assert _deleted_how(pipeline_db, "external_product", connector, product) == "trashed"
    assert _last_stats(pipeline_db, connector.name)["products_extract"]["trashed"] == 1

    shop.store.restore_product(product)
    assert sync(connector.name).success
    assert _stock(pipeline_db, goldsphere_id) == before
    assert _deleted_how(pipeline_db, "external_product", connector, product) is None
    assert _last_stats(pipeline_db, connector.name)["products_extract"]["restored"] == 1


def test_a_product_deleted_for_good_is_marked_gone_by_a_full_sync_and_by_reconcile(
    pipeline_db, shop_factory
):
    shop = shop_factory()
    connector = register(pipeline_db, shop)
    assert sync(connector.name).success
    first, first_id = _in_stock_product(pipeline_db, connector)
    shop.store.delete_product(first)
    assert sync(connector.name).success
    assert _deleted_how(pipeline_db, "external_product", connector, first) is None, (
        "a delta cannot tell a deletion from no change"
    )
    assert sync(connector.name, sync_settings={"full_refresh": True}).success
    assert _deleted_how(pipeline_db, "external_product", connector, first) == "gone"
    assert _stock(pipeline_db, first_id) == (False, 0)
    assert _last_stats(pipeline_db, connector.name)["reconcile"]["gone"] == 1

    second, second_id = _in_stock_product(pipeline_db, connector)
    shop.store.delete_product(second)
    assert sync(connector.name, reconcile_only=True).success
    assert _deleted_how(pipeline_db, "external_product", connector, second) == "gone"
    assert _stock(pipeline_db, second_id) == (False, 0)


def test_a_deleted_variation_is_marked_gone(pipeline_db, shop_factory):
    shop = shop_factory(variable_share=0.3)
    connector = register(pipeline_db, shop)
    assert sync(connector.name).success
    variation, goldsphere_id = _in_stock_product(pipeline_db, connector, variation=True)
    shop.store.delete_variation(variation)
    assert sync(connector.name, reconcile_only=True).success
    assert _deleted_how(pipeline_db, "external_product", connector, variation) == "gone"
    assert _stock(pipeline_db, goldsphere_id) == (False, 0)
    assert _last_stats(pipeline_db, connector.name)["reconcile"]["gone"] == 1


def test_an_order_trashed_restored_and_deleted_under_keep(pipeline_db, shop_factory):
    shop = shop_factory()
    connector = register(pipeline_db, shop)
    assert sync(connector.name).success
    order, goldsphere_id, status = _mapped_order(pipeline_db, connector)

    shop.store.trash_order(order)
    assert sync(connector.name).success
    assert _deleted_how(pipeline_db, "external_order", connector, order) == "trashed"
    assert _order_status(pipeline_db, goldsphere_id) == status
    assert scalar(
        pipeline_db,
        "SELECT deleted_at IS NOT NULL FROM external_reference WHERE internal_id = :i",
        i=goldsphere_id,
    )

    shop.store.restore_order(order, "completed")
    assert sync(connector.name).success
    assert _deleted_how(pipeline_db, "external_order", connector, order) is None
    assert _order_status(pipeline_db, goldsphere_id) == "completed"

    shop.store.delete_order(order)
    assert sync(connector.name, reconcile_only=True).success
    assert _deleted_how(pipeline_db, "external_order", connector, order) == "gone"
    assert _order_status(pipeline_db, goldsphere_id) == "completed", "keep leaves the order"


def test_an_order_trashed_and_deleted_under_cancel(pipeline_db, shop_factory):
    shop = shop_factory()
    connector = register(pipeline_db, shop)
    deletions.set_deletion_settings(pipeline_db, connector.id, on_order_deleted="cancel")
    assert sync(connector.name).success
    order, goldsphere_id, _ = _mapped_order(pipeline_db, connector)

    shop.store.trash_order(order)
    assert sync(connector.name).success
    assert _order_status(pipeline_db, goldsphere_id) == "cancelled"
    shop.store.restore_order(order, "processing")
    assert sync(connector.name).success
    assert _order_status(pipeline_db, goldsphere_id) == "confirmed"  # processing, mapped

    other, other_id, _ = _mapped_order(pipeline_db, connector)
    shop.store.delete_order(other)
    assert sync(connector.name, reconcile_only=True).success
    assert _order_status(pipeline_db, other_id) == "cancelled"


def test_an_order_whose_product_was_deleted_still_maps(pipeline_db, shop_factory):
    shop = shop_factory()
    connector = register(pipeline_db, shop)
    assert sync(connector.name).success
    order, goldsphere_id, _ = _mapped_order(pipeline_db, connector)
    product = next(
        item["product_id"] for item in shop.store.order(order)["line_items"] if item["product_id"]
    )
    shop.store.delete_product(product)
    assert sync(connector.name, reconcile_only=True).success
    assert _deleted_how(pipeline_db, "external_product", connector, product) == "gone"

    shop.store.modify_order(order, status="completed")
    assert sync(connector.name).success
    assert _order_status(pipeline_db, goldsphere_id) == "completed"
    assert (
        scalar(
            pipeline_db,
            "SELECT status FROM external_order WHERE connector_id = :c AND external_id = :e",
            c=connector.id,
            e=str(order),
        )
        == "mapped"
    )


def _marked(engine: sa.Engine, connector: Any) -> int:
    return int(
        scalar(
            engine,
            "SELECT (SELECT count(*) FROM external_product WHERE connector_id = :c "
            "AND deleted_how = 'gone') + (SELECT count(*) FROM external_order "
            "WHERE connector_id = :c AND deleted_how = 'gone')",
            c=connector.id,
        )
    )


def test_a_partial_listing_marks_nothing(pipeline_db, shop_factory):
    shop = shop_factory(orders=450)
    connector = register(pipeline_db, shop)
    assert sync(connector.name).success
    product, _ = _in_stock_product(pipeline_db, connector)
    shop.store.delete_product(product)

    # Pages are counted across /products and /orders: products and their trash take one
    # each, so the third is the first page of orders.
    shop.store.set_faults(listing_fail_after_pages=3)  # the orders listing fails midway
    assert sync(connector.name, reconcile_only=True, max_attempts=2).success
    stats = _last_stats(pipeline_db, connector.name)["reconcile"]
    assert "stopped and marked nothing" in stats["skipped_reason"]
    assert _marked(pipeline_db, connector) == 0

    shop.store.set_faults(listing_fail_after_pages=None, listing_vanish_per_page=1)
    assert sync(connector.name, reconcile_only=True).success
    assert (
        "changed while they were listed"
        in _last_stats(pipeline_db, connector.name)["reconcile"]["skipped_reason"]
    )
    assert _marked(pipeline_db, connector) == 0

    shop.store.set_faults(listing_vanish_per_page=0, listing_appear_per_page=1)
    assert sync(
        connector.name, reconcile_only=True, sync_settings={"force_reconcile": True}
    ).success
    assert (
        "changed while they were listed"
        in _last_stats(pipeline_db, connector.name)["reconcile"]["skipped_reason"]
    ), "--force never overrides an incomplete listing"
    assert _marked(pipeline_db, connector) == 0

    shop.store.set_faults(listing_appear_per_page=0, listing_short_page=3)
    assert sync(connector.name, reconcile_only=True).success
    assert (
        "held 99 records where 100 were due"
        in _last_stats(pipeline_db, connector.name)["reconcile"]["skipped_reason"]
    )
    assert _marked(pipeline_db, connector) == 0


def test_a_removal_above_the_share_stops_unless_forced_and_a_rerun_changes_nothing(
    pipeline_db, shop_factory
):
    shop = shop_factory()
    connector = register(pipeline_db, shop)
    assert sync(connector.name).success
    orders = shop.store.order_ids()
    for order in orders[::2]:
        shop.store.delete_order(order)

    assert sync(connector.name, reconcile_only=True).success
    assert (
        "more than the 20% limit"
        in _last_stats(pipeline_db, connector.name)["reconcile"]["skipped_reason"]
    )
    assert _marked(pipeline_db, connector) == 0

    assert sync(
        connector.name, reconcile_only=True, sync_settings={"force_reconcile": True}
    ).success
    assert _marked(pipeline_db, connector) == len(orders[::2])

    def snapshot() -> list[Any]:
        with pipeline_db.connect() as conn:
            return list(
                conn.execute(
                    sa.text(
                        "SELECT external_id, deleted_at, deleted_how, status, updated_at "
                        "FROM external_order ORDER BY external_id"
                    )
                ).all()
            ) + list(conn.execute(sa.text("SELECT id, updatedat FROM orders ORDER BY id")).all())

    before = snapshot()
    assert sync(connector.name, reconcile_only=True).success
    assert _last_stats(pipeline_db, connector.name)["reconcile"]["gone"] == 0
    assert snapshot() == before
