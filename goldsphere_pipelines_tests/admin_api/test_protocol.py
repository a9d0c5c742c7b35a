"""What every endpoint shares: the error shape, body size bound, OpenAPI and docs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from goldsphere_pipelines.admin_api import create_app
from goldsphere_pipelines.admin_api.settings import (
    DEFAULT_MAX_BODY_BYTES,
    AdminApiConfigurationError,
    load_settings,
)
from goldsphere_pipelines_tests.admin_api.conftest import Api


@pytest.fixture
def api_engine(engine: sa.Engine) -> sa.Engine:
    """Nothing here reads or writes connectors: no need to empty the tables."""
    return engine


def test_an_unknown_path_is_404_in_the_api_error_shape(api: Api) -> None:
    response = api.get("/admin/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "/admin/docs" in response.json()["error"]["message"]


def test_an_unsupported_method_is_405_in_the_api_error_shape(api: Api) -> None:
    response = api.delete("/admin/connectors")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["allow"]


def test_a_path_parameter_that_cannot_be_a_connector_is_422(api: Api) -> None:
    response = api.get("/admin/connectors/bad%00name")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "path.id"


def test_a_body_over_the_limit_is_413(api: Api) -> None:
    padding = "x" * DEFAULT_MAX_BODY_BYTES
    response = api.post("/admin/connectors", {"baseUrl": "https://shop.example.com", "p": padding})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert "64 KiB" in response.json()["error"]["message"]


def test_a_chunked_body_over_the_limit_is_413(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"baseUrl": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    response = api.client.post(
        "/admin/connectors",
        content=chunks(),
        headers={**api.auth, "Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


def test_the_limit_is_configurable(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOLDSPHERE_ADMIN_API_MAX_BODY_BYTES", "2048")
    small = TestClient(create_app(api.engine, jwt_secret=api.secrets.jwt_secret))
    body = {"baseUrl": "https://shop.example.com", "name": "x" * 3000}
    assert small.post("/admin/connectors", json=body, headers=api.auth).status_code == 413
    body = {"baseUrl": "https://shop.example.com", "name": "x" * 1000}
    assert small.post("/admin/connectors", json=body, headers=api.auth).status_code == 422


def test_a_body_under_the_limit_reaches_the_endpoint(api: Api) -> None:
    response = api.post(
        "/admin/connectors",
        {
            "baseUrl": "https://shop.example.com",
            "consumerKey": api.secrets.consumer_key,
            "consumerSecret": api.secrets.consumer_secret,
            "caBundle": "x" * (DEFAULT_MAX_BODY_BYTES - 1000),
        },
    )
    assert response.status_code == 422
    assert "CA bundle" in response.json()["error"]["message"]


def test_openapi_and_docs_are_served_without_a_token(app: FastAPI) -> None:
    client = TestClient(app)
    schema = client.get("/admin/openapi.json").json()
    assert set(schema["paths"]) == {
        "/admin/connectors",
        "/admin/connectors/{id}",
        "/admin/connectors/{id}/test",
        "/admin/connectors/{id}/sync",
        "/admin/connectors/{id}/runs",
        "/admin/connectors/{id}/rules",
        "/admin/connectors/{id}/rules/{ruleId}",
        "/admin/connectors/{id}/doctor",
        "/admin/connectors/{id}/doctor/apply",
        "/admin/connectors/{id}/reconcile",
        "/admin/connectors/{id}/deletions",
        "/admin/connectors/{id}/webhooks",
        "/admin/connectors/{id}/webhooks/secret",
        "/admin/connectors/{id}/webhooks/register",
        "/admin/connectors/{id}/webhooks/process",
        "/webhooks/woocommerce/{connector}",
    }
    create = schema["paths"]["/admin/connectors"]["post"]
    assert create["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    body_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][body_ref.rsplit("/", 1)[1]]
    assert {"baseUrl", "consumerKey", "consumerSecret", "syncProducts"} <= set(body["properties"])
    assert body["additionalProperties"] is False
    assert client.get("/admin/docs").status_code == 200


def test_settings_need_a_jwt_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWT_SECRET", raising=False)
    with pytest.raises(AdminApiConfigurationError, match="JWT_SECRET is not set"):
        load_settings()


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", "from-the-environment")
    monkeypatch.setenv("GOLDSPHERE_DAGSTER_URL", "http://127.0.0.1:3333/dagster/")
    monkeypatch.setenv("GOLDSPHERE_ADMIN_API_MAX_BODY_BYTES", "4096")
    settings = load_settings()
    assert settings.jwt_secret.get_secret_value() == "from-the-environment"
    assert settings.dagster_url == "http://127.0.0.1:3333/dagster"
    assert settings.max_body_bytes == 4096
    assert "from-the-environment" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GOLDSPHERE_DAGSTER_URL", "127.0.0.1:3000"),
        ("GOLDSPHERE_DAGSTER_URL", "http://user:pw@127.0.0.1:3000"),
        ("GOLDSPHERE_ADMIN_API_MAX_BODY_BYTES", "lots"),
        ("GOLDSPHERE_ADMIN_API_MAX_BODY_BYTES", "10"),
    ],
)
def test_unusable_settings_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv("JWT_SECRET", "s" * 40)
    monkeypatch.setenv(name, value)
    with pytest.raises(AdminApiConfigurationError, match=name):
        load_settings()
