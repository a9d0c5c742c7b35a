"""`goldsphere bench`: figures anyone can reproduce (README, "Performance")."""

from __future__ import annotations

import json
import sys

import click

from goldsphere_pipelines.cli.dialect_option import dialect_option
from goldsphere_pipelines.sandbox.dialects import DEFAULT_DIALECT

# One shop by default; a fleet's shops are smaller (README, "A fleet of shops").
SINGLE_SHOP_SIZE = (1000, 10_000)
FLEET_SHOP_SIZE = (500, 2000)


@click.command("bench")
@click.option(
    "--products", type=click.IntRange(1), help="Products per shop [default: 1000; fleet 500]."
)
@click.option("--variable-share", default=0.1, show_default=True, type=click.FloatRange(0, 1))
@click.option(
    "--orders", type=click.IntRange(0), help="Orders per shop [default: 10000; fleet 2000]."
)
@click.option("--latency-ms", default=20.0, show_default=True, type=click.FloatRange(0))
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 32))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option(
    "--connectors",
    type=click.IntRange(1, 500),
    help="A fleet: this many shops, each synced by its own run through a scratch Dagster "
    "instance (webserver, daemon, queued run coordinator).",
)
@click.option(
    "--max-runs",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Fleet only: the instance's limit of runs at once (max_concurrent_runs).",
)
@click.option(
    "--dequeue-interval",
    type=click.IntRange(1),
    help="Fleet only: seconds between the daemon's dequeues [default: dagster.yaml's].",
)
@click.option(
    "--keep-database",
    is_flag=True,
    help="Leave the benchmark's database in place (its name is in the output) to inspect it.",
)
@dialect_option(DEFAULT_DIALECT, "Classic keeps the figures comparable with earlier runs.")
@click.option(
    "--phase",
    "phases",
    multiple=True,
    type=click.Choice(["full_sync", "resync_no_change", "delta_1pct_changed", "reconcile"]),
    help="Run only these phases (repeat the option); full_sync always runs. Default: all.",
)
@click.option(
    "--webhooks",
    is_flag=True,
    help="Measure webhooks instead: delivery → mapped row latency under --rate for --seconds.",
)
@click.option("--rate", default=50.0, show_default=True, type=click.FloatRange(0.1, 1000))
@click.option("--seconds", default=60.0, show_default=True, type=click.FloatRange(1, 3600))
@click.option(
    "--webhooks-mode",
    default="processor",
    show_default=True,
    type=click.Choice(["processor", "sensor"]),
    help="processor: admin-api serve's processor; sensor: the Dagster sensor + job instead.",
)
@click.option("--json", "as_json", is_flag=True, help="Print only the JSON object.")
def bench(
    products: int | None,
    variable_share: float,
    orders: int | None,
    latency_ms: float,
    concurrency: int,
    seed: int,
    connectors: int | None,
    max_runs: int,
    dequeue_interval: int | None,
    keep_database: bool,
    dialect: str,
    phases: tuple[str, ...],
    webhooks: bool,
    rate: float,
    seconds: float,
    webhooks_mode: str,
    as_json: bool,
) -> None:
    """Full sync, re-sync, 1 % delta and reconciliation of a sandbox store, or (--connectors)
    a fleet of shops synced through Dagster, or (--webhooks) the webhook latency benchmark
    (README, "Webhooks"); prints one JSON object."""
    echo = None if as_json else lambda m: click.echo(m, err=True)
    default_products, default_orders = FLEET_SHOP_SIZE if connectors else SINGLE_SHOP_SIZE
    products = default_products if products is None else products
    orders = default_orders if orders is None else orders
    if webhooks:
        from goldsphere_pipelines.bench_webhooks import (
            WebhookBenchOptions,
            run_webhook_benchmark,
        )

        webhook_options = WebhookBenchOptions(
            rate=rate,
            seconds=seconds,
            products=min(products, 200),
            orders=min(orders, 2000),
            mode=webhooks_mode,
            seed=seed,
        )
        click.echo(json.dumps(run_webhook_benchmark(webhook_options, echo=echo), indent=2))
        return
    if connectors:
        from goldsphere_pipelines.bench_fleet import (
            FleetOptions,
            fleet_failures,
            run_fleet_benchmark,
        )

        result = run_fleet_benchmark(
            FleetOptions(
                connectors=connectors,
                products=products,
                variable_share=variable_share,
                orders=orders,
                latency_ms=latency_ms,
                max_runs=max_runs,
                dequeue_interval_seconds=dequeue_interval,
                seed=seed,
            ),
            echo=echo,
        )
        click.echo(json.dumps(result, indent=None if as_json else 2))
        failures = fleet_failures(result["fleet"])
        if failures:
            # The figures are printed either way; a fleet that did not sync is a failed
            # benchmark, for a script or CI as much as for the reader.
            click.echo(f"{len(failures)} of {connectors} connectors did not sync:", err=True)
            for failure in failures:
                click.echo(f"  {failure}", err=True)
            sys.exit(1)
        return
    from goldsphere_pipelines.bench import PHASES, BenchOptions, run_benchmark

    options = BenchOptions(
        products=products,
        variable_share=variable_share,
        orders=orders,
        latency_ms=latency_ms,
        concurrency=concurrency,
        seed=seed,
        keep_database=keep_database,
        dialect=dialect,
        phases=phases or PHASES,
    )
    result = run_benchmark(options, echo=echo)
    click.echo(json.dumps(result, indent=None if as_json else 2))
