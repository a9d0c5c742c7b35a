"""A misbehaving, changing sandbox store: all records exactly once, or an error; never fewer."""

from __future__ import annotations

import pytest

from goldsphere_pipelines.sandbox import RunningSandbox, SandboxConfig, run_sandbox
from goldsphere_pipelines.woocommerce import (
    AuthenticationError,
    AuthMode,
    TransientError,
    WooCommerceError,
)
from goldsphere_pipelines_tests.woocommerce.conftest import SHOP, SMALL_SHOP, connect
from goldsphere_pipelines_tests.woocommerce.test_sandbox_reading import ids

# Issue 3's fault mix, plus the bodies it names (byte order marks, truncated JSON).
FAULTS = {
    "latency_ms": 50,
    "rate_429": 0.10,
    "retry_after_s": 1,
    "rate_5xx": 0.05,
    "rate_drop": 0.02,
    "rate_html": 0.02,
    "rate_bom": 0.02,
    "rate_truncated": 0.02,
}


@pytest.mark.parametrize(("mode", "shop"), [(AuthMode.OAUTH1, SHOP), (AuthMode.QUERY, SMALL_SHOP)])
def test_with_faults_every_record_arrives_exactly_once(mode: AuthMode, shop: SandboxConfig) -> None:
    config = shop.with_changes(**FAULTS, behind_tls_proxy=mode is AuthMode.QUERY)
    with run_sandbox(config) as sandbox:
        store = sandbox.store
        with connect(sandbox, mode, max_attempts=10) as client:
            products = ids(client.iter_products())
            orders = ids(client.iter_orders())
            variations = dict(client.iter_variations_many(store.variable_product_ids()))
        served = store.stats

    assert products == store.product_ids()
    assert orders == store.order_ids()
    assert sorted(v["id"] for vs in variations.values() for v in vs) == sorted(
        store.variation_ids()
    )
    stats = client.stats
    assert stats.retries > 0
    assert stats.retries == stats.requests - stats.pages, "every failed attempt was retried"
    failed = sum(served.faults.get(kind, 0) for kind in served.faults if kind != "bom")
    failed -= served.faults.get("latency_spike", 0)
    assert stats.retries == failed, "each fault the store injected cost exactly one retry"


def test_faults_beyond_the_retry_budget_raise_after_the_pages_already_read(
    fresh_shop: RunningSandbox,
) -> None:
    with connect(fresh_shop, max_attempts=3, concurrency=1) as client:
        pages = client.iter_orders()
        first = next(pages)
        fresh_shop.set_faults(rate_5xx=1.0)
        with pytest.raises(TransientError, match="3 attempts"):
            next(pages)
    assert len(first.records) == 100


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_store_failing_half_the_time_gives_all_records_or_an_error(seed: int) -> None:
    config = SMALL_SHOP.with_changes(seed=seed, rate_html=0.3, rate_5xx=0.2)
    with run_sandbox(config) as sandbox, connect(sandbox, max_attempts=2) as client:
        try:
            orders = ids(client.iter_orders())
        except WooCommerceError:
            return
        assert orders == sandbox.store.order_ids()


def test_a_revoked_key_stops_the_read_with_an_authentication_error(
    fresh_shop: RunningSandbox,
) -> None:
    with connect(fresh_shop, concurrency=1) as client:
        pages = client.iter_products()
        next(pages)
        fresh_shop.set_faults(key_revoked=True)
        with pytest.raises(AuthenticationError, match="Create a new read key"):
            next(pages)
        assert client.stats.by_status.get(401) == 1, "a 401 is not retried"


@pytest.mark.parametrize("concurrency", [1, 4])
def test_orders_deleted_and_added_while_paging_are_neither_skipped_nor_repeated(
    concurrency: int,
) -> None:
    with run_sandbox(SMALL_SHOP) as sandbox:
        read_while_changing(sandbox, concurrency)


def read_while_changing(sandbox: RunningSandbox, concurrency: int) -> None:
    store = sandbox.store
    before = store.order_ids()
    seen: list[int] = []
    with connect(sandbox, per_page=20, concurrency=concurrency) as client:
        for number, page in enumerate(client.iter_orders(), start=1):
            seen += [r["id"] for r in page.records]
            if number in (3, 6, 10):
                # Records already read vanish: every later record moves forward.
                for gone in seen[-30:-10:4]:
                    store.delete_order(gone)
                store.add_order()
                store.modify_order(seen[-1])
        rereads = client.stats.rereads
    deleted = set(before) - set(store.order_ids())
    assert len(deleted) == 15
    assert seen == sorted(set(seen)), "in id order, none twice"
    assert set(before) - deleted <= set(seen), "no record present throughout was skipped"
    if concurrency == 1:
        assert rereads >= 3, "each deletion made the next window start too late"
