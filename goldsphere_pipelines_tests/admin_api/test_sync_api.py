"""POST /admin/connectors/{id}/sync without a working Dagster, and GET .../runs.

The launch against a real Dagster webserver is in test_dagster_sync.py.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from goldsphere_pipelines.admin_api import create_app
from goldsphere_pipelines.connectors.configuration import disable_connector
from goldsphere_pipelines.sandbox import RunningSandbox
from goldsphere_pipelines.storage.locks import connector_sync_lock
from goldsphere_pipelines.storage.sync_runs import SyncRunRepository
from goldsphere_pipelines_tests.admin_api.conftest import Api
from goldsphere_pipelines_tests.admin_api.support import RefusingPort


@pytest.fixture
def connector(api: Api) -> dict[str, Any]:
    return api.add_connector("https://shop.example.com", name="bullion-shop")  # type: ignore[no-any-return]


def test_sync_while_dagster_is_down_is_503_saying_so(
    api: Api, connector: dict[str, Any], dagster_down: RefusingPort
) -> None:
    response = api.post(f"/admin/connectors/{connector['id']}/sync", {"syncProducts": True})
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "dagster_unavailable"
    assert dagster_down.url in error["message"]
    assert "dagster dev" in error["message"]


def test_sync_against_something_that_is_not_dagster_is_502(
    api: Api, connector: dict[str, Any], shop: RunningSandbox, credentials_key: str
) -> None:
    not_dagster = TestClient(
        create_app(api.engine, dagster_url=shop.base_url, jwt_secret=api.secrets.jwt_secret)
    )
    response = not_dagster.post("/admin/connectors/bullion-shop/sync", headers=api.auth)
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "dagster_error"
    assert shop.base_url in error["message"]
    assert "query" not in error["message"]  # the GraphQL document stays out of it


def test_sync_while_the_connector_is_locked_is_409_before_asking_dagster(
    api: Api, connector: dict[str, Any]
) -> None:
    # Dagster is down in this app: a 409 proves the lock was checked first.
    with connector_sync_lock(api.engine, uuid.UUID(connector["id"]), connector["name"]):
        response = api.post("/admin/connectors/bullion-shop/sync", {})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "sync_already_running"
    assert "bullion-shop" in error["message"]


def test_sync_of_a_disabled_connector_is_409(
    api: Api, connector: dict[str, Any], db: sa.Engine
) -> None:
    disable_connector(db, "bullion-shop")
    response = api.post("/admin/connectors/bullion-shop/sync", {})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "connector_disabled"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"syncProducts": False, "syncOrders": False}, "body"),
        ({"syncProducts": "yes please"}, "body.syncProducts"),
        ({"syncCustomers": True}, "body.syncCustomers"),
    ],
)
def test_a_sync_request_that_asks_for_nothing_or_nonsense_is_422(
    api: Api, connector: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    response = api.post("/admin/connectors/bullion-shop/sync", body)
    assert response.status_code == 422
    assert field in [d["field"] for d in response.json()["error"]["details"]]


def _record_runs(engine: sa.Engine, connector_id: uuid.UUID, count: int) -> list[uuid.UUID]:
    runs = SyncRunRepository(engine)
    ids = []
    for number in range(count):
        run_id = runs.start(connector_id, trigger="test", dagster_run_id=f"dagster-run-{number}")
        runs.merge_stats(
            run_id,
            "products_map",
            {"mapped": number, "failed": 1},
            [{"entity": "product", "externalId": str(number), "message": "no price"}],
        )
        if number % 2:
            runs.fail(run_id, "products_map: the store went away")
        runs.finish(run_id)
        ids.append(run_id)
    return ids


def test_runs_are_listed_newest_first_with_stats_and_errors(
    api: Api, connector: dict[str, Any]
) -> None:
    ids = _record_runs(api.engine, uuid.UUID(connector["id"]), 3)
    response = api.get(f"/admin/connectors/{connector['id']}/runs")
    assert response.status_code == 200
    page = response.json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 20, 0)
    assert [item["id"] for item in page["items"]] == [str(i) for i in reversed(ids)]
    newest = page["items"][0]
    assert newest["status"] == "success"
    assert newest["stats"]["products_map"] == {"mapped": 2, "failed": 1}
    assert newest["stats"]["errors"][0]["message"] == "no price"
    assert newest["dagsterRunId"] == "dagster-run-2"
    assert newest["dagsterRunUrl"].endswith("/runs/dagster-run-2")
    assert page["items"][1]["status"] == "failed"
    assert page["items"][1]["error"] == "products_map: the store went away"
    assert set(newest) >= {"connectorId", "startedAt", "finishedAt", "trigger"}


def test_runs_are_paginated(api: Api, connector: dict[str, Any]) -> None:
    ids = _record_runs(api.engine, uuid.UUID(connector["id"]), 5)
    page = api.get("/admin/connectors/bullion-shop/runs", params={"limit": 2, "offset": 2}).json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)
    assert [item["id"] for item in page["items"]] == [str(ids[2]), str(ids[1])]
    past_the_end = api.get("/admin/connectors/bullion-shop/runs", params={"offset": 10}).json()
    assert past_the_end["items"] == []
    assert past_the_end["total"] == 5


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "ten"}])
def test_runs_paging_out_of_bounds_is_422(
    api: Api, connector: dict[str, Any], params: dict[str, Any]
) -> None:
    response = api.get("/admin/connectors/bullion-shop/runs", params=params)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"].startswith("query.")
