"""`goldsphere connectors reconcile|deletions|runs` against a sandbox shop."""

from __future__ import annotations

import json

from click.testing import CliRunner

from goldsphere_pipelines.cli import main
from goldsphere_pipelines_tests.pipeline.conftest import register, sync


def test_reconcile_stops_above_the_share_marks_when_forced_and_runs_show_it(
    pipeline_db, shop_factory
):
    shop = shop_factory(products=20, orders=40)
    connector = register(pipeline_db, shop)
    assert sync(connector.name).success
    removed = shop.store.order_ids()[:20]
    for order in removed:
        shop.store.delete_order(order)
    runner = CliRunner()

    stopped = runner.invoke(main, ["connectors", "reconcile", connector.name])
    assert stopped.exit_code == 1, stopped.output
    assert "stopped: The reconciliation stopped and marked nothing" in stopped.stderr

    forced = runner.invoke(main, ["connectors", "reconcile", connector.name, "--force"])
    assert forced.exit_code == 0, forced.output
    assert "WARNING: --force" in forced.stderr
    assert f"gone={len(removed)}" in forced.stdout

    runs = runner.invoke(main, ["connectors", "runs", connector.name])
    assert f"gone={len(removed)}" in runs.stdout.splitlines()[0]

    shown = runner.invoke(
        main, ["connectors", "deletions", connector.name, "--on-order-deleted", "cancel", "--json"]
    )
    assert shown.exit_code == 0, shown.output
    settings = json.loads(shown.stdout)
    assert settings["onOrderDeleted"] == "cancel"
    assert settings["deleted"]["order"]["gone"] == len(removed)
