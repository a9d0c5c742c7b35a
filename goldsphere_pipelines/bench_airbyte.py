"""`python -m goldsphere_pipelines.bench_airbyte`: Airbyte's WooCommerce source beside ours.

One sandbox store over TLS, then for each round: Airbyte's `source-woocommerce read` of
the products, product_variations and orders streams (the records our sync extracts;
`--stream` chooses others), extract only: records written to a file, no destination; and
our whole pipeline (the `full_sync` phase of `goldsphere bench`:
extract, map, write, reconcile) on a fresh database, against the same store. Each is
timed, its CPU seconds and the store's counted, and Airbyte's records checked against
what the store lists (README, "Side by side with Airbyte").

Airbyte's connector lives in its own virtual environment (`.venv-airbyte`, installed from
PyPI on first use): its dependencies conflict with ours, so it is no dependency of this
project.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import dagster as dg
import httpx2
import psutil
from pydantic import BaseModel, Field

from goldsphere_pipelines.bench import (
    BENCH_CONNECTOR,
    BenchOptions,
    PeakMemory,
    _cpu_seconds,
    bench_connector,
    fresh_database,
    measured_sync,
)
from goldsphere_pipelines.sandbox import (
    RunningSandbox,
    SandboxConfig,
    SandboxProcess,
    run_sandbox_process,
)
from goldsphere_pipelines.sandbox.tls import trusting

AIRBYTE_PACKAGE = "airbyte-source-woocommerce"
AIRBYTE_VERSION = "0.4.12"
# The same records our pipeline extracts: products, their variations, and orders.
AIRBYTE_STREAMS = ("products", "product_variations", "orders")
# The streams read in windows of `modified_after` from `start_date` (the manifest's
# incremental ones); `product_variations` asks each product read by `products`.
DATED_STREAMS = ("products", "orders")
# What the store must list for each stream Airbyte may read (`SandboxProcess.counts`).
# `product_variations` asks every product for its variations, simple ones included.
STORE_COUNT_OF_STREAM = {
    "products": "products",
    "orders": "orders",
    "product_variations": "variations",
}
TARGET_RATIO = 20.0

# The CDK sends every request through `Session.send`, which, unlike `Session.request`,
# never reads REQUESTS_CA_BUNDLE from the environment (nor SSL_CERT_FILE: requests
# verifies against certifi's bundle), so Airbyte could not trust the sandbox's CA at all.
# Each session gets the bundle requests itself would have taken from the environment;
# nothing else of the connector changes.
AIRBYTE_LAUNCHER = """\
import os
import requests

_session_init = requests.Session.__init__


def _trusting_init(self, *args, **kwargs):
    _session_init(self, *args, **kwargs)
    self.verify = os.environ["REQUESTS_CA_BUNDLE"]


requests.Session.__init__ = _trusting_init
"""
AIRBYTE_ENTRY = "from source_woocommerce.run import run\nrun()\n"

Say = Callable[[str], None]


class SideBySideOptions(BaseModel):
    products: int = Field(2000, ge=1)
    variable_share: float = Field(0.1, ge=0, le=1)
    orders: int = Field(20_000, ge=0, description="Orders made; about 2 % are in the trash.")
    latency_ms: float = Field(20.0, ge=0)
    concurrency: int = Field(8, ge=1, le=32, description="Ours; Airbyte's is its own (one).")
    seed: int = 7
    rounds: int = Field(1, ge=1, le=10, description="Airbyte then ours, this many times.")
    streams: tuple[str, ...] = Field(AIRBYTE_STREAMS, description="Airbyte's streams to read.")
    airbyte_venv: Path = Path(".venv-airbyte")

    def bench_options(self) -> BenchOptions:
        return BenchOptions(
            products=self.products,
            variable_share=self.variable_share,
            orders=self.orders,
            latency_ms=self.latency_ms,
            concurrency=self.concurrency,
            seed=self.seed,
            phases=("full_sync",),
        )

    def sandbox_config(self) -> SandboxConfig:
        # The same store `goldsphere bench` builds for these flags.
        return SandboxConfig(
            products=self.products,
            variable_share=self.variable_share,
            orders=self.orders,
            customers=max(50, self.orders // 20),
            seed=self.seed,
            latency_ms=self.latency_ms,
        )


def ensure_airbyte(venv: Path, say: Say) -> Path:
    """The Python of `venv`, with Airbyte's WooCommerce source installed into it if missing."""
    venv = venv.absolute()
    python = venv / "bin" / "python"
    if (venv / "bin" / "source-woocommerce").exists():
        return python
    say(f"installing {AIRBYTE_PACKAGE}=={AIRBYTE_VERSION} into {venv} (its own venv) …")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # noqa: S603
    subprocess.run(  # noqa: S603 - our own arguments, no shell
        [str(python), "-m", "pip", "install", "--quiet", f"{AIRBYTE_PACKAGE}=={AIRBYTE_VERSION}"],
        check=True,
    )
    return python


def airbyte_versions(python: Path) -> dict[str, str]:
    """The connector's and the Airbyte CDK's installed versions."""
    script = (
        "import importlib.metadata as m, json; "
        f"print(json.dumps({{n: m.version(n) for n in ('{AIRBYTE_PACKAGE}', 'airbyte-cdk')}}))"
    )
    output = subprocess.run(  # noqa: S603
        [str(python), "-c", script], check=True, capture_output=True, text=True
    ).stdout
    versions: dict[str, str] = json.loads(output)
    return versions


def airbyte_config(
    base_url: str, api_key: str, api_secret: str, start_date: date
) -> dict[str, str]:
    """The connector's config (its manifest's spec: shop, api_key, api_secret, start_date).

    The connector builds `https://{shop}/wp-json/wc/v3`, so `shop` is the host and port.
    """
    parts = urlsplit(base_url)
    if parts.scheme != "https":
        raise ValueError("Airbyte's WooCommerce source reaches a store over https only")
    return {
        "shop": parts.netloc,
        "api_key": api_key,
        "api_secret": api_secret,
        "start_date": start_date.isoformat(),
    }


def airbyte_catalog(streams: Iterable[str] = AIRBYTE_STREAMS) -> dict[str, Any]:
    """A configured catalog reading `streams` in full (full refresh, no state)."""
    return {
        "streams": [
            {
                "stream": {
                    "name": name,
                    "json_schema": {},
                    "supported_sync_modes": ["full_refresh", "incremental"],
                },
                "sync_mode": "full_refresh",
                "destination_sync_mode": "overwrite",
            }
            for name in streams
        ]
    }


def start_date_covering(earliest_modified_gmt: str) -> date:
    """A `start_date` from which Airbyte's windows reach every record.

    The products and orders streams are read in 30-day windows of `modified_after` /
    `modified_before` from `start_date` (even in full refresh), and WooCommerce's date
    filters are strict: a record modified at midnight of `start_date` itself would be
    outside the first window, so the day before the earliest modification.
    """
    earliest = datetime.fromisoformat(earliest_modified_gmt).date()
    return earliest - timedelta(days=1)


def earliest_modified_gmt(
    shop: SandboxProcess | RunningSandbox, streams: Iterable[str] = DATED_STREAMS
) -> str:
    """The store's earliest `date_modified_gmt` over `streams`, asked as any client would."""
    assert shop.ca_cert_path is not None
    found: list[str] = []
    with httpx2.Client(
        verify=trusting(shop.ca_cert_path),
        auth=(shop.consumer_key, shop.consumer_secret),
        timeout=60,
    ) as client:
        for stream in streams:
            response = client.get(
                f"{shop.api_url}/{stream}",
                params={
                    "orderby": "modified",
                    "order": "asc",
                    "per_page": 1,
                    "_fields": "date_modified_gmt",
                },
            )
            response.raise_for_status()
            found.extend(record["date_modified_gmt"] for record in response.json())
    return min(found)


@dataclass
class AirbyteOutput:
    """What a `read` printed: records per stream (and distinct ids), errors, unreadable lines."""

    records: dict[str, int] = field(default_factory=dict)
    ids: dict[str, set[Any]] = field(default_factory=dict, repr=False)
    errors: list[str] = field(default_factory=list)
    unreadable_lines: int = 0

    def distinct_ids(self) -> dict[str, int]:
        return {stream: len(ids) for stream, ids in self.ids.items()}


def count_airbyte_output(lines: Iterable[str | bytes]) -> AirbyteOutput:
    """Count the RECORD messages of Airbyte's protocol per stream; collect ERROR traces
    and ERROR/FATAL log messages (Airbyte masks secrets in them)."""
    output = AirbyteOutput()
    for line in lines:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError:
            output.unreadable_lines += 1
            continue
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "RECORD":
            record = message["record"]
            stream = record["stream"]
            output.records[stream] = output.records.get(stream, 0) + 1
            output.ids.setdefault(stream, set()).add(record.get("data", {}).get("id"))
        elif kind == "TRACE" and message["trace"].get("type") == "ERROR":
            output.errors.append(str(message["trace"]["error"].get("message", "")))
        elif kind == "LOG" and message["log"].get("level") in ("ERROR", "FATAL"):
            output.errors.append(str(message["log"].get("message", ""))[:500])
    return output


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_airbyte(
    python: Path,
    shop: SandboxProcess,
    config: dict[str, str],
    expected: dict[str, int],
    workdir: Path,
) -> dict[str, Any]:
    """Airbyte's `read` of the catalog's streams against `shop`, timed; its records are
    written to a file and counted after the clock stops."""
    assert shop.ca_cert_path is not None
    config_path, catalog_path = workdir / "config.json", workdir / "catalog.json"
    out_path, err_path = workdir / "airbyte-read.jsonl", workdir / "airbyte-read.stderr"
    config_path.touch(mode=0o600)
    config_path.write_text(json.dumps(config))
    catalog_path.write_text(json.dumps(airbyte_catalog(expected)))
    ca = str(shop.ca_cert_path)
    env = {**os.environ, "REQUESTS_CA_BUNDLE": ca, "SSL_CERT_FILE": ca}
    store_process = psutil.Process(shop.pid)
    shop.reset_stats()
    store_cpu = _cpu_seconds(store_process)
    # No other child of ours ends while this one runs (the store runs on), so the change
    # in the reaped children's usage is Airbyte's alone.
    cpu = _children_cpu_seconds()
    load = os.getloadavg()
    started = time.perf_counter()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        completed = subprocess.run(  # noqa: S603 - our own arguments, no shell
            [
                str(python),
                "-c",
                AIRBYTE_LAUNCHER + AIRBYTE_ENTRY,
                "read",
                "--config",
                str(config_path),
                "--catalog",
                str(catalog_path),
            ],
            stdout=out,
            stderr=err,
            env=env,
            cwd=workdir,
        )
    wall = time.perf_counter() - started
    cpu = _children_cpu_seconds() - cpu
    figures_store_cpu = _cpu_seconds(store_process) - store_cpu
    requests = shop.stats().requests
    with out_path.open("rb") as lines:
        output = count_airbyte_output(lines)
    distinct = output.distinct_ids()
    return {
        "wall_seconds": round(wall, 2),
        "records": dict(output.records),
        "distinct_ids": distinct,
        "expected": expected,
        "complete": all(distinct.get(s, 0) == n for s, n in expected.items())
        and all(output.records.get(s, 0) == n for s, n in expected.items()),
        "http_requests": requests,
        "cpu_seconds": {
            "airbyte_process": round(cpu, 2),
            "sandbox_store": round(figures_store_cpu, 2),
        },
        "load_average_at_start": [round(x, 2) for x in load],
        "exit_code": completed.returncode,
        "errors": output.errors[:5],
        "unreadable_lines": output.unreadable_lines,
    }


def run_our_pipeline(shop: SandboxProcess, options: SideBySideOptions) -> dict[str, Any]:
    """The `full_sync` phase of `goldsphere bench` against `shop`, on a fresh database."""
    from goldsphere_pipelines.defs.resources import (
        ConnectorSync,
        GoldsphereDatabase,
        WooCommerceResource,
    )

    assert shop.ca_cert_path is not None
    bench_options = options.bench_options()
    ca_pem = shop.ca_cert_path.read_text()
    with (
        fresh_database() as url,
        PeakMemory() as memory,
        bench_connector(url, shop, BENCH_CONNECTOR, ca_bundle_pem=ca_pem) as engine,
    ):
        resources = {
            "database": GoldsphereDatabase(),
            "woocommerce": WooCommerceResource(concurrency=options.concurrency),
            "sync": ConnectorSync(),
        }
        instance = dg.DagsterInstance.ephemeral()
        load = os.getloadavg()
        figures = measured_sync(engine, instance, resources, shop, memory, bench_options)
        steps = figures["steps"]
        return {
            "wall_seconds": figures["wall_seconds"],
            "records": {
                "products_and_variations": steps["products_extract"].get("fetched", 0),
                "orders": steps["orders_extract"].get("fetched", 0),
            },
            "mapped": {
                "products": steps["products_map"].get("mapped", 0),
                "orders": steps["orders_map"].get("mapped", 0),
            },
            "http_requests": figures["http_requests"],
            "extract_seconds": figures["extract_seconds"],
            "rows_written": figures["rows_written"],
            "peak_rss_mb": figures["peak_rss_mb"],
            "cpu_seconds": figures["cpu_seconds"],
            "load_average_at_start": [round(x, 2) for x in load],
            "step_seconds": {step: round(steps[step].get("seconds", 0.0), 2) for step in steps},
            "success": figures["success"],
        }


def run_side_by_side(options: SideBySideOptions, echo: Say | None = None) -> dict[str, Any]:
    """Install Airbyte's source if missing, start one TLS store, and run Airbyte then ours
    `options.rounds` times; return one JSON-ready dict of figures."""
    say = echo or (lambda _msg: None)
    python = ensure_airbyte(options.airbyte_venv, say)
    result: dict[str, Any] = {
        "options": options.model_dump(mode="json"),
        "airbyte": {"versions": airbyte_versions(python), "streams": list(options.streams)},
        "rounds": [],
    }
    say("starting the sandbox store (TLS) in its own process …")
    with (
        run_sandbox_process(options.sandbox_config(), tls=True) as shop,
        tempfile.TemporaryDirectory(prefix="goldsphere-bench-airbyte-") as scratch,
    ):
        counts = shop.counts()
        result["store"] = counts
        expected = {stream: counts[STORE_COUNT_OF_STREAM[stream]] for stream in options.streams}
        start = start_date_covering(earliest_modified_gmt(shop))
        result["airbyte"]["start_date"] = start.isoformat()
        config = airbyte_config(shop.base_url, shop.consumer_key, shop.consumer_secret, start)
        for number in range(1, options.rounds + 1):
            say(f"round {number}: Airbyte's read of {', '.join(options.streams)} …")
            theirs = run_airbyte(python, shop, config, expected, Path(scratch))
            say(
                f"  {theirs['wall_seconds']} s, {theirs['records']} "
                f"({'complete' if theirs['complete'] else 'INCOMPLETE'}), "
                f"{theirs['http_requests']} requests"
            )
            say(f"round {number}: our full sync …")
            ours = run_our_pipeline(shop, options)
            say(f"  {ours['wall_seconds']} s, {ours['records']}, {ours['http_requests']} requests")
            result["rounds"].append(
                {
                    "airbyte_extract": theirs,
                    "goldsphere_full_sync": ours,
                    "ratio": round(theirs["wall_seconds"] / ours["wall_seconds"], 1),
                }
            )
    rounds = result["rounds"]
    median_theirs = round(
        statistics.median(r["airbyte_extract"]["wall_seconds"] for r in rounds), 2
    )
    median_ours = round(
        statistics.median(r["goldsphere_full_sync"]["wall_seconds"] for r in rounds), 2
    )
    result["median"] = {
        "airbyte_extract_wall_seconds": median_theirs,
        "goldsphere_full_sync_wall_seconds": median_ours,
        "ratio": round(median_theirs / median_ours, 1),
    }
    result["target_ratio"] = TARGET_RATIO
    result["target_met"] = result["median"]["ratio"] >= TARGET_RATIO and all(
        r["airbyte_extract"]["complete"] and r["goldsphere_full_sync"]["success"] for r in rounds
    )
    say(
        f"median of {len(rounds)}: Airbyte's extract {median_theirs} s, our full sync "
        f"{median_ours} s: {result['median']['ratio']}× (target {TARGET_RATIO:g}×: "
        f"{'met' if result['target_met'] else 'not met'})"
    )
    return result


@click.command("bench-airbyte")
@click.option("--products", default=2000, show_default=True, type=click.IntRange(1))
@click.option("--variable-share", default=0.1, show_default=True, type=click.FloatRange(0, 1))
@click.option(
    "--orders",
    default=20_000,
    show_default=True,
    type=click.IntRange(0),
    help="Orders made; the store lists about 98 % (the rest are in the trash).",
)
@click.option("--latency-ms", default=20.0, show_default=True, type=click.FloatRange(0))
@click.option("--concurrency", default=8, show_default=True, type=click.IntRange(1, 32))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--rounds", default=1, show_default=True, type=click.IntRange(1, 10))
@click.option(
    "--stream",
    "streams",
    multiple=True,
    type=click.Choice(list(STORE_COUNT_OF_STREAM)),
    help="Airbyte's streams to read (repeat the option) "
    "[default: products, product_variations, orders: the records our sync extracts].",
)
@click.option(
    "--airbyte-venv",
    default=".venv-airbyte",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where Airbyte's connector is (installed there from PyPI when missing).",
)
@click.option("--json", "as_json", is_flag=True, help="Print only the JSON object.")
def main(
    products: int,
    variable_share: float,
    orders: int,
    latency_ms: float,
    concurrency: int,
    seed: int,
    rounds: int,
    streams: tuple[str, ...],
    airbyte_venv: Path,
    as_json: bool,
) -> None:
    """Airbyte's WooCommerce source (extract alone) beside our whole pipeline, on one TLS
    sandbox store; prints one JSON object."""
    echo = None if as_json else lambda m: click.echo(m, err=True)
    options = SideBySideOptions(
        products=products,
        variable_share=variable_share,
        orders=orders,
        latency_ms=latency_ms,
        concurrency=concurrency,
        seed=seed,
        rounds=rounds,
        streams=streams or AIRBYTE_STREAMS,
        airbyte_venv=airbyte_venv,
    )
    result = run_side_by_side(options, echo=echo)
    click.echo(json.dumps(result, indent=None if as_json else 2))


if __name__ == "__main__":
    main()
