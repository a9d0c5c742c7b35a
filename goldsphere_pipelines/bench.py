"""`goldsphere bench`: the real pipeline against a sandbox store in its own process.

Four phases on a fresh database — a full sync, a re-sync with nothing changed, a delta
after 1 % of the products and orders changed, and a reconciliation (the id scan of
`connectors.reconcile` alone) — each measured for wall time, records per second, HTTP
requests, retries, rows written, peak resident memory of this (the syncing) process, and
the lower bound that the store's latency sets: requests × latency ÷ concurrency.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import psutil
import sqlalchemy as sa
from pydantic import BaseModel, Field, SecretStr
from sqlalchemy.engine import make_url

from goldsphere_pipelines import settings
from goldsphere_pipelines.connectors.configuration import add_connector, get_connector
from goldsphere_pipelines.connectors.models import ConnectorCreate
from goldsphere_pipelines.connectors.runs import list_runs
from goldsphere_pipelines.demo import seed_customers
from goldsphere_pipelines.sandbox import SandboxConfig, SandboxStore, run_sandbox_process
from goldsphere_pipelines.storage import engine as engine_module
from goldsphere_pipelines.storage.credentials import generate_key, load_cipher
from goldsphere_pipelines.storage.embedded import ensure_embedded_database
from goldsphere_pipelines.storage.engine import create_engine, normalize_database_url
from goldsphere_pipelines.storage.external_records import ExternalRecordRepository
from goldsphere_pipelines.storage.migrations import migrate

BENCH_CONNECTOR = "bench-shop"
STEPS = ("products_extract", "products_map", "orders_extract", "orders_map", "reconcile")
PHASES = ("full_sync", "resync_no_change", "delta_1pct_changed", "reconcile")


class BenchOptions(BaseModel):
    products: int = Field(1000, ge=1)
    variable_share: float = Field(0.1, ge=0, le=1)
    variations_per_product: int = Field(5, ge=1, le=50)
    orders: int = Field(10_000, ge=0)
    latency_ms: float = Field(20.0, ge=0)
    concurrency: int = Field(8, ge=1, le=32)
    change_share: float = Field(0.01, gt=0, le=1)
    seed: int = 7
    keep_database: bool = False
    dialect: str = "classic"
    phases: tuple[str, ...] = Field(PHASES, description="Which phases; full_sync always runs.")


class PeakMemory:
    """Peak resident memory of this (the syncing) process since `reset`.

    On Linux the kernel keeps the peak itself (`VmHWM`, reset by writing 5 to
    `/proc/self/clear_refs`): exact, and no cost to the pipeline being measured. Elsewhere a
    thread samples the resident size every 20 ms, which can miss a short spike and takes
    the interpreter lock from the sync fifty times a second.
    """

    def __init__(self, interval_s: float = 0.02) -> None:
        self._process = psutil.Process()
        self._kernel_peak = _kernel_peak_bytes() is not None and _reset_kernel_peak()
        self._interval = interval_s
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._peak = max(self._peak, self._process.memory_info().rss)

    def __enter__(self) -> PeakMemory:
        if not self._kernel_peak:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def reset(self) -> None:
        if self._kernel_peak:
            _reset_kernel_peak()
        self._peak = self._process.memory_info().rss

    @property
    def peak_mb(self) -> float:
        peak = _kernel_peak_bytes() if self._kernel_peak else None
        if peak is None:
            peak = max(self._peak, self._process.memory_info().rss)
        return round(peak / 2**20, 1)


def _kernel_peak_bytes() -> int | None:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB$", status, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def _reset_kernel_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@contextmanager
def fresh_database(*, keep: bool = False) -> Iterator[str]:
    """A new database beside the configured one (or in the embedded server), dropped after
    unless `keep`."""
    configured = os.environ.get(settings.DATABASE_URL_ENV, "").strip()
    if configured:
        admin_url = make_url(normalize_database_url(configured)).set(database="postgres")
    else:
        admin_url = make_url(
            ensure_embedded_database(settings.goldsphere_home(), database="postgres")
        )
    name = f"goldsphere_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _phase_figures(
    run_stats: dict[str, Any],
    wall_s: float,
    requests: int,
    peak_mb: float,
    options: BenchOptions,
) -> dict[str, Any]:
    steps = {s: run_stats.get(s, {}) for s in STEPS}
    records = steps["products_extract"].get("fetched", 0) + steps["orders_extract"].get(
        "fetched", 0
    )
    written = sum(
        steps[s].get(k, 0)
        for s in ("products_extract", "orders_extract")
        for k in ("new", "changed")
    ) + sum(steps[s].get("mapped", 0) for s in ("products_map", "orders_map"))
    extract_s = steps["products_extract"].get("seconds", 0.0) + steps["orders_extract"].get(
        "seconds", 0.0
    )
    # The reconciliation has its own client and bound (see the reconcile figures).
    reconcile_requests = steps["reconcile"].get("requests", 0)
    bound = (requests - reconcile_requests) * options.latency_ms / 1000 / options.concurrency
    reconcile_bound = reconcile_requests * options.latency_ms / 1000 / options.concurrency
    reconcile_s = steps["reconcile"].get("seconds", 0.0)
    return {
        "wall_seconds": round(wall_s, 2),
        "records": records,
        "records_per_second": round(records / wall_s, 1) if wall_s else None,
        "http_requests": requests,
        "retries": sum(steps[s].get("retries", 0) for s in ("products_extract", "orders_extract")),
        "rows_written": written,
        "peak_rss_mb": peak_mb,
        "extract_seconds": round(extract_s, 2),
        "extract_lower_bound_seconds": round(bound, 2),
        "extract_vs_lower_bound": round(extract_s / bound, 2) if bound else None,
        "mapping": _mapping_figures(steps, options),
        "reconcile_ids": steps["reconcile"].get("fetched", 0),
        "reconcile_requests": reconcile_requests,
        "reconcile_seconds": round(reconcile_s, 2),
        "reconcile_lower_bound_seconds": round(reconcile_bound, 2),
        "reconcile_vs_lower_bound": round(reconcile_s / reconcile_bound, 2)
        if reconcile_bound
        else None,
        "steps": {s: {k: v for k, v in steps[s].items() if k != "errors"} for s in STEPS},
    }


def _mapping_figures(steps: dict[str, dict[str, Any]], options: BenchOptions) -> dict[str, Any]:
    """Records mapped per second by the two mapping steps, and the share that mapped, for
    the dialect the store writes (issue 15's targets)."""
    figures: dict[str, Any] = {"dialect": options.dialect}
    for step, label in (("products_map", "products"), ("orders_map", "orders")):
        stats = steps[step]
        mapped, failed = stats.get("mapped", 0), stats.get("failed", 0)
        handled = mapped + failed + stats.get("not_sellable", 0)
        seconds = stats.get("seconds", 0.0)
        figures[f"{label}_per_second"] = round(handled / seconds, 1) if seconds else None
        figures[f"{label}_mapped_share"] = (
            round(mapped / (mapped + failed), 4) if mapped + failed else None
        )
    return figures


def _orders_meant_to_map(engine: sa.Engine, config: SandboxConfig) -> dict[str, Any]:
    """The share of orders that mapped among those the sandbox did not break on purpose
    (`SandboxStore.deliberately_broken`: no buyer, a currency goldsphere does not take, a
    line without a product, a status without a default), how many it broke, and how many
    of the others name a product deleted before the first sync (and mapped). The store
    is laid out again here from the same seed: the served one lives in its own process."""
    truth = SandboxStore(config)
    connector = get_connector(engine, BENCH_CONNECTOR)
    listed = {
        external_id: status
        for external_id, status in ExternalRecordRepository(engine, "order")
        .statuses(connector.id)
        .items()
        if status != "deleted"  # the shop's trash
    }
    broken = {i for i in listed if truth.deliberately_broken(int(i))}
    meant = [status for i, status in listed.items() if i not in broken]
    mapped = sum(status == "mapped" for status in meant)
    gone = [
        status
        for i, status in listed.items()
        if i not in broken and truth.order_flaw(int(i)) == "deleted_product"
    ]
    return {
        "orders_broken_on_purpose": len(broken),
        "orders_broken_on_purpose_failed": sum(listed[i] == "failed" for i in broken),
        "orders_meant_to_map_share": round(mapped / len(meant), 4) if meant else None,
        "orders_of_gone_products": len(gone),
        "orders_of_gone_products_mapped": sum(status == "mapped" for status in gone),
    }


def measured_sync(
    engine: sa.Engine,
    instance: dg.DagsterInstance,
    resources: dict[str, Any],
    shop: Any,
    memory: PeakMemory,
    options: BenchOptions,
    *,
    reconcile_only: bool = False,
) -> dict[str, Any]:
    """Materialize the bench connector once, in this process, and return the phase's
    figures: `_phase_figures`, the CPU seconds of this process and of the store, success."""
    from goldsphere_pipelines.defs.run_sync import materialize_connector

    store_process = psutil.Process(shop.pid)
    shop.reset_stats()
    memory.reset()
    store_cpu = _cpu_seconds(store_process)
    cpu = time.process_time()
    busy = cpu_busy_seconds()
    started = time.perf_counter()
    outcome = materialize_connector(
        BENCH_CONNECTOR,
        instance=instance,
        trigger="bench",
        resources=resources,
        with_checks=False,
        log_level="WARNING",
        reconcile_only=reconcile_only,
    )
    wall = time.perf_counter() - started
    run = list_runs(engine, BENCH_CONNECTOR, limit=1)[0]
    figures = _phase_figures(run.stats, wall, shop.stats().requests, memory.peak_mb, options)
    # Where the time went: a phase near cpu_seconds ÷ cores is bound by computation, not
    # by the store's latency.
    syncing = time.process_time() - cpu
    store = _cpu_seconds(store_process) - store_cpu
    figures["cpu_seconds"] = {
        "syncing_process": round(syncing, 2),
        "sandbox_store": round(store, 2),
        # The machine's other busy time: PostgreSQL's backends when the database runs here
        # (it is most of it on a quiet machine), which a process's own figures never show.
        "rest_of_machine": round(max(cpu_busy_seconds() - busy - syncing - store, 0.0), 2),
    }
    figures["success"] = outcome.success and run.status == "success"
    return figures


def cpu_busy_seconds() -> float:
    """CPU seconds every core of this machine has been busy (all processes) since boot."""
    times = psutil.cpu_times()
    return float(times.user + times.system + getattr(times, "nice", 0.0))


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


@contextmanager
def bench_connector(
    url: str, shop: Any, connector_name: str, *, ca_bundle_pem: str | None = None
) -> Iterator[sa.Engine]:
    """The database at `url` migrated, `shop`'s customers as users, a connector for it
    (trusting `ca_bundle_pem` when the shop serves TLS with its own CA); for the block
    `GOLDSPHERE_DATABASE_URL` (and a credentials key) point there, as Dagster resources and
    child processes read them."""
    saved_env = {
        k: os.environ.get(k) for k in (settings.DATABASE_URL_ENV, "GOLDSPHERE_CREDENTIALS_KEY")
    }
    os.environ[settings.DATABASE_URL_ENV] = url
    os.environ.setdefault("GOLDSPHERE_CREDENTIALS_KEY", generate_key())
    engine_module._engine_for.cache_clear()
    engine = create_engine(url)
    try:
        migrate(engine, with_core_schema=True)
        seed_customers(engine, shop.customer_emails())
        add_connector(
            engine,
            load_cipher(),
            ConnectorCreate(
                name=connector_name,
                base_url=shop.base_url,
                consumer_key=SecretStr(shop.consumer_key),
                consumer_secret=SecretStr(shop.consumer_secret),
                ca_bundle_pem=ca_bundle_pem,
            ),
        )
        yield engine
    finally:
        engine.dispose()
        engine_module._engine_for.cache_clear()
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_benchmark(options: BenchOptions, echo: Any = None) -> dict[str, Any]:
    """Run the three phases; return one JSON-ready dict of figures."""
    from goldsphere_pipelines.defs.resources import (
        ConnectorSync,
        GoldsphereDatabase,
        WooCommerceResource,
    )

    say = echo or (lambda _msg: None)
    config = SandboxConfig(
        products=options.products,
        variable_share=options.variable_share,
        variations_per_product=options.variations_per_product,
        orders=options.orders,
        customers=max(50, options.orders // 20),
        seed=options.seed,
        latency_ms=options.latency_ms,
        dialect=options.dialect,
    )
    result: dict[str, Any] = {"options": options.model_dump(), "phases": {}}
    with fresh_database(keep=options.keep_database) as url, PeakMemory() as memory:
        if options.keep_database:
            result["database"] = make_url(url).database
        say("starting the sandbox store in its own process …")
        with (
            run_sandbox_process(config) as shop,
            bench_connector(url, shop, BENCH_CONNECTOR) as engine,
        ):
            resources = {
                "database": GoldsphereDatabase(),
                "woocommerce": WooCommerceResource(concurrency=options.concurrency),
                "sync": ConnectorSync(),
            }
            instance = dg.DagsterInstance.ephemeral()
            rng = random.Random(options.seed)  # noqa: S311 (which records change, not secrets)

            def phase(name: str, *, reconcile_only: bool = False) -> None:
                rss_before = psutil.Process().memory_info().rss / 2**20
                say(f"phase {name} …")
                figures = measured_sync(
                    engine,
                    instance,
                    resources,
                    shop,
                    memory,
                    options,
                    reconcile_only=reconcile_only,
                )
                figures["extra_rss_mb"] = round(figures["peak_rss_mb"] - rss_before, 1)
                result["phases"][name] = figures
                bound = figures[
                    "reconcile_lower_bound_seconds"
                    if reconcile_only
                    else "extract_lower_bound_seconds"
                ]
                say(
                    f"  {figures['wall_seconds']} s, {figures['http_requests']} requests, "
                    f"lower bound {bound} s, peak {figures['peak_rss_mb']} MB "
                    f"(+{figures['extra_rss_mb']} MB)"
                )

            phase("full_sync")
            result["phases"]["full_sync"]["mapping"].update(_orders_meant_to_map(engine, config))
            if "resync_no_change" in options.phases:
                phase("resync_no_change")
            if "delta_1pct_changed" in options.phases:
                products = shop.ids("products")
                orders = shop.ids("orders")
                for pid in rng.sample(products, max(1, int(len(products) * options.change_share))):
                    shop.mutate("modify_product", id=pid)
                for oid in rng.sample(orders, max(1, int(len(orders) * options.change_share))):
                    shop.mutate("modify_order", id=oid)
                phase("delta_1pct_changed")
            if "reconcile" in options.phases:
                phase("reconcile", reconcile_only=True)
    return result
