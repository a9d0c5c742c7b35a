"""A connector's webhooks for admins: the secret, the subscriptions in the store, status,
and applying due deliveries now. The receiver itself is `webhook_receiver`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status
from pydantic import Field

from goldsphere_pipelines.admin_api.context import Context, current_admin
from goldsphere_pipelines.admin_api.routes.common import ConnectorRef, errors
from goldsphere_pipelines.connectors import webhooks as service
from goldsphere_pipelines.connectors.configuration import get_connector
from goldsphere_pipelines.connectors.models import CamelModel
from goldsphere_pipelines.connectors.webhook_processor import WebhookProcessor

router = APIRouter(
    prefix="/admin/connectors", tags=["webhooks"], dependencies=[Depends(current_admin)]
)


class WebhookSecret(CamelModel):
    secret: str = Field(description="Shown this once: paste it into each webhook in WooCommerce.")


class RegisterRequest(CamelModel):
    delivery_url: str = Field(
        min_length=8,
        max_length=2000,
        description="The receiver's public address, https://HOST/webhooks/woocommerce/NAME.",
    )


class ProcessResult(CamelModel):
    passes: int
    deliveries: int
    applied: int
    stale: int
    failed: int
    waiting: int


@router.post(
    "/{id}/webhooks/secret",
    response_model=WebhookSecret,
    status_code=status.HTTP_201_CREATED,
    responses=errors(404),
)
def create_secret(connector: ConnectorRef, context: Context) -> WebhookSecret:
    """Create or rotate the webhook secret. The answer is the only place it is shown."""
    return WebhookSecret(secret=service.create_secret(context.engine, context.cipher, connector))


@router.post(
    "/{id}/webhooks/register",
    response_model=service.RegisterResult,
    responses=errors(404, 409),
)
def register(
    connector: ConnectorRef, body: RegisterRequest, context: Context
) -> service.RegisterResult:
    """Create the eight webhooks in the store (a key with write permission), or return the
    WooCommerce admin steps to create them by hand (`manualSteps`)."""
    return service.register_webhooks(context.engine, context.cipher, connector, body.delivery_url)


@router.get("/{id}/webhooks", response_model=service.WebhookStatus, responses=errors(404))
def webhook_status(connector: ConnectorRef, context: Context) -> service.WebhookStatus:
    """Last delivery, deliveries received / applied / rejected, and the lag."""
    return service.webhook_status(context.engine, connector)


@router.post("/{id}/webhooks/process", response_model=ProcessResult, responses=errors(404))
def process(connector: ConnectorRef, context: Context) -> ProcessResult:
    """Apply the connector's due deliveries now (the background processor does it anyway)."""
    found = get_connector(context.engine, connector)
    processor = WebhookProcessor(context.engine)
    result = ProcessResult(passes=0, deliveries=0, applied=0, stale=0, failed=0, waiting=0)
    counts = result.model_dump()
    while (report := processor.process_connector(found.id)) is not None:
        counts["passes"] += 1
        for name in ("deliveries", "applied", "stale", "failed", "waiting"):
            counts[name] += getattr(report, name)
    return ProcessResult(**counts)
