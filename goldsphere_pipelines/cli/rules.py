"""`goldsphere rules`: a connector's own mapping rules (list, add, remove) and the templates.

Rules are JSON objects `{entity_type, source_field, target_field, transform}` (README,
"Rule language"). A refused rule exits 1 with a one-line reason; nothing is written.
"""

from __future__ import annotations

import json
from typing import IO

import click

from goldsphere_pipelines.cli.connectors import database_engine
from goldsphere_pipelines.connectors import rules as rule_service
from goldsphere_pipelines.mapping.rules import default_template
from goldsphere_pipelines.mapping.targets import TARGETS, EntityType
from goldsphere_pipelines.storage.mapping_rules import StoredMappingRule

_ENTITY = click.Choice(["product", "order"])


@click.group()
def rules() -> None:
    """Per-connector mapping rules that replace the default templates target by target."""


@rules.command("list")
@click.argument("connector")
@click.option("--entity", "entity_type", type=_ENTITY, help="Only product or only order rules.")
@click.option("--json", "as_json", is_flag=True, help="Print the rules as a JSON list.")
def list_command(connector: str, entity_type: EntityType | None, as_json: bool) -> None:
    """Show CONNECTOR's own rules (the template's rules apply to every other target)."""
    with database_engine() as engine:
        stored = rule_service.list_connector_rules(engine, connector, entity_type)
    if as_json:
        click.echo(json.dumps([rule.to_json() for rule in stored], indent=2))
        return
    if not stored:
        click.echo(f"connector '{connector}' has no rules of its own; the templates apply")
        return
    for rule in stored:
        click.echo(_line(rule))


@rules.command("add")
@click.argument("connector")
@click.option(
    "--file",
    "source",
    type=click.File("r", encoding="utf-8"),
    default="-",
    show_default=True,
    help="JSON file holding a rule object or a list of them; - reads standard input.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the stored rules as JSON.")
def add_command(connector: str, source: IO[str], as_json: bool) -> None:
    """Validate and store rules for CONNECTOR (all or none)."""
    specs = rule_service.parse_rules_document(source.read())
    with database_engine() as engine:
        stored = rule_service.add_connector_rules(engine, connector, specs)
    if as_json:
        click.echo(json.dumps([rule.to_json() for rule in stored], indent=2))
        return
    for rule in stored:
        click.echo(f"added {_line(rule)}")


@rules.command("remove")
@click.argument("connector")
@click.argument("rule_id")
def remove_command(connector: str, rule_id: str) -> None:
    """Delete CONNECTOR's rule RULE_ID; the template's rule for its target applies again."""
    with database_engine() as engine:
        rule_service.remove_connector_rule(engine, connector, rule_id)
    click.echo(f"removed rule {rule_id.strip()} from connector '{connector}'")


@rules.command("template")
@click.argument("entity_type", type=_ENTITY)
def template_command(entity_type: EntityType) -> None:
    """Print the default rules for products or orders, as JSON rules can be written."""
    template = [spec.model_dump() for spec in default_template(entity_type)]
    click.echo(json.dumps(template, indent=2, ensure_ascii=False))


@rules.command("targets")
@click.argument("entity_type", type=_ENTITY)
def targets_command(entity_type: EntityType) -> None:
    """List the goldsphere fields a product or order rule may fill."""
    for target in TARGETS[entity_type].values():
        required = " (required)" if target.always_required else ""
        click.echo(f"{target.name:<24} {target.kind:<15} {target.description}{required}")


def _line(rule: StoredMappingRule) -> str:
    transform = json.dumps(rule.transform, ensure_ascii=False, separators=(",", ":"))
    source = rule.source_field or "(none)"
    return f"{rule.id}  {rule.entity_type:<7} {rule.target_field:<22} <- {source}  {transform}"
