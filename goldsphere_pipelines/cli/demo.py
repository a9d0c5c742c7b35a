"""`goldsphere demo`: the README's main job, headless, start to finish."""

from __future__ import annotations

import os
import sys

import click

from goldsphere_pipelines import settings
from goldsphere_pipelines.cli.connectors import database_engine
from goldsphere_pipelines.cli.dialect_option import dialect_option
from goldsphere_pipelines.demo import (
    DEMO_CONNECTOR,
    DEMO_PORT,
    database_counts,
    free_port,
    latest_run,
    register_demo_connector,
    run_summary,
    seed_customers,
)
from goldsphere_pipelines.sandbox.dialects import DEMO_DIALECT
from goldsphere_pipelines.storage.credentials import load_cipher
from goldsphere_pipelines.storage.migrations import migrate


@click.command("demo")
@click.option("--products", default=300, show_default=True, type=click.IntRange(1, 200_000))
@click.option("--orders", default=2000, show_default=True, type=click.IntRange(0, 1_000_000))
@click.option("--seed", default=7, show_default=True, type=int)
@dialect_option(DEMO_DIALECT, "The demo shows the mixed one: every way at once.")
def demo(products: int, orders: int, seed: int, dialect: str) -> None:
    """Sync a sandbox store into the (embedded) database twice and print what arrived."""
    from goldsphere_pipelines.connectors.configuration import get_connector
    from goldsphere_pipelines.defs.run_sync import instance_for_cli, materialize_connector
    from goldsphere_pipelines.sandbox import SandboxConfig, run_sandbox

    where = (os.environ.get(settings.DATABASE_URL_ENV) and "GOLDSPHERE_DATABASE_URL") or (
        f"the embedded PostgreSQL under {settings.goldsphere_home()}"
    )
    click.echo(f"1/6 database: {where}")
    with database_engine() as engine:
        applied = migrate(engine, with_core_schema=True)
        click.echo(f"    migrations applied: {len(applied)} (0 means it was up to date)")
        cipher = load_cipher()
        port = free_port(DEMO_PORT)
        config = SandboxConfig.model_validate(
            {"products": products, "orders": orders, "seed": seed, "dialect": dialect}
        )
        with run_sandbox(config, port=port) as sandbox:
            click.echo(
                f"2/6 sandbox store: {sandbox.base_url} ({products} products, {orders} orders, "
                f"dialect {dialect})"
            )
            created = seed_customers(engine, sandbox.store.customer_emails())
            click.echo(f"3/6 goldsphere users for the store's customers: {created} created")
            register_demo_connector(
                engine, cipher, sandbox.base_url, sandbox.consumer_key, sandbox.consumer_secret
            )
            connector = get_connector(engine, DEMO_CONNECTOR)
            click.echo(
                f"    connector {connector.name!r} → {connector.base_url} ({connector.auth_mode})"
            )
            instance = instance_for_cli()
            click.echo("4/6 first sync (full) …")
            first = materialize_connector(
                DEMO_CONNECTOR, instance=instance, trigger="demo", log_level="WARNING"
            )
            run1 = latest_run(engine)
            for line in run_summary(run1):
                click.echo(line)
            before = database_counts(engine, connector.id)
            click.echo("5/6 second sync (delta; nothing changed in the store) …")
            second = materialize_connector(
                DEMO_CONNECTOR, instance=instance, trigger="demo", log_level="WARNING"
            )
            run2 = latest_run(engine)
            for line in run_summary(run2):
                click.echo(line)
            after = database_counts(engine, connector.id)
    click.echo("6/6 summary")
    click.echo(f"    external_product by status: {after.external_products}")
    click.echo(f"    external_order by status:   {after.external_orders}")
    click.echo(
        f"    goldsphere: {after.products} products, {after.orders} orders, "
        f"{after.order_items} order items, {after.references} external references"
    )
    duplicated = before != after
    click.echo(
        "    second sync duplicated nothing: "
        + ("NO — counts changed, see above" if duplicated else "yes (same counts after both)")
    )
    errors = run1.stats.get("errors") or []
    if errors:
        click.echo("    a few mapping errors (what an admin would fix in the shop or the rules):")
        for error in errors[:5]:
            click.echo(
                f"      {error.get('entity')} {error.get('externalId')}: "
                f"{error.get('field')} — {error.get('message')}"
            )
    ok = first.success and second.success and run1.status == run2.status == "success"
    if not ok or duplicated:
        click.echo("demo FAILED: see the run summaries above.", err=True)
        sys.exit(1)
    click.echo("")
    click.echo("Demo finished: the sandbox shop is in goldsphere, and a re-sync changed nothing.")
    click.echo("Open the Dagster UI on the same data:  make dev   (then http://127.0.0.1:3000)")
    click.echo("To sync from the UI, keep a sandbox running:  make sandbox  (port 8099)")
