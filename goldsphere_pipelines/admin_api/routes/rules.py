"""A connector's own mapping rules: list, add (validated) and remove."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Response, status

from goldsphere_pipelines.admin_api.context import Context, current_admin
from goldsphere_pipelines.admin_api.models import RuleCreateRequest, RuleList, RuleView
from goldsphere_pipelines.admin_api.routes.common import ConnectorRef, errors
from goldsphere_pipelines.connectors import rules as rule_service
from goldsphere_pipelines.connectors.configuration import get_connector
from goldsphere_pipelines.mapping.targets import EntityType

router = APIRouter(
    prefix="/admin/connectors", tags=["mapping rules"], dependencies=[Depends(current_admin)]
)

RuleRef = Annotated[UUID, Path(alias="ruleId", description="The rule's id.")]


@router.get("/{id}/rules", response_model=RuleList, responses=errors(404))
def list_rules(
    connector: ConnectorRef,
    context: Context,
    entity_type: Annotated[EntityType | None, Query(alias="entityType")] = None,
) -> RuleList:
    """The connector's own rules, oldest first; every other target follows the template."""
    name = get_connector(context.engine, connector).name
    stored = rule_service.list_connector_rules(context.engine, name, entity_type)
    return RuleList(items=[RuleView.from_stored(rule) for rule in stored])


@router.post(
    "/{id}/rules",
    response_model=RuleView,
    status_code=status.HTTP_201_CREATED,
    responses=errors(404, 409),
)
def add_rule(
    connector: ConnectorRef,
    body: RuleCreateRequest,
    response: Response,
    context: Context,
) -> RuleView:
    """Validate one rule against goldsphere's reference data, then store it. One rule
    per target: remove the existing one first to replace it."""
    found = get_connector(context.engine, connector)
    rule = rule_service.add_connector_rule(context.engine, found.name, body.spec())
    response.headers["Location"] = f"/admin/connectors/{found.id}/rules/{rule.id}"
    return RuleView.from_stored(rule)


@router.delete(
    "/{id}/rules/{ruleId}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(404),
)
def remove_rule(connector: ConnectorRef, rule: RuleRef, context: Context) -> Response:
    """Delete the rule; the template's rule for its target applies again."""
    name = get_connector(context.engine, connector).name
    rule_service.remove_connector_rule(context.engine, name, rule)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
