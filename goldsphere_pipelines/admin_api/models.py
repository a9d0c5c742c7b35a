"""The admin API's own request and response shapes (camelCase on the wire).

Connector bodies are the services' `ConnectorCreate` / `ConnectorUpdate` and answers are
`ConnectorSummary`; the shapes here cover what only the API has: lists, pages, the
connection test, sync launches and mapping rules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import ConfigDict, Field, model_validator

from goldsphere_pipelines.connectors.models import CamelModel, ConnectorSummary
from goldsphere_pipelines.connectors.runs import SyncRun
from goldsphere_pipelines.connectors.store_client import ConnectionCheck
from goldsphere_pipelines.mapping.rules import RuleSpec
from goldsphere_pipelines.storage.mapping_rules import StoredMappingRule

MAX_RUNS_PAGE = 100
MAX_OFFSET = 1_000_000


_ApiModel = CamelModel


class _ApiInput(_ApiModel):
    model_config = ConfigDict(extra="forbid")


class ConnectorList(_ApiModel):
    items: list[ConnectorSummary]


# Test Connection answers with the service's own result, camelCase like every response.
ConnectionTestResponse = ConnectionCheck


class SyncRequest(_ApiInput):
    """What to sync; both by default. Products always run before orders."""

    sync_products: bool = True
    sync_orders: bool = True

    @model_validator(mode="after")
    def _something_to_sync(self) -> SyncRequest:
        if not (self.sync_products or self.sync_orders):
            raise ValueError("choose syncProducts, syncOrders or both")
        return self


class SyncLaunched(_ApiModel):
    run_id: str
    """The Dagster run id."""
    status: str
    """Dagster's run status right after the launch (QUEUED, STARTING, ...) or UNKNOWN."""
    run_url: str
    """The run in the Dagster UI."""


class SyncRunView(SyncRun):
    """One sync run (external_sync_run) with the link to its Dagster run."""

    model_config = ConfigDict(serialize_by_alias=True)

    dagster_run_url: str | None = None


class SyncRunPage(_ApiModel):
    items: list[SyncRunView]
    """Newest first."""
    total: int
    limit: int
    offset: int


class RuleCreateRequest(_ApiInput):
    """One mapping rule; `transform` uses the rule language of the README."""

    entity_type: Literal["product", "order"]
    source_field: str = Field(max_length=500)
    target_field: str = Field(max_length=100)
    transform: dict[str, Any] = Field(default_factory=dict)

    def spec(self) -> RuleSpec:
        return RuleSpec(
            entity_type=self.entity_type,
            source_field=self.source_field,
            target_field=self.target_field,
            transform=dict(self.transform),
        )


class RuleView(_ApiModel):
    id: UUID
    connector_id: UUID
    entity_type: Literal["product", "order"]
    source_field: str
    target_field: str
    transform: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_stored(cls, rule: StoredMappingRule) -> RuleView:
        return cls(
            id=rule.id,
            connector_id=rule.connector_id,
            entity_type=rule.entity_type,
            source_field=rule.source_field,
            target_field=rule.target_field,
            transform=rule.transform,
            created_at=rule.created_at,
            updated_at=rule.updated_at,
        )


class RuleList(_ApiModel):
    items: list[RuleView]
    """Oldest first; targets without a rule here follow the default template."""


class DoctorApplyRequest(_ApiModel):
    """Apply a rules doctor group's proposal (the API's body; the page's form the same)."""

    group: str = Field(max_length=200, description="The group's id or number.")
    value: str | None = Field(
        default=None, max_length=200, description="The default, where the doctor has none."
    )
    remap: bool = Field(default=True, description="Launch remap_connector after saving.")
