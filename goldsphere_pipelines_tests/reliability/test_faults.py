"""Fault injection against the whole pipeline: a sandbox store that misbehaves, real
PostgreSQL, the assets materialized as in production.

The promise under test: a sync either ends with every record of the store in goldsphere
exactly once, or fails with its cause on its external_sync_run; and a following sync
converges. Every assertion reads the database and the store's own lists, never a log line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from goldsphere_pipelines.connectors.models import Connector
from goldsphere_pipelines.sandbox import SandboxStore
from goldsphere_pipelines_tests.pipeline.conftest import Shop, register, sync
from goldsphere_pipelines_tests.reliability.support import (
    integrity_problems,
    newest_run,
    stale_payloads,
    sync_problems,
)

SMALL = {"products": 40, "orders": 300, "variable_share": 0.2, "seed": 23}

FAULTS: dict[str, dict[str, Any]] = {
    "latency spikes": {"rate_spike": 0.3, "spike_ms": 400},
    "429 without Retry-After": {"rate_429": 0.25},
    "429 with Retry-After": {"rate_429": 0.25, "retry_after_s": 1},
    "500/502/503/504": {"rate_5xx": 0.3},
    "503 with Retry-After": {"rate_5xx": 0.3, "retry_after_s": 0},
    "dropped connections": {"rate_drop": 0.25},
    "200 HTML pages and PHP warnings": {"rate_html": 0.3},
    "byte order marks": {"rate_bom": 0.5},
    "truncated JSON": {"rate_truncated": 0.25},
    "everything at once": {
        "latency_ms": 5,
        "rate_spike": 0.05,
        "spike_ms": 200,
        "rate_429": 0.05,
        "rate_5xx": 0.05,
        "rate_drop": 0.05,
        "rate_html": 0.05,
        "rate_bom": 0.05,
        "rate_truncated": 0.05,
    },
}


def order_payloads(shop: Shop) -> dict[str, Any]:
    store = shop.store
    return {str(i): store.order(i, base_url=shop.base_url) for i in store.order_ids()}


def product_payloads(shop: Shop) -> dict[str, Any]:
    store = shop.store
    payloads = {str(i): store.product(i, base_url=shop.base_url) for i in store.product_ids()}
    payloads |= {str(i): store.variation(i, base_url=shop.base_url) for i in store.variation_ids()}
    return payloads


def assert_green_or_red_with_cause(
    result: Any, engine: sa.Engine, connector: Connector, store: SandboxStore
) -> bool:
    """A green run left the store complete in goldsphere; a red one recorded its cause and
    left nothing half-written. Returns whether it was green."""
    run = newest_run(engine, connector.name)
    if result.success:
        assert run.status == "success", run
        assert sync_problems(engine, connector.id, store) == []
        return True
    assert run.status == "failed"
    assert run.error, "a failed run names its cause"
    assert run.finished_at is not None
    assert integrity_problems(engine, connector.id) == []
    return False


def assert_converged(engine: sa.Engine, connector: Connector, shop: Shop) -> None:
    """Complete, nothing pending, and every stored payload is the store's current one."""
    assert sync_problems(engine, connector.id, shop.store) == []
    assert stale_payloads(engine, connector.id, "order", order_payloads(shop)) == []
    assert stale_payloads(engine, connector.id, "product", product_payloads(shop)) == []


@pytest.mark.parametrize("knobs", FAULTS.values(), ids=FAULTS.keys())
def test_a_faulty_store_ends_complete_or_recorded_and_the_next_sync_converges(
    pipeline_db: sa.Engine,
    shop_factory: Callable[..., Shop],
    fast_backoff: dict[str, Any],
    knobs: dict[str, Any],
) -> None:
    shop = shop_factory(**SMALL)
    connector = register(pipeline_db, shop)
    shop.store.set_faults(**knobs)

    # A store this faulty may fail a sync now and then (the connection check before the
    # read gives each request two attempts); each failure must say why and leave nothing
    # half-written. Up to three tries with the faults still on.
    green = False
    for _ in range(3):
        result = sync(connector.name, max_attempts=6)
        green = assert_green_or_red_with_cause(result, pipeline_db, connector, shop.store)
        if green:
            break
    assert sum(shop.store.stats.faults.values()) > 0, "the store injected the faults"

    if not green:
        shop.store.clear_faults()
        assert sync(connector.name).success
    assert_converged(pipeline_db, connector, shop)


def test_faults_beyond_the_retry_budget_fail_the_run_with_the_cause_then_converge(
    pipeline_db: sa.Engine, shop_factory: Callable[..., Shop], fast_backoff: dict[str, Any]
) -> None:
    shop = shop_factory(**SMALL)
    connector = register(pipeline_db, shop)
    assert sync(connector.name, sync_orders=False).success

    shop.store.set_faults(rate_5xx=1.0)
    result = sync(connector.name, sync_products=False, max_attempts=3)

    assert not result.success
    run = newest_run(pipeline_db, connector.name)
    assert run.status == "failed"
    assert run.error is not None
    assert run.error.startswith("orders_extract: ")
    assert "HTTP 5" in run.error or "50" in run.error
    assert integrity_problems(pipeline_db, connector.id) == []

    shop.store.clear_faults()
    assert sync(connector.name).success
    assert_converged(pipeline_db, connector, shop)


def _fail_first_requests(store: SandboxStore, count: int, **knobs: Any) -> None:
    """The store's next `count` API requests get the faults `knobs` (rates of 1.0), then it
    behaves: a short outage, the same every run."""
    injector = store.fault_injector
    original = injector.decide
    seen = [0]
    guard = threading.Lock()
    store.set_faults(**knobs)

    def decide() -> Any:
        with guard:
            seen[0] += 1
            if seen[0] == count + 1:
                store.clear_faults()
        return original()

    injector.decide = decide  # type: ignore[method-assign]


def test_a_short_outage_within_the_retry_budget_does_not_fail_the_sync(
    pipeline_db: sa.Engine, shop_factory: Callable[..., Shop], fast_backoff: dict[str, Any]
) -> None:
    shop = shop_factory(**SMALL)
    connector = register(pipeline_db, shop)
    _fail_first_requests(shop.store, 2, rate_5xx=1.0)

    result = sync(connector.name, max_attempts=6)

    assert sum(shop.store.stats.faults.values()) == 2
    assert result.success, newest_run(pipeline_db, connector.name).error
    assert_converged(pipeline_db, connector, shop)


def _on_call(
    store: SandboxStore, method: str, call: int, action: Callable[[], object]
) -> threading.Event:
    """Run `action` inside the store's `call`-th `method` call, before the page is cut (the
    store's lock is re-entrant), as if an admin edited the shop at that moment."""
    original = getattr(store, method)
    calls = [0]
    done = threading.Event()
    guard = threading.Lock()

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with guard:
            calls[0] += 1
            now = calls[0] == call
        if now:
            action()
            done.set()
        return original(*args, **kwargs)

    setattr(store, method, wrapped)
    return done


def test_a_key_revoked_mid_sync_fails_the_run_with_the_cause_then_converges(
    pipeline_db: sa.Engine, shop_factory: Callable[..., Shop], fast_backoff: dict[str, Any]
) -> None:
    shop = shop_factory(**SMALL)
    connector = register(pipeline_db, shop)
    # The key is deleted in WooCommerce while the first page of orders is served (the
    # first call counts orders for the connection check).
    revoked = _on_call(
        shop.store, "list_orders", 2, lambda: shop.store.set_faults(key_revoked=True)
    )

    result = sync(connector.name)

    assert revoked.is_set()
    assert not result.success
    run = newest_run(pipeline_db, connector.name)
    assert run.status == "failed"
    assert run.error is not None
    assert run.error.startswith("orders_extract: ")
    assert "401" in run.error or "key" in run.error.lower()
    assert integrity_problems(pipeline_db, connector.id) == []
    # What was read before the key went is kept; the orders watermark did not advance.
    assert sync_problems(pipeline_db, connector.id, shop.store, entities=("product",)) == []

    shop.store.set_faults(key_revoked=False)
    assert sync(connector.name).success
    assert_converged(pipeline_db, connector, shop)


def test_orders_added_changed_and_deleted_while_the_sync_pages_are_neither_lost_nor_doubled(
    pipeline_db: sa.Engine, shop_factory: Callable[..., Shop], fast_backoff: dict[str, Any]
) -> None:
    shop = shop_factory(**{**SMALL, "orders": 450})
    connector = register(pipeline_db, shop)
    store = shop.store
    before = store.order_ids()
    deleted = before[:3]  # on the first page, already read when they vanish
    changed = before[5:8] + before[-5:]  # read before, and not read yet
    added: list[int] = []

    def edit_the_shop() -> None:
        for order_id in deleted:
            store.delete_order(order_id)
        for order_id in changed:
            store.modify_order(order_id, status="completed")
        added.extend(store.add_order() for _ in range(4))

    edited = _on_call(store, "list_orders", 3, edit_the_shop)

    result = sync(connector.name)

    assert edited.is_set()
    assert result.success, newest_run(pipeline_db, connector.name).error
    gone = {str(i) for i in deleted}
    assert sync_problems(pipeline_db, connector.id, store, deleted=gone) == []
    assert {str(i) for i in added} <= set(order_payloads(shop))

    # Changes the first pass read before they happened arrive with the next (delta) sync.
    assert sync(connector.name).success
    assert newest_run(pipeline_db, connector.name).stats["orders_extract"]["mode"] == "delta"
    assert sync_problems(pipeline_db, connector.id, store, deleted=gone) == []
    assert stale_payloads(pipeline_db, connector.id, "order", order_payloads(shop)) == []


def test_products_added_changed_and_deleted_while_the_sync_pages_are_neither_lost_nor_doubled(
    pipeline_db: sa.Engine, shop_factory: Callable[..., Shop], fast_backoff: dict[str, Any]
) -> None:
    shop = shop_factory(products=260, orders=0, variable_share=0.15, seed=5)
    connector = register(pipeline_db, shop)
    store = shop.store
    simple = [i for i in store.product_ids() if i not in set(store.variable_product_ids())]
    deleted = simple[:2]
    changed = simple[3:5] + simple[-3:]
    variation = store.variation_ids()[-1]
    added: list[int] = []

    def edit_the_shop() -> None:
        for product_id in deleted:
            store.delete_product(product_id)
        for product_id in changed:
            store.modify_product(product_id)
        store.modify_variation(variation)
        added.append(store.add_product())
        added.append(store.add_product(variations=3))

    edited = _on_call(store, "list_products", 3, edit_the_shop)

    assert sync(connector.name).success

    assert edited.is_set()
    gone = {str(i) for i in deleted}
    assert sync_problems(pipeline_db, connector.id, store, deleted=gone) == []
    assert sync(connector.name).success
    assert sync_problems(pipeline_db, connector.id, store, deleted=gone) == []
    assert stale_payloads(pipeline_db, connector.id, "product", product_payloads(shop)) == []
    assert {str(i) for i in added} <= set(product_payloads(shop))
