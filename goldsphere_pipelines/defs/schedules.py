"""Periodic runs of every active connector: delta syncs, and reconciliations. Both ship
stopped: admins turn them on."""

import dagster as dg

from goldsphere_pipelines.defs.deletions import reconcile_connector_job
from goldsphere_pipelines.defs.jobs import sync_connector_job
from goldsphere_pipelines.defs.resources import TRIGGER_TAG, GoldsphereDatabase
from goldsphere_pipelines.storage.connectors import ConnectorRepository

DELTA_SYNC_CRON = "0 * * * *"
RECONCILE_CRON = "30 3 * * *"


def _active_connector_runs(
    context: dg.ScheduleEvaluationContext, database: GoldsphereDatabase, what: str
) -> list[dg.RunRequest] | dg.SkipReason:
    rows = ConnectorRepository(database.get_engine()).list_with_last_run()
    active = sorted(record.name for record, _ in rows if record.status != "disabled")
    if not active:
        return dg.SkipReason("No active connector.")
    return [
        dg.RunRequest(
            run_key=f"{what}{name}:{context.scheduled_execution_time.isoformat()}",
            partition_key=name,
            tags={TRIGGER_TAG: "schedule"},
        )
        for name in active
    ]


@dg.schedule(
    job=sync_connector_job,
    cron_schedule=DELTA_SYNC_CRON,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every hour: a delta sync (products and orders changed since the last "
    "watermark) of each active connector.",
)
def hourly_delta_sync(
    context: dg.ScheduleEvaluationContext, database: GoldsphereDatabase
) -> list[dg.RunRequest] | dg.SkipReason:
    return _active_connector_runs(context, database, "")


@dg.schedule(
    job=reconcile_connector_job,
    cron_schedule=RECONCILE_CRON,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every night: a reconciliation of each active connector (id listings only, "
    "a few seconds per 100,000 records), marking what the shop deleted for good.",
)
def nightly_reconcile(
    context: dg.ScheduleEvaluationContext, database: GoldsphereDatabase
) -> list[dg.RunRequest] | dg.SkipReason:
    return _active_connector_runs(context, database, "reconcile:")
