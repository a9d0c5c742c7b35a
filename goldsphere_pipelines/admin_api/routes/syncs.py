"""Run Sync Now (a Dagster run of the connector's partition) and the sync run history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, status

from goldsphere_pipelines.admin_api import sync_launch
from goldsphere_pipelines.admin_api.context import Context, current_admin
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
    return sync_launch.launch_sync(
        context,
        connector,
        sync_products=request.sync_products,
        sync_orders=request.sync_orders,
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
