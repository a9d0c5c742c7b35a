"""List, create, show and update connectors; test a connector's connection."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response, status

from goldsphere_pipelines.admin_api.context import Context, current_admin
from goldsphere_pipelines.admin_api.models import ConnectionTestResponse, ConnectorList
from goldsphere_pipelines.admin_api.routes.common import ConnectorRef, errors
from goldsphere_pipelines.connectors import configuration
from goldsphere_pipelines.connectors.models import (
    ConnectorCreate,
    ConnectorSummary,
    ConnectorUpdate,
)
from goldsphere_pipelines.connectors.store_client import check_connection

router = APIRouter(
    prefix="/admin/connectors", tags=["connectors"], dependencies=[Depends(current_admin)]
)


@router.get("", response_model=ConnectorList, responses=errors())
def list_connectors(context: Context) -> ConnectorList:
    """Every connector by name, with its status and last sync run."""
    return ConnectorList(items=configuration.list_connectors(context.engine))


@router.post(
    "",
    response_model=ConnectorSummary,
    status_code=status.HTTP_201_CREATED,
    responses=errors(409),
)
def create_connector(
    body: ConnectorCreate, response: Response, context: Context
) -> ConnectorSummary:
    """Add a WooCommerce store. The key and secret are stored encrypted and never
    returned; `name` defaults to a slug of the store's host and cannot change later."""
    summary = configuration.add_connector(context.engine, context.cipher, body)
    response.headers["Location"] = f"/admin/connectors/{summary.id}"
    return summary


@router.get("/{id}", response_model=ConnectorSummary, responses=errors(404))
def show_connector(connector: ConnectorRef, context: Context) -> ConnectorSummary:
    """One connector, with its last sync run."""
    return configuration.show_connector(context.engine, connector)


@router.put("/{id}", response_model=ConnectorSummary, responses=errors(404))
def update_connector(
    connector: ConnectorRef, body: ConnectorUpdate, context: Context
) -> ConnectorSummary:
    """Change the fields given; omitted ones keep their values. Give the consumer key
    and secret together to replace them, or neither to keep the stored ones."""
    return configuration.update_connector(context.engine, context.cipher, connector, body)


@router.post("/{id}/test", response_model=ConnectionTestResponse, responses=errors(404, 409))
def test_connection(connector: ConnectorRef, context: Context) -> ConnectionTestResponse:
    """Try the store with the stored credentials and record the result on the connector.
    A store-side problem is `success: false` with what to fix, not an error status."""
    found = configuration.get_connector(context.engine, connector)
    check = check_connection(context.engine, context.cipher, found)
    return check
