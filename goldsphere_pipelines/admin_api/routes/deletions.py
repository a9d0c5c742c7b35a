"""Reconcile Now (a Dagster run of the connector's goldsphere/deletions asset), and the
connector's deletion settings and counts."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Depends, status
from pydantic import Field

from goldsphere_pipelines.admin_api.context import Context, current_admin
from goldsphere_pipelines.admin_api.dagster_launcher import DELETIONS_ASSET_KEY
from goldsphere_pipelines.admin_api.models import SyncLaunched, _ApiInput, _ApiModel
from goldsphere_pipelines.admin_api.routes.common import ConnectorRef, errors
from goldsphere_pipelines.admin_api.sync_launch import launch_for_connector
from goldsphere_pipelines.connectors import deletions as deletion_service
from goldsphere_pipelines.connectors.configuration import get_connector

router = APIRouter(
    prefix="/admin/connectors", tags=["deletions"], dependencies=[Depends(current_admin)]
)


class ReconcileRequest(_ApiInput):
    force: bool = False
    """Mark records gone even above the connector's removalShareLimit (never on an
    incomplete listing)."""


class DeletionCounts(_ApiModel):
    trashed: int
    gone: int
    webhook: int


class DeletionView(_ApiModel):
    on_order_deleted: Literal["keep", "cancel"]
    removal_share_limit: float
    products: DeletionCounts
    """Products and variations held as deleted now, by how we learned of it."""
    orders: DeletionCounts


class DeletionSettingsUpdate(_ApiInput):
    on_order_deleted: Literal["keep", "cancel"] | None = None
    # The column keeps four decimals: a smaller share would be stored as 0.
    removal_share_limit: float | None = Field(None, ge=0.0001, le=1)


@router.post(
    "/{id}/reconcile",
    response_model=SyncLaunched,
    status_code=status.HTTP_202_ACCEPTED,
    responses=errors(404, 409, 502),
)
def launch_reconcile(
    connector: ConnectorRef,
    context: Context,
    body: Annotated[ReconcileRequest | None, Body()] = None,
) -> SyncLaunched:
    """Reconcile Now: launch `sync_connector` materializing only goldsphere/deletions. Its
    counts (gone, trashed) or the reason it stopped appear in `GET .../runs` under
    `stats.reconcile`."""
    request = body or ReconcileRequest()
    return launch_for_connector(
        context,
        connector,
        [DELETIONS_ASSET_KEY],
        doing="reconciled",
        sync_config={"force_reconcile": True} if request.force else None,
    )


@router.get("/{id}/deletions", response_model=DeletionView, responses=errors(404))
def get_deletions(connector: ConnectorRef, context: Context) -> DeletionView:
    """What a deletion does for this connector, and how many records are held as deleted."""
    found = get_connector(context.engine, connector)
    return _view(context, found.id)


@router.put("/{id}/deletions", response_model=DeletionView, responses=errors(404))
def update_deletions(
    connector: ConnectorRef, context: Context, body: DeletionSettingsUpdate
) -> DeletionView:
    """Change `onOrderDeleted` (keep | cancel) and/or `removalShareLimit` (0.0001 ≤ x ≤ 1)."""
    found = get_connector(context.engine, connector)
    deletion_service.set_deletion_settings(
        context.engine,
        found.id,
        on_order_deleted=body.on_order_deleted,
        removal_share_limit=(
            Decimal(str(body.removal_share_limit)) if body.removal_share_limit else None
        ),
    )
    return _view(context, found.id)


def _view(context: Context, connector_id: UUID) -> DeletionView:
    engine = context.engine
    settings = deletion_service.deletion_settings(engine, connector_id)
    counts = {
        kind: DeletionCounts(**deletion_service.deletion_counts(engine, connector_id, kind))
        for kind in ("product", "order")
    }
    return DeletionView(
        on_order_deleted=settings.on_order_deleted,
        removal_share_limit=float(settings.removal_share_limit),
        products=counts["product"],
        orders=counts["order"],
    )
