"""Records the shop deleted for good, found by reconciliation (`connectors.reconcile`).

The `goldsphere/deletions` asset runs after both extracts. In a sync it reconciles the
kinds that sync read in full (a delta cannot tell a deletion from no change), against the
ids those full reads listed (the shop is listed only for what they could not vouch for);
materialized
alone (the `reconcile_connector` job, its schedule, `goldsphere connectors reconcile`, the
admin API) it reconciles products and orders. A pass stopped by its guards materializes
with the reason and marks nothing; the `reconciliation_findings` check shows it.
"""

import dagster as dg

from goldsphere_pipelines.connectors.reconcile import KINDS, ReconcileStopped, reconcile
from goldsphere_pipelines.connectors.stats import StepStats
from goldsphere_pipelines.connectors.sync_session import SyncSession
from goldsphere_pipelines.defs.assets import OWNERS, external_order, external_product
from goldsphere_pipelines.defs.metadata import step_metadata
from goldsphere_pipelines.defs.partitions import connector_partitions
from goldsphere_pipelines.defs.resources import (
    ConnectorSync,
    GoldsphereDatabase,
    WooCommerceResource,
)
from goldsphere_pipelines.storage.deletions import DeletionStateRepository
from goldsphere_pipelines.storage.external_records import RecordKind

RECONCILE_STEP = "reconcile"
STOPPED_MODE = "reconcile stopped"
"""The mode a pass stopped by its guards records, its reason in `skipped_reason`."""
_EXTRACT_STEPS: dict[RecordKind, str] = {"product": "products_extract", "order": "orders_extract"}


def kinds_to_reconcile(session: SyncSession) -> list[RecordKind]:
    """The kinds this run read in full; both when it ran no extract (reconcile on request)."""
    ran = {kind: session.step_modes.get(step) for kind, step in _EXTRACT_STEPS.items()}
    if all(mode is None for mode in ran.values()):
        return list(KINDS)
    return [kind for kind, mode in ran.items() if mode is not None and mode.startswith("full")]


@dg.asset(
    key=["goldsphere", "deletions"],
    deps=[external_product, external_order],
    partitions_def=connector_partitions,
    group_name="goldsphere_deletions",
    kinds={"postgres"},
    owners=OWNERS,
    description="Reconciliation: products, variations and orders the shop no longer has "
    "(deleted for good, or in its trash) marked deleted; goldsphere keeps every row.",
)
def deletions(
    context: dg.AssetExecutionContext,
    database: GoldsphereDatabase,
    woocommerce: WooCommerceResource,
    sync: ConnectorSync,
) -> dg.MaterializeResult:  # type: ignore[type-arg]
    engine = database.get_engine()
    session = sync.session(context, engine)
    connector = session.connector
    kinds = kinds_to_reconcile(session)
    if not kinds:
        stats = session.skip(RECONCILE_STEP, "this sync read no kind in full")
        return dg.MaterializeResult(metadata=step_metadata(connector.name, stats, row_count=0))

    def work() -> StepStats:
        with woocommerce.client_for(engine, connector) as client:
            try:
                stats = reconcile(
                    engine,
                    connector.id,
                    client,
                    kinds=kinds,
                    force=sync.force_reconcile,
                    read_in_full=session.read_in_full,
                )
            except ReconcileStopped as stopped:
                context.log.warning(stopped.message)
                stats = StepStats(mode=STOPPED_MODE, skipped_reason=stopped.message)
            stats.requests = client.stats.requests
            stats.retries = client.stats.retries
            return stats

    stats = session.step(RECONCILE_STEP, work)
    session.read_in_full.clear()
    deleted = sum(
        sum(DeletionStateRepository(engine, kind).counts(connector.id).values()) for kind in KINDS
    )
    return dg.MaterializeResult(metadata=step_metadata(connector.name, stats, row_count=deleted))


reconcile_connector_job = dg.define_asset_job(
    name="reconcile_connector",
    selection=dg.AssetSelection.assets(deletions),
    description="Reconcile: list the shop's ids and mark what it deleted for good.",
)
