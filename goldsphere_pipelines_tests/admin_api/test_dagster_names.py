"""The launcher names the job, partitions, assets and tags exactly as the Dagster code does:
the admin API does not import the Dagster definitions, so this keeps the two in step."""

from __future__ import annotations

import tomllib

from goldsphere_pipelines.admin_api import dagster_launcher as launcher
from goldsphere_pipelines.definitions import defs
from goldsphere_pipelines.defs import jobs
from goldsphere_pipelines.defs.partitions import CONNECTOR_PARTITIONS_NAME
from goldsphere_pipelines.defs.resources import TRIGGER_TAG
from goldsphere_pipelines_tests.admin_api.dagster_webserver import PROJECT_ROOT


def test_job_partitions_and_tags_match_the_definitions() -> None:
    assert jobs.sync_connector_job.name == launcher.SYNC_JOB_NAME
    assert launcher.PARTITIONS_DEF_NAME == CONNECTOR_PARTITIONS_NAME
    assert launcher.TRIGGER_TAG == TRIGGER_TAG
    assert {jobs.test_connection_job.name} == launcher.NON_SYNC_JOB_NAMES


def test_code_location_matches_the_workspace_and_pyproject() -> None:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    assert pyproject["tool"]["dagster"]["code_location_name"] == launcher.CODE_LOCATION_NAME
    assert f"location_name: {launcher.CODE_LOCATION_NAME}" in (
        (PROJECT_ROOT / "workspace.yaml").read_text()
    )


def test_sync_asset_keys_are_the_jobs_assets() -> None:
    job = defs.resolve_job_def(launcher.SYNC_JOB_NAME)
    job_keys = {tuple(key.path) for key in job.asset_layer.executable_asset_keys}
    both = launcher.sync_asset_keys(sync_products=True, sync_orders=True)
    assert {tuple(key) for key in both} == job_keys
    products = launcher.sync_asset_keys(sync_products=True, sync_orders=False)
    orders = launcher.sync_asset_keys(sync_products=False, sync_orders=True)
    assert [key[1] for key in products] == ["external_product", "products", "deletions"]
    assert [key[1] for key in orders] == ["external_order", "orders", "deletions"]
