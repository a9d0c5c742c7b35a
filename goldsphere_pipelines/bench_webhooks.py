"""`goldsphere bench --webhooks`: delivery → mapped goldsphere row, under a steady load.

A sandbox store in its own process pushes every change to the receiver of a real
`goldsphere admin-api serve` (its own process too, with its webhook processor), after an
initial sync on a fresh database. The bench makes `rate` changes a second for `seconds`
(orders and simple products that mapped, so each change is one delivery that must map),
waits for the last to be applied, and reads the figures from both ends: the sandbox's
record of each delivery (when it was sent, the receiver's answer and how long it took)
and the deliveries table (when each was applied, and how often).

`mode="sensor"` measures the alternative instead: the receiver stores only, and the
Dagster sensor is evaluated every `minimum_interval_seconds` here, each of its run
requests executing `apply_webhook_deliveries_job` in this process. That is a lower bound
of the sensor's latency: the daemon's tick loop and a run launcher's process start come on
top in production.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import Any, Literal

import dagster as dg
import httpx2
import sqlalchemy as sa
from pydantic import BaseModel, Field

from goldsphere_pipelines.bench import bench_connector, fresh_database
from goldsphere_pipelines.connectors.webhooks import create_secret, register_webhooks
from goldsphere_pipelines.sandbox import SandboxConfig, run_sandbox_process
from goldsphere_pipelines.storage.credentials import load_cipher

BENCH_CONNECTOR = "bench-webhooks"
_RECEIVER_JWT = "bench-webhooks-receiver-jwt-secret-not-used"


class WebhookBenchOptions(BaseModel):
    rate: float = Field(50.0, gt=0, le=1000, description="Changes per second in the shop.")
    seconds: float = Field(60.0, gt=0, le=3600)
    products: int = Field(200, ge=10)
    orders: int = Field(2000, ge=10)
    mode: Literal["processor", "sensor"] = "processor"
    sensor_interval_seconds: float = Field(1.0, gt=0)
    seed: int = 7


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return round(ordered[index], 3)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def receiver_process(port: int, *, processor: bool = True) -> Iterator[subprocess.Popen[bytes]]:
    """`goldsphere admin-api serve` on `port` (with its webhook processor unless told not
    to) in a process of its own, until the block ends; yields the process once it answers."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    command = [
        os.path.join(os.path.dirname(sys.executable), "goldsphere"),
        "admin-api",
        "serve",
        "--port",
        str(port),
        "--webhook-processor" if processor else "--no-webhook-processor",
    ]
    # Its Dagster instance (where the processor reports) is a scratch one of its own.
    dagster_home = tempfile.mkdtemp(prefix="bench-webhooks-dagster-")
    env = {**os.environ, "JWT_SECRET": _RECEIVER_JWT, "DAGSTER_HOME": dagster_home}
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx2.get(f"http://127.0.0.1:{port}/admin/openapi.json", timeout=1)
                break
            except httpx2.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    tail = log.read().decode(errors="replace")[-2000:]
                    raise RuntimeError(f"the receiver did not start:\n{tail}") from None
                time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def _mapped_ids(engine: sa.Engine) -> tuple[list[int], list[int]]:
    """Orders and simple products the first sync mapped: each change of one maps again."""
    with engine.connect() as conn:
        orders = conn.execute(
            sa.text("SELECT external_id::int FROM external_order WHERE status = 'mapped'")
        ).scalars()
        products = conn.execute(
            sa.text(
                "SELECT e.external_id::int FROM external_product e JOIN external_reference r "
                "ON r.entity_type = 'product' AND r.external_id = e.external_id "
                "WHERE e.status = 'mapped' AND e.parent_external_id IS NULL "
                "AND NOT (e.raw_payload_json ? 'variations' "
                "AND jsonb_array_length(e.raw_payload_json -> 'variations') > 0)"
            )
        ).scalars()
        return sorted(orders), sorted(products)


def _make_changes(
    mutate: Callable[..., Any], orders: list[int], products: list[int], rate: float, seconds: float
) -> float:
    """`rate` changes a second on schedule (three orders to one product); returns how far
    behind schedule the last one was, in seconds."""
    total = int(rate * seconds)
    started = time.monotonic()
    lag = 0.0
    for i in range(total):
        due = started + i / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        lag = max(lag, time.monotonic() - due)
        if i % 4 == 3 and products:
            mutate("modify_product", id=products[(i // 4) % len(products)])
        else:
            mutate("modify_order", id=orders[i % len(orders)])
    return lag


def _sensor_loop(stop: threading.Event, interval: float) -> None:
    from goldsphere_pipelines.defs.resources import GoldsphereDatabase
    from goldsphere_pipelines.defs.webhooks import (
        apply_webhook_deliveries_job,
        webhook_deliveries_sensor,
    )

    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("connectors", [BENCH_CONNECTOR])
    resources = {"database": GoldsphereDatabase()}
    while not stop.wait(interval):
        context = dg.build_sensor_context(instance=instance, resources=resources)
        result = webhook_deliveries_sensor(context)
        requests = result.run_requests if isinstance(result, dg.SensorResult) else None
        for request in requests or []:
            apply_webhook_deliveries_job.execute_in_process(
                instance=instance, resources=resources, partition_key=request.partition_key
            )


def _wait_applied(engine: sa.Engine, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            open_ = conn.execute(
                sa.text(
                    "SELECT count(*) FROM external_webhook_delivery "
                    "WHERE status IN ('pending', 'processing', 'waiting')"
                )
            ).scalar_one()
        if not open_:
            return
        time.sleep(0.2)


def _figures(engine: sa.Engine, sent: list[dict[str, Any]]) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT delivery_id, status, applied_count, applied_at FROM "
                "external_webhook_delivery"
            )
        ).all()
    stored = {r.delivery_id: r for r in rows}
    first_sent: dict[str, float] = {}
    answers: list[float] = []
    acknowledged: set[str] = set()
    for delivery in sent:
        if delivery["dropped"]:
            continue
        first_sent.setdefault(delivery["delivery_id"], delivery["sent_at"])
        if delivery["answer_seconds"] is not None:
            answers.append(delivery["answer_seconds"])
        if delivery["status_code"] is not None and 200 <= delivery["status_code"] < 300:
            acknowledged.add(delivery["delivery_id"])
    latencies = [
        r.applied_at.replace(tzinfo=UTC).timestamp() - first_sent[r.delivery_id]
        for r in rows
        if r.status == "applied" and r.applied_at is not None and r.delivery_id in first_sent
    ]
    lost = sorted(
        d for d in first_sent if d not in stored or stored[d].status not in ("applied", "stale")
    )
    return {
        "sent": len(first_sent),
        "received": len(stored),
        "acknowledged": len(acknowledged),
        "applied": sum(1 for r in rows if r.status == "applied"),
        "stale": sum(1 for r in rows if r.status == "stale"),
        "failed": sum(1 for r in rows if r.status == "failed"),
        "lost": len(lost),
        "applied_twice": sum(1 for r in rows if r.applied_count > 1),
        "p50_seconds": _percentile(latencies, 0.50),
        "p95_seconds": _percentile(latencies, 0.95),
        "max_seconds": round(max(latencies), 3) if latencies else None,
        "receiver_p50_ms": _ms(_percentile(answers, 0.50)),
        "receiver_p99_ms": _ms(_percentile(answers, 0.99)),
        "receiver_max_ms": _ms(max(answers) if answers else None),
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def run_webhook_benchmark(options: WebhookBenchOptions, echo: Any = None) -> dict[str, Any]:
    """Initial sync, then the load; returns `{"options": ..., "webhooks": figures}`."""
    from goldsphere_pipelines.defs.resources import (
        ConnectorSync,
        GoldsphereDatabase,
        WooCommerceResource,
    )
    from goldsphere_pipelines.defs.run_sync import materialize_connector

    say = echo or (lambda _msg: None)
    config = SandboxConfig(
        products=options.products,
        orders=options.orders,
        customers=max(50, options.orders // 20),
        seed=options.seed,
        key_permissions="read_write",
    )
    result: dict[str, Any] = {"options": options.model_dump()}
    with (
        fresh_database() as url,
        run_sandbox_process(config) as shop,
        bench_connector(url, shop, BENCH_CONNECTOR) as engine,
    ):
        say("initial sync …")
        outcome = materialize_connector(
            BENCH_CONNECTOR,
            instance=dg.DagsterInstance.ephemeral(),
            trigger="bench",
            resources={
                "database": GoldsphereDatabase(),
                "woocommerce": WooCommerceResource(concurrency=8),
                "sync": ConnectorSync(),
            },
            with_checks=False,
            log_level="WARNING",
        )
        if not outcome.success:
            raise RuntimeError("the initial sync failed")
        create_secret(engine, load_cipher(), BENCH_CONNECTOR)
        orders, products = _mapped_ids(engine)
        port = free_port()
        with receiver_process(port, processor=options.mode == "processor"):
            delivery_url = f"http://127.0.0.1:{port}/webhooks/woocommerce/{BENCH_CONNECTOR}"
            register_webhooks(engine, load_cipher(), BENCH_CONNECTOR, delivery_url)
            stop = threading.Event()
            sensor = None
            if options.mode == "sensor":
                sensor = threading.Thread(
                    target=_sensor_loop, args=(stop, options.sensor_interval_seconds)
                )
                sensor.start()
            say(f"{options.rate:g} changes/s for {options.seconds:g} s ({options.mode}) …")
            try:
                behind = _make_changes(shop.mutate, orders, products, options.rate, options.seconds)
                shop.wait_for_webhooks(120)
                _wait_applied(engine, 120)
            finally:
                stop.set()
                if sensor is not None:
                    sensor.join(timeout=120)
        figures = _figures(engine, shop.webhook_deliveries())
        figures["load_behind_schedule_seconds"] = round(behind, 3)
        result["webhooks"] = figures
    return result
