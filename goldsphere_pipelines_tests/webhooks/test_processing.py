"""Stored deliveries become external rows and mapped goldsphere rows, exactly once."""

from __future__ import annotations

import time

import dagster as dg

from goldsphere_pipelines.connectors.webhook_processor import WebhookProcessor
from goldsphere_pipelines.defs.resources import GoldsphereDatabase
from goldsphere_pipelines.defs.webhooks import (
    apply_webhook_deliveries_job,
    dagster_reporter,
    webhook_deliveries_sensor,
)
from goldsphere_pipelines_tests.reliability.support import payload_hash, rows
from goldsphere_pipelines_tests.webhooks.conftest import Hooked
from goldsphere_pipelines_tests.webhooks.support import (
    goldsphere_product_price,
    post_delivery,
    scalar,
)


def _clean_orders(hooked: Hooked) -> list[int]:
    """Orders that map (no messy-record flaw)."""
    store = hooked.shop.store
    return [o for o in store.order_ids() if store.order_flaw(o) is None]


def _stored(hooked: Hooked, table: str, column: str, external_id: int) -> str:
    return str(
        scalar(
            hooked.engine,
            f"SELECT {column} FROM {table} WHERE connector_id = :c AND external_id = :e",
            c=hooked.connector.id,
            e=str(external_id),
        )
    )


def _stored_hash(hooked: Hooked, table: str, external_id: int) -> str:
    return _stored(hooked, table, "payload_hash", external_id)


def _order_mapped(hooked: Hooked, order_id: int) -> bool:
    return bool(
        scalar(
            hooked.engine,
            "SELECT EXISTS (SELECT 1 FROM external_reference WHERE source = :s "
            "AND entity_type = 'order' AND external_id = :e)",
            s=f"woocommerce:{hooked.connector.id}",
            e=str(order_id),
        )
    )


def test_changes_in_the_shop_reach_external_rows_and_goldsphere_rows(hooked: Hooked) -> None:
    store, base = hooked.shop.store, hooked.shop.base_url
    product_id = next(
        p
        for p in store.product_ids()
        if store.product_flaw(p) is None and not store.variations_of(p)
    )
    order_id = _clean_orders(hooked)[0]
    price_before = goldsphere_product_price(hooked.engine, hooked.connector.id, str(product_id))
    store.modify_product(product_id, overrides={"regular_price": "4321.00", "price": "4321.00"})
    store.modify_order(order_id, status="completed")
    new_order = store.add_order(email=store.customer_emails()[0])
    hooked.settle()
    assert _stored_hash(hooked, "external_product", product_id) == payload_hash(
        store.product(product_id, base_url=base)
    )
    assert _stored_hash(hooked, "external_order", order_id) == payload_hash(
        store.order(order_id, base_url=base)
    )
    price_after = goldsphere_product_price(hooked.engine, hooked.connector.id, str(product_id))
    assert price_after != price_before
    assert str(price_after) == "4321.00"
    assert _order_mapped(hooked, new_order)
    deliveries = hooked.deliveries()
    assert deliveries
    assert {d.status for d in deliveries} == {"applied"}, deliveries
    assert all(d.applied_count == 1 for d in deliveries)


def test_a_body_that_is_not_json_fails_alone_with_a_clear_error(hooked: Hooked) -> None:
    hooked.shop.store.set_faults(webhook_rate_drop=1.0)
    store, base = hooked.shop.store, hooked.shop.base_url
    order_id = _clean_orders(hooked)[1]
    store.modify_order(order_id, status="completed")
    broken = post_delivery(
        hooked.delivery_url, hooked.secret, "product.updated", None, body=b'{"id": 3,'
    )
    good = post_delivery(
        hooked.delivery_url, hooked.secret, "order.updated", store.order(order_id, base_url=base)
    )
    assert (broken.status_code, good.status_code) == (200, 200)
    hooked.processor.run_until_idle()
    outcomes = {d.topic: d for d in hooked.deliveries()}
    assert outcomes["product.updated"].status == "failed"
    assert "not JSON" in outcomes["product.updated"].error
    assert outcomes["order.updated"].status == "applied"


def test_repeated_deliveries_are_applied_once(hooked: Hooked) -> None:
    hooked.shop.store.set_faults(webhook_rate_duplicate=1.0)
    for order_id in _clean_orders(hooked)[:5]:
        hooked.shop.store.modify_order(order_id, status="on-hold")
    hooked.settle()
    sent = hooked.shop.store.webhooks.sent()
    assert len(sent) == 10
    assert len({s.delivery_id for s in sent}) == 5
    deliveries = hooked.deliveries()
    assert len(deliveries) == 5
    assert all(d.applied_count == 1 for d in deliveries)


def test_an_older_payload_never_overwrites_a_newer_one(hooked: Hooked) -> None:
    store, base = hooked.shop.store, hooked.shop.base_url
    store.set_faults(webhook_rate_drop=1.0)
    order_id = _clean_orders(hooked)[2]
    store.modify_order(order_id, status="on-hold")
    older = store.order(order_id, base_url=base)
    store.modify_order(order_id, status="completed")
    newer = store.order(order_id, base_url=base)
    assert newer["date_modified_gmt"] > older["date_modified_gmt"]
    post_delivery(hooked.delivery_url, hooked.secret, "order.updated", newer)
    hooked.processor.run_until_idle()
    post_delivery(hooked.delivery_url, hooked.secret, "order.updated", older)
    hooked.processor.run_until_idle()
    assert _stored_hash(hooked, "external_order", order_id) == payload_hash(newer)
    assert [d.status for d in hooked.deliveries()] == ["applied", "stale"]


def test_out_of_order_deliveries_from_the_shop_end_in_the_shops_state(hooked: Hooked) -> None:
    store, base = hooked.shop.store, hooked.shop.base_url
    store.set_faults(webhook_rate_out_of_order=0.5)
    order_ids = _clean_orders(hooked)[:4]
    for _ in range(3):
        for order_id in order_ids:
            store.modify_order(order_id)
    hooked.settle()
    for order_id in order_ids:
        assert _stored_hash(hooked, "external_order", order_id) == payload_hash(
            store.order(order_id, base_url=base)
        )
    assert {d.status for d in hooked.deliveries()} <= {"applied", "stale"}


def test_an_order_before_its_product_waits_and_is_applied_after_it(hooked: Hooked) -> None:
    store, base = hooked.shop.store, hooked.shop.base_url
    store.set_faults(webhook_rate_drop=1.0)
    product_id = store.add_product(name="Webhook Britannia 1 oz Gold Coin", price="2400.00")
    order_id = store.add_order(items=[(product_id, 0, 1)], email=store.customer_emails()[0])
    post_delivery(
        hooked.delivery_url, hooked.secret, "order.created", store.order(order_id, base_url=base)
    )
    hooked.processor.run_until_idle()
    assert [d.status for d in hooked.deliveries()] == ["waiting"]
    assert not _order_mapped(hooked, order_id)
    post_delivery(
        hooked.delivery_url,
        hooked.secret,
        "product.created",
        store.product(product_id, base_url=base),
    )
    hooked.processor.run_until_idle()
    assert _order_mapped(hooked, order_id)
    deadline = time.monotonic() + 10
    while {d.status for d in hooked.deliveries()} != {"applied"} and time.monotonic() < deadline:
        time.sleep(0.2)
        hooked.processor.run_once()
    assert [d.status for d in hooked.deliveries()] == ["applied", "applied"]


def test_each_pass_is_a_materialization_of_the_connector_partition(hooked: Hooked) -> None:
    instance = dg.DagsterInstance.ephemeral()
    processor = WebhookProcessor(hooked.engine, report=dagster_reporter(instance))
    hooked.shop.store.modify_order(_clean_orders(hooked)[0], status="completed")
    assert hooked.shop.store.webhooks.wait_idle(30)
    processor.run_until_idle()
    event = instance.get_latest_materialization_event(dg.AssetKey(["goldsphere", "orders"]))
    assert event is not None
    materialization = event.asset_materialization
    assert materialization is not None
    assert materialization.partition == hooked.connector.name
    assert materialization.metadata["trigger"].value == "webhook"
    assert materialization.metadata["applied"].value == 1


def test_the_sensor_launches_the_job_that_applies_deliveries(hooked: Hooked) -> None:
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("connectors", [hooked.connector.name])
    hooked.shop.store.modify_order(_clean_orders(hooked)[0], status="completed")
    assert hooked.shop.store.webhooks.wait_idle(30)
    resources = {"database": GoldsphereDatabase()}
    context = dg.build_sensor_context(instance=instance, resources=resources)
    result = webhook_deliveries_sensor(context)
    assert isinstance(result, dg.SensorResult)
    requests = result.run_requests or []
    assert [r.partition_key for r in requests] == [hooked.connector.name]
    run = apply_webhook_deliveries_job.execute_in_process(
        instance=instance, resources=resources, partition_key=hooked.connector.name
    )
    assert run.success
    materialized = run.asset_materializations_for_node("apply_webhook_deliveries")
    assert {tuple(m.asset_key.path) for m in materialized} >= {("goldsphere", "orders")}
    assert [d.status for d in hooked.deliveries()] == ["applied"]
    assert (
        rows(hooked.engine, "SELECT 1 FROM external_webhook_delivery WHERE status <> 'applied'")
        == []
    )


def _status(hooked: Hooked, table: str, external_id: int) -> str:
    return _stored(hooked, table, "status", external_id)


def test_deleted_then_restored_through_the_deletion_model(hooked: Hooked) -> None:
    store = hooked.shop.store
    product_id = next(
        p
        for p in store.product_ids()
        if store.product_flaw(p) is None and not store.variations_of(p)
    )
    order_id = _clean_orders(hooked)[3]
    store.trash_product(product_id)
    store.trash_order(order_id)
    hooked.settle()
    assert _status(hooked, "external_product", product_id) == "deleted"
    assert _status(hooked, "external_order", order_id) == "deleted"
    in_stock = scalar(
        hooked.engine,
        "SELECT p.instock FROM product p JOIN external_reference r ON r.internal_id = p.id "
        "WHERE r.source = :s AND r.entity_type = 'product' AND r.external_id = :e",
        s=f"woocommerce:{hooked.connector.id}",
        e=str(product_id),
    )
    assert in_stock is False
    store.restore_product(product_id)
    store.restore_order(order_id)
    hooked.settle()
    assert _status(hooked, "external_product", product_id) == "mapped"
    assert _status(hooked, "external_order", order_id) == "mapped"
    topics = [d.topic for d in hooked.deliveries()]
    assert topics.count("product.deleted") == 1
    assert topics.count("product.restored") == 1
    assert {d.status for d in hooked.deliveries()} == {"applied"}


def test_the_sensor_alternative_ships_stopped() -> None:
    from goldsphere_pipelines.definitions import defs

    sensor = defs.resolve_sensor_def("webhook_deliveries_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert defs.resolve_job_def("apply_webhook_deliveries_job").partitions_def is not None
