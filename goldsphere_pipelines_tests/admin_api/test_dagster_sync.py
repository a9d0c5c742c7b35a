"""Run Sync Now for real: the API launches the run in a Dagster webserver, the run syncs the
sandbox shop into the test database, and its external_sync_run row shows in GET .../runs."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from goldsphere_pipelines.admin_api import create_app
from goldsphere_pipelines.demo import seed_customers
from goldsphere_pipelines.sandbox import RunningSandbox
from goldsphere_pipelines_tests.admin_api.conftest import PRODUCER_GROUP, Api
from goldsphere_pipelines_tests.admin_api.dagster_webserver import RunningDagster
from goldsphere_pipelines_tests.admin_api.support import (
    UI,
    UI_PASSWORD,
    Ledger,
    SuiteSecrets,
    csrf_of,
    insert_user,
    make_token,
    recording_client,
    sign_in,
)

RUN_DEADLINE_SECONDS = 180
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}

_RUN_QUERY = """
query Run($runId: ID!) { runOrError(runId: $runId) { __typename ... on Run {
  status jobName assetSelection { path } tags { key value } } } }
"""


@pytest.fixture
def live_api(
    db: sa.Engine,
    credentials_key: str,
    suite_secrets: SuiteSecrets,
    dagster: RunningDagster,
    ledger: Ledger,
) -> Api:
    app: FastAPI = create_app(db, dagster_url=dagster.url, jwt_secret=suite_secrets.jwt_secret)
    admin_id = insert_user(db)
    return Api(
        client=recording_client(app, ledger, suite_secrets),
        engine=db,
        secrets=suite_secrets,
        admin_id=admin_id,
        token=make_token(suite_secrets, admin_id),
    )


def _run(dagster: RunningDagster, run_id: str) -> dict[str, Any]:
    data = dagster.graphql(_RUN_QUERY, {"runId": run_id})
    run: dict[str, Any] = data["runOrError"]  # type: ignore[assignment]
    assert run["__typename"] == "Run", run
    return run


def _wait_for_end(dagster: RunningDagster, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + RUN_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        run = _run(dagster, run_id)
        if run["status"] in TERMINAL:
            return run
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not finish; see {dagster.log_path}")


def test_sync_now_runs_in_dagster_and_shows_in_the_runs(
    live_api: Api, dagster: RunningDagster, shop: RunningSandbox
) -> None:
    seed_customers(live_api.engine, shop.store.customer_emails())
    connector = live_api.add_connector(shop.base_url, name="sandbox-shop")

    launched = live_api.post(f"/admin/connectors/{connector['id']}/sync", {})
    assert launched.status_code == 202, launched.text
    body = launched.json()
    run_id = body["runId"]
    assert body["runUrl"] == f"{dagster.url}/runs/{run_id}"
    assert body["status"] in {"QUEUED", "NOT_STARTED", "STARTING", "STARTED"}

    # A run process takes seconds to start; this second click lands while it is active.
    again = live_api.post("/admin/connectors/sandbox-shop/sync", {})
    assert again.status_code == 409, again.text
    assert run_id in again.json()["error"]["message"]

    run = _wait_for_end(dagster, run_id)
    assert run["status"] == "SUCCESS", f"see {dagster.log_path}"
    assert run["jobName"] == "sync_connector"
    tags = {tag["key"]: tag["value"] for tag in run["tags"]}
    assert tags["dagster/partition"] == "sandbox-shop"
    assert tags["goldsphere/trigger"] == "admin-api"

    page = live_api.get(f"/admin/connectors/{connector['id']}/runs").json()
    assert page["total"] == 1
    row = page["items"][0]
    assert row["dagsterRunId"] == run_id
    assert row["dagsterRunUrl"] == body["runUrl"]
    assert row["status"] == "success"
    assert row["trigger"] == "admin-api"
    assert row["stats"]["products_extract"]["fetched"] > 0
    assert row["stats"]["orders_extract"]["fetched"] > 0
    summary = live_api.get("/admin/connectors/sandbox-shop").json()
    assert summary["lastRun"]["id"] == row["id"]


def test_sync_now_materializes_only_what_was_asked(
    live_api: Api, dagster: RunningDagster, shop: RunningSandbox
) -> None:
    live_api.add_connector(shop.base_url, name="products-only")
    launched = live_api.post("/admin/connectors/products-only/sync", {"syncOrders": False})
    assert launched.status_code == 202, launched.text
    run = _wait_for_end(dagster, launched.json()["runId"])
    assert run["status"] == "SUCCESS", f"see {dagster.log_path}"
    assert sorted(key["path"] for key in run["assetSelection"]) == [
        ["goldsphere", "deletions"],
        ["goldsphere", "external_product"],
        ["goldsphere", "products"],
    ]
    row = live_api.get("/admin/connectors/products-only/runs").json()["items"][0]
    assert "products_extract" in row["stats"]
    assert not any(step.startswith("orders") for step in row["stats"])


def test_the_pages_doctor_apply_launches_remap_connector_in_dagster(
    live_api: Api, dagster: RunningDagster, doctor_connector: dict[str, Any]
) -> None:
    """Apply on the Connectivity page saves the rule, launches `remap_connector` through
    the API's own launch, and links the run; once it has run, the group is gone."""
    email = f"doctor-{uuid.uuid4().hex[:6]}@goldsphere.test"
    insert_user(live_api.engine, email=email, password=UI_PASSWORD)
    client = live_api.client
    assert sign_in(client, email).status_code == 303
    page_path = f"{UI}/connectors/{doctor_connector['id']}"
    before = client.get(page_path).text
    assert f"(group <code>{PRODUCER_GROUP}</code>)" in before

    response = client.post(
        f"{page_path}/doctor/apply",
        data={"csrf_token": csrf_of(before), "group": PRODUCER_GROUP},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    query = parse_qs(urlsplit(location).query)
    (run_id,) = query["run"]
    run = _wait_for_end(dagster, run_id)
    assert run["status"] == "SUCCESS", dagster.log_path
    assert run["jobName"] == "remap_connector"

    after = client.get(location).text
    flash = after.split('id="doctor-applied"')[1].split("</div>")[0]
    assert "→ producer</code>" in flash
    assert f"{dagster.url}/runs/{run_id}" in flash
    assert f"(group <code>{PRODUCER_GROUP}</code>)" not in after
