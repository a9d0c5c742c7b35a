"""A seconds-long run of `goldsphere bench`, so the benchmark cannot rot. Figures are
printed, never asserted against a clock."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from goldsphere_pipelines.cli import main


def test_small_benchmark_runs_all_three_phases(database_url: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GOLDSPHERE_DATABASE_URL", database_url)
    result = CliRunner().invoke(
        main,
        [
            "bench",
            "--products",
            "40",
            "--orders",
            "300",
            "--latency-ms",
            "2",
            "--concurrency",
            "4",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    print(json.dumps(figures["phases"], indent=1))
    full = figures["phases"]["full_sync"]
    resync = figures["phases"]["resync_no_change"]
    delta = figures["phases"]["delta_1pct_changed"]
    assert full["success"]
    assert resync["success"]
    assert delta["success"]
    assert full["steps"]["orders_extract"]["new"] == full["steps"]["orders_extract"]["fetched"] > 0
    assert full["http_requests"] > 0
    assert full["peak_rss_mb"] > 0
    # The sync and the store both worked, each in its own process. The store's CPU is read
    # in the kernel's 10 ms ticks, and serving this shop's few pages can take less than one
    # tick in a phase (0.0 on a fast machine); over the four phases it is counted.
    assert full["cpu_seconds"]["syncing_process"] > 0
    store_cpu = [phase["cpu_seconds"]["sandbox_store"] for phase in figures["phases"].values()]
    assert len(store_cpu) == 4
    assert min(store_cpu) >= 0
    assert sum(store_cpu) > 0
    # PostgreSQL (on this machine) stored what the sync wrote: its CPU is counted apart.
    assert full["cpu_seconds"]["rest_of_machine"] > 0
    assert full["extract_lower_bound_seconds"] > 0
    assert resync["rows_written"] == 0
    # 1 % of 300 orders; a modified order may move to the trash, which a sync does not list.
    assert 1 <= delta["steps"]["orders_extract"]["changed"] <= 3
    assert delta["steps"]["products_extract"]["changed"] >= 1


def test_keep_database_leaves_the_synced_database_to_inspect(
    database_url: str, monkeypatch: pytest.MonkeyPatch
):
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    monkeypatch.setenv("GOLDSPHERE_DATABASE_URL", database_url)
    args = ["bench", "--products", "10", "--orders", "20", "--latency-ms", "0", "--json"]
    result = CliRunner().invoke(main, [*args, "--keep-database"])
    assert result.exit_code == 0, result.output
    kept = json.loads(result.output.strip().splitlines()[-1])["database"]
    url = make_url(database_url).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with sa.create_engine(url.set(database=kept)).connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM external_order")).scalar_one() > 0
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{kept}" WITH (FORCE)'))
        admin.dispose()
