"""Floods: a thousand deliveries while a sync of the same connector runs, and a receiver
killed in the middle of one. The final state is the shop's, and nothing acknowledged is lost."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from goldsphere_pipelines.bench_webhooks import free_port, receiver_process
from goldsphere_pipelines.connectors.webhook_processor import WebhookProcessor
from goldsphere_pipelines.connectors.webhooks import create_secret, register_webhooks
from goldsphere_pipelines.sandbox import SandboxStore
from goldsphere_pipelines.storage.credentials import load_cipher
from goldsphere_pipelines_tests.pipeline.conftest import Shop, register, sync
from goldsphere_pipelines_tests.reliability.support import (
    stale_payloads,
    sync_problems,
)
from goldsphere_pipelines_tests.webhooks.conftest import Hooked


def _change(store: SandboxStore, count: int) -> None:
    """`count` changes, each one delivery: orders and simple products without a messy-record
    flaw (those fail mapping in a sync too), round robin."""
    orders = [o for o in store.order_ids() if store.order_flaw(o) is None]
    simple = [
        p
        for p in store.product_ids()
        if not store.variations_of(p) and store.product_flaw(p) is None
    ]
    for i in range(count):
        if i % 4 == 3:
            store.modify_product(simple[i % len(simple)])
        else:
            store.modify_order(orders[i % len(orders)])


def _current(store: SandboxStore, base: str) -> tuple[dict[str, Any], dict[str, Any]]:
    products = {str(p): store.product(p, base_url=base) for p in store.product_ids()}
    products.update({str(v): store.variation(v, base_url=base) for v in store.variation_ids()})
    orders = {str(o): store.order(o, base_url=base) for o in store.order_ids()}
    return products, orders


def _outcomes(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                sa.text("SELECT status, count(*) FROM external_webhook_delivery GROUP BY status")
            ).all()
        )


def test_a_flood_during_a_sync_ends_in_the_shops_state(hooked: Hooked) -> None:
    store, base = hooked.shop.store, hooked.shop.base_url
    processing, stop = hooked.processor.start()
    results: list[Any] = []
    syncing = threading.Thread(
        target=lambda: results.append(
            sync(hooked.connector.name, sync_settings={"full_refresh": True})
        )
    )
    try:
        syncing.start()
        _change(store, 1000)
        syncing.join(timeout=300)
        assert store.webhooks.wait_idle(120)
    finally:
        stop.set()
        processing.join(timeout=60)
    assert results
    assert results[0].success
    hooked.processor.run_until_idle()
    sent = store.webhooks.sent()
    assert len(sent) == 1000
    assert all(s.status_code == 200 for s in sent)
    assert sum(_outcomes(hooked.engine).values()) == 1000
    with hooked.engine.connect() as conn:
        overlapping = conn.execute(
            sa.text(
                "SELECT count(*) FROM external_webhook_delivery d, external_sync_run r "
                "WHERE r.connector_id = :c AND r.trigger = 'test' AND r.stats_json::text "
                "LIKE '%full%' AND d.received_at BETWEEN r.started_at AND r.finished_at"
            ),
            {"c": hooked.connector.id},
        ).scalar_one()
    assert overlapping > 0, "no delivery arrived while the sync ran"
    problems = [d for d in hooked.deliveries() if d.status not in ("applied", "stale")]
    assert problems == []
    assert all(d.applied_count <= 1 for d in hooked.deliveries())
    products, orders = _current(store, base)
    assert stale_payloads(hooked.engine, hooked.connector.id, "product", products) == []
    assert stale_payloads(hooked.engine, hooked.connector.id, "order", orders) == []
    assert sync_problems(hooked.engine, hooked.connector.id, store) == []


@pytest.fixture
def receivers() -> Iterator[list[Any]]:
    """Receiver processes (`goldsphere admin-api serve`) a test starts; closed at the end."""
    stack: list[Any] = []
    yield stack
    for started in reversed(stack):
        started.__exit__(None, None, None)


def _start_receiver(receivers: list[Any], port: int) -> subprocess.Popen[bytes]:
    started = receiver_process(port)
    process = started.__enter__()
    receivers.append(started)
    return process


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def test_deliveries_acknowledged_before_the_receiver_was_killed_are_applied_after_restart(
    pipeline_db: sa.Engine,
    shop_factory: Callable[..., Shop],
    receivers: list[Any],
) -> None:
    shop = shop_factory(products=30, orders=60, key_permissions="read_write")
    connector = register(pipeline_db, shop, name="killed-receiver")
    assert sync(connector.name).success
    create_secret(pipeline_db, load_cipher(), connector.name)
    port = free_port()
    receiver = _start_receiver(receivers, port)
    url = f"http://127.0.0.1:{port}/webhooks/woocommerce/{connector.name}"
    assert len(register_webhooks(pipeline_db, load_cipher(), connector.name, url).created) == 8
    store = shop.store
    flood = threading.Thread(target=_change, args=(store, 600))
    flood.start()
    while sum(1 for s in store.webhooks.sent() if s.status_code == 200) < 150:
        time.sleep(0.01)
    _kill(receiver)
    flood.join(timeout=120)
    assert store.webhooks.wait_idle(60)
    acknowledged = {s.delivery_id for s in store.webhooks.sent() if s.status_code == 200}
    assert len(acknowledged) >= 150
    assert any(s.status_code != 200 for s in store.webhooks.sent())
    with pipeline_db.connect() as conn:
        stored = set(
            conn.execute(sa.text("SELECT delivery_id FROM external_webhook_delivery")).scalars()
        )
    assert acknowledged <= stored
    receiver = _start_receiver(receivers, port)
    deadline = time.monotonic() + 60
    while set(_outcomes(pipeline_db)) - {"applied", "stale"} and time.monotonic() < deadline:
        time.sleep(0.2)
    assert set(_outcomes(pipeline_db)) <= {"applied", "stale"}
    # What the shop could not deliver the scheduled delta sync brings.
    _kill(receiver)
    WebhookProcessor(pipeline_db).run_until_idle()
    assert sync(connector.name).success
    products, orders = _current(store, shop.base_url)
    assert stale_payloads(pipeline_db, connector.id, "order", orders) == []
    assert stale_payloads(pipeline_db, connector.id, "product", products) == []
