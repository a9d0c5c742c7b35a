"""Hostile and broken input, served by a sandbox store among its ordinary records: each bad
record gets an error of its own (a failed external row with mapping_errors, or an entry in
the run's errors when it cannot even be stored) and the rest of the sync goes on. A page
larger than the client's limit is refused, not loaded.

Single odd records are spliced into the store's real pages as raw JSON bytes where JSON
values cannot say it (invalid UTF-8, escapes PostgreSQL cannot store, records that are not
objects); everything else goes through the store's own `overrides`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goldsphere_pipelines.connectors import store_client
from goldsphere_pipelines.connectors.raw_records import RecordError, to_raw_record
from goldsphere_pipelines.sandbox import REMOVED, SandboxStore
from goldsphere_pipelines.sandbox.store import Page
from goldsphere_pipelines.storage.external_records import ExternalRecordRepository
from goldsphere_pipelines.woocommerce.client import WooCommerceClient
from goldsphere_pipelines_tests.pipeline.conftest import Shop, register, sync
from goldsphere_pipelines_tests.reliability.support import (
    integrity_problems,
    newest_run,
    payload_hash,
    rows,
    scalar,
    sync_problems,
)

CLEAN_SHOP = {"products": 40, "orders": 300, "variable_share": 0.0, "messy_share": 0.0}


# Product overrides → the field the mapping error must name (None: maps, see the test).
PRODUCT_CORPUS: dict[str, tuple[dict[str, Any], str | None]] = {
    "wrong types": ({"name": 12345, "price": ["9"], "attributes": "gold", "weight": {}}, "price"),
    "NaN price": ({"price": "NaN", "regular_price": "NaN"}, "price"),
    "exponent price": ({"price": "1e3", "regular_price": "1e3"}, "price"),
    "price as a JSON number": ({"price": 1e3, "regular_price": 1e3}, "price"),
    "negative stock and price": ({"price": "-5.00", "stock_quantity": -3}, "price"),
    "huge name": ({"name": "Gold " * 60_000}, "name"),
    "huge array": ({"categories": [{"id": 1, "name": "Misc", "slug": "misc"}] * 5_000}, None),
    "HTML in the name": ({"name": '<img src=x onerror="alert(1)">Gold <b>Eagle</b> 1 oz'}, None),
}

ORDER_STATUS_PAID = "processing"


def line_items_with(store: SandboxStore, order_id: int, **changes: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = store.order(order_id)["line_items"]
    return [{**items[0], **changes}, *items[1:]]


def spliced(store: SandboxStore, method: str, replacements: dict[int, bytes]) -> None:
    """Serve `replacements[id]` (raw JSON bytes) instead of the record `id` in list pages."""
    original = getattr(store, method)

    def serve(*args: Any, **kwargs: Any) -> Page:
        page: Page = original(*args, **kwargs)
        records = []
        for record in page.records:
            record_id = orjson.loads(record).get("id") if record.startswith(b"{") else None
            records.append(replacements.get(record_id, record) if record_id else record)
        return Page(records, page.total)

    setattr(store, method, serve)


def raw(payload: dict[str, Any], field: str, raw_json: bytes) -> bytes:
    """`payload` as JSON with `field`'s value replaced by raw JSON bytes (not re-encoded)."""
    marker = "@@RAW@@"
    body = orjson.dumps({**payload, field: marker})
    return body.replace(f'"{marker}"'.encode(), raw_json)


def nested(levels: int) -> bytes:
    """JSON nested `2 × levels` deep: deeper than PostgreSQL-bound JSON should ever be,
    shallower than PHP's json_encode limit (512), so a WordPress plugin could send it."""
    return b'{"a":[' * levels + b'"bottom"' + b"]}" * levels


def failed_rows(engine: sa.Engine, table: str, connector_id: Any) -> dict[str, list[Any]]:
    return {
        r.external_id: r.mapping_errors
        for r in rows(
            engine,
            f"SELECT external_id, mapping_errors FROM {table} "
            "WHERE connector_id = :c AND status = 'failed'",
            c=connector_id,
        )
    }


def test_a_corpus_of_bad_records_gets_one_error_each_and_the_rest_syncs(
    pipeline_db: sa.Engine, shop_factory: Callable[..., Shop]
) -> None:
    shop = shop_factory(**CLEAN_SHOP, seed=51)
    store = shop.store
    connector = register(pipeline_db, shop)
    products = store.product_ids()
    orders = [i for i in store.order_ids() if store.order(i)["status"] == ORDER_STATUS_PAID]

    # --- products: bad values through the store's overrides ---
    bad_products: dict[str, tuple[int, str | None]] = {}
    for (label, (overrides, field)), product_id in zip(
        PRODUCT_CORPUS.items(), products, strict=False
    ):
        store.modify_product(product_id, overrides=overrides)
        bad_products[label] = (product_id, field)
    too_large_product = products[len(PRODUCT_CORPUS)]
    store.modify_product(too_large_product, overrides={"description": "x" * 1_100_000})
    deep_product = products[len(PRODUCT_CORPUS) + 1]
    spliced(
        store,
        "list_products",
        {deep_product: raw(store.product(deep_product), "meta_data", nested(200))},
    )

    # --- orders: bad values through overrides ---
    o = iter(orders)
    bad_orders: dict[str, tuple[int, str]] = {}
    corpus: list[tuple[str, Callable[[int], dict[str, Any]], str]] = [
        ("wrong types", lambda i: {"billing": "nobody", "total": ["1"]}, "total"),
        ("NaN total", lambda i: {"total": "NaN"}, "total"),
        ("exponent total", lambda i: {"total": "1E+2"}, "total"),
        ("negative quantity", lambda i: {"line_items": line_items_with(store, i, quantity=-2)},
         "items[0].quantity"),
        ("paid date out of range", lambda i: {"date_paid_gmt": "0000-00-00 00:00:00"}, "paid_at"),
        ("1000 line items", lambda i: {"line_items": line_items_with(store, i)[:1] * 1_000},
         "items"),
    ]  # fmt: skip
    for label, make, field in corpus:
        order_id = next(o)
        store.modify_order(order_id, overrides=make(order_id))
        bad_orders[label] = (order_id, field)
    html_order = next(o)
    store.modify_order(
        html_order,
        overrides={
            "line_items": line_items_with(
                store, html_order, name='<script>alert("x")</script>Gold &lt;b&gt;Bar'
            )
        },
    )
    without_id = next(o)
    store.modify_order(without_id, overrides={"id": REMOVED})
    string_id = next(o)
    store.modify_order(string_id, overrides={"id": "12abc"})

    # --- orders as raw bytes: what JSON values cannot carry ---
    invalid_utf8, surrogate, nul, not_an_object = next(o), next(o), next(o), next(o)
    spliced(
        store,
        "list_orders",
        {
            invalid_utf8: raw(store.order(invalid_utf8), "customer_note", b'"caf\xc3 \xff\xfe"'),
            surrogate: raw(store.order(surrogate), "customer_note", b'"\\ud800 broken"'),
            nul: raw(store.order(nul), "customer_note", b'"a\\u0000b"'),
            not_an_object: b'"not an order"',
        },
    )

    result = sync(connector.name)

    run = newest_run(pipeline_db, connector.name)
    assert result.success, run.error
    assert run.status == "success"
    assert integrity_problems(pipeline_db, connector.id) == []

    # Records that cannot be stored at all: one error each in the run, nothing else lost.
    errors = run.stats["errors"]
    by_code: dict[str, list[Any]] = {}
    for error in errors:
        by_code.setdefault(error["code"], []).append(error["externalId"])
    assert by_code["too_large"] == [str(too_large_product)]
    assert by_code["unserializable"] == [str(deep_product)]
    # Invalid UTF-8 bytes, lone surrogate escapes and NUL: replaced, stored, and named.
    replaced = sorted([str(invalid_utf8), str(surrogate), str(nul)], key=int)
    assert sorted(by_code["text_replaced"], key=int) == replaced
    assert {e["field"] for e in errors if e["code"] == "text_replaced"} == {"customer_note"}
    assert "invalid_text" not in by_code
    assert "nul_character" not in by_code
    assert run.stats["orders_extract"]["text_replaced"] == 3
    stored_errors = {
        r[0]: r[1]
        for r in rows(
            pipeline_db,
            "SELECT external_id, storage_errors FROM external_order WHERE external_id = ANY(:ids)",
            ids=replaced,
        )
    }
    assert sorted(stored_errors, key=int) == replaced
    assert all(e[0]["code"] == "text_replaced" for e in stored_errors.values())
    assert by_code["invalid_id"] == [None, None]  # no id, and a string id
    assert by_code["not_an_object"] == [None]
    refused_products = {str(too_large_product), str(deep_product)}
    refused_orders = {str(not_an_object)}
    refused_orders.add(str(without_id))
    refused_orders.add(str(string_id))
    assert run.stats["products_extract"]["invalid"] == len(refused_products)
    assert run.stats["orders_extract"]["invalid"] == len(refused_orders)

    # Records stored but not mappable: failed rows naming the field.
    failed_products = failed_rows(pipeline_db, "external_product", connector.id)
    for label, (product_id, field) in bad_products.items():
        if field is None:
            continue
        assert str(product_id) in failed_products, label
        assert field in {e["field"] for e in failed_products[str(product_id)]}, label
    failed_orders = failed_rows(pipeline_db, "external_order", connector.id)
    for label, (order_id, field) in bad_orders.items():
        assert str(order_id) in failed_orders, label
        assert field in {e["field"] for e in failed_orders[str(order_id)]}, label
    assert all(len(e["message"]) < 2_000 for es in failed_orders.values() for e in es)

    # HTML is text, never markup, in goldsphere.
    [name] = [
        r[0]
        for r in rows(
            pipeline_db,
            "SELECT name FROM product WHERE id = (SELECT internal_id FROM external_reference "
            "WHERE entity_type = 'product' AND external_id = :e)",
            e=str(bad_products["HTML in the name"][0]),
        )
    ]
    items = [r[0] for r in rows(pipeline_db, "SELECT productname FROM order_items")]
    assert "<" not in name
    assert "onerror" not in name
    assert "Gold" in name
    # Tags are dropped, entities decoded: what is left is plain text for goldsphere to escape.
    assert not [n for n in items if "<script" in n or "</" in n]
    assert [n for n in items if n.endswith("Gold <b>Bar")]
    assert (
        scalar(
            pipeline_db,
            "SELECT count(*) FROM external_order WHERE external_id = :e",
            e=str(invalid_utf8),
        )
        == 1
    )

    # Everything else of the store is in goldsphere exactly once.
    assert (
        sync_problems(pipeline_db, connector.id, _Without(store, refused_products, refused_orders))
        == []
    )

    # A second pass changes nothing and records the same errors again.
    assert sync(connector.name, sync_settings={"full_refresh": True}).success
    again = newest_run(pipeline_db, connector.name)
    assert again.stats["orders_extract"]["invalid"] == len(refused_orders)
    assert again.stats["orders_extract"].get("new", 0) == 0


class _Without:
    """The store's lists minus records it sends in a form that cannot be stored."""

    def __init__(self, store: SandboxStore, products: set[str], orders: set[str]) -> None:
        self._store, self._products, self._orders = store, products, orders

    def product_ids(self) -> list[int]:
        return [i for i in self._store.product_ids() if str(i) not in self._products]

    def variation_ids(self) -> list[int]:
        return self._store.variation_ids()

    def order_ids(self) -> list[int]:
        return [i for i in self._store.order_ids() if str(i) not in self._orders]


def test_a_record_repeated_on_one_page_is_stored_once(
    pipeline_db: sa.Engine, shop_factory: Callable[..., Shop]
) -> None:
    shop = shop_factory(**CLEAN_SHOP, seed=52)
    store = shop.store
    connector = register(pipeline_db, shop)
    first, second = store.order_ids()[10:12]
    # The record after `first` comes back as a second copy of `first`, changed.
    spliced(store, "list_orders", {second: orjson.dumps({**store.order(first), "total": "1.00"})})

    assert sync(connector.name).success

    stored = rows(
        pipeline_db,
        "SELECT external_id, payload_hash FROM external_order WHERE connector_id = :c "
        "AND external_id IN (:a, :b)",
        c=connector.id,
        a=str(first),
        b=str(second),
    )
    assert [r.external_id for r in stored] == [str(first)]
    assert stored[0].payload_hash == payload_hash(store.order(first, base_url=shop.base_url))
    assert integrity_problems(pipeline_db, connector.id) == []


def test_a_duplicate_id_on_a_later_page_stops_the_sync_with_the_cause(
    pipeline_db: sa.Engine, shop_factory: Callable[..., Shop]
) -> None:
    """A record whose id belongs to an earlier page means the store does not page by id:
    the client stops rather than skip or repeat records (see the client's pagination)."""
    shop = shop_factory(**CLEAN_SHOP, seed=53)
    store = shop.store
    connector = register(pipeline_db, shop)
    ids = store.order_ids()
    spliced(store, "list_orders", {ids[250]: orjson.dumps(store.order(ids[5]))})

    result = sync(connector.name)

    assert not result.success
    run = newest_run(pipeline_db, connector.name)
    assert run.status == "failed"
    assert run.error is not None
    assert run.error.startswith("orders_extract: ")
    assert "out of id order" in run.error
    assert integrity_problems(pipeline_db, connector.id) == []


def test_a_page_larger_than_the_limit_is_refused_and_the_run_says_so(
    pipeline_db: sa.Engine,
    shop_factory: Callable[..., Shop],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # WooCommerceResource has no max_response_bytes setting; the client's is set here.
    limit = 2_000_000
    monkeypatch.setattr(
        store_client,
        "WooCommerceClient",
        functools.partial(WooCommerceClient, max_response_bytes=limit, backoff_base_s=0.01),
    )
    shop = shop_factory(**CLEAN_SHOP, seed=54)
    connector = register(pipeline_db, shop)
    bloated = shop.store.product_ids()[3]
    shop.store.modify_product(bloated, overrides={"description": "Gold " * 500_000})

    result = sync(connector.name)

    assert not result.success
    run = newest_run(pipeline_db, connector.name)
    assert run.status == "failed"
    assert run.error is not None
    assert "larger than the limit of 2,000,000 bytes" in run.error
    assert "was not loaded" in run.error
    assert scalar(pipeline_db, "SELECT count(*) FROM external_product") == 0

    shop.store.modify_product(bloated, overrides={"description": "A plain coin."})
    assert sync(connector.name).success
    assert sync_problems(pipeline_db, connector.id, shop.store) == []


# --- any JSON a store may send: stored as it came, or refused with a RecordError ------------

json_text = st.text(
    alphabet=st.characters(codec=None, categories=None, exclude_categories=()), max_size=30
)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | json_text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_text, inner, max_size=4),
    max_leaves=20,
)
record_ids = st.one_of(
    st.integers(min_value=1, max_value=2**63 - 1),
    st.integers(min_value=-5, max_value=0),
    st.text(max_size=5),
    st.none(),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    record_id=record_ids,
    fields=st.dictionaries(json_text, json_values, max_size=6),
    modified=st.one_of(st.none(), json_text, st.datetimes().map(lambda d: d.isoformat())),
    sku=st.one_of(st.none(), json_text),
)
def test_any_json_record_is_stored_as_sent_or_refused_with_an_error(
    pipeline_db: sa.Engine,
    record_id: Any,
    fields: dict[str, Any],
    modified: Any,
    sku: Any,
) -> None:
    from goldsphere_pipelines.connectors.configuration import add_connector, get_connector
    from goldsphere_pipelines.connectors.models import ConnectorCreate
    from goldsphere_pipelines.storage.credentials import load_cipher
    from goldsphere_pipelines_tests.storage.connector_factories import (
        consumer_key,
        consumer_secret,
    )

    payload = {**fields, "id": record_id, "date_modified_gmt": modified, "sku": sku}
    converted = to_raw_record("product", payload)
    if isinstance(converted, RecordError):
        assert converted.message
        return
    name = "prop-shop"
    try:
        connector = get_connector(pipeline_db, name)
    except Exception:
        add_connector(
            pipeline_db,
            load_cipher(),
            ConnectorCreate(
                name=name,
                base_url="http://127.0.0.1:9",
                consumer_key=consumer_key(),
                consumer_secret=consumer_secret(),
            ),
        )
        connector = get_connector(pipeline_db, name)
    repository = ExternalRecordRepository(pipeline_db, "product")
    repository.upsert_raw(connector.id, [converted])

    stored = rows(
        pipeline_db,
        "SELECT raw_payload_json::text AS payload, payload_hash FROM external_product "
        "WHERE connector_id = :c AND external_id = :e",
        c=connector.id,
        e=converted.external_id,
    )
    assert len(stored) == 1
    assert stored[0].payload_hash == converted.payload_hash
    assert _numbers_as_floats(orjson.loads(stored[0].payload)) == _numbers_as_floats(
        orjson.loads(converted.payload)
    )


def _numbers_as_floats(value: Any) -> Any:
    """jsonb keeps a number's value, not its spelling: 6.3e16 comes back as 63000000000000000."""
    if isinstance(value, dict):
        return {k: _numbers_as_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_as_floats(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value
