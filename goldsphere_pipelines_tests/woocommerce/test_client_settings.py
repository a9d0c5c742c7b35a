"""The client's settings and request shape: URLs, filters, counts, single records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx2
import pytest

from goldsphere_pipelines import __version__
from goldsphere_pipelines.woocommerce import (
    InvalidResponseError,
    WooCommerceClient,
    WooCommerceError,
)
from goldsphere_pipelines.woocommerce.client import normalize_base_url
from goldsphere_pipelines.woocommerce.filters import filter_params, gmt_timestamp
from goldsphere_pipelines_tests.woocommerce.helpers import (
    CREDENTIALS,
    json_list,
    odd_client,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://Shop.Example.com/", "https://shop.example.com"),
        ("https://shop.example.com/wp-json/wc/v3/", "https://shop.example.com"),
        ("http://127.0.0.1:8099/wp-json", "http://127.0.0.1:8099"),
        ("https://example.com/shop", "https://example.com/shop"),
    ],
)
def test_base_urls_are_cut_back_to_the_shop_root(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "shop.example.com",
        "ftp://shop.example.com",
        "https://ck:cs@shop.example.com",
        "https://shop.example.com/?consumer_key=x",
    ],
)
def test_base_urls_that_are_not_a_shop_address_are_refused(given: str) -> None:
    with pytest.raises(ValueError, match="shop"):
        normalize_base_url(given)


def test_requests_carry_user_agent_paging_and_id_order() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return json_list([{"id": 1}], total=1)

    with odd_client(handler) as client:
        list(client.iter_products(type="variable"))
    (request,) = seen
    assert request.headers["User-Agent"] == f"goldsphere-pipelines/{__version__}"
    assert request.url.path == "/wp-json/wc/v3/products"
    assert dict(request.url.params) == {
        "type": "variable",
        "per_page": "100",
        "orderby": "id",
        "order": "asc",
        "offset": "0",
    }


def test_callers_cannot_take_over_paging() -> None:
    with odd_client(lambda r: json_list([])) as client, pytest.raises(ValueError, match="page"):
        client.iter_pages("/orders", {"page": 2})


def test_filters_become_woocommerce_parameters() -> None:
    berlin = timezone(timedelta(hours=2))
    params = filter_params(
        after=datetime(2024, 3, 1, 10, 0, 0, 500_000, tzinfo=UTC),
        before=datetime(2024, 3, 2, 10, 0, 0, 500_000, tzinfo=UTC),
        modified_after=datetime(2024, 3, 1, 12, 0, tzinfo=berlin),
        modified_before=datetime(2024, 3, 5),
        status=["processing", "completed"],
        search="Maple Leaf",
        sku="GML-1OZ",
        include=[5, 7],
        type="simple",
        parent=[9],
        fields="name,sku",
    )
    assert params == {
        "after": "2024-03-01T10:00:00",
        "before": "2024-03-02T10:00:01",
        "modified_after": "2024-03-01T10:00:00",
        "modified_before": "2024-03-05T00:00:00",
        "dates_are_gmt": "true",
        "status": "processing,completed",
        "search": "Maple Leaf",
        "sku": "GML-1OZ",
        "include": "5,7",
        "type": "simple",
        "parent": "9",
        "_fields": "id,name,sku",
    }
    assert filter_params() == {}
    with pytest.raises(ValueError, match="include"):
        filter_params(include=[])


def test_gmt_timestamps_round_bounds_outward() -> None:
    moment = datetime(2024, 1, 1, 23, 59, 59, 1, tzinfo=UTC)
    assert gmt_timestamp(moment) == "2024-01-01T23:59:59"
    assert gmt_timestamp(moment, round_up=True) == "2024-01-02T00:00:00"


def test_count_reads_x_wp_total_with_one_record_per_page() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return json_list([{"id": 1}], total=4321)

    with odd_client(handler) as client:
        assert client.count("/orders", {"status": "completed"}) == 4321
    assert seen[0].url.params["per_page"] == "1"
    assert seen[0].url.params["status"] == "completed"


def test_count_without_x_wp_total_is_an_error_not_zero() -> None:
    with (
        odd_client(lambda r: json_list([{"id": 1}])) as client,
        pytest.raises(InvalidResponseError, match="X-WP-Total"),
    ):
        client.count("/orders")


def test_single_records_are_objects() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json={"id": int(request.url.path.rsplit("/", 1)[1])})

    with odd_client(handler) as client:
        assert client.get_order(42) == {"id": 42}
        assert client.get_product(7) == {"id": 7}
        with pytest.raises(ValueError, match="positive integer"):
            client.get_order(0)


def test_an_unusable_ca_bundle_is_refused_with_a_clear_message() -> None:
    with pytest.raises(WooCommerceError, match="not a valid PEM"):
        WooCommerceClient(
            "https://shop.example.com", CREDENTIALS, ca_bundle_pem="not a certificate"
        )


def test_settings_out_of_range_are_refused() -> None:
    for bad in ({"per_page": 101}, {"per_page": 1}, {"concurrency": 0}):
        with pytest.raises(ValueError, match="must be"):
            WooCommerceClient("https://shop.example.com", CREDENTIALS, **bad)  # type: ignore[arg-type]


def test_variations_of_many_products_come_back_in_the_order_asked() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        product = int(request.url.path.split("/")[-2])
        return json_list([{"id": product * 10 + i, "parent_id": product} for i in (1, 2)], total=2)

    with odd_client(handler, concurrency=3) as client:
        result = list(client.iter_variations_many([5, 3, 9, 1, 4, 8, 2]))
    assert [pid for pid, _ in result] == [5, 3, 9, 1, 4, 8, 2]
    assert result[1][1] == [{"id": 31, "parent_id": 3}, {"id": 32, "parent_id": 3}]


def test_other_woocommerce_parameters_pass_through_but_paging_does_not() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return json_list([], total=0)

    with odd_client(handler) as client:
        list(client.iter_products(category=15, stock_status="instock", status="publish"))
        list(client.iter_orders(customer=7))
        with pytest.raises(ValueError, match="offset"):
            client.iter_orders(offset=5)
    assert seen[0].url.params["category"] == "15"
    assert seen[0].url.params["stock_status"] == "instock"
    assert seen[0].url.params["status"] == "publish"
    assert seen[1].url.params["customer"] == "7"
