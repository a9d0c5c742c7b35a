"""Webhook set-up of a connector: its secret, its subscriptions in the store, its status.

Shared by `goldsphere webhooks ...` and the admin API. The secret is generated here,
stored encrypted, and handed back once to be pasted into WooCommerce; nothing shows it
again.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy.engine import Engine

from goldsphere_pipelines.connectors.configuration import get_connector, load_credentials
from goldsphere_pipelines.connectors.models import CamelModel, Connector
from goldsphere_pipelines.connectors.store_client import open_store_client
from goldsphere_pipelines.connectors.webhook_receiver import WEBHOOK_TOPICS, forget_targets
from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.storage.credentials import CredentialCipher
from goldsphere_pipelines.storage.webhooks import WebhookRepository
from goldsphere_pipelines.woocommerce.client import _ssl_context
from goldsphere_pipelines.woocommerce.webhook_signature import new_secret
from goldsphere_pipelines.woocommerce.webhooks_api import (
    WritePermissionMissingError,
    create_webhook,
)


class WebhookStatus(CamelModel):
    connector: str
    secret_set: bool
    secret_rotated_at: datetime | None
    received: int
    applied: int
    stale: int
    failed: int
    waiting: int
    pending: int
    rejected: int
    last_received_at: datetime | None
    last_applied_at: datetime | None
    lag_seconds: float | None
    """Age of the oldest delivery not applied yet (0 when none waits)."""


class RegisteredWebhook(CamelModel):
    topic: str
    webhook_id: int | None


class RegisterResult(CamelModel):
    created: list[RegisteredWebhook]
    manual_steps: str | None
    """Set when the key may not write: what to do in the WooCommerce admin instead."""


def create_secret(engine: Engine, cipher: CredentialCipher, name_or_id: str | UUID) -> str:
    """Create or replace the connector's webhook secret; returns it (show it once)."""
    connector = get_connector(engine, name_or_id)
    secret = new_secret()
    WebhookRepository(engine).set_secret(connector.id, cipher.encrypt(secret))
    forget_targets()
    return secret


def webhook_status(engine: Engine, name_or_id: str | UUID) -> WebhookStatus:
    connector = get_connector(engine, name_or_id)
    counts = WebhookRepository(engine).counts(connector.id)
    lag = None
    if counts.oldest_pending_at is not None:
        lag = max(0.0, (datetime.now(UTC) - counts.oldest_pending_at).total_seconds())
    elif counts.received:
        lag = 0.0
    facts = {k: v for k, v in asdict(counts).items() if k != "oldest_pending_at"}
    return WebhookStatus(
        connector=connector.name,
        **facts,
        lag_seconds=lag,
    )


def manual_steps(connector: Connector, delivery_url: str) -> str:
    topics = "\n".join(f"     - {topic}" for topic in WEBHOOK_TOPICS)
    return (
        f"The consumer key of {connector.name!r} may not write, so create the webhooks in "
        "the WooCommerce admin, one per topic:\n"
        "  1. WooCommerce → Settings → Advanced → Webhooks → Add webhook.\n"
        f"  2. Name: goldsphere {connector.name} <topic>; Status: Active.\n"
        "  3. Topic: one of\n"
        f"{topics}\n"
        f"  4. Delivery URL: {delivery_url}\n"
        "  5. Secret: the secret `goldsphere webhooks secret "
        f"{connector.name}` printed (create a new one if it is lost).\n"
        "  6. API version: WP REST API Integration v3. Save webhook (WooCommerce pings the "
        "URL first: the receiver must be reachable).\n"
    )


def register_webhooks(
    engine: Engine,
    cipher: CredentialCipher,
    name_or_id: str | UUID,
    delivery_url: str,
    *,
    secret: str | None = None,
) -> RegisterResult:
    """Create the eight webhooks in the store with the stored secret; when the key may not
    write, create nothing and return the manual steps."""
    connector = get_connector(engine, name_or_id)
    if not delivery_url.startswith(("https://", "http://")):
        raise GoldsphereError(
            "The delivery URL must be the receiver's public https:// address, e.g. "
            f"https://goldsphere.example.com/webhooks/woocommerce/{connector.name}.",
            code="invalid_connector_input",
        )
    if secret is None:
        stored = WebhookRepository(engine).encrypted_secret(connector.id)
        if stored is None:
            raise GoldsphereError(
                f"Connector {connector.name!r} has no webhook secret yet: run "
                f"`goldsphere webhooks secret {connector.name}` first.",
                code="webhook_secret_missing",
            )
        secret = cipher.decrypt(stored, connector_name=connector.name)
    credentials = load_credentials(engine, cipher, connector)
    # The address is checked as for every connection to the store (open_store_client).
    open_store_client(connector, credentials).close()
    verify = _ssl_context(connector.ca_bundle_pem) if connector.ca_bundle_pem else True
    created: list[RegisteredWebhook] = []
    for topic in WEBHOOK_TOPICS:
        try:
            answer = create_webhook(
                connector.base_url,
                credentials,
                auth_mode=connector.auth_mode,
                topic=topic,
                delivery_url=delivery_url,
                secret=secret,
                name=f"goldsphere {connector.name} {topic}",
                verify=verify,
            )
        except WritePermissionMissingError:
            if created:
                raise
            return RegisterResult(created=[], manual_steps=manual_steps(connector, delivery_url))
        webhook_id = answer.get("id")
        created.append(
            RegisteredWebhook(
                topic=topic, webhook_id=webhook_id if isinstance(webhook_id, int) else None
            )
        )
    return RegisterResult(created=created, manual_steps=None)
