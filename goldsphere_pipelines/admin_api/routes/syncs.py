"""Run Sync Now (a Dagster run of the connector's partition) and the sync run history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, status

from goldsphere_pipelines.admin_api.context import ApiContext, Context, current_admin
from goldsphere_pipelines.admin_api.dagster_launcher import sync_asset_keys
from goldsphere_pipelines.admin_api.models import (
    MAX_OFFSET,
    MAX_RUNS_PAGE,
    SyncLaunched,
    SyncRequest,
    SyncRunPage,
    SyncRunView,
)
from goldsphere_pipelines.admin_api.routes.common import ConnectorRef, errors
from goldsphere_pipelines.connectors import runs as run_service
from goldsphere_pipelines.connectors.configuration import get_connector
from goldsphere_pipelines.connectors.models import Connector
from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.storage.locks import SyncAlreadyRunningError, is_sync_locked

router = APIRouter(
    prefix="/admin/connectors", tags=["syncs"], dependencies=[Depends(current_admin)]
)


@router.post(
    "/{id}/sync",
    response_model=SyncLaunched,
    status_code=status.HTTP_202_ACCEPTED,
    responses=errors(404, 409, 502),
)
def launch_sync(
    connector: ConnectorRef,
    context: Context,
    body: Annotated[SyncRequest | None, Body()] = None,
) -> SyncLaunched:
    """Run Sync Now: launch the Dagster job `sync_connector` for the connector's
    partition, materializing the products assets, the orders assets or both. Follow the
    run at `runUrl`; its counts and errors appear in `GET .../runs`."""
    request = body or SyncRequest()
    keys = sync_asset_keys(sync_products=request.sync_products, sync_orders=request.sync_orders)
    return launch_for_connector(context, connector, keys, doing="synced")


def launch_for_connector(
    context: ApiContext,
    connector: str,
    keys: list[tuple[str, ...]],
    *,
    doing: str,
    sync_config: dict[str, Any] | None = None,
) -> SyncLaunched:
    """Launch `sync_connector` for the connector's partition with `keys`, unless it is
    disabled or busy; `doing` names the work in the refusal ("synced")."""
    found = get_connector(context.engine, connector)
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


def refuse_when_busy(context: ApiContext, connector: Connector) -> None:
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


@router.get("/{id}/runs", response_model=SyncRunPage, responses=errors(404))
def list_runs(
    connector: ConnectorRef,
    context: Context,
    limit: Annotated[int, Query(ge=1, le=MAX_RUNS_PAGE)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> SyncRunPage:
    """The connector's sync runs, newest first, with counts per step and the first
    errors (`stats.errors`); `total` counts them all."""
    found = get_connector(context.engine, connector)
    runs = run_service.list_runs(context.engine, found.id, limit=limit, offset=offset)
    total = run_service.count_runs(context.engine, found.id)
    return SyncRunPage(
        items=[
            SyncRunView(
                **run.model_dump(),
                dagster_run_url=(
                    context.launcher.run_url(run.dagster_run_id) if run.dagster_run_id else None
                ),
            )
            for run in runs
        ],
        total=total,
        limit=limit,
        offset=offset,
    )
