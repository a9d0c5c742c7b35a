"""`goldsphere connectors test|sync|runs`: the commands that talk to the store or Dagster.

They join the `connectors` group defined in cli/connectors.py.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from goldsphere_pipelines.cli.connectors import connectors, database_engine
from goldsphere_pipelines.connectors.configuration import get_connector
from goldsphere_pipelines.connectors.runs import list_runs
from goldsphere_pipelines.connectors.store_client import check_connection
from goldsphere_pipelines.storage.credentials import load_cipher


@connectors.command("test")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print {success, message, ...} as JSON.")
def test_command(name: str, as_json: bool) -> None:
    """Test Connection: the URL, the keys and what they may read. Exit 0 only on success."""
    with database_engine() as engine:
        connector = get_connector(engine, name)
        result = check_connection(engine, load_cipher(), connector)
    if as_json:
        click.echo(json.dumps(result.model_dump(by_alias=True)))
    else:
        mark = "ok" if result.success else "FAILED"
        click.echo(f"{mark}: {result.message}")
        if result.success:
            click.echo(
                f"  WooCommerce {result.woocommerce_version or 'unknown version'}, "
                f"store currency {result.currency or 'unknown'}, modified-date filters "
                f"{'supported' if result.supports_modified_filters else 'not confirmed'}"
            )
    sys.exit(0 if result.success else 1)


@connectors.command("sync")
@click.argument("name")
@click.option("--products-only", is_flag=True, help="Sync products only.")
@click.option("--orders-only", is_flag=True, help="Sync orders only.")
@click.option("--full-refresh", is_flag=True, help="Ignore watermarks and read the whole store.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's stats as JSON.")
def sync_command(
    name: str, products_only: bool, orders_only: bool, full_refresh: bool, as_json: bool
) -> None:
    """Run Sync Now in this process; the run is recorded in the Dagster instance
    (DAGSTER_HOME) and shows in the UI. Exit status 1 when the run failed."""
    from goldsphere_pipelines.definitions import RESOURCES
    from goldsphere_pipelines.defs.resources import ConnectorSync
    from goldsphere_pipelines.defs.run_sync import instance_for_cli, materialize_connector

    if products_only and orders_only:
        raise click.UsageError("--products-only and --orders-only exclude each other.")
    with database_engine() as engine:
        connector = get_connector(engine, name)
        resources = dict(RESOURCES)
        if full_refresh:
            resources["sync"] = ConnectorSync(full_refresh=True)
        result = materialize_connector(
            connector.name,
            instance=instance_for_cli(),
            sync_products=not orders_only,
            sync_orders=not products_only,
            trigger="cli",
            resources=resources,
        )
        run = list_runs(engine, connector.name, limit=1)[0]
    if as_json:
        click.echo(json.dumps(run.model_dump(mode="json", by_alias=True)))
    else:
        print_run(run.model_dump(mode="json", by_alias=True), result.run_id)
    sys.exit(0 if result.success and run.status == "success" else 1)


def print_run(run: dict[str, Any], dagster_run_id: str) -> None:
    click.echo(f"run {run['id']} ({run['status']}), Dagster run {dagster_run_id}")
    for step, stats in run["stats"].items():
        if step == "errors" or not isinstance(stats, dict):
            continue
        shown = ", ".join(f"{k}={v}" for k, v in stats.items())
        click.echo(f"  {step}: {shown}")
    if run.get("error"):
        click.echo(f"  error: {run['error']}")
    errors = run["stats"].get("errors") or []
    for error in errors[:5]:
        click.echo(
            f"  {error.get('entity', '')} {error.get('externalId', '')}: "
            f"{error.get('field', '')} {error.get('code', '')}: {error.get('message', '')}"
        )
    if len(errors) > 5:
        click.echo(f"  … {len(errors) - 5} more errors (goldsphere connectors runs NAME --json)")


@connectors.command("runs")
@click.argument("name")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 500))
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
def runs_command(name: str, limit: int, as_json: bool) -> None:
    """The connector's sync runs, newest first, with their counts and errors."""
    with database_engine() as engine:
        runs = list_runs(engine, name, limit=limit)
    if as_json:
        click.echo(json.dumps([r.model_dump(mode="json", by_alias=True) for r in runs]))
        return
    if not runs:
        click.echo(f"No sync has run for {name} yet.")
    for run in runs:
        finished = run.finished_at.isoformat(timespec="seconds") if run.finished_at else "-"
        click.echo(
            f"{run.started_at.isoformat(timespec='seconds')}  {run.status:8} finished {finished}"
            f"  trigger={run.trigger}{_deletion_counts(run.stats)}  {run.error or ''}"
        )


def _deletion_counts(stats: dict[str, Any]) -> str:
    """`  trashed=… gone=… restored=…` over the run's steps, when any is not zero."""
    totals = {
        what: sum(int(s.get(what, 0)) for s in stats.values() if isinstance(s, dict))
        for what in ("trashed", "gone", "restored")
    }
    if not any(totals.values()):
        return ""
    return "  " + " ".join(f"{what}={n}" for what, n in totals.items())
