"""`goldsphere bench --connectors`: a tiny fleet through a real Dagster webserver, daemon and
queued run coordinator. Figures are printed, never asserted against a clock."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from goldsphere_pipelines import bench_fleet
from goldsphere_pipelines.bench_dagster import DAGSTER_PG_URL_ENV, instance_yaml
from goldsphere_pipelines.bench_fleet import (
    FleetOptions,
    _most_at_once,
    fleet_failures,
    fleet_figures,
)
from goldsphere_pipelines.cli import main


def test_a_tiny_fleet_is_synced_through_dagster_with_every_record(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOLDSPHERE_DATABASE_URL", database_url)
    args = ["--connectors", "3", "--max-runs", "2", "--dequeue-interval", "1"]
    size = ["--products", "12", "--orders", "40", "--latency-ms", "2"]
    result = CliRunner().invoke(main, ["bench", *args, *size, "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])["fleet"]
    print(json.dumps({k: v for k, v in figures.items() if k != "connectors"}, indent=1))

    connectors = figures["connectors"]
    assert [c["connector"] for c in connectors] == [
        "fleet-shop-001",
        "fleet-shop-002",
        "fleet-shop-003",
    ]
    for connector in connectors:
        assert connector["dagster_status"] == "SUCCESS", connector
        assert connector["sync_status"] == "success", connector
        expected = connector["expected"]
        assert connector["stored"] == {**expected, "pending": 0}, connector
        assert expected["products"] >= 12
        assert expected["orders"] > 0
        assert connector["synced"]
    # Each shop is its own store (its own seed), not three copies of one.
    assert len({c["run_id"] for c in connectors}) == 3
    assert figures["all_synced"]
    assert figures["records"] == sum(c["records"] for c in connectors) > 0
    assert 1 <= figures["most_runs_at_once"] <= 2
    assert figures["launch_to_first_request_seconds"]["p50"] > 0
    assert figures["dagster_overhead_seconds"]["launch_to_run_start"]["p50"] > 0
    assert figures["sync_seconds"]["p95"] >= figures["sync_seconds"]["p50"] > 0


def test_the_fleet_instance_is_the_production_one_with_the_fleet_limit() -> None:
    config = yaml.safe_load(instance_yaml(max_runs=3, dequeue_interval_seconds=2))
    coordinator = config["run_coordinator"]
    assert coordinator["class"] == "QueuedRunCoordinator"
    assert coordinator["config"]["max_concurrent_runs"] == 3
    assert coordinator["config"]["dequeue_interval_seconds"] == 2
    assert {
        "key": "dagster/partition",
        "value": {"applyLimitPerUniqueValue": True},
        "limit": 1,
    } in coordinator["config"]["tag_concurrency_limits"]
    assert config["run_monitoring"]["enabled"] is True
    # The storage URL (and any password in it) stays in the environment.
    assert config["storage"] == {"postgres": {"postgres_url": {"env": DAGSTER_PG_URL_ENV}}}


def test_runs_at_once_counts_overlapping_runs_only() -> None:
    assert _most_at_once([]) == 0
    assert _most_at_once([(0, 1), (1, 2), (2, 3)]) == 1
    assert _most_at_once([(0, 5), (1, 2), (1.5, 3), (4, 6)]) == 3


def _connector(name: str, *, synced: bool) -> dict[str, object]:
    """One connector's result as `_connector_results` gives it."""
    expected = {"products": 14, "orders": 40}
    return {
        "connector": name,
        "run_id": f"run-{name}",
        "dagster_status": "SUCCESS" if synced else "FAILURE",
        "sync_status": "success" if synced else "failed",
        "expected": expected,
        "stored": {**expected, "pending": 0}
        if synced
        else {"products": 14, "orders": 3, "pending": 0},
        "records": 54,
        "synced": synced,
        "events": {},
        "first_request": None,
    }


def test_a_fleet_with_a_failed_sync_exits_non_zero_naming_the_connector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    results = [
        _connector("fleet-shop-001", synced=True),
        _connector("fleet-shop-002", synced=False),
    ]
    figures = {**fleet_figures(results, submitted_at=0.0), "connectors": results}
    assert fleet_failures(figures) == [
        "fleet-shop-002: Dagster run run-fleet-shop-002 FAILURE, sync failed; stored "
        "14 of 14 products, 3 of 40 orders, 0 pending"
    ]
    assert fleet_failures({**figures, "connectors": results[:1]}) == []

    def fleet(options: FleetOptions, echo: object = None) -> dict[str, object]:
        return {"options": options.model_dump(), "fleet": figures}

    monkeypatch.setattr(bench_fleet, "run_fleet_benchmark", fleet)
    result = CliRunner().invoke(main, ["bench", "--connectors", "2", "--json"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout.strip())["fleet"]["not_synced"] == ["fleet-shop-002"]
    assert "1 of 2 connectors did not sync" in result.stderr
    assert "fleet-shop-002: Dagster run run-fleet-shop-002 FAILURE" in result.stderr
    assert "fleet-shop-001" not in result.stderr

    monkeypatch.setitem(figures, "connectors", results[:1])
    assert CliRunner().invoke(main, ["bench", "--connectors", "1", "--json"]).exit_code == 0
