"""Pagination, headers, filters and parameter validation of the collection endpoints."""

from __future__ import annotations

import re
from typing import Any

import httpx2
import pytest

from goldsphere_pipelines.sandbox import SandboxStore
from goldsphere_pipelines_tests.sandbox.conftest import fetch_all, ids


def get(api: httpx2.Client, path: str, **params: Any) -> httpx2.Response:
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    return response


def test_pages_carry_totals_and_prev_next_links(
    api: httpx2.Client, small_store: SandboxStore
) -> None:
    total = len(small_store.order_ids())
    response = get(api, "/orders", per_page=50, page=2, orderby="id", order="asc")
    assert response.headers["X-WP-Total"] == str(total)
    assert response.headers["X-WP-TotalPages"] == str(-(-total // 50))
    links = dict(
        (rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])
    )
    assert set(links) == {"prev", "next"}
    assert "page=1" in links["prev"]
    assert "page=3" in links["next"]
    assert "per_page=50" in links["next"]
    assert links["next"].startswith(f"{api.base_url}".removesuffix("/") + "/orders")
    first = get(api, "/orders", per_page=50, page=1)
    assert 'rel="prev"' not in first.headers["Link"]
    last_page = int(response.headers["X-WP-TotalPages"])
    last = get(api, "/orders", per_page=50, page=last_page)
    assert 'rel="next"' not in last.headers.get("Link", "")


def test_paging_by_id_lists_every_record_exactly_once(
    api: httpx2.Client, small_store: SandboxStore
) -> None:
    assert ids(fetch_all(api, "/orders")) == small_store.order_ids()
    assert ids(fetch_all(api, "/products")) == small_store.product_ids()
    assert len(small_store.order_ids()) == int(get(api, "/orders").headers["X-WP-Total"])


def test_default_date_order_repeats_and_skips_records_across_pages(
    api: httpx2.Client, small_store: SandboxStore
) -> None:
    # Products are imported in batches sharing one timestamp, as from a CSV import:
    # with WooCommerce's default orderby=date, rows of equal date change order with the
    # LIMIT, so consecutive pages overlap and miss records (woocommerce issue 33386).
    seen: list[int] = []
    for page in range(1, 20):
        seen += ids(get(api, "/products", per_page=7, page=page).json())
    assert len(seen) == len(small_store.product_ids())
    assert len(set(seen)) < len(seen)
    assert set(seen) != set(small_store.product_ids())


def test_offset_page_beyond_the_end_and_descending_ids(
    api: httpx2.Client, small_store: SandboxStore
) -> None:
    order_ids = small_store.order_ids()
    assert (
        ids(get(api, "/orders", per_page=5, offset=7, orderby="id", order="asc").json())
        == (order_ids[7:12])
    )
    beyond = get(api, "/orders", per_page=100, page=99)
    assert beyond.json() == []
    assert beyond.headers["X-WP-Total"] == str(len(order_ids))
    assert ids(get(api, "/orders", per_page=3, orderby="id").json()) == order_ids[::-1][:3]
    assert len(get(api, "/orders").json()) == 10  # WordPress's default per_page


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"per_page": 101}, "per_page"),
        ({"per_page": 0}, "per_page"),
        ({"page": 0}, "page"),
        ({"page": "two"}, "page"),
        ({"order": "up"}, "order"),
        ({"orderby": "total"}, "orderby"),
        ({"after": "yesterday"}, "after"),
        ({"modified_after": "2024-13-45T00:00:00"}, "modified_after"),
        ({"status": "shipped"}, "status"),
        ({"include": "1,x"}, "include"),
        ({"dates_are_gmt": "maybe"}, "dates_are_gmt"),
    ],
)
def test_invalid_parameters_are_400_rest_invalid_param(
    api: httpx2.Client, params: dict[str, Any], bad: str
) -> None:
    response = api.get("/orders", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "rest_invalid_param"
    assert body["message"] == f"Invalid parameter(s): {bad}"
    assert body["data"]["status"] == 400
    assert bad in body["data"]["params"]


def test_product_type_and_status_validation(api: httpx2.Client) -> None:
    assert api.get("/products", params={"type": "bundle"}).status_code == 400
    assert api.get("/products", params={"status": "completed"}).status_code == 400


def test_after_and_before_filter_on_creation_in_local_or_gmt_time(
    api: httpx2.Client, small_store: SandboxStore
) -> None:
    orders = fetch_all(api, "/orders")
    middle = sorted(order["date_created_gmt"] for order in orders)[len(orders) // 2]
    expected = [o["id"] for o in orders if o["date_created_gmt"] > middle]
    found = ids(fetch_all(api, "/orders", after=middle, dates_are_gmt="true"))
    assert found == expected
    expected_before = [o["id"] for o in orders if o["date_created_gmt"] < middle]
    found = ids(fetch_all(api, "/orders", before=middle, dates_are_gmt="true"))
    assert found == expected_before
    # Without dates_are_gmt the same instant is written in the store's local time.
    local = next(o["date_created"] for o in orders if o["date_created_gmt"] == middle)
    assert ids(fetch_all(api, "/orders", after=local)) == expected
    # An explicit offset is honoured whatever dates_are_gmt says.
    assert ids(fetch_all(api, "/orders", after=f"{middle}+00:00")) == expected


def test_modified_filters_are_strict_and_ignored_by_old_stores(
    api: httpx2.Client, small_store: SandboxStore
) -> None:
    orders = fetch_all(api, "/orders")
    moments = sorted({order["date_modified_gmt"] for order in orders})
    cut = moments[len(moments) // 3]
    newer = [o["id"] for o in orders if o["date_modified_gmt"] > cut]
    params = {"modified_after": cut, "dates_are_gmt": "true"}
    assert ids(fetch_all(api, "/orders", **params)) == newer
    older = [o["id"] for o in orders if o["date_modified_gmt"] < cut]
    before = {"modified_before": cut, "dates_are_gmt": "true"}
    assert ids(fetch_all(api, "/orders", **before)) == older
    products = fetch_all(api, "/products")
    product_cut = sorted(p["date_modified_gmt"] for p in products)[len(products) // 2]
    assert ids(fetch_all(api, "/products", modified_after=product_cut, dates_are_gmt="true")) == [
        p["id"] for p in products if p["date_modified_gmt"] > product_cut
    ]

    small_store.set_faults(supports_modified_filters=False)
    try:
        assert ids(fetch_all(api, "/orders", **params)) == small_store.order_ids()
    finally:
        small_store.set_faults(supports_modified_filters=True)


def test_status_filters(api: httpx2.Client, small_store: SandboxStore) -> None:
    statuses = {order["status"] for order in fetch_all(api, "/orders")}
    assert "trash" not in statuses
    assert {"pending", "processing", "on-hold", "completed", "cancelled", "refunded"} <= statuses
    trash = fetch_all(api, "/orders", status="trash")
    assert trash
    assert {order["status"] for order in trash} == {"trash"}
    assert set(ids(trash)) == set(small_store.order_ids(include_trash=True)) - set(
        small_store.order_ids()
    )
    two = fetch_all(api, "/orders", status="completed,refunded")
    assert {order["status"] for order in two} == {"completed", "refunded"}
    as_array = api.get("/orders", params=[("status[]", "completed"), ("status[]", "refunded")])
    assert int(as_array.headers["X-WP-Total"]) == len(two)
    drafts = fetch_all(api, "/products", status="draft")
    assert all(product["status"] == "draft" for product in drafts)
    published = fetch_all(api, "/products", status="publish")
    assert len(drafts) + len(published) <= len(small_store.product_ids())


def test_search_sku_include_exclude_type_parent_category_stock_customer(
    api: httpx2.Client, small_store: SandboxStore
) -> None:
    products = fetch_all(api, "/products")
    word = products[0]["name"].split()[-1]
    assert ids(fetch_all(api, "/products", search=word.lower())) == [
        p["id"] for p in products if word.lower() in p["name"].lower()
    ]
    with_sku = [p for p in products if p["sku"]][:2]
    found = fetch_all(api, "/products", sku=",".join(p["sku"] for p in with_sku))
    assert sorted(ids(found)) == sorted(ids(with_sku))
    chosen = ids(products)[5:9]
    assert ids(fetch_all(api, "/products", include=",".join(map(str, chosen)))) == chosen
    assert chosen[0] not in ids(fetch_all(api, "/products", exclude=chosen[0]))
    variable = fetch_all(api, "/products", type="variable")
    assert ids(variable) == small_store.variable_product_ids()
    assert fetch_all(api, "/products", parent=products[0]["id"]) == []
    category = products[0]["categories"][0]["id"]
    assert ids(fetch_all(api, "/products", category=category)) == [
        p["id"] for p in products if p["categories"][0]["id"] == category
    ]
    assert all(
        p["stock_status"] == "outofstock"
        for p in fetch_all(api, "/products", stock_status="outofstock")
    )
    orders = fetch_all(api, "/orders")
    customer = next(o["customer_id"] for o in orders if o["customer_id"])
    assert ids(fetch_all(api, "/orders", customer=customer)) == [
        o["id"] for o in orders if o["customer_id"] == customer
    ]
    email = orders[0]["billing"]["email"]
    assert orders[0]["id"] in ids(fetch_all(api, "/orders", search=email))
    ordered = [chosen[2], chosen[0], chosen[1]]
    by_include = get(
        api, "/products", include=",".join(map(str, ordered)), orderby="include", order="asc"
    )
    assert ids(by_include.json()) == ordered


def test_orderby_modified_and_date(api: httpx2.Client) -> None:
    modified = [o["date_modified_gmt"] for o in get(api, "/orders", orderby="modified",
                                                     order="asc", per_page=100).json()]  # fmt: skip
    assert modified == sorted(modified)
    created = [o["date_created_gmt"] for o in get(api, "/orders", per_page=100).json()]
    assert created == sorted(created, reverse=True)


def test_fields_keep_only_what_was_asked(api: httpx2.Client, small_store: SandboxStore) -> None:
    scan = get(api, "/orders", _fields="id,date_modified_gmt", per_page=100, orderby="id",
               order="asc").json()  # fmt: skip
    assert all(set(order) == {"id", "date_modified_gmt"} for order in scan)
    assert ids(scan) == small_store.order_ids()[:100]
    full = get(api, "/orders", per_page=100, orderby="id", order="asc").json()
    assert [o["date_modified_gmt"] for o in scan] == [o["date_modified_gmt"] for o in full]
    nested = get(api, "/orders", _fields="id,billing.email,line_items", per_page=5).json()
    assert all(set(order) == {"id", "billing", "line_items"} for order in nested)
    assert all(set(order["billing"]) == {"email"} for order in nested)
    products = get(api, "/products", _fields="id,sku,type", per_page=20).json()
    assert all(set(product) == {"id", "sku", "type"} for product in products)
    one = api.get(f"/products/{products[0]['id']}", params={"_fields": "id,name"}).json()
    assert set(one) == {"id", "name"}


def test_variations_are_listed_per_parent(api: httpx2.Client, small_store: SandboxStore) -> None:
    parent = small_store.variable_product_ids()[0]
    variations = fetch_all(api, f"/products/{parent}/variations")
    assert ids(variations) == small_store.variations_of(parent)
    assert all(v["_links"]["up"][0]["href"].endswith(f"/products/{parent}") for v in variations)
    one = get(api, f"/products/{parent}/variations/{variations[0]['id']}").json()
    assert one == variations[0]
    simple = next(i for i in small_store.product_ids() if not small_store.variations_of(i))
    assert get(api, f"/products/{simple}/variations").json() == []


def test_detail_endpoints_and_their_404s(api: httpx2.Client, small_store: SandboxStore) -> None:
    order_id = small_store.order_ids()[0]
    assert get(api, f"/orders/{order_id}").json()["id"] == order_id
    for path, code in (
        ("/orders/1", "woocommerce_rest_shop_order_invalid_id"),
        ("/products/1", "woocommerce_rest_product_invalid_id"),
        (f"/products/{small_store.product_ids()[0]}/variations/1",
         "woocommerce_rest_product_variation_invalid_id"),
        ("/customers", "rest_no_route"),
        ("/orders/abc", "rest_no_route"),
    ):  # fmt: skip
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == code


def test_a_read_key_cannot_write(api: httpx2.Client) -> None:
    # WooCommerce checks the key's permissions before the route's own work.
    response = api.post("/orders", json={"status": "completed"})
    assert response.status_code == 401
    assert "write permissions" in response.json()["message"]


def test_store_facts_for_test_connection(api: httpx2.Client, small_store: SandboxStore) -> None:
    status = get(api, "/system_status").json()
    assert status["environment"]["version"] == small_store.config.woocommerce_version
    assert status["settings"]["currency"] == small_store.config.currency
    general = get(api, "/settings/general").json()
    currency = next(s for s in general if s["id"] == "woocommerce_currency")
    assert currency["value"] == small_store.config.currency
    assert "wc/v3" in api.get("/").json()["namespace"]
    site = str(api.base_url).removesuffix("/wp-json/wc/v3/")
    assert "wc/v3" in httpx2.get(f"{site}/wp-json/").json()["namespaces"]
    page = httpx2.get(f"{site}/shop/")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
