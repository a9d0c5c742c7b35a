"""The connector as the rest of the project sees it, and the shapes that cross its edges.

`Connector` is the domain model (snake_case, for Python callers). `ConnectorSummary` is the
original design's `ConnectorSummaryResponse`, serialized with camelCase keys for the CLI's
`--json` and the admin API. `ConnectorCreate` and `ConnectorUpdate` are the inputs of
`connectors.configuration`, accepting snake_case or the admin API's camelCase names.
None of them ever shows a consumer key or secret; the CA bundle stays out of `repr()`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic.alias_generators import to_camel

from goldsphere_pipelines.woocommerce.credentials import AuthMode


class ConnectorStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    ERROR = "error"
    """The last connection test failed; syncs may still be attempted."""


class Connector(BaseModel):
    """One configured store, without its credentials."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    name: str
    type: Literal["woocommerce"] = "woocommerce"
    base_url: str
    status: ConnectorStatus
    auth_mode: AuthMode
    ca_bundle_pem: str | None = Field(default=None, repr=False)
    sync_products: bool
    sync_orders: bool
    create_missing_producers: bool = True
    last_test_at: datetime | None = None
    last_test_success: bool | None = None
    last_test_message: str | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def is_disabled(self) -> bool:
        return self.status is ConnectorStatus.DISABLED


class CamelModel(BaseModel):
    """camelCase on the wire (CLI `--json`, admin API), snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        frozen=True,
    )


class LastRunSummary(CamelModel):
    """The newest external_sync_run of a connector."""

    id: UUID
    status: Literal["running", "success", "failed"]
    started_at: datetime
    finished_at: datetime | None
    stats: dict[str, Any]
    error: str | None


class ConnectorSummary(CamelModel):
    """`ConnectorSummaryResponse` of the original design, plus name, auth and test details."""

    id: UUID
    name: str
    type: Literal["woocommerce"]
    base_url: str
    status: ConnectorStatus
    auth_mode: AuthMode
    has_ca_bundle: bool
    last_test_at: datetime | None
    last_test_success: bool | None
    last_test_message: str | None
    sync_products: bool
    sync_orders: bool
    create_missing_producers: bool = True
    """Create producers the bullion knowledge file names but goldsphere lacks."""
    last_run: LastRunSummary | None


class _InputModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="forbid",
        frozen=True,
    )


class ConnectorCreate(_InputModel):
    """What it takes to add a connector (`POST /admin/connectors`, `connectors add`).

    `name` defaults to a slug of the store's host; `auth_mode` to basic for https and
    oauth1 for plain-http loopback stores. Validation happens in the service, which
    raises one-line `GoldsphereError`s.
    """

    type: Literal["woocommerce"] = "woocommerce"
    base_url: str
    consumer_key: SecretStr
    consumer_secret: SecretStr
    name: str | None = None
    auth_mode: AuthMode | None = None
    ca_bundle_pem: str | None = Field(default=None, alias="caBundle", repr=False)
    sync_products: bool = True
    sync_orders: bool = True
    create_missing_producers: bool = True


class ConnectorUpdate(_InputModel):
    """Changes to a connector (`PUT /admin/connectors/{id}`, `connectors update`).

    An omitted field keeps its stored value; in particular an omitted key and secret keep
    the stored credentials (give both or neither). `ca_bundle_pem` given as `None`
    explicitly removes the stored bundle.
    """

    base_url: str | None = None
    consumer_key: SecretStr | None = None
    consumer_secret: SecretStr | None = None
    auth_mode: AuthMode | None = None
    ca_bundle_pem: str | None = Field(default=None, alias="caBundle", repr=False)
    sync_products: bool | None = None
    sync_orders: bool | None = None
    create_missing_producers: bool | None = None

    @property
    def removes_ca_bundle(self) -> bool:
        return "ca_bundle_pem" in self.model_fields_set and self.ca_bundle_pem is None
