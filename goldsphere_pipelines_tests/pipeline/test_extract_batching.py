"""How the orders extract groups pages into writes: a page at a time while the writers keep
up (a slow store's orders are stored as they arrive), two pages to a statement while they
are behind. Against a sandbox store and real PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from goldsphere_pipelines.connectors import extract
from goldsphere_pipelines.connectors.sync_settings import SyncSettings
from goldsphere_pipelines.defs.resources import utc_now
from goldsphere_pipelines.storage.external_records import ExternalRecordRepository, RawRecord
from goldsphere_pipelines.woocommerce import AuthMode, WooCommerceClient, WooCredentials
from goldsphere_pipelines_tests.pipeline.conftest import Shop, register


def _client(shop: Shop) -> WooCommerceClient:
    keys = WooCredentials(consumer_key=shop.consumer_key, consumer_secret=shop.consumer_secret)
    return WooCommerceClient(shop.base_url, keys, auth_mode=AuthMode.OAUTH1)


def _stored(db: sa.Engine) -> int:
    """Orders stored from the listing (the shop's trash is stored too, as deleted)."""
    with db.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM external_order WHERE deleted_at IS NULL")
            ).scalar_one()
        )


class _PausingReader:
    """The store's orders, each page after the first handed over only once
    `before_next(records handed over so far)` returns."""

    def __init__(self, client: WooCommerceClient, before_next: Callable[[int], None]) -> None:
        self._client = client
        self._before_next = before_next

    def iter_orders(self, **filters: Any) -> Iterator[Any]:
        handed_over = 0
        for page in self._client.iter_orders(**filters):
            if handed_over:
                self._before_next(handed_over)
            handed_over += len(page.records)
            yield page

    def iter_products(self, **filters: Any) -> Iterator[Any]:
        raise AssertionError("not used")

    def iter_variations_many(self, product_ids: Any) -> Iterator[Any]:
        raise AssertionError("not used")


def test_a_page_is_stored_before_the_next_one_arrives_when_the_writers_keep_up(
    db: sa.Engine, shop_factory: Callable[..., Shop]
) -> None:
    shop = shop_factory(products=10, orders=350)
    connector = register(db, shop)
    seen: list[tuple[int, int]] = []

    def wait_until_stored(handed_over: int) -> None:
        deadline = time.monotonic() + 10
        while _stored(db) < handed_over and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append((handed_over, _stored(db)))

    with _client(shop) as client:
        reader = _PausingReader(client, wait_until_stored)
        stats = extract.extract_orders(db, connector.id, reader, SyncSettings(), now=utc_now())

    total = len(shop.store.order_ids())
    assert stats.new == total == _stored(db)
    assert len(seen) == 3
    # Every page was in the database before the store sent the next one.
    assert all(stored == handed_over for handed_over, stored in seen), seen


def test_pages_gather_into_batches_while_the_writers_are_behind(
    db: sa.Engine, shop_factory: Callable[..., Shop], monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = shop_factory(products=10, orders=1200)
    connector = register(db, shop)
    batch_sizes: list[int] = []
    upsert = ExternalRecordRepository.upsert_raw

    def slow_upsert(self: ExternalRecordRepository, *args: Any, **kwargs: Any) -> Any:
        records: list[RawRecord] = args[1]
        batch_sizes.append(len(records))
        time.sleep(0.2)  # a database slower than the store: the point of this test
        return upsert(self, *args, **kwargs)

    monkeypatch.setattr(ExternalRecordRepository, "upsert_raw", slow_upsert)
    with _client(shop) as client:
        stats = extract.extract_orders(db, connector.id, client, SyncSettings(), now=utc_now())

    total = len(shop.store.order_ids())
    trashed = len(shop.store.order_ids(include_trash=True)) - total
    assert stats.new == total == _stored(db)
    assert stats.trashed == trashed
    assert sum(batch_sizes) == total + trashed
    assert max(batch_sizes) >= extract.WRITE_BATCH
    assert len(batch_sizes) < total / 100, "fewer writes than pages"
