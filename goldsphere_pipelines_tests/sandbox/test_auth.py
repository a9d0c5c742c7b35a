"""Authentication exactly as WooCommerce does it: Basic and query keys over HTTPS only,
OAuth 1.0a one-legged signatures (HMAC-SHA256 or HMAC-SHA1) otherwise."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx2
import pytest
from authlib.integrations.httpx_client import OAuth1Auth

from goldsphere_pipelines.sandbox import RunningSandbox, SandboxStore, run_sandbox
from goldsphere_pipelines.sandbox.tls import trusting
from goldsphere_pipelines_tests.sandbox.conftest import SMALL, oauth_header, sign_oauth


def error_code(response: httpx2.Response) -> str:
    code: str = response.json()["code"]
    return code


@pytest.fixture(scope="module")
def http_shop(small_store: SandboxStore) -> Iterator[RunningSandbox]:
    with run_sandbox(small_store) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def https_shop() -> Iterator[RunningSandbox]:
    with run_sandbox(SandboxStore(SMALL), tls=True) as sandbox:
        yield sandbox


def https_client(sandbox: RunningSandbox) -> httpx2.Client:
    assert sandbox.ca_cert_path is not None
    return httpx2.Client(base_url=sandbox.api_url, verify=trusting(sandbox.ca_cert_path))


def signed(
    sandbox: RunningSandbox,
    path: str,
    *,
    secret: str | None = None,
    algorithm: str = "HMAC-SHA256",
    timestamp: int | None = None,
) -> list[tuple[str, str]]:
    """Query parameters of a signed `GET path?per_page=2&orderby=id`."""
    params = [("per_page", "2"), ("orderby", "id")]
    oauth = sign_oauth(
        "GET",
        f"{sandbox.api_url}{path}",
        params,
        sandbox.consumer_key,
        secret or sandbox.consumer_secret,
        algorithm=algorithm,
        timestamp=timestamp,
    )
    return params + oauth


def test_basic_auth_over_plain_http_is_refused_like_woocommerce(http_shop: RunningSandbox) -> None:
    response = httpx2.get(
        f"{http_shop.api_url}/orders", auth=(http_shop.consumer_key, http_shop.consumer_secret)
    )
    assert response.status_code == 401
    assert error_code(response) == "woocommerce_rest_cannot_view"
    query = {"consumer_key": http_shop.consumer_key, "consumer_secret": http_shop.consumer_secret}
    assert httpx2.get(f"{http_shop.api_url}/orders", params=query).status_code == 401


@pytest.mark.parametrize("algorithm", ["HMAC-SHA256", "HMAC-SHA1"])
def test_oauth1_in_the_query_string_is_accepted_over_http(
    http_shop: RunningSandbox, algorithm: str
) -> None:
    params = signed(http_shop, "/orders", algorithm=algorithm)
    response = httpx2.get(f"{http_shop.api_url}/orders", params=params)
    assert response.status_code == 200, response.text
    assert len(response.json()) == 2


def test_oauth1_in_the_authorization_header_is_accepted(http_shop: RunningSandbox) -> None:
    params = [("per_page", "2")]
    oauth = sign_oauth(
        "GET", f"{http_shop.api_url}/products", params, http_shop.consumer_key,
        http_shop.consumer_secret,
    )  # fmt: skip
    response = httpx2.get(
        f"{http_shop.api_url}/products",
        params=params,
        headers={"Authorization": oauth_header(oauth)},
    )
    assert response.status_code == 200, response.text


def test_authlib_signatures_are_accepted(http_shop: RunningSandbox) -> None:
    for signature_type in ("QUERY", "HEADER"):
        auth = OAuth1Auth(
            http_shop.consumer_key,
            http_shop.consumer_secret,
            signature_method="HMAC-SHA1",
            signature_type=signature_type,
        )
        response = httpx2.get(
            f"{http_shop.api_url}/orders",
            params={"per_page": 3, "modified_after": "2024-01-01T00:00:00", "search": "a b"},
            auth=auth,
        )
        assert response.status_code == 200, response.text


def test_bad_oauth_requests_are_refused_with_woocommerces_messages(
    http_shop: RunningSandbox,
) -> None:
    url = f"{http_shop.api_url}/orders"

    def refused(params: list[tuple[str, str]]) -> str:
        response = httpx2.get(url, params=params)
        assert response.status_code == 401
        message: str = response.json()["message"]
        return message

    assert refused(signed(http_shop, "/orders", secret="cs_wrong")) == (
        "Invalid signature - provided signature does not match."
    )
    tampered = [(k, "3" if k == "per_page" else v) for k, v in signed(http_shop, "/orders")]
    assert refused(tampered) == "Invalid signature - provided signature does not match."
    stale = signed(http_shop, "/orders", timestamp=int(time.time()) - 3600)
    assert refused(stale) == "Invalid timestamp."
    replay = signed(http_shop, "/orders")
    assert httpx2.get(url, params=replay).status_code == 200
    assert refused(replay) == "Invalid nonce - nonce has already been used."
    unknown = [(k, "ck_unknown" if k == "oauth_consumer_key" else v) for k, v in replay]
    assert refused(unknown) == "Consumer key is invalid."
    missing = [(k, v) for k, v in signed(http_shop, "/orders") if k != "oauth_nonce"]
    response = httpx2.get(url, params=missing)
    assert error_code(response) == "woocommerce_rest_authentication_missing_parameter"
    plaintext = signed(http_shop, "/orders", algorithm="PLAINTEXT")
    assert refused(plaintext) == "Invalid signature - signature method is invalid."


def test_an_authentication_error_comes_before_a_missing_route(http_shop: RunningSandbox) -> None:
    params = signed(http_shop, "/customers", secret="cs_wrong")
    response = httpx2.get(f"{http_shop.api_url}/customers", params=params)
    assert response.status_code == 401
    assert httpx2.get(f"{http_shop.api_url}/customers").status_code == 404


def test_basic_and_query_keys_are_accepted_over_https(https_shop: RunningSandbox) -> None:
    key, secret = https_shop.consumer_key, https_shop.consumer_secret
    with https_client(https_shop) as client:
        assert client.get("/orders", auth=(key, secret)).status_code == 200
        query = {"consumer_key": key, "consumer_secret": secret, "per_page": 1}
        assert client.get("/orders", params=query).status_code == 200
        oauth = signed(https_shop, "/orders")
        assert client.get("/orders", params=oauth).status_code == 200
        wrong = client.get("/orders", auth=(key, "cs_wrong"))
        assert wrong.status_code == 401
        assert wrong.json()["message"] == "Consumer secret is invalid."
        # WooCommerce ignores an unknown key over Basic: the request is simply anonymous.
        unknown = client.get("/orders", auth=("ck_unknown", secret))
        assert unknown.status_code == 401
        assert error_code(unknown) == "woocommerce_rest_cannot_view"
        single = client.get(f"/orders/{https_shop.store.order_ids()[0]}")
        assert single.json()["message"] == "Sorry, you cannot view this resource."


def test_https_certificate_is_trusted_only_through_the_ca_bundle(
    https_shop: RunningSandbox,
) -> None:
    assert https_shop.base_url.startswith("https://127.0.0.1:")
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(f"{https_shop.api_url}/orders")


def test_behind_a_tls_proxy_basic_auth_works_over_plain_http() -> None:
    with run_sandbox(SMALL.with_changes(behind_tls_proxy=True, orders=5)) as sandbox:
        response = httpx2.get(
            f"{sandbox.api_url}/orders", auth=(sandbox.consumer_key, sandbox.consumer_secret)
        )
        assert response.status_code == 200


def test_revoked_and_write_only_keys_are_refused() -> None:
    with run_sandbox(SMALL.with_changes(orders=5, key_permissions="write")) as sandbox:
        response = httpx2.get(f"{sandbox.api_url}/orders", params=signed(sandbox, "/orders"))
        assert response.status_code == 401
        assert response.json()["message"] == (
            "The API key provided does not have read permissions."
        )
    with run_sandbox(SMALL.with_changes(orders=5)) as sandbox:
        sandbox.store.set_faults(key_revoked=True)
        response = httpx2.get(f"{sandbox.api_url}/orders", params=signed(sandbox, "/orders"))
        assert response.status_code == 401
        assert response.json()["message"] == "Consumer key is invalid."


def test_system_status_may_be_forbidden_to_the_key() -> None:
    with run_sandbox(SMALL.with_changes(orders=5, system_status_allowed=False)) as sandbox:
        status = httpx2.get(
            f"{sandbox.api_url}/system_status", params=signed(sandbox, "/system_status")
        )
        assert status.status_code == 403
        general = "/settings/general"
        settings = httpx2.get(f"{sandbox.api_url}{general}", params=signed(sandbox, general))
        assert settings.status_code == 200


def test_rest_route_form_serves_the_same_api(http_shop: RunningSandbox) -> None:
    params = [
        ("rest_route", "/wc/v3/orders"),
        ("per_page", "2"),
        ("orderby", "id"),
        ("order", "asc"),
    ]
    oauth = sign_oauth(
        "GET", f"{http_shop.base_url}/", params, http_shop.consumer_key, http_shop.consumer_secret
    )
    response = httpx2.get(f"{http_shop.base_url}/", params=params + oauth)
    assert response.status_code == 200, response.text
    assert [order["id"] for order in response.json()] == http_shop.store.order_ids()[:2]
