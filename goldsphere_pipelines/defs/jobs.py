"""Jobs an admin launches from the UI: a full sync, and Test Connection."""

import dagster as dg

from goldsphere_pipelines.connectors.configuration import get_connector
from goldsphere_pipelines.connectors.store_client import ClientSettings, check_connection
from goldsphere_pipelines.defs.assets import MAPPING_ASSETS, REMAP_TAG, SYNC_ASSETS
from goldsphere_pipelines.defs.deletions import deletions
from goldsphere_pipelines.defs.partitions import connector_partitions
from goldsphere_pipelines.defs.resources import GoldsphereDatabase, WooCommerceResource
from goldsphere_pipelines.storage.credentials import load_cipher

sync_connector_job = dg.define_asset_job(
    name="sync_connector",
    selection=dg.AssetSelection.assets(*SYNC_ASSETS, deletions),
    description="Run Sync Now: products, then orders, for one connector partition; a full "
    "pass also reconciles what the shop deleted.",
)

remap_connector_job = dg.define_asset_job(
    name="remap_connector",
    selection=dg.AssetSelection.assets(*MAPPING_ASSETS),
    tags={REMAP_TAG: "true"},
    description="Re-map the stored payloads of one connector (after a rule change, e.g. "
    "`goldsphere rules doctor --apply`): every product, then every order, mapped again "
    "with the current rules. Nothing is fetched from the shop.",
)


@dg.op(description="Tries the store with the stored credentials and records the result.")
def test_store_connection(
    context: dg.OpExecutionContext, database: GoldsphereDatabase, woocommerce: WooCommerceResource
) -> None:
    engine = database.get_engine()
    connector = get_connector(engine, context.partition_key)
    result = check_connection(
        engine,
        load_cipher(),
        connector,
        ClientSettings(
            concurrency=1,
            timeout_seconds=woocommerce.timeout_seconds,
            max_attempts=woocommerce.max_attempts,
        ),
    )
    context.log.info(f"Test connection of {connector.name}: {result.message}")
    if not result.success:
        raise dg.Failure(
            description=result.message,
            metadata={"connector": connector.name, "success": False},
        )


@dg.job(
    partitions_def=connector_partitions,
    description="Test Connection: checks the URL, the keys and what the key may read; the "
    "result is recorded on the connector (status, last test).",
)
def test_connection_job() -> None:
    test_store_connection()
