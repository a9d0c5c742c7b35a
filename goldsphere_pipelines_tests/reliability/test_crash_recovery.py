"""Crash recovery: the syncing process is killed (SIGKILL, nothing runs after it) at several
points, or PostgreSQL goes away mid-sync. Afterwards no half-written batch is visible, the
dead run is marked failed, and the next sync converges: no duplicates, nothing lost."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from goldsphere_pipelines.connectors.models import Connector
from goldsphere_pipelines.connectors.write_behind import DEFAULT_WRITERS
from goldsphere_pipelines.storage.locks import is_sync_locked
from goldsphere_pipelines.storage.sync_runs import STALE_RUN_MESSAGE
from goldsphere_pipelines_tests.pipeline.conftest import Shop, register, sync
from goldsphere_pipelines_tests.reliability.processes import CHILD_BATCH_SIZE, Child
from goldsphere_pipelines_tests.reliability.support import (
    integrity_problems,
    newest_run,
    rows,
    scalar,
    stale_payloads,
    store_product_ids,
    sync_problems,
    wait_until_unlocked,
)
from goldsphere_pipelines_tests.reliability.test_faults import order_payloads, product_payloads

pytestmark = pytest.mark.slow

BATCH = CHILD_BATCH_SIZE


def count(engine: sa.Engine, sql: str, connector: Connector) -> int:
    return int(scalar(engine, sql, c=connector.id))


def status_counts(engine: sa.Engine, table: str, connector: Connector) -> dict[str, int]:
    found = rows(
        engine,
        f"SELECT status, count(*) FROM {table} WHERE connector_id = :c GROUP BY status",
        c=connector.id,
    )
    return {"pending": 0, "mapped": 0, "failed": 0} | {s: int(n) for s, n in found}


def _batch_statuses(engine: sa.Engine, table: str, connector: Connector, batch: int) -> set[str]:
    # A first pass maps all rows in id order: batch N is the N-th slice of BATCH rows.
    # Rows stored as deleted (the shop's trash) are never mapped.
    found = rows(
        engine,
        f"SELECT status FROM {table} WHERE connector_id = :c AND deleted_at IS NULL "
        "ORDER BY id OFFSET :skip LIMIT :n",
        c=connector.id,
        skip=(batch - 1) * BATCH,
        n=BATCH,
    )
    return {status for (status,) in found}


def assert_whole_batches_with_the_paused_one_invisible(
    engine: sa.Engine, table: str, connector: Connector, paused: int
) -> dict[str, int]:
    """Mapping batches commit whole or not at all: the `paused` one did not, the batches its
    writer was given before it did (each writer commits in order; the other writer may have
    committed earlier or later batches meanwhile, or not yet). Returns the status counts."""
    counts = status_counts(engine, table, connector)
    done = counts["mapped"] + counts["failed"]
    assert done % BATCH == 0, counts
    assert _batch_statuses(engine, table, connector, paused) == {"pending"}, (
        "the paused batch is not visible"
    )
    for earlier in range(paused - DEFAULT_WRITERS, 0, -DEFAULT_WRITERS):
        assert "pending" not in _batch_statuses(engine, table, connector, earlier), (
            f"batch {earlier}, before the paused one in the same writer, is committed"
        )
    return counts


def recover_and_check(engine: sa.Engine, connector: Connector, shop: Shop) -> None:
    """After the crash: the lock went with the process, the next sync marks the dead run
    failed and converges."""
    wait_until_unlocked(engine, connector.id)
    dead = newest_run(engine, connector.name)
    assert dead.status == "running", "nothing ran after SIGKILL to close the run"

    assert sync(connector.name).success

    runs = {r.id: r for r in rows(engine, "SELECT id, status, error FROM external_sync_run")}
    assert runs[dead.id].status == "failed"
    assert runs[dead.id].error == STALE_RUN_MESSAGE
    assert newest_run(engine, connector.name).status == "success"
    assert sync_problems(engine, connector.id, shop.store) == []
    assert stale_payloads(engine, connector.id, "order", order_payloads(shop)) == []
    assert stale_payloads(engine, connector.id, "product", product_payloads(shop)) == []


def test_killed_while_paging_orders(
    pipeline_db: sa.Engine, shop_factory: Callable[..., Shop], children: list[Child]
) -> None:
    shop = shop_factory(products=30, orders=1200, seed=31)
    connector = register(pipeline_db, shop)
    shop.store.set_faults(latency_ms=250)
    total = len(shop.store.order_ids())
    child = Child(connector.name)
    children.append(child)
    orders_in = "SELECT count(*) FROM external_order WHERE connector_id = :c"

    child.wait_for(lambda: count(pipeline_db, orders_in, connector) > 0, "orders were stored")
    child.kill()

    stored = count(pipeline_db, orders_in, connector)
    assert 0 < stored < total, "killed part-way through the orders"
    assert integrity_problems(pipeline_db, connector.id) == []
    # Pages are stored whole: every stored order is one of the store's, none twice.
    assert sync_problems(pipeline_db, connector.id, shop.store, entities=("product",)) == []
    shop.store.clear_faults()
    recover_and_check(pipeline_db, connector, shop)


def test_killed_inside_an_order_mapping_batch(
    pipeline_db: sa.Engine,
    shop_factory: Callable[..., Shop],
    children: list[Child],
    tmp_path: Path,
) -> None:
    shop = shop_factory(products=30, orders=300, seed=32)
    connector = register(pipeline_db, shop)
    marker = tmp_path / "paused"
    child = Child(connector.name, "orders_batch:3", str(marker))
    children.append(child)

    child.wait_for(marker.exists, "the third order batch was written")
    # The batch's goldsphere rows exist inside the child's open transaction only.
    child.kill()

    counts = assert_whole_batches_with_the_paused_one_invisible(
        pipeline_db, "external_order", connector, paused=3
    )
    done = counts["mapped"] + counts["failed"]
    assert counts["pending"] == len(shop.store.order_ids()) - done
    assert scalar(pipeline_db, "SELECT count(*) FROM orders") == counts["mapped"]
    assert integrity_problems(pipeline_db, connector.id) == []
    recover_and_check(pipeline_db, connector, shop)


def test_killed_between_assets_while_products_are_mapped(
    pipeline_db: sa.Engine,
    shop_factory: Callable[..., Shop],
    children: list[Child],
    tmp_path: Path,
) -> None:
    shop = shop_factory(products=80, orders=200, variable_share=0.2, seed=33)
    connector = register(pipeline_db, shop)
    marker = tmp_path / "paused"
    child = Child(connector.name, "products_batch:2", str(marker))
    children.append(child)

    child.wait_for(marker.exists, "the second product batch was written")
    child.kill()

    stored = {
        r[0]
        for r in rows(
            pipeline_db,
            "SELECT external_id FROM external_product WHERE connector_id = :c",
            c=connector.id,
        )
    }
    assert stored == store_product_ids(shop.store), "extraction had finished"
    assert_whole_batches_with_the_paused_one_invisible(
        pipeline_db, "external_product", connector, paused=2
    )
    sellable = count(
        pipeline_db,
        "SELECT count(*) FROM external_product WHERE connector_id = :c AND status = 'mapped' "
        "AND mapped_payload_json->>'sellable' IS DISTINCT FROM 'false'",
        connector,
    )
    assert scalar(pipeline_db, "SELECT count(*) FROM product") == sellable
    assert scalar(pipeline_db, "SELECT count(*) FROM external_order") == 0
    assert integrity_problems(pipeline_db, connector.id) == []
    recover_and_check(pipeline_db, connector, shop)


# --- PostgreSQL going away mid-sync -------------------------------------------------------


class EmbeddedServer:
    """The project's embedded PostgreSQL (pgserver) in a folder of its own, which this test
    may stop and start; the shared server on 127.0.0.1:5432 is never touched."""

    def __init__(self, home: Path) -> None:
        from goldsphere_pipelines.storage.embedded import (
            embedded_data_dir,
            ensure_embedded_database,
        )

        self.home = home
        self.url = ensure_embedded_database(home, database="goldsphere_restart")
        self.data_dir = embedded_data_dir(home).resolve()
        self.socket_dir = self.url.split("host=", 1)[1]

    def _pg_ctl(self, *args: str) -> None:
        import pgserver
        from pgserver._commands import POSTGRES_BIN_PATH

        # pgserver runs PostgreSQL as its own system user when we are root.
        user = pgserver.get_server(self.data_dir, cleanup_mode=None).system_user
        command = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir), *args]
        # Files, not pipes: the server pg_ctl starts inherits them and would hold a pipe open.
        with tempfile.TemporaryFile() as output:
            done = subprocess.run(
                command, stdout=output, stderr=output, user=user, timeout=90, check=False
            )
            output.seek(0)
            said = output.read().decode(errors="replace")
        if done.returncode != 0:
            log = self.data_dir / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
            raise AssertionError(f"pg_ctl {' '.join(args)} failed: {said}\n{tail}")

    def stop(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        # The same options pgserver starts it with: no TCP at all, the same socket folder.
        self._pg_ctl(
            "-w",
            "-o",
            '-h ""',
            "-o",
            f"-k {self.socket_dir}",
            "-l",
            str(self.data_dir / "log"),
            "start",
        )

    def close(self) -> None:
        # Not stop_embedded_database: pgserver hands back the handle made by
        # ensure_embedded_database (cleanup_mode=None), whose cleanup leaves it running.
        if (self.data_dir / "postmaster.pid").exists():
            self.stop()


@pytest.fixture(scope="module")
def embedded_server() -> Iterator[EmbeddedServer]:
    # A folder of our own rather than pytest's numbered temporary folders, which other
    # pytest sessions on the machine prune.
    home = Path(tempfile.mkdtemp(prefix="goldsphere-restart-test-"))
    server = EmbeddedServer(home)
    try:
        yield server
    finally:
        server.close()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def embedded_db(embedded_server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    """The embedded server's database, migrated and empty, configured as the sync's."""
    from goldsphere_pipelines.storage import engine as engine_module
    from goldsphere_pipelines.storage.credentials import generate_key
    from goldsphere_pipelines_tests.support.database import migrated_engine, truncate_data_tables

    monkeypatch.setenv("GOLDSPHERE_DATABASE_URL", embedded_server.url)
    monkeypatch.setenv("GOLDSPHERE_CREDENTIALS_KEY", generate_key())
    engine_module._engine_for.cache_clear()
    engine = migrated_engine(embedded_server.url)
    truncate_data_tables(engine)
    return engine


def _stored_orders(engine: sa.Engine, connector: Connector) -> int:
    return int(
        scalar(
            engine, "SELECT count(*) FROM external_order WHERE connector_id = :c", c=connector.id
        )
    )


def _start_sync(connector: Connector) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: outcome.setdefault("result", sync(connector.name)), daemon=True
    )
    worker.start()
    return worker, outcome


def _wait_for_orders(engine: sa.Engine, connector: Connector, worker: threading.Thread) -> None:
    deadline = time.monotonic() + 90
    while _stored_orders(engine, connector) == 0:
        assert worker.is_alive(), "the sync ended before it stored an order"
        assert time.monotonic() < deadline, "no order was stored in time"
        time.sleep(0.01)


def test_postgresql_stopping_mid_sync_fails_the_run_and_the_next_sync_converges(
    embedded_server: EmbeddedServer, embedded_db: sa.Engine, shop_factory: Callable[..., Shop]
) -> None:
    engine = embedded_db
    shop = shop_factory(products=30, orders=1200, seed=34)
    connector = register(engine, shop)
    shop.store.set_faults(latency_ms=250)
    worker, outcome = _start_sync(connector)
    _wait_for_orders(engine, connector, worker)

    embedded_server.stop()
    worker.join(timeout=120)
    assert not worker.is_alive(), "the sync noticed the database was gone and stopped"
    embedded_server.start()
    engine.dispose()

    assert not outcome["result"].success
    assert 0 < _stored_orders(engine, connector) < len(shop.store.order_ids())
    assert integrity_problems(engine, connector.id) == []
    interrupted = newest_run(engine, connector.name)
    # Its failure could not be written while the database was down: still `running` until
    # the next sync marks it, unless the write got through.
    assert interrupted.status in ("running", "failed")

    shop.store.clear_faults()
    assert sync(connector.name).success
    after = {r.id: r for r in rows(engine, "SELECT id, status, error FROM external_sync_run")}
    assert after[interrupted.id].status == "failed"
    assert after[interrupted.id].error
    assert sync_problems(engine, connector.id, shop.store) == []
    assert stale_payloads(engine, connector.id, "order", order_payloads(shop)) == []


def test_a_sync_that_survives_a_postgresql_restart_still_excludes_a_second_sync(
    embedded_server: EmbeddedServer, embedded_db: sa.Engine, shop_factory: Callable[..., Shop]
) -> None:
    engine = embedded_db
    shop = shop_factory(products=30, orders=450, seed=35)
    connector = register(engine, shop)
    # The store stalls after the first page of orders until the test lets it go on.
    go_on = threading.Event()
    original = shop.store.list_orders
    calls = [0]

    def stalling(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] > 2:
            go_on.wait(60)
        return original(*args, **kwargs)

    shop.store.list_orders = stalling  # type: ignore[method-assign]
    worker, outcome = _start_sync(connector)
    try:
        _wait_for_orders(engine, connector, worker)
        assert is_sync_locked(engine, connector.id)

        embedded_server.stop()
        embedded_server.start()
        engine.dispose()
        running_and_locked = worker.is_alive() and is_sync_locked(engine, connector.id)
    finally:
        go_on.set()
        worker.join(timeout=120)

    # Either the first sync keeps the connector locked, or it stops writing (fails).
    assert running_and_locked or not outcome["result"].success
    assert sync_problems(engine, connector.id, shop.store) == [] or not outcome["result"].success
