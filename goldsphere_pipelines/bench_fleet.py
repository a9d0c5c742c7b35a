"""`goldsphere bench --connectors N`: a fleet of shops synced through a real Dagster instance.

N sandbox stores (one process serves them all, each on its own port), N connectors in a
fresh goldsphere database, and a scratch Dagster instance made from the repository's
production `dagster.yaml` — storage in a fresh PostgreSQL database, the queued run
coordinator with its per-connector limit, at most `max_runs` runs at once — served by a
real `dagster-webserver` and `dagster-daemon`. Each connector's sync is launched the way the
admin API launches one (GraphQL `launchRun` on the webserver); the daemon dequeues the runs
and starts each in its own process. Figures come from Dagster's event log (when a run was
queued, launched, started, finished) and from the stores (when each was first asked).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

import dagster as dg
import psutil
import sqlalchemy as sa
from dagster._core.storage.dagster_run import RunsFilter
from pydantic import BaseModel, Field, SecretStr
from sqlalchemy.engine import make_url

from goldsphere_pipelines import settings
from goldsphere_pipelines.admin_api.dagster_launcher import (
    PARTITIONS_DEF_NAME,
    DagsterLauncher,
    sync_asset_keys,
)
from goldsphere_pipelines.bench import cpu_busy_seconds, fresh_database
from goldsphere_pipelines.bench_dagster import DAGSTER_PG_URL_ENV, dagster_services, instance_yaml
from goldsphere_pipelines.connectors.configuration import add_connector
from goldsphere_pipelines.connectors.models import ConnectorCreate
from goldsphere_pipelines.connectors.runs import list_runs
from goldsphere_pipelines.demo import seed_customers
from goldsphere_pipelines.sandbox import SandboxConfig
from goldsphere_pipelines.sandbox.fleet import SandboxFleet, run_fleet_process
from goldsphere_pipelines.storage import engine as engine_module
from goldsphere_pipelines.storage.credentials import generate_key, load_cipher
from goldsphere_pipelines.storage.engine import create_engine
from goldsphere_pipelines.storage.migrations import migrate

_TERMINAL = {
    dg.DagsterRunStatus.SUCCESS,
    dg.DagsterRunStatus.FAILURE,
    dg.DagsterRunStatus.CANCELED,
}
_RUN_END_EVENTS = {
    dg.DagsterEventType.RUN_SUCCESS,
    dg.DagsterEventType.RUN_FAILURE,
    dg.DagsterEventType.RUN_CANCELED,
}
_RUN_EVENTS = {
    dg.DagsterEventType.RUN_ENQUEUED,
    dg.DagsterEventType.RUN_STARTING,
    dg.DagsterEventType.RUN_START,
    *_RUN_END_EVENTS,
}


class FleetOptions(BaseModel):
    connectors: int = Field(50, ge=1, le=500)
    products: int = Field(500, ge=1)
    variable_share: float = Field(0.1, ge=0, le=1)
    orders: int = Field(2000, ge=0)
    latency_ms: float = Field(20.0, ge=0)
    max_runs: int = Field(2, ge=1, le=64)
    """The instance's global limit (`max_concurrent_runs`)."""
    dequeue_interval_seconds: int | None = Field(None, ge=1)
    """How often the daemon dequeues runs; None keeps dagster.yaml's (Dagster's default 5)."""
    seed: int = 7
    timeout_seconds: float = Field(1800, gt=0)


def connector_name(index: int) -> str:
    return f"fleet-shop-{index + 1:03d}"


@contextmanager
def _goldsphere_database() -> Iterator[tuple[str, sa.Engine, str]]:
    """A fresh, migrated goldsphere database, this process's environment pointing at it
    while the block runs; yields its URL, an engine and the credentials key."""
    saved = {
        k: os.environ.get(k) for k in (settings.DATABASE_URL_ENV, "GOLDSPHERE_CREDENTIALS_KEY")
    }
    with fresh_database() as url:
        os.environ[settings.DATABASE_URL_ENV] = url
        key = os.environ.setdefault("GOLDSPHERE_CREDENTIALS_KEY", generate_key())
        engine_module._engine_for.cache_clear()
        engine = create_engine(url)
        try:
            migrate(engine, with_core_schema=True)
            yield url, engine, key
        finally:
            engine.dispose()
            engine_module._engine_for.cache_clear()
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _register(engine: sa.Engine, fleet: SandboxFleet) -> list[str]:
    emails = sorted({email for shop in fleet.shops for email in shop.customer_emails()})
    seed_customers(engine, emails)
    cipher = load_cipher()
    names = []
    for index, shop in enumerate(fleet.shops):
        name = connector_name(index)
        add_connector(
            engine,
            cipher,
            ConnectorCreate(
                name=name,
                base_url=shop.base_url,
                consumer_key=SecretStr(shop.consumer_key),
                consumer_secret=SecretStr(shop.consumer_secret),
            ),
        )
        names.append(name)
    return names


def _wait_for_runs(
    instance: dg.DagsterInstance, run_ids: Sequence[str], timeout_s: float, say: Any
) -> None:
    deadline = time.monotonic() + timeout_s
    reported = -1
    while True:
        records = instance.get_run_records(RunsFilter(run_ids=list(run_ids)))
        done = sum(1 for r in records if r.dagster_run.status in _TERMINAL)
        if done != reported and done % 10 == 0:
            say(f"  {done}/{len(run_ids)} runs finished")
            reported = done
        if done == len(run_ids):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done} of {len(run_ids)} runs finished in {timeout_s} s")
        time.sleep(0.5)


def _run_events(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    """The first timestamp of each run-level event of the run, by event type name."""
    events: dict[str, float] = {}
    for record in instance.get_records_for_run(run_id, of_type=_RUN_EVENTS).records:
        entry = record.event_log_entry
        if entry.dagster_event is not None:
            events.setdefault(entry.dagster_event.event_type_value, entry.timestamp)
    return events


def _spread(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50": round(statistics.median(ordered), 2),
        "p95": round(p95, 2),
        "max": round(ordered[-1], 2),
    }


def _most_at_once(intervals: Sequence[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


def _stored_counts(engine: sa.Engine) -> dict[str, dict[str, int]]:
    """Rows per connector name: products (variations included) and orders the shop still
    sells (its trash is stored too, as deleted rows), and rows still pending."""
    query = """
        SELECT c.name,
          (SELECT count(*) FROM external_product p
             WHERE p.connector_id = c.id AND p.deleted_at IS NULL),
          (SELECT count(*) FROM external_order o
             WHERE o.connector_id = c.id AND o.deleted_at IS NULL),
          (SELECT count(*) FROM external_product p
             WHERE p.connector_id = c.id AND p.status = 'pending')
          + (SELECT count(*) FROM external_order o
             WHERE o.connector_id = c.id AND o.status = 'pending')
        FROM external_connector c
    """
    with engine.connect() as conn:
        return {
            name: {"products": products, "orders": orders, "pending": pending}
            for name, products, orders, pending in conn.execute(sa.text(query))
        }


def _connector_results(
    engine: sa.Engine,
    names: Sequence[str],
    fleet: SandboxFleet,
    run_ids: dict[str, str],
    instance: dg.DagsterInstance,
) -> list[dict[str, Any]]:
    stored = _stored_counts(engine)
    first_requests = fleet.first_requests()
    results = []
    for name, shop in zip(names, fleet.shops, strict=True):
        counts = shop.counts()
        expected = {
            "products": counts["products"] + counts["variations"],
            "orders": counts["orders"],
        }
        run = instance.get_run_by_id(run_ids[name])
        sync_rows = list_runs(engine, name, limit=1)
        sync = sync_rows[0] if sync_rows else None
        stats = sync.stats if sync else {}
        records = sum(
            stats.get(s, {}).get("fetched", 0) for s in ("products_extract", "orders_extract")
        )
        got = stored.get(name, {"products": 0, "orders": 0, "pending": 0})
        results.append(
            {
                "connector": name,
                "run_id": run_ids[name],
                "dagster_status": run.status.value if run else "UNKNOWN",
                "sync_status": sync.status if sync else None,
                "expected": expected,
                "stored": got,
                "records": records,
                "synced": bool(
                    run
                    and run.status == dg.DagsterRunStatus.SUCCESS
                    and sync
                    and sync.status == "success"
                    and got["products"] == expected["products"]
                    and got["orders"] == expected["orders"]
                    and got["pending"] == 0
                ),
                "events": _run_events(instance, run_ids[name]),
                "first_request": first_requests.get(shop.base_url),
            }
        )
    return results


def fleet_figures(results: Sequence[dict[str, Any]], submitted_at: float) -> dict[str, Any]:
    """Aggregates over the runs: wall time, records per second, where each run's time went."""
    queue, launch, start_to_request, overhead, store_time, sync_time = ([] for _ in range(6))
    intervals: list[tuple[float, float]] = []
    ends: list[float] = []
    for result in results:
        events, first = result["events"], result["first_request"]
        end = next((events[e.value] for e in _RUN_END_EVENTS if e.value in events), None)
        starting = events.get(dg.DagsterEventType.RUN_STARTING.value)
        started = events.get(dg.DagsterEventType.RUN_START.value)
        enqueued = events.get(dg.DagsterEventType.RUN_ENQUEUED.value, submitted_at)
        if end is None or starting is None:
            continue
        ends.append(end)
        intervals.append((starting, end))
        queue.append(starting - enqueued)
        sync_time.append(end - starting)
        if started is not None:
            launch.append(started - starting)
        if first is not None:
            overhead.append(first - starting)
            store_time.append(end - first)
            if started is not None:
                start_to_request.append(first - started)
    wall = (max(ends) - submitted_at) if ends else 0.0
    records = sum(r["records"] for r in results)
    return {
        "wall_seconds": round(wall, 1),
        "records": records,
        "records_per_second": round(records / wall, 1) if wall else None,
        "all_synced": all(r["synced"] for r in results),
        "not_synced": [r["connector"] for r in results if not r["synced"]],
        "most_runs_at_once": _most_at_once(intervals),
        # Launch (the daemon dequeued the run and started its process) to run end.
        "sync_seconds": _spread(sync_time),
        # The per-run overhead: launch to the first request the shop received.
        "launch_to_first_request_seconds": _spread(overhead),
        "dagster_overhead_seconds": {
            "launch_to_run_start": _spread(launch),
            "run_start_to_first_request": _spread(start_to_request),
            "share_of_run_time": round(sum(overhead) / sum(sync_time), 3) if sync_time else None,
        },
        "first_request_to_run_end_seconds": _spread(store_time),
        "queue_wait_seconds": _spread(queue),
    }


def fleet_failures(figures: dict[str, Any]) -> list[str]:
    """One line per connector the fleet did not sync completely (empty when all did):
    what Dagster and the sync run said, and the rows stored against those expected."""
    failures = []
    for c in figures["connectors"]:
        if c["synced"]:
            continue
        expected, stored = c["expected"], c["stored"]
        failures.append(
            f"{c['connector']}: Dagster run {c['run_id']} {c['dagster_status']}, "
            f"sync {c['sync_status'] or 'not recorded'}; stored "
            f"{stored['products']} of {expected['products']} products, "
            f"{stored['orders']} of {expected['orders']} orders, {stored['pending']} pending"
        )
    return failures


def _tree_cpu_seconds(pid: int) -> float:
    """CPU of a process and its descendants, those that ended included: a parent that
    waited for a child (the code server for each run's process) holds its times."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        with suppress(psutil.NoSuchProcess):
            t = process.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
    return total


def _fleet_cpu(pids: dict[str, int]) -> dict[str, float]:
    return {name: _tree_cpu_seconds(pid) for name, pid in pids.items()}


def run_fleet_benchmark(options: FleetOptions, echo: Any = None) -> dict[str, Any]:
    """Sync a fleet of shops through Dagster; return one JSON-ready dict of figures."""
    say = echo or (lambda _msg: None)
    configs = [
        SandboxConfig(
            products=options.products,
            variable_share=options.variable_share,
            orders=options.orders,
            customers=max(50, options.orders // 20),
            seed=options.seed + index,
            latency_ms=round(options.latency_ms),
        )
        for index in range(options.connectors)
    ]
    workdir = Path(tempfile.mkdtemp(prefix="goldsphere-fleet-"))
    try:
        with ExitStack() as stack:
            say(f"starting {options.connectors} sandbox stores in one process …")
            fleet = stack.enter_context(run_fleet_process(configs))
            url, engine, key = stack.enter_context(_goldsphere_database())
            names = _register(engine, fleet)
            dagster_url = stack.enter_context(fresh_database())
            storage = make_url(dagster_url).set(drivername="postgresql+psycopg2")
            env = {
                settings.DATABASE_URL_ENV: url,
                "GOLDSPHERE_CREDENTIALS_KEY": key,
                "GOLDSPHERE_HOME": str(workdir / "goldsphere-home"),
                DAGSTER_PG_URL_ENV: storage.render_as_string(hide_password=False),
            }
            os.environ[DAGSTER_PG_URL_ENV] = env[DAGSTER_PG_URL_ENV]
            stack.callback(os.environ.pop, DAGSTER_PG_URL_ENV, None)
            say("starting dagster-webserver and dagster-daemon on a scratch instance …")
            services = stack.enter_context(
                dagster_services(
                    workdir, instance_yaml(options.max_runs, options.dequeue_interval_seconds), env
                )
            )
            services.instance.add_dynamic_partitions(PARTITIONS_DEF_NAME, names)
            launcher = DagsterLauncher(services.url)
            keys = sync_asset_keys(sync_products=True, sync_orders=True)
            say(f"launching {len(names)} syncs, at most {options.max_runs} at once …")
            pids = {**services.pids, "sandbox_stores": fleet.pid}
            cpu_before, fleet_cpu_before = cpu_busy_seconds(), _fleet_cpu(pids)
            submitted_at = time.time()
            run_ids = {name: launcher.launch_sync(name, keys).run_id for name in names}
            _wait_for_runs(services.instance, list(run_ids.values()), options.timeout_seconds, say)
            cpu_seconds = cpu_busy_seconds() - cpu_before
            fleet_cpu = _fleet_cpu(pids)
            results = _connector_results(engine, names, fleet, run_ids, services.instance)
            figures = fleet_figures(results, submitted_at)
            # What the fleet's own processes used (PostgreSQL's backends are not counted),
            # against what the whole machine did meanwhile: the rest is other work.
            figures["cpu_seconds"] = {
                name: round(fleet_cpu[name] - fleet_cpu_before[name], 1) for name in pids
            }
            figures["machine_cpu_busy_seconds"] = round(cpu_seconds, 1)
            figures["cores"] = psutil.cpu_count()
            figures["connectors"] = [
                {k: v for k, v in r.items() if k not in ("events", "first_request")}
                for r in results
            ]
            return {"options": options.model_dump(), "fleet": figures}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
