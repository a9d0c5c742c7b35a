"""GET/POST /admin/connectors, GET/PUT /admin/connectors/{id}, POST .../test."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from goldsphere_pipelines.admin_api import create_app
from goldsphere_pipelines.connectors.configuration import get_connector, load_credentials
from goldsphere_pipelines.sandbox import RunningSandbox
from goldsphere_pipelines.storage.credentials import generate_key, load_cipher
from goldsphere_pipelines_tests.admin_api.conftest import Api
from goldsphere_pipelines_tests.storage.connector_factories import database_text

SUMMARY_KEYS = {
    "id",
    "createMissingProducers",
    "name",
    "type",
    "baseUrl",
    "status",
    "authMode",
    "hasCaBundle",
    "lastTestAt",
    "lastTestSuccess",
    "lastTestMessage",
    "syncProducts",
    "syncOrders",
    "lastRun",
}


def test_create_stores_the_connector_and_answers_its_summary(api: Api) -> None:
    response = api.post(
        "/admin/connectors",
        {
            "type": "woocommerce",
            "baseUrl": "https://shop.example.com/wp-json/wc/v3/",
            "consumerKey": api.secrets.consumer_key,
            "consumerSecret": api.secrets.consumer_secret,
            "syncProducts": True,
            "syncOrders": False,
        },
    )
    assert response.status_code == 201, response.text
    summary = response.json()
    assert set(summary) == SUMMARY_KEYS
    assert summary["name"] == "shop-example-com"
    assert summary["baseUrl"] == "https://shop.example.com"
    assert summary["status"] == "active"
    assert summary["authMode"] == "basic"
    assert (summary["syncProducts"], summary["syncOrders"]) == (True, False)
    assert summary["createMissingProducers"] is True  # the default
    assert summary["lastRun"] is None
    assert response.headers["location"] == f"/admin/connectors/{summary['id']}"
    stored = load_credentials(api.engine, load_cipher(), get_connector(api.engine, summary["id"]))
    assert stored.consumer_key.get_secret_value() == api.secrets.consumer_key
    assert stored.consumer_secret.get_secret_value() == api.secrets.consumer_secret
    # Encrypted at rest: no table holds the plain key or secret.
    text = database_text(api.engine)
    assert api.secrets.consumer_key not in text
    assert api.secrets.consumer_secret not in text


def test_list_shows_every_connector_by_name(api: Api) -> None:
    api.add_connector("https://b.example.com", name="b-shop")
    api.add_connector("https://a.example.com", name="a-shop", syncOrders=False)
    response = api.get("/admin/connectors")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [item["name"] for item in items] == ["a-shop", "b-shop"]
    assert items[0]["syncOrders"] is False


def test_show_finds_a_connector_by_id_or_by_name(api: Api) -> None:
    created = api.add_connector("https://shop.example.com", name="bullion-shop")
    by_id = api.get(f"/admin/connectors/{created['id']}")
    by_name = api.get("/admin/connectors/bullion-shop")
    assert by_id.status_code == by_name.status_code == 200
    assert by_id.json() == by_name.json() == created


@pytest.mark.parametrize("ref", [str(uuid.uuid4()), "no-such-shop"])
def test_an_unknown_connector_is_404(api: Api, ref: str) -> None:
    for response in (
        api.get(f"/admin/connectors/{ref}"),
        api.put(f"/admin/connectors/{ref}", {"syncOrders": False}),
        api.post(f"/admin/connectors/{ref}/test"),
        api.post(f"/admin/connectors/{ref}/sync", {}),
        api.get(f"/admin/connectors/{ref}/runs"),
        api.get(f"/admin/connectors/{ref}/rules"),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "connector_not_found"


def test_a_taken_name_is_409(api: Api) -> None:
    api.add_connector("https://shop.example.com", name="bullion-shop")
    response = api.post(
        "/admin/connectors",
        {
            "baseUrl": "https://other.example.com",
            "consumerKey": api.secrets.other_key,
            "consumerSecret": api.secrets.other_secret,
            "name": "bullion-shop",
        },
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "connector_name_taken"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"baseUrl": "ftp://shop.example.com"}, "must start with https://"),
        ({"baseUrl": "http://shop.example.com"}, "must use https://"),
        ({"baseUrl": "https://169.254.169.254"}, "link-local"),
        ({"consumerKey": "ck_short"}, "not a WooCommerce consumer key"),
        ({"consumerSecret": "secret"}, "not a WooCommerce consumer secret"),
        ({"name": "Not A Slug!"}, "not a valid name"),
    ],
)
def test_service_validation_is_422_with_the_services_message(
    api: Api, change: dict[str, str], fragment: str
) -> None:
    body = {
        "baseUrl": "https://shop.example.com",
        "consumerKey": api.secrets.consumer_key,
        "consumerSecret": api.secrets.consumer_secret,
        **change,
    }
    response = api.post("/admin/connectors", body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_connector_input"
    assert fragment in error["message"]
    assert api.get("/admin/connectors").json() == {"items": []}


def test_key_and_secret_swapped_are_refused_without_echoing_either(api: Api) -> None:
    response = api.post(
        "/admin/connectors",
        {
            "baseUrl": "https://shop.example.com",
            "consumerKey": api.secrets.consumer_secret,
            "consumerSecret": api.secrets.consumer_key,
        },
    )
    assert response.status_code == 422
    assert "looks like the consumer secret" in response.json()["error"]["message"]
    assert api.secrets.consumer_secret not in response.text
    assert api.secrets.consumer_key not in response.text


@pytest.mark.parametrize(
    ("missing", "changed", "field"),
    [
        ("baseUrl", {}, "body.baseUrl"),
        ("consumerKey", {}, "body.consumerKey"),
        (None, {"type": "shopify"}, "body.type"),
        (None, {"syncProducts": "sometimes"}, "body.syncProducts"),
        (None, {"consumerKey": 12345}, "body.consumerKey"),
        (None, {"authMode": "password"}, "body.authMode"),
    ],
)
def test_request_validation_is_422_naming_the_field(
    api: Api, missing: str | None, changed: dict[str, object], field: str
) -> None:
    body: dict[str, object] = {
        "baseUrl": "https://shop.example.com",
        "consumerKey": api.secrets.consumer_key,
        "consumerSecret": api.secrets.consumer_secret,
        **changed,
    }
    if missing is not None:
        body.pop(missing)
    response = api.post("/admin/connectors", body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert field in [detail["field"] for detail in error["details"]]
    assert field in error["message"]


def test_an_unknown_field_is_refused_and_its_value_not_echoed(api: Api) -> None:
    response = api.post(
        "/admin/connectors",
        {
            "baseUrl": "https://shop.example.com",
            "consumerKey": api.secrets.consumer_key,
            "consumerSecret": api.secrets.consumer_secret,
            "consumer_secret_again": api.secrets.other_secret,
        },
    )
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert details == [
        {"field": "body.consumer_secret_again", "message": "is not a known field; remove it"}
    ]
    assert api.secrets.other_secret not in response.text


def test_a_body_that_is_not_json_is_400(api: Api) -> None:
    response = api.client.post(
        "/admin/connectors",
        content=b'{"baseUrl": ',
        headers={**api.auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_update_changes_only_the_fields_given(api: Api) -> None:
    created = api.add_connector("https://shop.example.com", name="bullion-shop")
    response = api.put(
        f"/admin/connectors/{created['id']}",
        {"baseUrl": "https://new.example.com", "syncOrders": False},
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["baseUrl"] == "https://new.example.com"
    assert (updated["syncProducts"], updated["syncOrders"]) == (True, False)
    assert updated["name"] == "bullion-shop"
    stored = load_credentials(api.engine, load_cipher(), get_connector(api.engine, created["id"]))
    assert stored.consumer_key.get_secret_value() == api.secrets.consumer_key


def test_update_replaces_the_credentials_given_as_a_pair(api: Api) -> None:
    created = api.add_connector("https://shop.example.com", name="bullion-shop")
    response = api.put(
        "/admin/connectors/bullion-shop",
        {"consumerKey": api.secrets.other_key, "consumerSecret": api.secrets.other_secret},
    )
    assert response.status_code == 200
    stored = load_credentials(api.engine, load_cipher(), get_connector(api.engine, created["id"]))
    assert stored.consumer_key.get_secret_value() == api.secrets.other_key
    assert stored.consumer_secret.get_secret_value() == api.secrets.other_secret


def test_update_with_only_a_key_is_422_and_keeps_the_stored_pair(api: Api) -> None:
    created = api.add_connector("https://shop.example.com", name="bullion-shop")
    response = api.put("/admin/connectors/bullion-shop", {"consumerKey": api.secrets.other_key})
    assert response.status_code == 422
    assert "both the consumer key and the consumer secret" in response.json()["error"]["message"]
    stored = load_credentials(api.engine, load_cipher(), get_connector(api.engine, created["id"]))
    assert stored.consumer_key.get_secret_value() == api.secrets.consumer_key


def test_update_refuses_unknown_fields_and_the_name(api: Api) -> None:
    api.add_connector("https://shop.example.com", name="bullion-shop")
    response = api.put("/admin/connectors/bullion-shop", {"name": "renamed"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "body.name"


def test_test_connection_succeeds_against_the_shop_and_is_recorded(
    api: Api, shop: RunningSandbox
) -> None:
    created = api.add_connector(shop.base_url, name="sandbox-shop")
    response = api.post(f"/admin/connectors/{created['id']}/test")
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["success"] is True
    assert result["currency"] == "USD"
    assert result["woocommerceVersion"] == "8.9.1"
    summary = api.get("/admin/connectors/sandbox-shop").json()
    assert summary["lastTestSuccess"] is True
    assert summary["lastTestAt"] is not None


def test_test_connection_with_wrong_keys_is_a_200_saying_what_to_fix(
    api: Api, shop: RunningSandbox, db: sa.Engine
) -> None:
    api.add_connector(
        shop.base_url,
        name="sandbox-shop",
        consumerKey=api.secrets.other_key,
        consumerSecret=api.secrets.other_secret,
    )
    response = api.post("/admin/connectors/sandbox-shop/test")
    assert response.status_code == 200
    result = response.json()
    assert result["success"] is False
    assert result["message"]
    assert api.get("/admin/connectors/sandbox-shop").json()["status"] == "error"


def test_test_connection_with_undecryptable_credentials_is_409(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.add_connector("https://shop.example.com", name="bullion-shop")
    # The API restarted with another credentials key than the one the secrets were stored with.
    monkeypatch.setenv("GOLDSPHERE_CREDENTIALS_KEY", generate_key())
    restarted = TestClient(create_app(api.engine, jwt_secret=api.secrets.jwt_secret))
    response = restarted.post("/admin/connectors/bullion-shop/test", headers=api.auth)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "credentials_key_wrong"
    assert "bullion-shop" in error["message"]


def test_create_missing_producers_is_a_connector_setting(api: Api) -> None:
    created = api.post(
        "/admin/connectors",
        {
            "baseUrl": "https://producers.example.com",
            "consumerKey": api.secrets.consumer_key,
            "consumerSecret": api.secrets.consumer_secret,
            "createMissingProducers": False,
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["createMissingProducers"] is False
    updated = api.put(f"/admin/connectors/{created.json()['id']}", {"createMissingProducers": True})
    assert updated.status_code == 200, updated.text
    assert updated.json()["createMissingProducers"] is True
