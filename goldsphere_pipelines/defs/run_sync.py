"""Materializing a connector's assets in-process: what `goldsphere connectors sync`, the
demo and the benchmark do. The run is recorded in the Dagster instance at DAGSTER_HOME, so
it appears in the UI beside runs launched there."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from goldsphere_pipelines import settings
from goldsphere_pipelines.definitions import RESOURCES
from goldsphere_pipelines.defs.assets import SYNC_ASSETS, external_order, external_product
from goldsphere_pipelines.defs.assets import orders as orders_asset
from goldsphere_pipelines.defs.assets import products as products_asset
from goldsphere_pipelines.defs.checks import ASSET_CHECKS
from goldsphere_pipelines.defs.deletions import deletions
from goldsphere_pipelines.defs.partitions import CONNECTOR_PARTITIONS_NAME
from goldsphere_pipelines.defs.resources import TRIGGER_TAG


def dagster_home() -> Path:
    """`DAGSTER_HOME`, or `.goldsphere/dagster` (the folder `make dev` uses too)."""
    configured = os.environ.get("DAGSTER_HOME")
    home = Path(configured) if configured else settings.goldsphere_home() / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    return home


_LOCAL_INSTANCE_YAML = """# Local Dagster instance of goldsphere-pipelines (SQLite, this folder).
# Production uses the repository's dagster.yaml instead (see README).
telemetry:
  enabled: false
"""


def instance_for_cli() -> dg.DagsterInstance:
    home = dagster_home()
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(_LOCAL_INSTANCE_YAML, encoding="utf-8")
    os.environ.setdefault("DAGSTER_HOME", str(home))
    return dg.DagsterInstance.get()


def sync_selection(
    *, sync_products: bool, sync_orders: bool, reconcile_only: bool = False
) -> list[Any]:
    """The assets a sync materializes; `reconcile_only`: the reconciliation alone."""
    if reconcile_only:
        return [deletions]
    selected: list[Any] = []
    if sync_products:
        selected += [external_product, products_asset]
    if sync_orders:
        selected += [external_order, orders_asset]
    return [*selected, deletions] if selected else selected


def materialize_connector(
    connector_name: str,
    *,
    instance: dg.DagsterInstance,
    sync_products: bool = True,
    sync_orders: bool = True,
    trigger: str = "cli",
    resources: Mapping[str, Any] | None = None,
    with_checks: bool = True,
    log_level: str = "INFO",
    reconcile_only: bool = False,
) -> dg.ExecuteInProcessResult:
    """Materialize the selected assets of one connector partition; never raises for a
    failed step (inspect `result.success`)."""
    if connector_name not in instance.get_dynamic_partitions(CONNECTOR_PARTITIONS_NAME):
        instance.add_dynamic_partitions(CONNECTOR_PARTITIONS_NAME, [connector_name])
    selected = sync_selection(
        sync_products=sync_products, sync_orders=sync_orders, reconcile_only=reconcile_only
    )
    selection = dg.AssetSelection.assets(*selected)
    assets: list[Any] = [*SYNC_ASSETS, deletions]
    if with_checks:
        assets += ASSET_CHECKS
    return dg.materialize(
        assets,
        selection=selection,
        instance=instance,
        resources=dict(resources or RESOURCES),
        partition_key=connector_name,
        raise_on_error=False,
        tags={TRIGGER_TAG: trigger},
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
    )
