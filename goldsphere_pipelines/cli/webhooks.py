"""`goldsphere webhooks secret|register|status|process`: a connector's webhooks."""

from __future__ import annotations

import json
import threading

import click
from sqlalchemy.engine import Engine

from goldsphere_pipelines.cli.connectors import database_engine
from goldsphere_pipelines.connectors import webhooks as service
from goldsphere_pipelines.connectors.webhook_processor import Reporter
from goldsphere_pipelines.storage.credentials import load_cipher


@click.group("webhooks")
def webhooks() -> None:
    """WooCommerce webhooks: changes pushed by the shop, applied within seconds."""


@webhooks.command("secret")
@click.argument("connector")
def secret_command(connector: str) -> None:
    """Create (or rotate) the connector's webhook secret and print it once. Paste it into
    each webhook's Secret field in WooCommerce; the old secret stops working now."""
    with database_engine() as engine:
        secret = service.create_secret(engine, load_cipher(), connector)
    click.echo(secret)
    click.echo(
        "This is the only time the secret is shown; it is stored encrypted. Run "
        f"`goldsphere webhooks register {connector} --delivery-url URL` next.",
        err=True,
    )


@webhooks.command("register")
@click.argument("connector")
@click.option(
    "--delivery-url",
    required=True,
    help="The receiver's public address: https://HOST/webhooks/woocommerce/CONNECTOR.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def register_command(connector: str, delivery_url: str, as_json: bool) -> None:
    """Create the eight webhooks (product.* and order.*) in the store when its key may
    write; otherwise print the WooCommerce admin steps to create them by hand."""
    with database_engine() as engine:
        result = service.register_webhooks(engine, load_cipher(), connector, delivery_url)
    if as_json:
        click.echo(result.model_dump_json(by_alias=True))
    elif result.manual_steps:
        click.echo(result.manual_steps)
    else:
        for hook in result.created:
            click.echo(f"created webhook {hook.webhook_id}: {hook.topic} -> {delivery_url}")


@webhooks.command("status")
@click.argument("connector")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status_command(connector: str, as_json: bool) -> None:
    """Last delivery, deliveries received / applied / rejected, and the lag."""
    with database_engine() as engine:
        status = service.webhook_status(engine, connector)
    if as_json:
        click.echo(status.model_dump_json(by_alias=True))
        return
    lag = "-" if status.lag_seconds is None else f"{status.lag_seconds:.1f} s"
    rows = [
        ("secret", "set" if status.secret_set else "not set (run `webhooks secret`)"),
        ("last delivery", str(status.last_received_at or "never")),
        ("last applied", str(status.last_applied_at or "never")),
        ("received", str(status.received)),
        ("applied", str(status.applied)),
        ("stale", f"{status.stale} (older than the stored record)"),
        ("waiting", f"{status.waiting} (orders whose products are not known yet)"),
        ("pending", str(status.pending)),
        ("failed", str(status.failed)),
        ("rejected", f"{status.rejected} (bad or missing signature)"),
        ("lag", lag),
    ]
    for label, value in rows:
        click.echo(f"{label + ':':<15}{value}")


@webhooks.command("process")
@click.option("--once", is_flag=True, help="Apply what is due now, then exit.")
@click.option(
    "--report-to-dagster/--no-report-to-dagster",
    default=True,
    show_default=True,
    help="Report each pass as asset materializations in the Dagster instance (DAGSTER_HOME).",
)
def process_command(once: bool, report_to_dagster: bool) -> None:
    """Apply stored deliveries (what `admin-api serve` does in the background), until
    interrupted. Several processes may run: each connector's passes take turns."""
    from goldsphere_pipelines.connectors.webhook_processor import WebhookProcessor

    with database_engine() as engine:
        processor = WebhookProcessor(engine, report=_reporter() if report_to_dagster else None)
        if once:
            reports = processor.run_until_idle()
            click.echo(json.dumps([r.counts() | {"connector": r.connector_name} for r in reports]))
            return
        stop = threading.Event()
        click.echo("applying webhook deliveries; Ctrl-C stops", err=True)
        try:
            processor.run_forever(stop)
        except KeyboardInterrupt:
            stop.set()


def _reporter() -> Reporter:
    from goldsphere_pipelines.defs.run_sync import instance_for_cli
    from goldsphere_pipelines.defs.webhooks import dagster_reporter

    return dagster_reporter(instance_for_cli())


def start_processor(engine: Engine) -> threading.Event:
    """The webhook processor in a daemon thread, reporting to Dagster; set the event to stop."""
    from goldsphere_pipelines.connectors.webhook_processor import WebhookProcessor

    _thread, stop = WebhookProcessor(engine, report=_reporter()).start()
    return stop
