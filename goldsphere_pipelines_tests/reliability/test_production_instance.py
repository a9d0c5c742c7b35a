"""The repository's production dagster.yaml, used for real: dagster-postgres storage on a
scratch database of the test PostgreSQL server, the queued run coordinator with its
per-connector limit, run monitoring. A sync runs on it and is stored in PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from dagster._core.run_coordinator import QueuedRunCoordinator

from goldsphere_pipelines.defs.partitions import CONNECTOR_PARTITIONS_NAME
from goldsphere_pipelines_tests.pipeline.conftest import Shop, register, sync
from goldsphere_pipelines_tests.reliability.support import sync_problems
from goldsphere_pipelines_tests.support.dagster_instance import REPOSITORY, instance_from_yaml


@pytest.fixture
def production_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[dg.DagsterInstance, sa.Engine]]:
    with instance_from_yaml(
        REPOSITORY / "dagster.yaml", tmp_path / "dagster-home", monkeypatch
    ) as loaded:
        yield loaded


def test_a_sync_on_the_production_instance_is_stored_in_postgresql(
    pipeline_db: sa.Engine,
    shop_factory: Callable[..., Shop],
    production_instance: tuple[dg.DagsterInstance, sa.Engine],
) -> None:
    instance, storage = production_instance
    coordinator = instance.run_coordinator
    assert isinstance(coordinator, QueuedRunCoordinator)
    limits = coordinator.get_run_queue_config().tag_concurrency_limits
    assert {
        "key": "dagster/partition",
        "value": {"applyLimitPerUniqueValue": True},
        "limit": 1,
    } in limits
    assert instance.run_monitoring_enabled
    assert coordinator.dequeue_interval_seconds == 1

    shop = shop_factory(products=30, orders=150, seed=71)
    connector = register(pipeline_db, shop)
    result = sync(connector.name, instance=instance)

    assert result.success
    run = instance.get_run_by_id(result.run_id)
    assert run is not None
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert run.tags["dagster/partition"] == connector.name
    with storage.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT status FROM runs WHERE run_id = :r"), {"r": result.run_id}
        ).scalar_one()
        events = conn.execute(
            sa.text("SELECT count(*) FROM event_logs WHERE run_id = :r"), {"r": result.run_id}
        ).scalar_one()
        partitions = conn.execute(
            sa.text("SELECT partition FROM dynamic_partitions WHERE partitions_def_name = :n"),
            {"n": CONNECTOR_PARTITIONS_NAME},
        ).scalars()
        assert connector.name in list(partitions)
    assert stored == "SUCCESS"
    assert events > 0
    materialized = instance.get_latest_materialization_event(dg.AssetKey(["goldsphere", "orders"]))
    assert materialized is not None
    assert sync_problems(pipeline_db, connector.id, shop.store) == []
