"""GET/POST /admin/connectors/{id}/rules and DELETE .../rules/{ruleId}."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from goldsphere_pipelines_tests.admin_api.conftest import Api
from goldsphere_pipelines_tests.rules.support import ensure_reference_data


@pytest.fixture(autouse=True)
def _reference_data(db: sa.Engine) -> None:
    ensure_reference_data(db)


@pytest.fixture
def connector(api: Api) -> dict[str, Any]:
    return api.add_connector("https://shop.example.com", name="bullion-shop")  # type: ignore[no-any-return]


METAL_RULE = {
    "entityType": "product",
    "sourceField": "attributes[name=Metal].options[0]",
    "targetField": "metal",
    "transform": {"map": {"Gold": "Gold", "Silber": "Silver"}},
}
STATUS_RULE = {
    "entityType": "order",
    "sourceField": "status",
    "targetField": "order_status",
    "transform": {"map": {"processing": "confirmed", "completed": "completed"}},
}


def test_a_connector_starts_without_rules(api: Api, connector: dict[str, Any]) -> None:
    response = api.get(f"/admin/connectors/{connector['id']}/rules")
    assert response.status_code == 200
    assert response.json() == {"items": []}


def test_added_rules_are_listed_oldest_first_and_filtered_by_entity(
    api: Api, connector: dict[str, Any]
) -> None:
    first = api.post(f"/admin/connectors/{connector['id']}/rules", METAL_RULE)
    assert first.status_code == 201, first.text
    created = first.json()
    assert {k: created[k] for k in METAL_RULE} == METAL_RULE
    assert created["connectorId"] == connector["id"]
    assert first.headers["location"] == (
        f"/admin/connectors/{connector['id']}/rules/{created['id']}"
    )
    assert api.post("/admin/connectors/bullion-shop/rules", STATUS_RULE).status_code == 201
    listed = api.get("/admin/connectors/bullion-shop/rules").json()["items"]
    assert [rule["targetField"] for rule in listed] == ["metal", "order_status"]
    orders = api.get("/admin/connectors/bullion-shop/rules", params={"entityType": "order"})
    assert [rule["entityType"] for rule in orders.json()["items"]] == ["order"]


def test_a_second_rule_for_the_same_target_is_409(api: Api, connector: dict[str, Any]) -> None:
    assert api.post("/admin/connectors/bullion-shop/rules", METAL_RULE).status_code == 201
    response = api.post("/admin/connectors/bullion-shop/rules", METAL_RULE)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "rule_target_taken"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        # The mapping layer words the reasons; each names what it refuses.
        ({"targetField": "colour"}, "colour"),
        ({"transform": {"map": {"Gold": "Unobtainium"}}}, "Unobtainium"),
        ({"transform": {"regex": "(a+)+"}}, "regex"),
        ({"transform": {"shout": True}}, "shout"),
        ({"sourceField": "attributes[name=Metal"}, "attributes[name=Metal"),
    ],
)
def test_a_rule_that_cannot_work_is_422_with_the_reason(
    api: Api, connector: dict[str, Any], change: dict[str, Any], fragment: str
) -> None:
    response = api.post("/admin/connectors/bullion-shop/rules", {**METAL_RULE, **change})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_rule"
    assert fragment in error["message"]
    assert api.get("/admin/connectors/bullion-shop/rules").json() == {"items": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**METAL_RULE, "entityType": "customer"}, "body.entityType"),
        ({k: v for k, v in METAL_RULE.items() if k != "entityType"}, "body.entityType"),
        ({**METAL_RULE, "priority": 1}, "body.priority"),
        ({**METAL_RULE, "transform": "map"}, "body.transform"),
        ({**METAL_RULE, "targetField": "x" * 101}, "body.targetField"),
    ],
)
def test_a_malformed_rule_is_422_naming_the_field(
    api: Api, connector: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    response = api.post("/admin/connectors/bullion-shop/rules", body)
    assert response.status_code == 422
    assert field in [d["field"] for d in response.json()["error"]["details"]]


def test_a_removed_rule_is_gone(api: Api, connector: dict[str, Any]) -> None:
    rule = api.post("/admin/connectors/bullion-shop/rules", METAL_RULE).json()
    response = api.delete(f"/admin/connectors/{connector['id']}/rules/{rule['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert api.get("/admin/connectors/bullion-shop/rules").json() == {"items": []}
    again = api.delete(f"/admin/connectors/bullion-shop/rules/{rule['id']}")
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "rule_not_found"


def test_a_rule_of_another_connector_cannot_be_removed_through_this_one(
    api: Api, connector: dict[str, Any]
) -> None:
    other = api.add_connector("https://other.example.com", name="other-shop")
    rule = api.post(f"/admin/connectors/{other['id']}/rules", METAL_RULE).json()
    response = api.delete(f"/admin/connectors/bullion-shop/rules/{rule['id']}")
    assert response.status_code == 404
    assert len(api.get("/admin/connectors/other-shop/rules").json()["items"]) == 1


def test_a_rule_id_that_is_not_a_uuid_is_422(api: Api, connector: dict[str, Any]) -> None:
    response = api.delete("/admin/connectors/bullion-shop/rules/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "path.ruleId"


def test_rules_of_an_unknown_connector_are_404(api: Api) -> None:
    assert api.post("/admin/connectors/no-shop/rules", METAL_RULE).status_code == 404
    assert api.delete(f"/admin/connectors/no-shop/rules/{uuid.uuid4()}").status_code == 404
