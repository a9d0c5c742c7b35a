"""The single entry point Dagster loads (workspace.yaml, `[tool.dagster]`, `-m`).

Steps run in one process (in_process_executor): a connector's sync holds one PostgreSQL
advisory lock and one external_sync_run row for the whole run, and products must finish
before orders anyway. Scale out across connectors with Dagster's run launchers (README).
"""

from __future__ import annotations

import dagster as dg

from goldsphere_pipelines.defs.assets import SOURCE_SPECS, SYNC_ASSETS
from goldsphere_pipelines.defs.checks import ASSET_CHECKS
from goldsphere_pipelines.defs.deletions import deletions, reconcile_connector_job
from goldsphere_pipelines.defs.jobs import (
    remap_connector_job,
    sync_connector_job,
    test_connection_job,
)
from goldsphere_pipelines.defs.resources import (
    ConnectorSync,
    GoldsphereDatabase,
    WooCommerceResource,
)
from goldsphere_pipelines.defs.schedules import hourly_delta_sync, nightly_reconcile
from goldsphere_pipelines.defs.sensors import connector_partitions_sensor
from goldsphere_pipelines.defs.webhooks import (
    apply_webhook_deliveries_job,
    webhook_deliveries_sensor,
)

RESOURCES = {
    "database": GoldsphereDatabase(),
    "woocommerce": WooCommerceResource(),
    "sync": ConnectorSync(),
}

defs = dg.Definitions(
    assets=[*SOURCE_SPECS, *SYNC_ASSETS, deletions],
    asset_checks=ASSET_CHECKS,
    jobs=[
        sync_connector_job,
        remap_connector_job,
        test_connection_job,
        reconcile_connector_job,
        apply_webhook_deliveries_job,
    ],
    schedules=[hourly_delta_sync, nightly_reconcile],
    sensors=[connector_partitions_sensor, webhook_deliveries_sensor],
    resources=RESOURCES,
    executor=dg.in_process_executor,
)
