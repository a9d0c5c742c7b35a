"""Mapping an order both ways, compiled rules and the general engine, and comparing.

`map_order` runs the order rules compiled into straight-line code (compiled_orders.py)
and builds its result models without validation; `map_order_reference` evaluates every
rule step by step and validates every model. Both must give the same bytes to store.
"""

from __future__ import annotations

import json
from typing import Any

from goldsphere_pipelines.mapping import CompiledMapping, OrderLookups, OrderMappingResult
from goldsphere_pipelines.mapping.line_products import GoneProducts
from goldsphere_pipelines.mapping.orders import map_order, map_order_reference


def serialised(result: OrderMappingResult, *, reference: bool) -> bytes:
    """What the pipeline stores of a result: the mapped payload (from the reference as
    pydantic dumps it), the errors, whether it awaits a dependency, derived products."""
    order = result.order
    mapped = None
    if order is not None:
        mapped = order.model_dump(mode="json") if reference else order.to_json()
    return json.dumps(
        {
            "mapped": mapped,
            "errors": [error.as_json() for error in result.errors],
            "awaiting_dependency": result.awaiting_dependency,
            "derived_products": [product.to_json() for product in result.derived_products],
        }
    ).encode("utf-8")


def assert_same_as_reference(
    payload: Any,
    mapping: CompiledMapping,
    lookups: OrderLookups,
    gone_products: GoneProducts | None = None,
    *,
    fast: OrderMappingResult | None = None,
) -> OrderMappingResult:
    """Map `payload` both ways (or compare `fast`, already mapped) and insist on the same
    result: the same stored bytes, equal models of the same repr, the same error objects."""
    if fast is None:
        fast = map_order(payload, mapping=mapping, lookups=lookups, gone_products=gone_products)
    reference = map_order_reference(
        payload, mapping=mapping, lookups=lookups, gone_products=gone_products
    )
    assert serialised(fast, reference=False) == serialised(reference, reference=True), payload
    assert repr(fast.order) == repr(reference.order)
    assert fast.order == reference.order
    assert fast.errors == reference.errors
    assert fast.derived_products == reference.derived_products
    return fast
