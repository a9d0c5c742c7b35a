"""What each auth mode puts on the wire, held against what WooCommerce checks."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest

from goldsphere_pipelines.woocommerce import AuthMode, WooCommerceClient, WooCredentials
from goldsphere_pipelines_tests.woocommerce.helpers import (
    CREDENTIALS,
    KEY,
    SECRET,
    json_list,
    odd_client,
    woocommerce_accepts_signature,
)


def capture(auth_mode: AuthMode, **options: Any) -> tuple[WooCommerceClient, list[httpx2.Request]]:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return json_list([{"id": 1}], total=1)

    return odd_client(handler, auth_mode=auth_mode, **options), seen


def test_basic_auth_sends_the_key_in_the_authorization_header_only() -> None:
    client, seen = capture(AuthMode.BASIC)
    with client:
        list(client.iter_orders())
    (request,) = seen
    expected = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert KEY not in str(request.url)
    assert SECRET not in str(request.url)


def test_query_auth_adds_key_and_secret_once_and_no_header() -> None:
    client, seen = capture(AuthMode.QUERY)
    with client:
        list(client.iter_orders(status="processing"))
    (request,) = seen
    params = request.url.params
    assert params.get_list("consumer_key") == [KEY]
    assert params.get_list("consumer_secret") == [SECRET]
    assert params["status"] == "processing"
    assert "Authorization" not in request.headers


@pytest.mark.parametrize("signature_in", ["query", "header"])
def test_oauth1_signatures_pass_woocommerces_own_check(signature_in: str) -> None:
    client, seen = capture(
        AuthMode.OAUTH1, oauth_signature_in=signature_in, base_url="http://shop.example.com"
    )
    with client:
        # Values WooCommerce decodes and re-encodes: spaces, plus signs, colons, commas, non-ASCII.
        list(
            client.iter_products(
                search="Krügerrand 1 oz + box",
                modified_after=datetime(2024, 5, 1, 12, 30, tzinfo=UTC),
                include=[3, 1, 2],
                _fields=["name", "sku"],
            )
        )
    (request,) = seen
    assert woocommerce_accepts_signature(request, SECRET)
    assert not woocommerce_accepts_signature(request, SECRET + "x")
    oauth = request.url.params if signature_in == "query" else request.headers["Authorization"]
    assert "HMAC-SHA256" in str(oauth)
    if signature_in == "header":
        assert "oauth_" not in str(request.url)


def test_oauth1_signs_with_the_secret_as_woocommerce_does_not_as_rfc_5849() -> None:
    odd = WooCredentials(consumer_key="key", consumer_secret="s3cret+with/odd=chars&more")
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json={"id": 1})

    client = WooCommerceClient(
        "http://shop.example.com",
        odd,
        auth_mode=AuthMode.OAUTH1,
        transport=httpx2.MockTransport(handler),
    )
    with client:
        client.get_order(1)
    assert woocommerce_accepts_signature(seen[0], "s3cret+with/odd=chars&more")


def test_oauth1_signs_every_attempt_afresh() -> None:
    nonces: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        assert woocommerce_accepts_signature(request, SECRET)
        nonces.append(request.url.params["oauth_nonce"])
        if len(nonces) == 1:
            return httpx2.Response(503, text="busy")
        return httpx2.Response(200, json={"id": 7})

    with odd_client(
        handler, auth_mode=AuthMode.OAUTH1, base_url="http://shop.example.com"
    ) as client:
        assert client.get_product(7) == {"id": 7}
    assert len(nonces) == 2
    assert nonces[0] != nonces[1], "WooCommerce refuses a nonce it has seen"


def test_no_repr_shows_a_secret() -> None:
    for mode in AuthMode:
        client = WooCommerceClient("https://shop.example.com", CREDENTIALS, auth_mode=mode)
        with client:
            texts = [
                repr(client),
                repr(client._fetcher._http.auth),
                repr(CREDENTIALS),
                str(client.stats),
            ]
        assert (
            repr(client)
            == f"WooCommerceClient(base_url='https://shop.example.com', auth_mode='{mode.value}')"
        )
        for text in texts:
            assert KEY not in text
            assert SECRET not in text
