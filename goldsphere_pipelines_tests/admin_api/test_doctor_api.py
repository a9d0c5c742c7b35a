"""GET /admin/connectors/{id}/doctor and POST .../doctor/apply, on a synced sandbox shop.

Dagster is down in this app: apply saves the rule and says why the re-mapping was not
launched (the launch itself is the launcher's, tested with a real webserver elsewhere).
"""

from __future__ import annotations

from typing import Any

from goldsphere_pipelines_tests.admin_api.conftest import DOCTOR_GROUP as GROUP
from goldsphere_pipelines_tests.admin_api.conftest import Api


def test_the_report_groups_failures_with_examples_and_proposals(
    api: Api, doctor_connector: dict[str, Any]
) -> None:
    response = api.get(f"/admin/connectors/{doctor_connector['id']}/doctor")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["connector"] == "doctor-shop"
    assert report["failed"]["order"] >= 1
    (group,) = [g for g in report["groups"] if g["id"] == GROUP]
    assert 1 <= len(group["examples"]) <= 3
    assert {"externalId", "message", "value"} <= set(group["examples"][0])
    assert group["count"] >= len(group["examples"])
    assert group["proposal"] is None
    assert "--value" in group["explanation"]
    numbers = [g["number"] for g in report["groups"]]
    assert numbers == list(range(1, len(numbers) + 1))


def test_apply_saves_the_rule_and_reports_that_dagster_could_not_remap(
    api: Api, doctor_connector: dict[str, Any]
) -> None:
    path = f"/admin/connectors/{doctor_connector['id']}/doctor/apply"
    refused = api.post(path, {"group": GROUP})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "doctor_nothing_to_apply"

    response = api.post(path, {"group": GROUP, "value": "pending"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["rule"]["targetField"] == "order_status"
    assert body["rule"]["transform"]["map"]["wc-awaiting-bank"] == "pending"
    assert body["remap"] is None
    assert "Dagster" in body["remapError"]
    rules = api.get(f"/admin/connectors/{doctor_connector['id']}/rules").json()["items"]
    assert [r["id"] for r in rules] == [body["rule"]["id"]]


def test_an_unknown_group_is_404(api: Api, doctor_connector: dict[str, Any]) -> None:
    response = api.post(
        f"/admin/connectors/{doctor_connector['id']}/doctor/apply",
        {"group": "product.nothing.here"},
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "doctor_group_not_found"
