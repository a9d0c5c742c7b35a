"""Test Connection against stores that each fail one way (the sandbox covers the good case)."""

from __future__ import annotations

from collections.abc import Callable

import httpx2
import pytest

from goldsphere_pipelines.woocommerce import ConnectionTestResult
from goldsphere_pipelines.woocommerce.connection_test import supports_modified_filters
from goldsphere_pipelines_tests.woocommerce.helpers import json_list, odd_client, wc_error

STATUS = {"environment": {"version": "8.9.1"}, "settings": {"currency": "EUR"}}


def store(
    overrides: dict[str, httpx2.Response | Exception],
) -> Callable[[httpx2.Request], httpx2.Response]:
    def handler(request: httpx2.Request) -> httpx2.Response:
        endpoint = request.url.path.removeprefix("/wp-json/wc/v3")
        answer = overrides.get(endpoint)
        if isinstance(answer, Exception):
            raise answer
        if answer is not None:
            return answer
        if endpoint == "/system_status":
            return httpx2.Response(200, json=STATUS)
        return json_list([{"id": 1}], total={"/products": 500, "/orders": 3000}[endpoint])

    return handler


def run(overrides: dict[str, httpx2.Response | Exception]) -> ConnectionTestResult:
    with odd_client(store(overrides)) as client:
        return client.test_connection()


def test_a_healthy_store_reports_version_currency_and_counts() -> None:
    result = run({})
    assert result == ConnectionTestResult(
        success=True,
        message="Connected to WooCommerce 8.9.1 at https://shop.example.com: 500 products, "
        "3,000 orders, currency EUR.",
        woocommerce_version="8.9.1",
        currency="EUR",
        supports_modified_filters=True,
    )


def test_a_key_that_may_not_read_system_status_falls_back_to_settings() -> None:
    settings = [{"id": "woocommerce_currency", "value": "CHF"}, {"id": "other", "value": 1}]
    result = run(
        {
            "/system_status": wc_error(403, "woocommerce_rest_cannot_view", "Sorry."),
            "/settings/general": httpx2.Response(200, json=settings),
        }
    )
    assert result.success
    assert (result.woocommerce_version, result.currency) == (None, "CHF")
    assert result.supports_modified_filters is None
    assert "version not readable" in result.message


def test_a_key_that_reads_neither_still_passes_on_products_and_orders() -> None:
    denied = wc_error(403, "woocommerce_rest_cannot_view", "Sorry.")
    result = run({"/system_status": denied, "/settings/general": denied})
    assert result.success
    assert result.currency is None


def test_an_old_store_is_told_to_lack_modified_filters() -> None:
    old = {"environment": {"version": "5.6.2"}, "settings": {"currency": "USD"}}
    result = run({"/system_status": httpx2.Response(200, json=old)})
    assert result.success
    assert result.supports_modified_filters is False
    assert "ignores modified-date filters" in result.message


@pytest.mark.parametrize(
    ("failure", "says"),
    [
        (
            httpx2.Response(200, html="<html><body>Welcome to my blog</body></html>"),
            "does not answer like a WooCommerce shop",
        ),
        (wc_error(404, "rest_no_route", "No route was found."), "WooCommerce is deactivated"),
        (httpx2.Response(404, html="<html>Not found</html>"), "permalinks"),
        (
            wc_error(401, "woocommerce_rest_authentication_error", "Invalid key."),
            "rejected the consumer key",
        ),
        (httpx2.ReadTimeout("timed out"), "did not answer within"),
        (
            httpx2.ConnectError("[Errno -2] Name or service not known"),
            "Could not connect to shop.example.com",
        ),
    ],
)
def test_failures_say_what_to_do(failure: httpx2.Response | Exception, says: str) -> None:
    result = run({"/system_status": failure})
    assert not result.success
    assert says in result.message
    assert result.woocommerce_version is None


def test_a_key_without_order_permission_fails_the_test() -> None:
    result = run(
        {
            "/orders": wc_error(
                403, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."
            )
        }
    )
    assert not result.success
    assert "Read permission" in result.message


@pytest.mark.parametrize(
    ("version", "supported"),
    [
        ("5.8.0", True),
        ("10.0", True),
        ("5.7.9", False),
        ("4.9", False),
        ("9.0.0-beta.1", True),
        ("", None),
        ("trunk", None),
    ],
)
def test_modified_filters_arrive_with_woocommerce_5_8(version: str, supported: bool | None) -> None:
    assert supports_modified_filters(version) is supported
