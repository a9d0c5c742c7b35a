"""Keeps the connector partitions equal to the rows of external_connector."""

import dagster as dg

from goldsphere_pipelines.defs.partitions import CONNECTOR_PARTITIONS_NAME, connector_partitions
from goldsphere_pipelines.defs.resources import GoldsphereDatabase
from goldsphere_pipelines.storage.connectors import ConnectorRepository


def partition_changes(
    wanted: set[str], existing: set[str]
) -> list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest]:
    requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = []
    if wanted - existing:
        requests.append(connector_partitions.build_add_request(sorted(wanted - existing)))
    if existing - wanted:
        requests.append(connector_partitions.build_delete_request(sorted(existing - wanted)))
    return requests


@dg.sensor(
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds a partition for each new connector and removes those of deleted ones, "
    "so a connector added with the CLI or the admin API appears without a restart.",
)
def connector_partitions_sensor(
    context: dg.SensorEvaluationContext, database: GoldsphereDatabase
) -> dg.SensorResult:
    rows = ConnectorRepository(database.get_engine()).list_with_last_run()
    wanted = {record.name for record, _ in rows}
    existing = set(context.instance.get_dynamic_partitions(CONNECTOR_PARTITIONS_NAME))
    requests = partition_changes(wanted, existing)
    if not requests:
        return dg.SensorResult(skip_reason=f"{len(wanted)} connector partition(s), all current")
    return dg.SensorResult(dynamic_partitions_requests=requests)
