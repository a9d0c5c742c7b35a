"""Run Sync Now, shared by the API's `POST .../sync`, its reconcile endpoint and the
Connectivity page's button; and the re-mapping launched after the rules doctor saved a
rule, shared by `POST .../doctor/apply` and the page's Apply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from goldsphere_pipelines.admin_api.context import ApiContext
from goldsphere_pipelines.admin_api.dagster_launcher import sync_asset_keys
from goldsphere_pipelines.admin_api.models import SyncLaunched
from goldsphere_pipelines.connectors.configuration import get_connector
from goldsphere_pipelines.connectors.models import Connector
from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.storage.locks import SyncAlreadyRunningError, is_sync_locked


def launch_sync(
    context: ApiContext, connector_ref: str, *, sync_products: bool, sync_orders: bool
) -> SyncLaunched:
    """Launch the Dagster job `sync_connector` for the connector's partition with the
    products assets, the orders assets or both; refused while a sync is queued or running."""
    keys = sync_asset_keys(sync_products=sync_products, sync_orders=sync_orders)
    return launch_for_connector(context, connector_ref, keys, doing="synced")


def launch_for_connector(
    context: ApiContext,
    connector_ref: str,
    keys: list[tuple[str, ...]],
    *,
    doing: str,
    sync_config: dict[str, Any] | None = None,
) -> SyncLaunched:
    """Launch `sync_connector` for the connector's partition with `keys`, unless it is
    disabled or busy; `doing` names the work in the refusal ("synced")."""
    found = get_connector(context.engine, connector_ref)
    if found.is_disabled:
        raise GoldsphereError(
            f"Connector '{found.name}' is disabled, so it cannot be {doing}; enable it first.",
            code="connector_disabled",
        )
    # Check and launch under one lock, so two clicks in a row start one run, not two.
    with context.launch_lock:
        refuse_when_busy(context, found)
        context.launcher.ensure_partition(found.name)
        launched = context.launcher.launch_sync(found.name, keys, sync_config=sync_config)
    return SyncLaunched(
        run_id=launched.run_id,
        status=launched.status,
        run_url=context.launcher.run_url(launched.run_id),
    )


@dataclass(frozen=True)
class RemapLaunch:
    """The `remap_connector` run launched, or why it could not be (never both)."""

    launched: SyncLaunched | None
    error: str | None


def launch_remap(context: ApiContext, connector_name: str) -> RemapLaunch:
    """Launch the Dagster job `remap_connector` for the connector's partition: every stored
    record mapped again with the rules as they are now. The rule it follows is already
    saved, so a Dagster that cannot launch it is reported, not raised: the admin launches
    the job from the Dagster UI later."""
    try:
        context.launcher.ensure_partition(connector_name)
        run = context.launcher.launch_remap(connector_name)
    except GoldsphereError as exc:
        return RemapLaunch(launched=None, error=exc.message)
    launched = SyncLaunched(
        run_id=run.run_id, status=run.status, run_url=context.launcher.run_url(run.run_id)
    )
    return RemapLaunch(launched=launched, error=None)


def refuse_when_busy(context: ApiContext, connector: Connector) -> None:
    """Refuse while the connector's sync lock is held or a run of it is queued or started."""
    if is_sync_locked(context.engine, connector.id):
        raise SyncAlreadyRunningError(
            f"A sync of connector '{connector.name}' is running right now; wait for it to "
            "finish (see GET /admin/connectors/{id}/runs), then start another."
        )
    active = context.launcher.active_syncs(connector.name)
    if active:
        run = active[0]
        raise SyncAlreadyRunningError(
            f"A sync of connector '{connector.name}' is already {run.status.lower()} in "
            f"Dagster (run {run.run_id}, {context.launcher.run_url(run.run_id)}); wait "
            "for it to finish, then start another."
        )
