"""Races: two syncs of one connector at once (one runs, the other fails clearly, nothing is
written twice), and two connectors syncing at once without blocking each other.

Each sync runs in a process of its own, as two Dagster runs would. The stores hold their
syncs at a chosen point until the race has been decided, so the overlap is certain.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from goldsphere_pipelines.sandbox import SandboxStore
from goldsphere_pipelines_tests.pipeline.conftest import Shop, register
from goldsphere_pipelines_tests.reliability.processes import Child
from goldsphere_pipelines_tests.reliability.support import rows, sync_problems

pytestmark = pytest.mark.slow


def hold_orders(store: SandboxStore, release: Callable[[], object]) -> None:
    """Before the store serves its first page of orders, `release()` must return (the
    first list call is the connection check's count)."""
    original = store.list_orders
    calls = [0]
    guard = threading.Lock()

    def held(*args: Any, **kwargs: Any) -> Any:
        with guard:
            calls[0] += 1
            first_page = calls[0] == 2
        if first_page:
            release()
        return original(*args, **kwargs)

    store.list_orders = held  # type: ignore[method-assign]


def test_two_syncs_of_one_connector_at_once_one_runs_the_other_fails_clearly(
    pipeline_db: sa.Engine, shop_factory: Callable[..., Shop], children: list[Child]
) -> None:
    shop = shop_factory(products=30, orders=300, seed=41)
    connector = register(pipeline_db, shop)
    racers = [Child(connector.name), Child(connector.name)]
    children.extend(racers)

    def loser_has_failed() -> None:
        # The winner holds the lock while it waits here: the other one cannot get past it.
        deadline = time.monotonic() + 90
        while all(r.process.poll() is None for r in racers) and time.monotonic() < deadline:
            time.sleep(0.02)

    hold_orders(shop.store, loser_has_failed)
    codes = [r.wait() for r in racers]

    assert sorted(codes) == [0, 1], [r.stderr[-2000:] for r in racers]
    loser = racers[codes.index(1)]
    assert "Another sync of connector 'test-shop' is running" in loser.stderr
    runs = rows(pipeline_db, "SELECT status, error FROM external_sync_run")
    assert [tuple(r) for r in runs] == [("success", None)], "the loser opened no run"
    assert sync_problems(pipeline_db, connector.id, shop.store) == []


def test_two_connectors_sync_at_once_without_blocking_each_other(
    pipeline_db: sa.Engine, shop_factory: Callable[..., Shop], children: list[Child]
) -> None:
    shops = [shop_factory(products=30, orders=200, seed=s) for s in (42, 43)]
    connectors = [register(pipeline_db, shop, name=f"shop-{i}") for i, shop in enumerate(shops)]
    # Neither store serves orders until both syncs are reading orders: if one sync waited
    # for the other, the barrier would break and both would fail.
    both_reading = threading.Barrier(2, timeout=90)
    for shop in shops:
        hold_orders(shop.store, both_reading.wait)
    racers = [Child(c.name) for c in connectors]
    children.extend(racers)

    codes = [r.wait() for r in racers]

    assert codes == [0, 0], [r.stderr[-2000:] for r in racers]
    assert not both_reading.broken
    statuses = rows(pipeline_db, "SELECT status FROM external_sync_run")
    assert [s[0] for s in statuses] == ["success", "success"]
    for connector, shop in zip(connectors, shops, strict=True):
        assert sync_problems(pipeline_db, connector.id, shop.store) == []
