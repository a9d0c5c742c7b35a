"""The Dagster definitions load, read as DESIGN.md draws them, and the sensor keeps the
partitions equal to the connectors."""

from __future__ import annotations

import dagster as dg

from goldsphere_pipelines.definitions import defs
from goldsphere_pipelines.defs.partitions import CONNECTOR_PARTITIONS_NAME
from goldsphere_pipelines.defs.sensors import connector_partitions_sensor
from goldsphere_pipelines_tests.pipeline.conftest import register


def test_asset_graph_puts_products_before_orders():
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == {
        "woocommerce/products",
        "woocommerce/orders",
        "goldsphere/external_product",
        "goldsphere/products",
        "goldsphere/external_order",
        "goldsphere/orders",
        "goldsphere/deletions",
    }

    def parents(key: str) -> set[str]:
        node = graph.get(dg.AssetKey.from_user_string(key))
        return {p.to_user_string() for p in node.parent_keys}

    assert parents("goldsphere/external_product") == {"woocommerce/products"}
    assert parents("goldsphere/products") == {"goldsphere/external_product"}
    assert parents("goldsphere/external_order") == {"woocommerce/orders", "goldsphere/products"}
    assert parents("goldsphere/orders") == {"goldsphere/external_order"}
    assert parents("goldsphere/deletions") == {
        "goldsphere/external_product",
        "goldsphere/external_order",
    }
    for key in ("woocommerce/products", "woocommerce/orders"):
        assert not graph.get(dg.AssetKey.from_user_string(key)).is_materializable


def test_schedule_ships_stopped_and_sensor_runs():
    for name in ("hourly_delta_sync", "nightly_reconcile"):
        schedule = defs.resolve_schedule_def(name)
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    sensor = defs.resolve_sensor_def("connector_partitions_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_sensor_adds_and_removes_connector_partitions(pipeline_db, shop_factory):
    shop = shop_factory(products=5, orders=5)
    register(pipeline_db, shop, name="shop-one")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(CONNECTOR_PARTITIONS_NAME, ["gone-shop"])
        context = dg.build_sensor_context(
            instance=instance, resources={"database": defs.resources["database"]}
        )
        result = connector_partitions_sensor(context)
        added = [
            r
            for r in result.dynamic_partitions_requests
            if isinstance(r, dg.AddDynamicPartitionsRequest)
        ]
        deleted = [
            r
            for r in result.dynamic_partitions_requests
            if isinstance(r, dg.DeleteDynamicPartitionsRequest)
        ]
        assert added[0].partition_keys == ["shop-one"]
        assert deleted[0].partition_keys == ["gone-shop"]


def test_dagster_cli_materializes_a_partition_from_the_repository_root(
    pipeline_db, shop_factory, database_url, tmp_path
):
    import os
    import subprocess
    import sys
    from pathlib import Path

    shop = shop_factory(products=10, orders=20)
    connector = register(pipeline_db, shop)
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions(CONNECTOR_PARTITIONS_NAME, [connector.name])
    root = Path(__file__).resolve().parents[2]
    dagster = Path(sys.executable).with_name("dagster")
    completed = subprocess.run(
        [
            str(dagster),
            "asset",
            "materialize",
            "-m",
            "goldsphere_pipelines.definitions",
            "--select",
            "*",
            "--partition",
            connector.name,
        ],
        cwd=root,
        env={**os.environ, "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    from goldsphere_pipelines_tests.pipeline.conftest import scalar

    assert scalar(
        pipeline_db, "SELECT count(*) FROM external_order WHERE deleted_at IS NULL"
    ) == len(shop.store.order_ids())
