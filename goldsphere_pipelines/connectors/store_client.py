"""Opening a WooCommerce client for a connector, and testing its connection.

Shared by the Dagster resource, the CLI and the admin API, so that all three build the
client the same way and record the same facts about the store.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from goldsphere_pipelines.connectors.configuration import load_credentials
from goldsphere_pipelines.connectors.models import CamelModel, Connector
from goldsphere_pipelines.connectors.validation import check_store_address
from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.storage.connectors import ConnectorRepository
from goldsphere_pipelines.storage.credentials import CredentialCipher
from goldsphere_pipelines.storage.sync_state import StoreFactsRepository
from goldsphere_pipelines.woocommerce.client import WooCommerceClient
from goldsphere_pipelines.woocommerce.credentials import WooCredentials


class ClientSettings(BaseModel):
    """How hard to push a store; defaults suit shared hosting."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    concurrency: int = Field(4, ge=1, le=32)
    timeout_seconds: float = Field(30.0, gt=0, le=600)
    max_attempts: int = Field(6, ge=1, le=20)


def open_store_client(
    connector: Connector, credentials: WooCredentials, settings: ClientSettings | None = None
) -> WooCommerceClient:
    settings = settings or ClientSettings()
    # Checked again at every connection, not only when the URL was saved: DNS can change
    # (or be rebound) to point a public name at a metadata or private address.
    parsed = urlsplit(connector.base_url)
    check_store_address(
        parsed.hostname or "", parsed.port or (443 if parsed.scheme == "https" else 80)
    )
    return WooCommerceClient(
        connector.base_url,
        credentials,
        auth_mode=connector.auth_mode,
        ca_bundle_pem=connector.ca_bundle_pem,
        timeout=settings.timeout_seconds,
        max_attempts=settings.max_attempts,
        concurrency=settings.concurrency,
    )


class ConnectionCheck(CamelModel):
    """The outcome of Test Connection, as the admin API and CLI show it."""

    success: bool
    message: str
    woocommerce_version: str | None = None
    currency: str | None = None
    supports_modified_filters: bool | None = None


def check_connection(
    engine: Engine,
    cipher: CredentialCipher,
    connector: Connector,
    settings: ClientSettings | None = None,
) -> ConnectionCheck:
    """Try the store with the stored credentials; record the result on the connector."""
    credentials = load_credentials(engine, cipher, connector)
    with open_store_client(connector, credentials, settings) as client:
        result = client.test_connection()
    check = ConnectionCheck(
        success=result.success,
        message=result.message,
        woocommerce_version=result.woocommerce_version,
        currency=result.currency,
        supports_modified_filters=result.supports_modified_filters,
    )
    ConnectorRepository(engine).record_test_result(connector.id, check.success, check.message)
    if check.success:
        StoreFactsRepository(engine).record(
            connector.id, currency=check.currency, version=check.woocommerce_version
        )
    return check


def verify_store_for_sync(engine: Engine, connector: Connector, client: WooCommerceClient) -> None:
    """A sync's first step: the connection check with the sync's own retry budget, recorded
    on the connector (status, last test, currency, version); raises when the store cannot
    be read, with the check's message."""
    result = client.test_connection(max_attempts=None)
    ConnectorRepository(engine).record_test_result(connector.id, result.success, result.message)
    if not result.success:
        raise GoldsphereError(result.message, code="connection_failed")
    StoreFactsRepository(engine).record(
        connector.id, currency=result.currency, version=result.woocommerce_version
    )
