"""`goldsphere connectors reconcile|deletions`: what the shop deleted, and how goldsphere follows.

They join the `connectors` group defined in cli/connectors.py.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal

import click

from goldsphere_pipelines.cli.connectors import connectors, database_engine
from goldsphere_pipelines.cli.sync import print_run
from goldsphere_pipelines.connectors import deletions as deletion_service
from goldsphere_pipelines.connectors.configuration import get_connector
from goldsphere_pipelines.connectors.runs import list_runs


@connectors.command("reconcile")
@click.argument("name")
@click.option(
    "--force",
    is_flag=True,
    help="Mark records gone even when more than the connector's removal_share_limit would "
    "be (never when a listing is incomplete).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run's stats as JSON.")
def reconcile_command(name: str, force: bool, as_json: bool) -> None:
    """List the shop's ids and mark what it deleted for good (or trashed) as deleted.

    Runs the goldsphere/deletions asset in this process (recorded in DAGSTER_HOME, shown in
    the UI). Exit status 1 when the pass stopped (it then marked nothing) or failed."""
    from goldsphere_pipelines.definitions import RESOURCES
    from goldsphere_pipelines.defs.deletions import RECONCILE_STEP, STOPPED_MODE
    from goldsphere_pipelines.defs.resources import ConnectorSync
    from goldsphere_pipelines.defs.run_sync import instance_for_cli, materialize_connector

    if force:
        click.secho(
            "WARNING: --force marks every record missing from the shop's complete listing "
            "as deleted, however many they are. goldsphere keeps the rows; a restore in the "
            "shop (or a later listing) brings them back.",
            fg="yellow",
            err=True,
        )
    with database_engine() as engine:
        connector = get_connector(engine, name)
        resources = dict(RESOURCES)
        resources["sync"] = ConnectorSync(force_reconcile=force)
        result = materialize_connector(
            connector.name,
            instance=instance_for_cli(),
            trigger="cli",
            resources=resources,
            reconcile_only=True,
        )
        run = list_runs(engine, connector.name, limit=1)[0]
    shown = run.model_dump(mode="json", by_alias=True)
    if as_json:
        click.echo(json.dumps(shown))
    else:
        print_run(shown, result.run_id)
    step = run.stats.get(RECONCILE_STEP, {})
    stopped = step.get("mode") == STOPPED_MODE
    if stopped and not as_json:
        click.echo(f"stopped: {step.get('skipped_reason')}", err=True)
    sys.exit(0 if result.success and run.status == "success" and not stopped else 1)


@connectors.command("deletions")
@click.argument("name")
@click.option(
    "--on-order-deleted",
    type=click.Choice(["keep", "cancel"]),
    help="What a deleted shop order does to its goldsphere order: keep it as it is "
    "(default) or set it cancelled. A restore maps it again either way.",
)
@click.option(
    "--removal-share-limit",
    type=click.FloatRange(0.0001, 1),
    help="Largest share of a kind's records one reconciliation may mark gone (default 0.2).",
)
@click.option("--json", "as_json", is_flag=True, help="Print settings and counts as JSON.")
def deletions_command(
    name: str, on_order_deleted: str | None, removal_share_limit: float | None, as_json: bool
) -> None:
    """Show (or change) NAME's deletion settings, and its records held as deleted."""
    with database_engine() as engine:
        connector = get_connector(engine, name)
        if on_order_deleted is not None or removal_share_limit is not None:
            settings = deletion_service.set_deletion_settings(
                engine,
                connector.id,
                on_order_deleted=on_order_deleted,  # type: ignore[arg-type]
                removal_share_limit=(
                    Decimal(str(removal_share_limit)) if removal_share_limit is not None else None
                ),
            )
        else:
            settings = deletion_service.deletion_settings(engine, connector.id)
        counts = {
            kind: deletion_service.deletion_counts(engine, connector.id, kind)
            for kind in ("product", "order")
        }
    if as_json:
        click.echo(
            json.dumps(
                {
                    "onOrderDeleted": settings.on_order_deleted,
                    "removalShareLimit": float(settings.removal_share_limit),
                    "deleted": counts,
                }
            )
        )
        return
    click.echo(f"on_order_deleted: {settings.on_order_deleted}")
    click.echo(f"removal_share_limit: {float(settings.removal_share_limit):.0%}")
    for kind, by_how in counts.items():
        shown = ", ".join(f"{how}={n}" for how, n in by_how.items())
        click.echo(f"deleted {kind}s: {shown}")
