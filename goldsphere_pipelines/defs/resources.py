"""Resources: the database, the WooCommerce client of the partition's connector, and the
sync session (lock + external_sync_run row) that spans a whole Dagster run.

Nothing secret is a config field: the database URL and the credentials key come from the
environment at run time, and decrypted credentials live only on private attributes.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime

import dagster as dg
from pydantic import PrivateAttr
from sqlalchemy.engine import Engine

from goldsphere_pipelines.connectors.configuration import get_connector, load_credentials
from goldsphere_pipelines.connectors.models import Connector
from goldsphere_pipelines.connectors.store_client import ClientSettings, open_store_client
from goldsphere_pipelines.connectors.sync_session import SyncSession
from goldsphere_pipelines.connectors.sync_settings import SyncSettings
from goldsphere_pipelines.storage.credentials import load_cipher
from goldsphere_pipelines.storage.engine import default_engine
from goldsphere_pipelines.woocommerce.client import WooCommerceClient
from goldsphere_pipelines.woocommerce.credentials import WooCredentials

TRIGGER_TAG = "goldsphere/trigger"


class GoldsphereDatabase(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The goldsphere database: `GOLDSPHERE_DATABASE_URL`, else the embedded PostgreSQL."""

    def get_engine(self) -> Engine:
        return default_engine()


class WooCommerceResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Hands out a client for the partition's connector, credentials decrypted in the run."""

    concurrency: int = 4
    timeout_seconds: float = 30.0
    max_attempts: int = 6

    _credentials: WooCredentials | None = PrivateAttr(default=None)
    _connector_id: object = PrivateAttr(default=None)

    def client_for(self, engine: Engine, connector: Connector) -> WooCommerceClient:
        if self._credentials is None or self._connector_id != connector.id:
            self._credentials = load_credentials(engine, load_cipher(), connector)
            self._connector_id = connector.id
        settings = ClientSettings(
            concurrency=self.concurrency,
            timeout_seconds=self.timeout_seconds,
            max_attempts=self.max_attempts,
        )
        return open_store_client(connector, self._credentials, settings)


class ConnectorSync(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The sync of the run's connector: lock, run row and settings, opened by the first
    asset that needs it and closed when the run ends (one row per Dagster run)."""

    mapping_batch_size: int = 1000
    overlap_seconds: int = 300
    product_reconcile_hours: float = 24.0
    full_refresh: bool = False
    force_reconcile: bool = False
    """Let a reconciliation remove more than the connector's removal_share_limit."""

    _stack: ExitStack | None = PrivateAttr(default=None)
    _session: SyncSession | None = PrivateAttr(default=None)

    @property
    def settings(self) -> SyncSettings:
        return SyncSettings(
            mapping_batch_size=self.mapping_batch_size,
            overlap_seconds=self.overlap_seconds,
            product_reconcile_hours=self.product_reconcile_hours,
            full_refresh=self.full_refresh,
        )

    def session(self, context: dg.AssetExecutionContext, engine: Engine) -> SyncSession:
        if self._session is None:
            run = context.run
            connector = get_connector(engine, context.partition_key)
            stack = ExitStack()
            self._session = stack.enter_context(
                SyncSession.open(
                    engine,
                    connector,
                    trigger=_trigger(run.tags),
                    dagster_run_id=run.run_id,
                )
            )
            self._stack = stack
        return self._session

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None
            self._session = None


def _trigger(tags: dict[str, str] | object) -> str:
    if not isinstance(tags, dict):
        return "dagster"
    if TRIGGER_TAG in tags:
        return str(tags[TRIGGER_TAG])[:30]
    if "dagster/schedule_name" in tags:
        return "schedule"
    if "dagster/sensor_name" in tags:
        return "sensor"
    return "dagster-ui"


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
