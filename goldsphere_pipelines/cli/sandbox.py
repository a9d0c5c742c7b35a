"""`goldsphere sandbox serve`: a WooCommerce look-alike store for the demo, tests, benchmarks."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import click

from goldsphere_pipelines.cli.dialect_option import dialect_option
from goldsphere_pipelines.sandbox import SandboxConfig, SandboxStore, serve_forever
from goldsphere_pipelines.sandbox.config import DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET
from goldsphere_pipelines.sandbox.dialects import DEFAULT_DIALECT


@click.group()
def sandbox() -> None:
    """A WooCommerce store look-alike (bullion shop data, real auth, fault injection)."""


@sandbox.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8099, show_default=True, type=int, help="0 picks a free port.")
@click.option("--products", default=200, show_default=True, type=click.IntRange(min=0))
@click.option(
    "--variable-share",
    default=0.1,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of products that are variable (with variations).",
)
@click.option("--variations", "variations_per_product", default=5, show_default=True, type=int)
@click.option("--orders", default=1000, show_default=True, type=click.IntRange(min=0))
@click.option("--customers", default=200, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=7, show_default=True, type=int, help="Same seed, same store.")
@click.option(
    "--messy-share",
    default=0.05,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of records with a flaw (missing SKU, empty price, guest without e-mail...).",
)
@dialect_option(DEFAULT_DIALECT, "Classic is the original shape.")
@click.option("--currency", default="USD", show_default=True)
@click.option("--woocommerce-version", default="8.9.1", show_default=True)
@click.option(
    "--consumer-key",
    envvar="GOLDSPHERE_SANDBOX_CONSUMER_KEY",
    default=DEMO_CONSUMER_KEY,
    help="Default: the fixed demo key. Env: GOLDSPHERE_SANDBOX_CONSUMER_KEY.",
    show_default=False,
)
@click.option(
    "--consumer-secret",
    envvar="GOLDSPHERE_SANDBOX_CONSUMER_SECRET",
    default=DEMO_CONSUMER_SECRET,
    help="Default: the fixed demo secret. Env: GOLDSPHERE_SANDBOX_CONSUMER_SECRET.",
    show_default=False,
)
@click.option("--tls", is_flag=True, help="Serve HTTPS with a certificate made at start.")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--behind-tls-proxy",
    is_flag=True,
    help="Plain HTTP that WordPress treats as HTTPS (Basic auth accepted, as behind a proxy).",
)
@click.option(
    "--old-store", is_flag=True, help="Ignore modified_after/_before (WooCommerce < 5.8)."
)
@click.option("--latency-ms", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--rate-429", default=0.0, type=click.FloatRange(0, 1), help="Share answered 429.")
@click.option("--retry-after", "retry_after_s", type=click.IntRange(min=0), help="Seconds.")
@click.option("--rate-5xx", default=0.0, type=click.FloatRange(0, 1), help="500/502/503/504.")
@click.option("--rate-drop", default=0.0, type=click.FloatRange(0, 1), help="Connection reset.")
@click.option("--rate-html", default=0.0, type=click.FloatRange(0, 1), help="HTML with 200.")
@click.option("--rate-bom", default=0.0, type=click.FloatRange(0, 1), help="Byte order mark.")
@click.option("--rate-truncated", default=0.0, type=click.FloatRange(0, 1), help="Cut JSON.")
@click.option("--max-rps", type=click.FloatRange(min=0, min_open=True), help="429 beyond this.")
@click.option("--warm-up/--no-warm-up", default=True, help="Render every order before serving.")
@click.option("--log-requests", is_flag=True, help="Log each API request (secrets masked).")
def serve(
    host: str,
    port: int,
    consumer_key: str,
    consumer_secret: str,
    tls: bool,
    tls_cert: Path | None,
    tls_key: Path | None,
    old_store: bool,
    warm_up: bool,
    log_requests: bool,
    **settings: object,
) -> None:
    """Serve a sandbox store until interrupted (Ctrl-C or SIGTERM)."""
    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together.")
    if tls and tls_cert is not None:
        raise click.UsageError("--tls makes its own certificate; drop it or --tls-cert/--tls-key.")
    config = SandboxConfig.model_validate(
        {
            **settings,
            "consumer_key": consumer_key,
            "consumer_secret": consumer_secret,
            "supports_modified_filters": not old_store,
        }
    )
    started = time.monotonic()
    store = SandboxStore(config)
    if warm_up and config.orders:
        click.echo(f"rendering {config.orders} orders once, so that pages are served from memory")
        store.warm_up()
    counts = store.counts()
    if log_requests:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    def announce(base_url: str, ca_cert_path: Path | None) -> None:
        click.echo(f"WooCommerce sandbox ready in {time.monotonic() - started:.1f} s")
        click.echo(f"  store URL        {base_url}")
        click.echo(f"  REST API         {base_url}/wp-json/wc/v3")
        # The issue asks for the keys at start: they are the sandbox's own test keys.
        click.echo(f"  consumer key     {consumer_key}")
        click.echo(f"  consumer secret  {consumer_secret}")
        auth = "basic or query (HTTPS)" if ca_cert_path or config.behind_tls_proxy else "oauth1"
        click.echo(f"  auth             {auth}")
        if ca_cert_path:
            click.echo(f"  CA bundle        {ca_cert_path}")
        click.echo(
            f"  data             {counts['products']} products, {counts['variations']} variations,"
            f" {counts['orders']} orders (seed {config.seed}, dialect {config.dialect})"
        )
        click.echo("Press Ctrl-C to stop.")

    serve_forever(
        store,
        host=host,
        port=port,
        tls=tls,
        tls_cert=tls_cert,
        tls_key=tls_key,
        log_requests=log_requests,
        on_ready=announce,
    )
    click.echo("sandbox stopped")
