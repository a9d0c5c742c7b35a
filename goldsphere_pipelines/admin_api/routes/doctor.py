"""The rules doctor: a connector's mapping failures by cause, the rule that would fix each
and its preview (GET, writes nothing); applying one saves the rule through the validated
rules path and launches the Dagster job `remap_connector` (POST)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, status
from pydantic import Field

from goldsphere_pipelines.admin_api import sync_launch
from goldsphere_pipelines.admin_api.context import Context, current_admin
from goldsphere_pipelines.admin_api.models import DoctorApplyRequest, RuleView, SyncLaunched
from goldsphere_pipelines.admin_api.routes.common import ConnectorRef, errors
from goldsphere_pipelines.connectors import doctor as doctor_service
from goldsphere_pipelines.connectors.configuration import get_connector
from goldsphere_pipelines.connectors.models import CamelModel

router = APIRouter(
    prefix="/admin/connectors", tags=["rules doctor"], dependencies=[Depends(current_admin)]
)


class ExampleView(CamelModel):
    external_id: str
    message: str
    value: str | None


class ChangeView(CamelModel):
    external_id: str
    fields: list[str]


class PreviewView(CamelModel):
    """What re-mapping every stored record of the group's entity with the proposal gives."""

    records: int
    mapped_before: int
    mapped_after: int
    group_fixed: int
    cause_fixed: int
    fixed: int
    newly_failing: int
    newly_failing_examples: list[str]
    changed: int
    changed_examples: list[ChangeView]
    products: PreviewView | None = None


class GroupView(CamelModel):
    id: str
    number: int
    entity: Literal["product", "order"]
    field: str
    code: str
    target: str
    count: int
    examples: list[ExampleView]
    proposal: dict[str, Any] | None = Field(
        description="The rule (rule language of the README) that --apply would save."
    )
    replaces_rule: str | None
    explanation: str | None
    advice: str | None
    preview: PreviewView | None


class DoctorReportView(CamelModel):
    connector: str
    failed: dict[str, int]
    groups: list[GroupView]


class DoctorApplied(CamelModel):
    group: GroupView
    rule: RuleView
    remap: SyncLaunched | None
    remap_error: str | None = Field(
        description="Why the re-mapping could not be launched (the rule is saved)."
    )


def _group_view(group: doctor_service.FailureGroup) -> GroupView:
    return GroupView.model_validate(group.to_json())


@router.get("/{id}/doctor", response_model=DoctorReportView, responses=errors(404))
def diagnose(connector: ConnectorRef, context: Context) -> DoctorReportView:
    """The connector's current mapping failures grouped by cause (counts, three examples),
    the rule that would fix each group and its preview against the stored payloads.
    Nothing is written or fetched."""
    name = get_connector(context.engine, connector).name
    report = doctor_service.diagnose(context.engine, name)
    return DoctorReportView(
        connector=report.connector,
        failed=report.failed,
        groups=[_group_view(group) for group in report.groups],
    )


@router.post(
    "/{id}/doctor/apply",
    response_model=DoctorApplied,
    status_code=status.HTTP_201_CREATED,
    responses=errors(404, 409),
)
def apply(
    connector: ConnectorRef, body: Annotated[DoctorApplyRequest, Body()], context: Context
) -> DoctorApplied:
    """Save the group's proposal as the connector's rule for its target (validated like
    every rule), then launch the Dagster job `remap_connector` for the connector."""
    name = get_connector(context.engine, connector).name
    applied = doctor_service.apply_fix(context.engine, name, body.group, value=body.value)
    remap = sync_launch.launch_remap(context, name) if body.remap else None
    return DoctorApplied(
        group=_group_view(applied.group),
        rule=RuleView.from_stored(applied.rule),
        remap=remap.launched if remap else None,
        remap_error=remap.error if remap else None,
    )
