"""POST /admin/connectors/{id}/reconcile without a working Dagster, and the deletion
settings and counts (GET/PUT .../deletions)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from goldsphere_pipelines.connectors import deletions
from goldsphere_pipelines.storage.locks import connector_sync_lock
from goldsphere_pipelines_tests.admin_api.conftest import Api
from goldsphere_pipelines_tests.admin_api.support import RefusingPort


@pytest.fixture
def connector(api: Api) -> dict[str, Any]:
    return api.add_connector("https://shop.example.com", name="bullion-shop")  # type: ignore[no-any-return]


def test_deletion_settings_default_to_keep_and_can_change(
    api: Api, connector: dict[str, Any]
) -> None:
    shown = api.get("/admin/connectors/bullion-shop/deletions").json()
    assert shown == {
        "onOrderDeleted": "keep",
        "removalShareLimit": 0.2,
        "products": {"trashed": 0, "gone": 0, "webhook": 0},
        "orders": {"trashed": 0, "gone": 0, "webhook": 0},
    }
    changed = api.put(
        f"/admin/connectors/{connector['id']}/deletions",
        {"onOrderDeleted": "cancel", "removalShareLimit": 0.5},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["onOrderDeleted"] == "cancel"
    settings = deletions.deletion_settings(api.engine, uuid.UUID(connector["id"]))
    assert (settings.on_order_deleted, float(settings.removal_share_limit)) == ("cancel", 0.5)
    refused = api.put("/admin/connectors/bullion-shop/deletions", {"onOrderDeleted": "delete"})
    assert refused.status_code == 422


def test_reconcile_while_the_connector_is_locked_is_409(
    api: Api, connector: dict[str, Any]
) -> None:
    with connector_sync_lock(api.engine, uuid.UUID(connector["id"]), connector["name"]):
        response = api.post("/admin/connectors/bullion-shop/reconcile", {"force": True})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "sync_already_running"


def test_reconcile_while_dagster_is_down_is_503(
    api: Api, connector: dict[str, Any], dagster_down: RefusingPort
) -> None:
    response = api.post(f"/admin/connectors/{connector['id']}/reconcile", {})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "dagster_unavailable"
