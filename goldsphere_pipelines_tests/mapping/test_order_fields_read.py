"""An order payload cut down to the keys `order_fields_read` names maps exactly as the
whole payload does: the pending read sends only those keys (storage.iter_pending)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from goldsphere_pipelines.mapping import CompiledMapping, map_order, order_fields_read
from goldsphere_pipelines.sandbox.store import SandboxStore
from goldsphere_pipelines_tests.mapping.reference_orders import serialised
from goldsphere_pipelines_tests.mapping.test_compiled_orders import (
    LOOKUPS,
    MAPPINGS,
    _gone_products,
    _sandbox_lookups,
    varied_orders,
)


def _cut(payload: Any, keys: frozenset[str]) -> Any:
    if not isinstance(payload, dict):
        return payload
    return {key: value for key, value in payload.items() if key in keys}


def _assert_same_cut(payload: Any, mapping: CompiledMapping, **kwargs: Any) -> bool:
    keys = order_fields_read(mapping)
    assert keys is not None
    whole = map_order(payload, mapping=mapping, **kwargs)
    cut = map_order(_cut(payload, keys), mapping=mapping, **kwargs)
    assert serialised(cut, reference=False) == serialised(whole, reference=False), payload
    assert cut.order == whole.order
    assert cut.errors == whole.errors
    assert cut.derived_products == whole.derived_products
    return whole.order is not None


def test_the_template_reads_the_fields_it_names_and_not_the_rest() -> None:
    keys = order_fields_read(MAPPINGS["template"])
    assert keys is not None
    assert {"id", "billing", "status", "line_items", "total", "fee_lines"} <= keys
    assert not {"shipping", "shipping_lines", "tax_lines", "_links", "meta_data"} & keys
    # a connector's rules add what they read
    assert "meta_data" in (order_fields_read(MAPPINGS["connector"]) or ())


def test_sandbox_orders_cut_down_map_as_the_whole_orders() -> None:
    for dialect in ("classic", "german", "mixed"):
        store = SandboxStore(products=80, orders=250, customers=30, dialect=dialect, seed=11)
        lookups, gone = _sandbox_lookups(store), _gone_products(store)
        mapped = 0
        for mapping in MAPPINGS.values():
            for order_id in store.order_ids(include_trash=True):
                mapped += _assert_same_cut(
                    store.order(order_id), mapping, lookups=lookups, gone_products=gone
                )
        assert mapped > 100


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(MAPPINGS)), varied_orders())
def test_varied_orders_cut_down_map_as_the_whole_orders(
    mapping: str, order: dict[str, Any]
) -> None:
    _assert_same_cut(order, MAPPINGS[mapping], lookups=LOOKUPS)


def test_a_payload_that_is_not_an_object_is_read_whole() -> None:
    for payload in ([1, 2], "order", None, 7):
        _assert_same_cut(payload, MAPPINGS["template"], lookups=LOOKUPS)
