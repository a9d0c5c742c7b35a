"""`goldsphere rules doctor CONNECTOR`: the connector's mapping failures grouped by cause,
the rule that would fix each group and its preview; `--apply GROUP` saves the rule and
re-maps the stored payloads (the Dagster job `remap_connector`, in this process)."""

from __future__ import annotations

import json
import sys

import click

from goldsphere_pipelines.cli.connectors import database_engine
from goldsphere_pipelines.cli.rules import rules
from goldsphere_pipelines.connectors import doctor as doctor_service
from goldsphere_pipelines.connectors.doctor import DoctorReport, FailureGroup


@rules.command("doctor")
@click.argument("connector")
@click.option("--apply", "group", metavar="GROUP", help="Save GROUP's proposal (id or number).")
@click.option(
    "--value",
    help="With --apply or --group: the value the doctor cannot guess (what unknown values "
    "map to, or the default).",
)
@click.option(
    "--group", "preview_group", metavar="GROUP", help="Show only GROUP (with --value: previewed)."
)
@click.option("--no-remap", is_flag=True, help="With --apply: save the rule only; re-map later.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def doctor_command(
    connector: str,
    group: str | None,
    value: str | None,
    preview_group: str | None,
    no_remap: bool,
    as_json: bool,
) -> None:
    """Why CONNECTOR's records fail to map and which rule would fix each cause, previewed
    against the stored payloads (nothing is written without --apply)."""
    if value is not None and group is None and preview_group is None:
        raise click.UsageError("--value goes with --apply GROUP or --group GROUP.")
    with database_engine() as engine:
        if group is None:
            report = doctor_service.diagnose(engine, connector, preview=preview_group is None)
            if preview_group is not None:
                chosen = report.group(preview_group)
                values = {chosen.id: value} if value is not None else None
                report = doctor_service.diagnose(engine, connector, values=values)
                report.groups = [report.group(chosen.id)]
            click.echo(json.dumps(report.to_json(), indent=2) if as_json else _text(report))
            return
        applied = doctor_service.apply_fix(engine, connector, group, value=value)
    click.echo(
        f"saved {applied.rule.entity_type} rule {applied.rule.id} for '{applied.rule.target_field}'"
    )
    if no_remap:
        click.echo(
            f"re-map with: goldsphere rules doctor {connector} (then the remap_connector job)"
        )
        return
    from goldsphere_pipelines.defs.run_sync import instance_for_cli, remap_connector

    result = remap_connector(connector, instance=instance_for_cli(), trigger="doctor")
    click.echo(f"remap_connector run {result.run_id}: {'success' if result.success else 'FAILED'}")
    sys.exit(0 if result.success else 1)


def _text(report: DoctorReport) -> str:
    if not report.groups:
        return f"connector '{report.connector}': every stored record maps"
    lines = [
        f"connector '{report.connector}': {report.failed['product']} products and "
        f"{report.failed['order']} orders fail to map",
    ]
    for group in report.groups:
        lines += ["", *_group_lines(group)]
    lines += ["", f"apply one with: goldsphere rules doctor {report.connector} --apply NUMBER"]
    return "\n".join(lines)


def _group_lines(group: FailureGroup) -> list[str]:
    lines = [f"[{group.number}] {group.id}: {group.count} {group.entity}s"]
    for example in group.examples:
        lines.append(f"    {group.entity} {example.external_id}: {example.message}")
    if group.proposal is not None:
        rule = json.dumps(group.proposal.model_dump(), ensure_ascii=False)
        lines.append(f"  proposal: {group.explanation}")
        lines.append(f"    rule: {rule}")
        if group.replaces_rule:
            lines.append(f"    replaces the connector's rule {group.replaces_rule}")
    elif group.explanation:
        lines.append(f"  proposal: {group.explanation}")
    if group.advice:
        lines.append(f"  advice: {group.advice}")
    preview = group.preview
    if preview is not None:
        lines.append(
            f"  preview: the cause disappears from {preview.cause_fixed} of {group.count}, "
            f"{preview.group_fixed} would map; "
            f"{group.entity}s mapped {preview.mapped_before} → {preview.mapped_after} of "
            f"{preview.records}; {preview.changed} mapped would change, "
            f"{preview.newly_failing} would fail"
        )
        for change in preview.changed_examples[:3]:
            lines.append(
                f"    {group.entity} {change.external_id} changes {', '.join(change.fields)}"
            )
        if preview.products is not None:
            products = preview.products
            lines.append(
                f"    the products: mapped {products.mapped_before} → {products.mapped_after} of "
                f"{products.records}; {products.changed} mapped would change, "
                f"{products.newly_failing} would fail"
            )
        if preview.newly_failing_examples:
            shown = ", ".join(preview.newly_failing_examples[:5])
            lines.append(f"    would fail: {shown}")
    return lines
