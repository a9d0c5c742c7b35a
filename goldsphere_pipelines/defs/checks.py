"""Asset checks beside their assets: what an admin must look at after a sync."""

import dagster as dg

from goldsphere_pipelines.connectors.configuration import get_connector
from goldsphere_pipelines.defs.assets import external_product, orders, products
from goldsphere_pipelines.defs.deletions import RECONCILE_STEP, STOPPED_MODE, deletions
from goldsphere_pipelines.defs.metadata import errors_table
from goldsphere_pipelines.defs.resources import GoldsphereDatabase
from goldsphere_pipelines.storage.external_records import ExternalRecordRepository
from goldsphere_pipelines.storage.locks import is_sync_locked
from goldsphere_pipelines.storage.quality import QualityRepository
from goldsphere_pipelines.storage.sync_runs import SyncRunRepository

PARTITION_TAG = "dagster/partition"


def _connector(context: dg.AssetCheckExecutionContext, database: GoldsphereDatabase):  # type: ignore[no-untyped-def]
    name = context.run.tags.get(PARTITION_TAG)
    if not name:
        raise dg.Failure("Run this check for a connector partition (it checks one shop).")
    return get_connector(database.get_engine(), name)


def _failures_check(
    context: dg.AssetCheckExecutionContext, database: GoldsphereDatabase, kind: str
) -> dg.AssetCheckResult:
    engine = database.get_engine()
    connector = _connector(context, database)
    records = ExternalRecordRepository(engine, kind)  # type: ignore[arg-type]
    counts = records.status_counts(connector.id)
    failures = records.first_failures(connector.id)
    rows = [
        {"externalId": external_id, **error}
        for external_id, errors in failures
        for error in errors[:3]
    ]
    return dg.AssetCheckResult(
        passed=counts["failed"] == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "connector": connector.name,
            "failed": counts["failed"],
            "mapped": counts["mapped"],
            "first_errors": errors_table(rows),
        },
    )


@dg.asset_check(
    asset=products,
    description="Shop products or variations that could not be mapped (fix the shop or the rules).",
)
def product_mapping_failures(
    context: dg.AssetCheckExecutionContext, database: GoldsphereDatabase
) -> dg.AssetCheckResult:
    return _failures_check(context, database, "product")


@dg.asset_check(asset=orders, description="Shop orders that could not be mapped.")
def order_mapping_failures(
    context: dg.AssetCheckExecutionContext, database: GoldsphereDatabase
) -> dg.AssetCheckResult:
    return _failures_check(context, database, "order")


@dg.asset_check(
    asset=orders,
    description="Orders whose line items name products goldsphere does not have; they are "
    "retried on every sync until the product arrives.",
)
def orders_with_unknown_products(
    context: dg.AssetCheckExecutionContext, database: GoldsphereDatabase
) -> dg.AssetCheckResult:
    connector = _connector(context, database)
    finding = QualityRepository(database.get_engine()).orders_missing_products(connector.id)
    return dg.AssetCheckResult(
        passed=finding.count == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "connector": connector.name,
            "orders": finding.count,
            "examples": dg.MetadataValue.json(finding.examples),
        },
    )


@dg.asset_check(
    asset=products,
    description="No goldsphere product or order is claimed by two shop records.",
)
def duplicate_references(
    context: dg.AssetCheckExecutionContext, database: GoldsphereDatabase
) -> dg.AssetCheckResult:
    connector = _connector(context, database)
    finding = QualityRepository(database.get_engine()).duplicate_references(connector.id)
    return dg.AssetCheckResult(
        passed=finding.count == 0,
        metadata={
            "connector": connector.name,
            "duplicates": finding.count,
            "examples": dg.MetadataValue.json(finding.examples),
        },
    )


@dg.asset_check(
    asset=external_product,
    description="No sync run of this connector is left `running` without a live process.",
)
def stale_running_runs(
    context: dg.AssetCheckExecutionContext, database: GoldsphereDatabase
) -> dg.AssetCheckResult:
    engine = database.get_engine()
    connector = _connector(context, database)
    runs = SyncRunRepository(engine).list_for_connector(connector.id, limit=50)
    running = [r for r in runs if r.status == "running"]
    # A live sync holds the connector's advisory lock; a running row without it is stale.
    stale = [] if running and is_sync_locked(engine, connector.id) else running
    if running and context.run.run_id in {r.dagster_run_id for r in running}:
        stale = [r for r in stale if r.dagster_run_id != context.run.run_id]
    return dg.AssetCheckResult(
        passed=not stale,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "connector": connector.name,
            "stale_runs": len(stale),
            "run_ids": dg.MetadataValue.json([str(r.id) for r in stale]),
        },
    )


ASSET_CHECKS = [
    product_mapping_failures,
    order_mapping_failures,
    orders_with_unknown_products,
    duplicate_references,
    stale_running_runs,
]


# A pass marking up to this many records is never unusual: a small shop's normal week.
USUAL_FLOOR = 10
USUAL_FACTOR = 3
PASSES_COMPARED = 10


@dg.asset_check(
    asset=deletions,
    description="The last reconciliation completed and marked no more records deleted than "
    "usual (3x the mean of the passes before it, at least 10).",
)
def reconciliation_findings(
    context: dg.AssetCheckExecutionContext, database: GoldsphereDatabase
) -> dg.AssetCheckResult:
    connector = _connector(context, database)
    runs = SyncRunRepository(database.get_engine()).list_for_connector(connector.id, limit=100)
    # Passes that ran (a delta sync skips the step), newest first; stopped ones included.
    passes = [
        r.stats[RECONCILE_STEP]
        for r in runs
        if str(r.stats.get(RECONCILE_STEP, {}).get("mode", "")).startswith("reconcile")
    ]
    done = [p for p in passes if p.get("mode") != STOPPED_MODE]
    last = passes[0] if passes else {}
    marked = int(last.get("gone", 0)) + int(last.get("trashed", 0))
    earlier = [int(p.get("gone", 0)) + int(p.get("trashed", 0)) for p in done[1:]]
    earlier = earlier[:PASSES_COMPARED]
    usual = max(USUAL_FLOOR, USUAL_FACTOR * sum(earlier) / len(earlier)) if earlier else None
    stopped = last.get("skipped_reason") if last.get("mode") == STOPPED_MODE else None
    return dg.AssetCheckResult(
        passed=not stopped and (usual is None or marked <= usual),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "connector": connector.name,
            "marked": marked,
            "gone": int(last.get("gone", 0)),
            "trashed": int(last.get("trashed", 0)),
            "usual_at_most": round(usual, 1) if usual is not None else "no earlier pass",
            "stopped": str(stopped or ""),
        },
    )


ASSET_CHECKS.append(reconciliation_findings)
