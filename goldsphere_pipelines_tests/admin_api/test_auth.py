"""Only an active goldsphere admin with a valid token gets in: 401 and 403 otherwise."""

from __future__ import annotations

import uuid

import jwt
import pytest
import sqlalchemy as sa

from goldsphere_pipelines_tests.admin_api.conftest import Api
from goldsphere_pipelines_tests.admin_api.support import bearer, insert_user, make_token

# One request per kind of endpoint: every route sits behind the same check.
PROTECTED = [
    ("GET", "/admin/connectors"),
    ("POST", "/admin/connectors"),
    ("GET", "/admin/connectors/some-shop"),
    ("PUT", "/admin/connectors/some-shop"),
    ("POST", "/admin/connectors/some-shop/test"),
    ("POST", "/admin/connectors/some-shop/sync"),
    ("GET", "/admin/connectors/some-shop/runs"),
    ("GET", "/admin/connectors/some-shop/rules"),
    ("POST", "/admin/connectors/some-shop/rules"),
    ("DELETE", f"/admin/connectors/some-shop/rules/{uuid.uuid4()}"),
]


@pytest.fixture
def api_engine(engine: sa.Engine) -> sa.Engine:
    """Tokens and users only: the tables need not be emptied for each test."""
    return engine


def _error(response: object) -> dict[str, str]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_endpoint_needs_a_token(api: Api, method: str, path: str) -> None:
    response = api.client.request(method, path, json={})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert _error(response)["code"] == "not_authenticated"


def test_an_admin_token_opens_the_api(api: Api) -> None:
    response = api.get("/admin/connectors")
    assert response.status_code == 200
    assert isinstance(response.json()["items"], list)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer not-a-jwt",
        "Token abc.def.ghi",
    ],
)
def test_a_malformed_authorization_header_is_401(api: Api, header: str) -> None:
    response = api.client.get("/admin/connectors", headers={"Authorization": header})
    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"


def test_a_token_signed_with_another_secret_is_401(api: Api) -> None:
    token = make_token(api.secrets, api.admin_id, secret="x" * 64)
    response = api.client.get("/admin/connectors", headers=bearer(token))
    assert response.status_code == 401
    assert "not a valid goldsphere token" in _error(response)["message"]


def test_an_unsigned_token_is_401(api: Api) -> None:
    token = jwt.encode({"id": str(api.admin_id), "role": "admin"}, "", algorithm="none")
    response = api.client.get("/admin/connectors", headers=bearer(token))
    assert response.status_code == 401


def test_a_token_of_another_algorithm_is_401(api: Api) -> None:
    # HS512 with the right secret: still refused, only HS256 tokens are goldsphere's.
    token = make_token(api.secrets, api.admin_id, algorithm="HS512")
    response = api.client.get("/admin/connectors", headers=bearer(token))
    assert response.status_code == 401


def test_an_expired_token_is_401_and_says_so(api: Api) -> None:
    token = make_token(api.secrets, api.admin_id, expires_in=-3600)
    response = api.client.get("/admin/connectors", headers=bearer(token))
    assert response.status_code == 401
    assert "expired" in _error(response)["message"]


@pytest.mark.parametrize("user_id", ["", "42", "not-a-uuid"])
def test_a_token_without_a_user_id_is_401(api: Api, user_id: str) -> None:
    token = make_token(api.secrets, user_id)
    response = api.client.get("/admin/connectors", headers=bearer(token))
    assert response.status_code == 401


def test_a_token_of_a_user_that_no_longer_exists_is_401(api: Api) -> None:
    token = make_token(api.secrets, uuid.uuid4())
    response = api.client.get("/admin/connectors", headers=bearer(token))
    assert response.status_code == 401
    assert "no longer exists" in _error(response)["message"]


@pytest.mark.parametrize("role", ["customer", "user", "", "ADMIN"])
def test_a_token_whose_role_is_not_admin_is_403(api: Api, role: str) -> None:
    token = make_token(api.secrets, api.admin_id, role=role)
    response = api.client.get("/admin/connectors", headers=bearer(token))
    assert response.status_code == 403
    assert _error(response)["code"] == "forbidden"


def test_an_admin_token_of_a_user_who_is_not_admin_any_more_is_403(api: Api) -> None:
    demoted = insert_user(api.engine, role="customer")
    response = api.client.get("/admin/connectors", headers=bearer(make_token(api.secrets, demoted)))
    assert response.status_code == 403


@pytest.mark.parametrize("status", ["blocked", "suspended", "deleted"])
def test_an_admin_whose_account_is_not_active_is_403(api: Api, status: str) -> None:
    admin = insert_user(api.engine, account_status=status)
    response = api.client.get("/admin/connectors", headers=bearer(make_token(api.secrets, admin)))
    assert response.status_code == 403
    assert status in _error(response)["message"]


def test_auth_is_checked_before_the_connector_is_looked_up(api: Api) -> None:
    # A stranger learns nothing, not even whether a connector exists.
    response = api.client.get("/admin/connectors/no-such-shop/runs")
    assert response.status_code == 401
