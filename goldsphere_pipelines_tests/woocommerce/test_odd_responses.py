"""One odd response at a time: what real stores send, and what the client makes of it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx2
import pytest

from goldsphere_pipelines.woocommerce import (
    AuthenticationError,
    AuthMode,
    BadRequestError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RedirectError,
    ResponseTooLargeError,
    TransientError,
    WooCommerceError,
)
from goldsphere_pipelines_tests.woocommerce.helpers import (
    API,
    json_list,
    odd_client,
    sequence,
    wc_error,
)

ORDERS = [{"id": 1, "status": "completed"}, {"id": 2, "status": "processing"}]
PHP_WARNING = (
    b'<br />\n<b>Warning</b>:  Undefined array key "price" in '
    b"<b>/var/www/wp-content/plugins/bullion-prices/prices.php</b> on line <b>42</b><br />\n"
)


def read_orders(handler: httpx2.MockTransport | object, **options: object) -> list[object]:
    with odd_client(handler, **options) as client:  # type: ignore[arg-type]
        return [record for page in client.iter_orders() for record in page.records]


# -- 200 that is not the expected JSON: retried, then an error, never an empty page --------


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<!DOCTYPE html><html><body>Fatal error</body></html>", "HTML page"),
        (PHP_WARNING + b'[{"id": 1}]', "HTML page"),
        (b'[{"id": 1, "status": "compl', "cut off"),
        (b"", "empty body"),
        (b'{"code": "internal", "message": "oops"}', "wrong shape"),
        (b"null", "wrong shape"),
    ],
)
def test_a_200_that_is_not_a_json_list_is_retried_then_raised(body: bytes, problem: str) -> None:
    handler = sequence(httpx2.Response(200, content=body))
    with odd_client(handler) as client, pytest.raises(InvalidResponseError) as caught:
        list(client.iter_orders())
    assert problem in str(caught.value)
    assert caught.value.attempts == 3
    assert client.stats.requests == 3
    assert client.stats.invalid_bodies == 3


def test_a_bad_200_followed_by_a_good_one_loses_nothing() -> None:
    handler = sequence(
        httpx2.Response(200, content=PHP_WARNING),
        httpx2.Response(200, content=b'[{"id": 1}, {"id"'),
        json_list(ORDERS, total=2),
    )
    with odd_client(handler) as client:
        records = [r for page in client.iter_orders() for r in page.records]
    assert records == ORDERS
    assert client.stats.retries == 2


def test_a_byte_order_mark_before_valid_json_is_skipped_not_retried() -> None:
    body = b"\xef\xbb\xbf" + json_list(ORDERS).content
    handler = sequence(httpx2.Response(200, content=body, headers={"X-WP-Total": "2"}))
    with odd_client(handler) as client:
        assert [r for page in client.iter_orders() for r in page.records] == ORDERS
    assert client.stats.bom_bodies == 1
    assert client.stats.retries == 0


def test_a_firewall_challenge_with_202_is_not_taken_for_data() -> None:
    handler = sequence(httpx2.Response(202, html="<html>Checking your browser…</html>"))
    with odd_client(handler) as client, pytest.raises(InvalidResponseError, match="HTML page"):
        list(client.iter_orders())
    assert client.stats.requests == 1, "only a 200 body is worth another try"


# -- retryable statuses ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retried(status: int) -> None:
    handler = sequence(httpx2.Response(status, text="upstream trouble"), json_list(ORDERS, 2))
    assert read_orders(handler) == ORDERS


def test_server_errors_beyond_the_attempts_raise_a_transient_error() -> None:
    handler = sequence(wc_error(503, "service_unavailable", "Maintenance"))
    with odd_client(handler) as client, pytest.raises(TransientError) as caught:
        list(client.iter_orders())
    assert caught.value.status == 503
    assert caught.value.wc_code == "service_unavailable"
    assert "3 attempts" in str(caught.value)
    assert client.stats.by_status == {503: 3}


def test_retry_after_in_seconds_is_honoured() -> None:
    sleeps: list[float] = []
    handler = sequence(httpx2.Response(429, headers={"Retry-After": "7"}), json_list(ORDERS, 2))
    assert read_orders(handler, sleeps=sleeps) == ORDERS
    assert sleeps == [7.0]


def test_retry_after_as_an_http_date_is_honoured_and_capped() -> None:
    sleeps: list[float] = []
    later = format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)
    handler = sequence(httpx2.Response(429, headers={"Retry-After": later}), json_list(ORDERS, 2))
    assert read_orders(handler, sleeps=sleeps, backoff_max_s=12.5) == ORDERS
    assert sleeps == [12.5], "a two-hour Retry-After is capped by backoff_max_s"


def test_backoff_without_retry_after_grows_within_its_bounds() -> None:
    sleeps: list[float] = []
    handler = sequence(httpx2.Response(502))
    with pytest.raises(TransientError):
        read_orders(handler, sleeps=sleeps, max_attempts=5, backoff_base_s=1.0, backoff_max_s=3.0)
    assert len(sleeps) == 4
    for attempt, slept in enumerate(sleeps, start=1):
        assert 0.0 <= slept <= min(3.0, 2 ** (attempt - 1))


def test_rate_limiting_beyond_the_attempts_raises_rate_limited() -> None:
    handler = sequence(httpx2.Response(429, text="Too Many Requests"))
    with pytest.raises(RateLimitedError, match="Lower the connector's concurrency"):
        read_orders(handler)


@pytest.mark.parametrize(
    "failure",
    [
        httpx2.RemoteProtocolError("Server disconnected without sending a response."),
        httpx2.ReadError("Connection reset by peer"),
        httpx2.ConnectError("Connection refused"),
        httpx2.ReadTimeout("timed out"),
    ],
)
def test_dropped_connections_and_timeouts_are_retried(failure: Exception) -> None:
    handler = sequence(failure, json_list(ORDERS, 2))
    with odd_client(handler) as client:
        assert [r for page in client.iter_orders() for r in page.records] == ORDERS
    assert client.stats.transport_errors == 1


def test_a_store_that_never_answers_raises_a_timeout_an_admin_can_read() -> None:
    handler = sequence(httpx2.ReadTimeout("timed out"))
    with pytest.raises(TransientError, match=r"did not answer within 30 s"):
        read_orders(handler)


# -- errors raised at once -------------------------------------------------------------------


def test_an_invalid_key_raises_authentication_error_at_once() -> None:
    handler = sequence(
        wc_error(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
    )
    with odd_client(handler) as client, pytest.raises(AuthenticationError) as caught:
        list(client.iter_orders())
    error = caught.value
    assert str(error) == (
        "WooCommerce rejected the consumer key (401 woocommerce_rest_authentication_error: "
        "Consumer key is invalid.). Create a new read key in WooCommerce → Settings → "
        "Advanced → REST API."
    )
    assert (error.status, error.wc_code, error.wc_message) == (
        401,
        "woocommerce_rest_authentication_error",
        "Consumer key is invalid.",
    )
    assert client.stats.requests == 1


def test_a_missing_key_over_basic_auth_points_at_query_auth() -> None:
    handler = sequence(
        wc_error(401, "woocommerce_rest_authentication_error", "Consumer key is missing.")
    )
    with pytest.raises(AuthenticationError, match="--auth query"):
        read_orders(handler)


def test_a_key_without_read_permission_raises_permission_denied() -> None:
    handler = sequence(
        wc_error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
    )
    with pytest.raises(PermissionDeniedError, match=r"Read permission.*--auth oauth1"):
        read_orders(handler)


def test_a_firewall_403_page_says_to_let_the_api_through() -> None:
    handler = sequence(httpx2.Response(403, html="<html><h1>Access denied</h1></html>"))
    with pytest.raises(PermissionDeniedError, match=r"firewall.*Access denied"):
        read_orders(handler)


def test_rest_no_route_says_woocommerce_is_off_or_the_url_wrong() -> None:
    handler = sequence(wc_error(404, "rest_no_route", "No route was found."))
    with pytest.raises(NotFoundError, match="WooCommerce is deactivated"):
        read_orders(handler)


def test_a_404_page_that_is_not_wordpress_mentions_permalinks() -> None:
    handler = sequence(httpx2.Response(404, html="<html>Not Found</html>"))
    with pytest.raises(NotFoundError, match="permalinks"):
        read_orders(handler)


def test_a_missing_record_is_a_not_found_error() -> None:
    handler = sequence(wc_error(404, "woocommerce_rest_product_invalid_id", "Invalid ID."))
    with odd_client(handler) as client, pytest.raises(NotFoundError, match="no such record"):
        client.get_product(12345)


def test_an_invalid_parameter_raises_bad_request_at_once() -> None:
    handler = sequence(wc_error(400, "rest_invalid_param", "Invalid parameter(s): per_page"))
    with odd_client(handler) as client, pytest.raises(BadRequestError, match="per_page"):
        list(client.iter_orders())
    assert client.stats.requests == 1


# -- bodies too large ------------------------------------------------------------------------


class EndlessBody(httpx2.SyncByteStream):
    """A body that never ends; counts how much of it was read."""

    def __init__(self) -> None:
        self.chunks_read = 0

    def __iter__(self) -> Iterator[bytes]:
        yield b"["
        while True:
            self.chunks_read += 1
            yield b'{"id": 1, "note": "' + b"x" * 65_000 + b'"},'


def test_a_declared_oversized_body_is_refused_unread() -> None:
    body = EndlessBody()
    handler = sequence(httpx2.Response(200, headers={"Content-Length": str(10**9)}, stream=body))
    with odd_client(handler, max_response_bytes=1_000_000) as client:
        with pytest.raises(ResponseTooLargeError, match="larger than the limit of 1,000,000"):
            list(client.iter_orders())
        assert body.chunks_read == 0
        assert client.stats.requests == 1, "refused, not retried"


def test_an_undeclared_oversized_body_is_cut_off_while_streaming() -> None:
    body = EndlessBody()
    handler = sequence(httpx2.Response(200, stream=body))
    with (
        odd_client(handler, max_response_bytes=1_000_000) as client,
        pytest.raises(ResponseTooLargeError),
    ):
        list(client.iter_orders())
    assert body.chunks_read <= 1_000_000 // 65_000 + 2


# -- redirects -------------------------------------------------------------------------------


def test_a_redirect_to_another_host_is_refused_and_never_sent_credentials() -> None:
    hosts: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        hosts.append(request.url.host)
        if request.url.host == "shop.example.com":
            target = (
                "https://collector.example.net/wp-json/wc/v3/orders?" + request.url.query.decode()
            )
            return httpx2.Response(301, headers={"Location": target})
        return json_list(ORDERS, 2)

    for mode in AuthMode:
        hosts.clear()
        with pytest.raises(RedirectError, match=r"collector\.example\.net") as caught:
            read_orders(handler, auth_mode=mode)
        assert hosts == ["shop.example.com"]
        assert "consumer_" not in str(caught.value)


def test_a_redirect_on_the_same_host_is_followed_with_fresh_credentials() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        if request.url.scheme == "http":
            target = str(request.url.copy_with(scheme="https"))
            return httpx2.Response(308, headers={"Location": target})
        return json_list(ORDERS, 2)

    assert (
        read_orders(handler, auth_mode=AuthMode.QUERY, base_url="http://shop.example.com") == ORDERS
    )
    assert [r.url.scheme for r in seen] == ["http", "https"]
    assert seen[1].url.params.get_list("consumer_secret") == [seen[0].url.params["consumer_secret"]]


def test_a_redirect_down_to_plain_http_is_refused() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(302, headers={"Location": str(request.url.copy_with(scheme="http"))})

    with pytest.raises(RedirectError, match="plain HTTP"):
        read_orders(handler)


# -- logging ---------------------------------------------------------------------------------


def test_each_failed_response_is_logged_with_status_and_payload(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="goldsphere_pipelines.woocommerce")
    handler = sequence(
        wc_error(503, "maintenance", "Briefly unavailable for scheduled maintenance."),
        json_list(ORDERS, 2),
    )
    read_orders(handler)
    (record,) = [r for r in caplog.records if r.name == "goldsphere_pipelines.woocommerce"]
    message = record.getMessage()
    assert f"GET {API}/orders?" in message
    assert "HTTP 503 maintenance" in message
    assert "Briefly unavailable" in message
    assert "attempt 1 of 3, retrying" in message


def test_a_short_answer_is_never_returned_for_a_failure_midway() -> None:
    # Page 1 arrives, then the store breaks for good: the caller sees an error after the
    # first page, never an iterator that just ends.
    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.params["offset"] == "0":
            return json_list([{"id": i} for i in range(1, 101)], total=250)
        return httpx2.Response(500, text="Fatal error")

    with odd_client(handler) as client:
        pages = client.iter_orders()
        first = next(pages)
        with pytest.raises(TransientError):
            next(pages)
    assert len(first.records) == 100


def test_errors_are_all_woocommerce_errors() -> None:
    for error_class in (
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        BadRequestError,
        RateLimitedError,
        TransientError,
        InvalidResponseError,
        ResponseTooLargeError,
        RedirectError,
    ):
        assert issubclass(error_class, WooCommerceError)
