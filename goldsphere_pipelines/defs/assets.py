"""The asset graph of DESIGN.md, per connector partition:

woocommerce/products ─► goldsphere/external_product ─► goldsphere/products ─┐
                                                                            ▼
woocommerce/orders   ─────────────────────────────► goldsphere/external_order ─► goldsphere/orders

The `woocommerce/…` assets are the shop's own collections (declared, never materialized
here); the `goldsphere/…` assets are tables in the goldsphere database. Each asset is a
thin call into connectors/ plus the metadata an admin reads in the UI.
"""

import time
from collections.abc import Callable

import dagster as dg
from sqlalchemy.engine import Engine

from goldsphere_pipelines.connectors.extract import extract_orders, extract_products
from goldsphere_pipelines.connectors.gone_products import GoneProductCheck
from goldsphere_pipelines.connectors.pass_listing import PassListing
from goldsphere_pipelines.connectors.stats import StepStats
from goldsphere_pipelines.connectors.store_client import verify_store_for_sync
from goldsphere_pipelines.connectors.sync_session import SyncSession
from goldsphere_pipelines.connectors.transform import map_pending_orders, map_pending_products
from goldsphere_pipelines.defs.metadata import step_metadata
from goldsphere_pipelines.defs.partitions import connector_partitions
from goldsphere_pipelines.defs.resources import (
    ConnectorSync,
    GoldsphereDatabase,
    WooCommerceResource,
    utc_now,
)
from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.storage.external_records import ExternalRecordRepository, RecordKind
from goldsphere_pipelines.storage.sync_state import StoreFactsRepository

OWNERS = ["team:goldsphere-data"]
REMAP_TAG = "goldsphere/remap"
"""Set ("true") on runs of the `remap_connector` job: the mapping assets map every stored
record again (after a rule change), not only the pending ones; nothing is fetched."""
PROGRESS_EVERY_SECONDS = 10.0
# A lost lock stops the writes of a step within this long (and always at the step's end).
LOCK_CHECK_EVERY_SECONDS = 1.0

woocommerce_products = dg.AssetSpec(
    key=["woocommerce", "products"],
    description="The shop's products and their variations, read through WooCommerce REST API v3.",
    group_name="woocommerce",
    kinds={"woocommerce"},
    owners=OWNERS,
    partitions_def=connector_partitions,
)

woocommerce_orders = dg.AssetSpec(
    key=["woocommerce", "orders"],
    description="The shop's orders, read through WooCommerce REST API v3.",
    group_name="woocommerce",
    kinds={"woocommerce"},
    owners=OWNERS,
    partitions_def=connector_partitions,
)


def _progress(
    context: dg.AssetExecutionContext, what: str, session: SyncSession
) -> Callable[[StepStats], None]:
    """Called after every page or batch: checks the sync still holds its connector's lock,
    and logs counts at most every few seconds, so a long sync shows it is alive."""
    last = [time.monotonic()]

    def report(stats: StepStats) -> None:
        session.ensure_lock_held(unless_checked_within=LOCK_CHECK_EVERY_SECONDS)
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_SECONDS:
            last[0] = now
            context.log.info(
                f"{what}: {stats.pages} pages, {stats.fetched} fetched, {stats.new} new, "
                f"{stats.changed} changed, {stats.unchanged} unchanged, {stats.mapped} mapped, "
                f"{stats.failed} failed"
            )

    return report


def _skipped(connector_name: str, reason: str) -> dg.MaterializeResult:  # type: ignore[type-arg]
    return dg.MaterializeResult(
        metadata={"connector": connector_name, "skipped": reason, "dagster/row_count": 0}
    )


def _disabled(session: SyncSession, step: str, entity: str) -> dg.MaterializeResult | None:  # type: ignore[type-arg]
    """The no-op materialization of a step whose toggle (`sync_products`/`sync_orders`) is off."""
    if getattr(session.connector, f"sync_{entity}"):
        return None
    reason = f"sync_{entity} is off for this connector"
    session.skip(step, reason)
    return _skipped(session.connector.name, reason)


def _requeue_for_remap(
    context: dg.AssetExecutionContext, engine: Engine, session: SyncSession, kind: RecordKind
) -> None:
    if context.run.tags.get(REMAP_TAG) == "true":
        requeued = ExternalRecordRepository(engine, kind).requeue_all(session.connector.id)
        context.log.info(f"Re-mapping: {requeued} stored {kind} records sent back to mapping")


def _read_in_full(session: SyncSession, kind: RecordKind) -> PassListing:
    """Where an extract records the ids of a full read, for this run's reconciliation
    (`goldsphere/deletions`), which then lists the shop only for what the read missed."""
    listing = PassListing()
    session.read_in_full[kind] = listing
    return listing


def _result(
    engine: Engine, session: SyncSession, kind: RecordKind, stats: StepStats, *, raw: bool
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    """Counts for the UI: every external row for a raw asset, the mapped ones otherwise."""
    connector = session.connector
    counts = ExternalRecordRepository(engine, kind).status_counts(connector.id)
    row_count = sum(counts.values()) if raw else counts["mapped"]
    return dg.MaterializeResult(
        metadata=step_metadata(connector.name, stats, row_count=row_count, status_counts=counts)
    )


@dg.asset(
    key=["goldsphere", "external_product"],
    deps=[woocommerce_products],
    partitions_def=connector_partitions,
    group_name="goldsphere_products",
    kinds={"postgres"},
    owners=OWNERS,
    description="Raw WooCommerce products and variations, one row each, unchanged payloads "
    "skipped by hash.",
)
def external_product(
    context: dg.AssetExecutionContext,
    database: GoldsphereDatabase,
    woocommerce: WooCommerceResource,
    sync: ConnectorSync,
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    engine = database.get_engine()
    session = sync.session(context, engine)
    connector = session.connector
    if (skipped := _disabled(session, "products_extract", "products")) is not None:
        return skipped

    def work() -> StepStats:
        # The client opens inside the step, so that a failure to decrypt the credentials
        # or reach the store is recorded on the run row like any other.
        with woocommerce.client_for(engine, connector) as client:
            verify_store_for_sync(engine, connector, client)
            stats = extract_products(
                engine,
                connector.id,
                client,
                sync.settings,
                now=utc_now(),
                progress=_progress(context, "products", session),
                listing=_read_in_full(session, "product"),
            )
            stats.requests = client.stats.requests
            stats.retries = client.stats.retries
            return stats

    stats = session.step("products_extract", work)
    return _result(engine, session, "product", stats, raw=True)


@dg.asset(
    key=["goldsphere", "products"],
    deps=[external_product],
    partitions_def=connector_partitions,
    group_name="goldsphere_products",
    kinds={"postgres"},
    owners=OWNERS,
    description="goldsphere products mapped from the shop's products and variations, linked "
    "through external_reference.",
)
def products(
    context: dg.AssetExecutionContext, database: GoldsphereDatabase, sync: ConnectorSync
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    engine = database.get_engine()
    session = sync.session(context, engine)
    connector = session.connector
    if (skipped := _disabled(session, "products_map", "products")) is not None:
        return skipped
    _requeue_for_remap(context, engine, session, "product")

    def work() -> StepStats:
        currency = StoreFactsRepository(engine).get(connector.id).currency
        if not currency:
            raise GoldsphereError(
                f"The store currency of {connector.name!r} is unknown: materialize "
                "goldsphere/external_product first (it asks the store), or run "
                f"`goldsphere connectors test {connector.name}`.",
                code="store_currency_unknown",
            )
        return map_pending_products(
            engine,
            connector.id,
            sync.settings,
            store_currency=currency,
            create_missing_producers=connector.create_missing_producers,
            progress=_progress(context, "product mapping", session),
        )

    stats = session.step("products_map", work)
    return _result(engine, session, "product", stats, raw=False)


@dg.asset(
    key=["goldsphere", "external_order"],
    deps=[woocommerce_orders, products],
    partitions_def=connector_partitions,
    group_name="goldsphere_orders",
    kinds={"postgres"},
    owners=OWNERS,
    description="Raw WooCommerce orders, one row each: a full read the first time, then a "
    "delta by modified date.",
)
def external_order(
    context: dg.AssetExecutionContext,
    database: GoldsphereDatabase,
    woocommerce: WooCommerceResource,
    sync: ConnectorSync,
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    engine = database.get_engine()
    session = sync.session(context, engine)
    connector = session.connector
    if (skipped := _disabled(session, "orders_extract", "orders")) is not None:
        return skipped

    def work() -> StepStats:
        with woocommerce.client_for(engine, connector) as client:
            gone_check = GoneProductCheck(engine, connector.id)
            stats = extract_orders(
                engine,
                connector.id,
                client,
                sync.settings,
                now=utc_now(),
                progress=_progress(context, "orders", session),
                line_targets=gone_check.lines,
                listing=_read_in_full(session, "order"),
            )
            # Products the orders name and we never saw: the shop says which are gone. Its
            # time is the step's too (it once hid 21 s of a large shop's sync).
            checking = time.monotonic()
            stats.gone_products = gone_check.confirm(client)
            stats.seconds += time.monotonic() - checking
            stats.requests = client.stats.requests
            stats.retries = client.stats.retries
            return stats

    stats = session.step("orders_extract", work)
    return _result(engine, session, "order", stats, raw=True)


@dg.asset(
    key=["goldsphere", "orders"],
    # Items point at products; the direct edge also orders the two mapping assets when
    # they run without the extract assets between them (the remap_connector job).
    deps=[external_order, products],
    partitions_def=connector_partitions,
    group_name="goldsphere_orders",
    kinds={"postgres"},
    owners=OWNERS,
    description="goldsphere orders and order_items mapped from the shop's orders (user by "
    "billing e-mail, items through external_reference).",
)
def orders(
    context: dg.AssetExecutionContext, database: GoldsphereDatabase, sync: ConnectorSync
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    engine = database.get_engine()
    session = sync.session(context, engine)
    connector = session.connector
    if (skipped := _disabled(session, "orders_map", "orders")) is not None:
        return skipped
    _requeue_for_remap(context, engine, session, "order")
    stats = session.step(
        "orders_map",
        lambda: map_pending_orders(
            engine,
            connector.id,
            sync.settings,
            store_currency=StoreFactsRepository(engine).get(connector.id).currency,
            create_missing_producers=connector.create_missing_producers,
            progress=_progress(context, "order mapping", session),
        ),
    )
    return _result(engine, session, "order", stats, raw=False)


SYNC_ASSETS = [external_product, products, external_order, orders]
MAPPING_ASSETS = [products, orders]
SOURCE_SPECS = [woocommerce_products, woocommerce_orders]
