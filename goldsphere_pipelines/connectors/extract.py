"""Extract: stream a store's products (with variations) or orders into external_* rows.

Pages are fetched (concurrently, by the client), converted, written in batched statements
of a page or two and released: memory holds a bounded number of pages, whatever the
store's size.
The first sync of an entity reads everything; later ones read only what changed since the
watermark, minus an overlap. The watermark advances only after every page is committed.
Each pass also reads the shop's trash (`status=trash`, which the default listing leaves
out) with the same filter, and stores those records marked trashed; a record we hold as
deleted that the listing has again is restored (`connectors.deletions`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal, Protocol
from uuid import UUID

from sqlalchemy.engine import Engine

from goldsphere_pipelines.connectors.deletions import mark_deleted, mark_restored
from goldsphere_pipelines.connectors.gone_products import collect_line_targets
from goldsphere_pipelines.connectors.pass_listing import PassListing
from goldsphere_pipelines.connectors.raw_records import RecordError, to_raw_record
from goldsphere_pipelines.connectors.stats import StepStats
from goldsphere_pipelines.connectors.sync_settings import SyncSettings
from goldsphere_pipelines.connectors.write_behind import WriteBehind
from goldsphere_pipelines.storage.deletions import DeletionStateRepository
from goldsphere_pipelines.storage.external_records import (
    ExternalRecordRepository,
    RawRecord,
    UpsertCounts,
)
from goldsphere_pipelines.storage.gone_products import LineTarget
from goldsphere_pipelines.storage.sync_state import Entity, SyncState, SyncStateRepository

logger = logging.getLogger(__name__)

# After this many rows written, fresh planner statistics pay for themselves in mapping.
BULK_LOAD_ROWS = 5000

# Records per write, for variations (across products) and for orders when the writers are
# busy (two pages). Each statement costs a round trip, planning, and its writer's wait for
# the interpreter lock: two pages to a statement made a large shop's orders extract 6 %
# faster than one page (runs taken in turns); five pages were no faster than two.
WRITE_BATCH = 200


Upsert = Callable[[list[RawRecord]], UpsertCounts]


class PageLike(Protocol):
    @property
    def records(self) -> list[Any]: ...


class StoreReader(Protocol):
    """The part of `WooCommerceClient` extraction uses (a Protocol so tests can wrap it)."""

    def iter_products(self, **filters: Any) -> Iterator[Any]: ...

    def iter_orders(self, **filters: Any) -> Iterator[Any]: ...

    def iter_variations_many(
        self, product_ids: Iterable[int]
    ) -> Iterator[tuple[int, list[Any]]]: ...


@dataclass(frozen=True)
class ExtractPlan:
    mode: Literal["full", "delta"]
    modified_after: datetime | None
    reconcile: bool


def plan_extract(
    entity: Entity, state: SyncState, settings: SyncSettings, now: datetime
) -> ExtractPlan:
    watermark = state.watermark(entity)
    reconcile = entity == "products" and (
        state.last_full_product_sync_at is None
        or now - state.last_full_product_sync_at > timedelta(hours=settings.product_reconcile_hours)
    )
    if settings.full_refresh or watermark is None or state.modified_filter_unsupported or reconcile:
        return ExtractPlan("full", None, reconcile=entity == "products")
    return ExtractPlan(
        "delta", watermark - timedelta(seconds=settings.overlap_seconds), reconcile=False
    )


class _Extractor:
    def __init__(
        self,
        engine: Engine,
        connector_id: UUID,
        entity: Entity,
        settings: SyncSettings,
        now: datetime,
        listing: PassListing | None = None,
    ) -> None:
        self.connector_id = connector_id
        self.entity: Entity = entity
        self.kind: Literal["product", "order"] = "product" if entity == "products" else "order"
        self.records = ExternalRecordRepository(engine, self.kind)
        # A first pass writes every record once: no stored hash can match.
        self.first_load = not self.records.has_rows(connector_id)
        self.state_repo = SyncStateRepository(engine)
        self.state = self.state_repo.get(connector_id)
        self.plan = plan_extract(entity, self.state, settings, now)
        self.started_at = now
        self.max_modified: datetime | None = None
        self.filter_ignored = False
        self.stats = StepStats(mode=self.plan.mode)
        self.engine = engine
        # Few rows are deleted: held in memory, they tell a restore from a page's ids
        # without a lookup per page.
        self.deleted_ids = (
            set()
            if self.first_load
            else DeletionStateRepository(engine, self.kind).deleted_ids(connector_id)
        )
        self.listed_deleted: list[str] = []
        # Only a full pass reads the whole collection: a delta's ids say nothing of the rest.
        self.listing = listing if self.plan.mode == "full" else None

    def convert_top_level(self, payloads: list[Any]) -> list[RawRecord]:
        return self.convert([(payload, None) for payload in payloads])

    def store(self, rows: list[RawRecord]) -> list[RawRecord]:
        """Upsert rows in one transaction, here and now; return those new or changed."""
        counts = self.upsert(rows)
        self.count(counts)
        changed = set(counts.changed_ids)
        return [r for r in rows if r.external_id in changed]

    def upsert(self, rows: list[RawRecord]) -> UpsertCounts:
        return self.records.upsert_raw(self.connector_id, rows, first_load=self.first_load)

    def count(self, counts: UpsertCounts) -> None:
        self.stats.new += counts.new
        self.stats.changed += counts.changed
        self.stats.unchanged += counts.unchanged

    def convert(self, items: list[tuple[Any, str | None]]) -> list[RawRecord]:
        """Rows to store, and a recorded error for each record that cannot be stored."""
        rows: list[RawRecord] = []
        for payload, parent_id in items:
            converted = to_raw_record(self.kind, payload, parent_external_id=parent_id)
            if isinstance(converted, RecordError):
                self.stats.invalid += 1
                self.stats.record_error(converted)
                continue
            for error in converted.text_errors:
                # Stored, but altered: the run names the record and the paths.
                self.stats.text_replaced += 1
                self.stats.record_error(
                    {"entity": self.kind, "externalId": converted.external_id, **error}
                )
            rows.append(converted)
            if converted.external_id in self.deleted_ids:
                self.listed_deleted.append(converted.external_id)
            modified = converted.date_modified_gmt
            if modified is not None:
                if self.max_modified is None or modified > self.max_modified:
                    self.max_modified = modified
                if (
                    self.plan.modified_after is not None
                    and not self.filter_ignored
                    and parent_id is None
                    and modified < self.plan.modified_after - timedelta(seconds=1)
                ):
                    self._store_ignores_filter()
        self.stats.fetched += len(items)
        return rows

    def _store_ignores_filter(self) -> None:
        # WooCommerce < 5.8 ignores modified_after and returns everything: this pass is then
        # a full one already; remember it so later syncs plan full passes from the start.
        self.filter_ignored = True
        self.stats.mode = "full (store ignores modified_after)"
        self.state_repo.mark_modified_filter_unsupported(self.connector_id)
        logger.warning(
            "The store returned records modified before modified_after: it ignores the "
            "filter (WooCommerce older than 5.8). Syncing in full now and from now on."
        )

    def store_trash(self, pages: Iterable[PageLike]) -> None:
        """Store the trash listing's records as they are and mark them trashed.

        Each page is written, then marked, here and now: a record first seen in the trash
        is never left for mapping. Trashed records count apart from `fetched`/`new`: they
        are not part of the shop's catalogue.
        """
        for page in pages:
            if self.listing is not None:
                self.listing.add_trash(page.records)
            rows: list[RawRecord] = []
            for payload in page.records:
                converted = to_raw_record(self.kind, payload)
                if isinstance(converted, RecordError):
                    self.stats.invalid += 1
                    self.stats.record_error(converted)
                else:
                    rows.append(converted)
            self.stats.trash_listed += len(rows)
            self.upsert(rows)
            marked = mark_deleted(
                self.engine, self.connector_id, self.kind, [r.external_id for r in rows], "trashed"
            )
            self.stats.trashed += len(marked)

    def restore_listed(self) -> None:
        """Records we hold as deleted that the shop lists again are restored (mapped anew)."""
        if self.listed_deleted:
            # A deletion learned (a webhook) after this pass began is newer than its listing.
            restored = mark_restored(
                self.engine,
                self.connector_id,
                self.kind,
                self.listed_deleted,
                deleted_before=self.started_at,
            )
            self.stats.restored += len(restored)

    def finish(self) -> None:
        """Advance the watermark; everything read is committed by now."""
        if self.listing is not None:
            self.listing.complete = True
        if self.stats.new + self.stats.changed >= BULK_LOAD_ROWS:
            self.records.refresh_statistics()
        if self.max_modified is None:
            return
        # Never past the moment this pass started: a record created while we paged might
        # carry an earlier modified date than the newest we saw.
        watermark = min(self.max_modified, self.started_at)
        self.state_repo.advance_watermark(
            self.connector_id,
            self.entity,
            watermark,
            full_sync=self.plan.mode == "full" or self.filter_ignored,
        )
        self.stats.watermark = watermark.isoformat()


class _WriteBatch:
    """Converted rows, handed to the writers `WRITE_BATCH` at a time."""

    def __init__(self, writer: WriteBehind[UpsertCounts], upsert: Upsert) -> None:
        self._writer = writer
        self._upsert = upsert
        self._rows: list[RawRecord] = []

    def add(self, rows: list[RawRecord], *, or_when_idle: bool = False) -> bool:
        """Whether the rows gathered so far went to the writers. `or_when_idle`: also when
        the writers have nothing to do, so a slow store's pages are stored as they arrive."""
        self._rows.extend(rows)
        if len(self._rows) < WRITE_BATCH and not (or_when_idle and self._writer.idle):
            return False
        self.flush()
        return True

    def flush(self) -> None:
        if self._rows:
            self._writer.submit(partial(self._upsert, self._rows))
            self._rows = []


def _filters(plan: ExtractPlan) -> dict[str, Any]:
    return {"modified_after": plan.modified_after} if plan.modified_after else {}


def extract_products(
    engine: Engine,
    connector_id: UUID,
    reader: StoreReader,
    settings: SyncSettings,
    *,
    now: datetime,
    progress: Any = None,
    listing: PassListing | None = None,
) -> StepStats:
    """Products and the variations of variable products that are new or changed.

    One pipeline rather than page after page: product pages are written as they arrive,
    and the variable products they name are handed to the client's variation fetcher,
    which works ahead in its threads meanwhile. Variations are written in batches of
    `WRITE_BATCH`, whichever products they belong to, by the writer threads. On a
    reconciliation pass every variable product's variations are read, so product pages go
    to the writer threads too; a delta pass writes each page itself, as it needs to know
    which products changed before asking for their variations. A full pass fills
    `listing` with every id it read (`connectors.pass_listing`).
    """
    started = time.monotonic()
    ex = _Extractor(engine, connector_id, "products", settings, now, listing)
    with WriteBehind(ex.count, engine=engine) as writer:

        def variable_ids() -> Iterator[int]:
            # Pulled by the variation fetcher whenever it has room for more products.
            for page in reader.iter_products(**_filters(ex.plan)):
                ex.stats.pages += 1
                if ex.listing is not None:
                    ex.listing.add_live(page.records)
                if ex.plan.reconcile:
                    writer.submit(partial(ex.upsert, ex.convert_top_level(page.records)))
                    written: list[RawRecord] = []
                else:
                    written = ex.store(ex.convert_top_level(page.records))
                ids = _variable_ids(page.records, written, all_variable=ex.plan.reconcile)
                if ids and not ex.first_load:
                    # A changed parent sends its stored variations back to mapping; done
                    # before their new versions are fetched, so it never races them.
                    ex.records.requeue_children(connector_id, [str(i) for i in ids])
                if progress is not None:
                    progress(ex.stats)
                yield from ids

        batch = _WriteBatch(writer, ex.upsert)
        for product_id, variations in reader.iter_variations_many(variable_ids()):
            ex.stats.variation_requests += 1
            if ex.listing is not None:
                ex.listing.add_variations(product_id, variations)
            handed = batch.add(ex.convert([(v, str(product_id)) for v in variations]))
            if handed and progress is not None:
                progress(ex.stats)
        batch.flush()
    ex.restore_listed()
    ex.store_trash(reader.iter_products(status="trash", **_filters(ex.plan)))
    ex.finish()
    ex.stats.seconds = time.monotonic() - started
    return ex.stats


def _variable_ids(
    payloads: list[Any], written: list[RawRecord], *, all_variable: bool
) -> list[int]:
    written_ids = {r.external_id for r in written}
    ids: list[int] = []
    for payload in payloads:
        if not isinstance(payload, dict) or payload.get("type") != "variable":
            continue
        product_id = payload.get("id")
        if not isinstance(product_id, int) or isinstance(product_id, bool) or product_id <= 0:
            continue
        if all_variable or str(product_id) in written_ids:
            ids.append(product_id)
    return ids


def extract_orders(
    engine: Engine,
    connector_id: UUID,
    reader: StoreReader,
    settings: SyncSettings,
    *,
    now: datetime,
    progress: Any = None,
    line_targets: set[LineTarget] | None = None,
    listing: PassListing | None = None,
) -> StepStats:
    """Orders, page by page, written by writer threads while the next pages are fetched
    and converted. A page goes to the writers at once when they are idle (a slow store's
    pages are stored as they arrive); while they are busy, pages gather into batches of
    `WRITE_BATCH`. `line_targets` collects what the orders' lines name (for
    `confirm_gone_products`); a full pass fills `listing` with every id it read."""
    started = time.monotonic()
    ex = _Extractor(engine, connector_id, "orders", settings, now, listing)
    with WriteBehind(ex.count, engine=engine) as writer:
        batch = _WriteBatch(writer, ex.upsert)
        for page in reader.iter_orders(**_filters(ex.plan)):
            ex.stats.pages += 1
            if ex.listing is not None:
                ex.listing.add_live(page.records)
            if line_targets is not None:
                collect_line_targets(page.records, line_targets)
            batch.add(ex.convert_top_level(page.records), or_when_idle=True)
            if progress is not None:
                progress(ex.stats)
        batch.flush()
    ex.restore_listed()
    ex.store_trash(reader.iter_orders(status="trash", **_filters(ex.plan)))
    ex.finish()
    ex.stats.seconds = time.monotonic() - started
    return ex.stats
