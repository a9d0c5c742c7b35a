"""`goldsphere admin-api serve`: the admin HTTP API, with uvicorn, on loopback by default."""

from __future__ import annotations

import ipaddress

import click


@click.group("admin-api")
def admin_api() -> None:
    """The admin HTTP API for goldsphere's Connectivity section (needs JWT_SECRET)."""


@admin_api.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8090, show_default=True, type=click.IntRange(1, 65535), help="TCP port."
)
@click.option(
    "--webhook-processor/--no-webhook-processor",
    default=True,
    show_default=True,
    help="Apply received webhook deliveries in a background thread of this process.",
)
def serve(host: str, port: int, webhook_processor: bool) -> None:
    """Serve the admin API and the webhook receiver (/webhooks/woocommerce/CONNECTOR) until
    interrupted. Syncs are launched in the Dagster webserver at GOLDSPHERE_DAGSTER_URL
    (default http://127.0.0.1:3000)."""
    import uvicorn

    from goldsphere_pipelines.admin_api import create_app

    app = create_app()
    if webhook_processor:
        from goldsphere_pipelines.cli.webhooks import start_processor

        start_processor(app.state.context.engine)
    if not _is_loopback(host):
        click.echo(
            f"warning: serving on {host}, reachable from other machines; put a TLS-terminating "
            "proxy in front, since bearer tokens and consumer secrets travel in requests.",
            err=True,
        )
    click.echo(f"admin API on http://{host}:{port}/admin (docs at /admin/docs)")
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
