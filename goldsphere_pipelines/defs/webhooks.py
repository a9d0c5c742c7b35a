"""Webhook-applied changes in Dagster: asset materializations of the connector partition.

Two ways are shipped (README, "Webhooks", has the figures that chose between them):

- `dagster_reporter`: the processor started by `goldsphere admin-api serve` (or
  `goldsphere webhooks process`) reports each pass as runless materializations of the
  assets it wrote, for the connector's partition, with the pass's counts. The default.
- `webhook_deliveries_sensor` + `apply_webhook_deliveries_job`: a sensor that launches a
  small job per connector with deliveries to apply. Ships stopped.
"""

from typing import Any

import dagster as dg

from goldsphere_pipelines.connectors.webhook_processor import PassReport, Reporter, WebhookProcessor
from goldsphere_pipelines.defs.partitions import connector_partitions
from goldsphere_pipelines.defs.resources import TRIGGER_TAG, GoldsphereDatabase
from goldsphere_pipelines.storage.connectors import ConnectorRepository
from goldsphere_pipelines.storage.webhooks import WebhookRepository

WEBHOOK_TRIGGER = "webhook"


def pass_materializations(report: PassReport) -> list[dg.AssetMaterialization]:
    """What a pass wrote, as materializations of `report.connector_name`'s partition."""
    metadata: dict[str, Any] = {
        "trigger": WEBHOOK_TRIGGER,
        "deliveries": report.deliveries,
        "applied": report.applied,
        "stale": report.stale,
        "failed": report.failed,
        "waiting": report.waiting,
        "deleted": report.deleted,
        "restored": report.restored,
        "seconds": round(report.seconds, 3),
    }
    events = []
    for prefix, counts in (("product", report.products), ("order", report.orders)):
        if not counts:
            continue
        target = "products" if prefix == "product" else "orders"
        for key in (["goldsphere", f"external_{prefix}"], ["goldsphere", target]):
            events.append(
                dg.AssetMaterialization(
                    asset_key=key,
                    partition=report.connector_name,
                    description=f"{report.deliveries} webhook deliveries applied",
                    metadata={**metadata, **{f"mapping_{k}": v for k, v in counts.items()}},
                )
            )
    return events


def dagster_reporter(instance: dg.DagsterInstance) -> Reporter:
    def report(outcome: PassReport) -> None:
        for event in pass_materializations(outcome):
            instance.report_runless_asset_event(event)

    return report


@dg.op(description="Applies a batch of the connector's stored webhook deliveries.")
def apply_webhook_deliveries(context: dg.OpExecutionContext, database: GoldsphereDatabase) -> None:
    engine = database.get_engine()
    connector = ConnectorRepository(engine).get_by_name(context.partition_key)
    if connector is None:
        raise dg.Failure(description=f"No connector is named {context.partition_key!r}.")
    # One pass (up to a batch) per run: what arrives meanwhile is the next tick's run.
    outcome = WebhookProcessor(engine).process_connector(connector.id)
    if outcome is None:
        context.log.info(f"No webhook deliveries of {connector.name} were due (or a sync ran).")
        return
    context.log.info(f"Webhook pass of {connector.name}: {outcome.counts()}")
    for event in pass_materializations(outcome):
        context.log_event(event)


@dg.job(
    partitions_def=connector_partitions,
    tags={TRIGGER_TAG: WEBHOOK_TRIGGER},
    description="Applies stored webhook deliveries of one connector (launched by "
    "webhook_deliveries_sensor).",
)
def apply_webhook_deliveries_job() -> None:
    apply_webhook_deliveries()


@dg.sensor(
    job=apply_webhook_deliveries_job,
    minimum_interval_seconds=1,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Launches apply_webhook_deliveries_job for each connector with webhook "
    "deliveries to apply. The alternative to the admin API's processor; stopped by default.",
)
def webhook_deliveries_sensor(
    context: dg.SensorEvaluationContext, database: GoldsphereDatabase
) -> dg.SensorResult:
    engine = database.get_engine()
    connectors = ConnectorRepository(engine)
    requests = []
    for connector_id, newest in WebhookRepository(engine).newest_due_deliveries():
        record = connectors.get_by_id(connector_id)
        if record is None:
            continue
        # One run per batch of arrivals: the newest due delivery keys it.
        requests.append(dg.RunRequest(run_key=f"{record.name}:{newest}", partition_key=record.name))
    if not requests:
        return dg.SensorResult(skip_reason="No webhook deliveries to apply.")
    return dg.SensorResult(run_requests=requests)
