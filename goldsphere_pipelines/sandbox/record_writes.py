"""The writes a shop admin (or a test) makes through the REST API: trash, restore, delete.

As WooCommerce's controllers do it (`WC_REST_CRUD_Controller::delete_item`):
`DELETE /products/{id}` and `DELETE /orders/{id}` move the record to the trash and answer
with it (status `trash`); a second one answers 410 `woocommerce_rest_already_trashed`.
With `force=true` the record is deleted for good and the answer is its last state. A
variation cannot be trashed: without `force=true` the answer is 501
`woocommerce_rest_trash_not_supported`. `POST`/`PUT /products/{id}` and `/orders/{id}`
with a `status` set it, which is how a record leaves the trash through the API; other
fields of the body are ignored here (the sandbox's catalogue is generated).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from goldsphere_pipelines.sandbox import rest_errors
from goldsphere_pipelines.sandbox.listing import PRODUCT_STATUSES
from goldsphere_pipelines.sandbox.orders import ORDER_STATUSES
from goldsphere_pipelines.sandbox.store import AlreadyTrashed, SandboxStore

Write = Callable[[tuple[str, ...], dict[str, str], bytes, str], Any]


def handler(store: SandboxStore, route: str, method: str) -> Write | None:
    """The write for `method` on the route named `route`, or None (WordPress's 404)."""
    writes: dict[tuple[str, str], Write] = {
        ("product", "POST"): lambda g, p, b, base: _update_product(store, int(g[0]), b, base),
        ("product", "PUT"): lambda g, p, b, base: _update_product(store, int(g[0]), b, base),
        ("product", "DELETE"): lambda g, p, b, base: _delete_product(store, int(g[0]), p, base),
        ("variation", "DELETE"): lambda g, p, b, base: _delete_variation(
            store, int(g[0]), int(g[1]), p, base
        ),
        ("order", "POST"): lambda g, p, b, base: _update_order(store, int(g[0]), b, base),
        ("order", "PUT"): lambda g, p, b, base: _update_order(store, int(g[0]), b, base),
        ("order", "DELETE"): lambda g, p, b, base: _delete_order(store, int(g[0]), p, base),
    }
    return writes.get((route, method))


def _force(params: dict[str, str]) -> bool:
    return params.get("force", "").strip().lower() in ("true", "1")


def _status(body: bytes, allowed: tuple[str, ...]) -> str | None:
    try:
        data = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise rest_errors.RestError(400, "rest_invalid_json", "Invalid JSON body passed.") from exc
    status = data.get("status") if isinstance(data, dict) else None
    if status is None:
        return None
    if status not in allowed or status == "any":
        raise rest_errors.invalid_params(
            {"status": ("rest_not_in_enum", f"status is not one of {', '.join(allowed)}.")}
        )
    return str(status)


def _product(store: SandboxStore, product_id: int, base: str) -> dict[str, Any]:
    payload = store.get_product(product_id, base)
    if payload is None:
        raise rest_errors.invalid_id("product")
    return payload


def _update_product(store: SandboxStore, product_id: int, body: bytes, base: str) -> Any:
    _product(store, product_id, base)
    status = _status(body, PRODUCT_STATUSES)
    if status is not None:
        store.restore_product(product_id, status)
    return _product(store, product_id, base)


def _delete_product(store: SandboxStore, product_id: int, params: dict[str, str], base: str) -> Any:
    previous = _product(store, product_id, base)
    if _force(params):
        store.delete_product(product_id)
        return previous
    try:
        store.trash_product(product_id)
    except AlreadyTrashed as exc:
        raise rest_errors.already_trashed("product") from exc
    return _product(store, product_id, base)


def _delete_variation(
    store: SandboxStore, product_id: int, variation_id: int, params: dict[str, str], base: str
) -> Any:
    previous = store.get_variation(product_id, variation_id, base)
    if previous is None:
        raise rest_errors.invalid_id("product_variation")
    if not _force(params):
        raise rest_errors.trash_not_supported("product_variation")
    store.delete_variation(variation_id)
    return previous


def _order(store: SandboxStore, order_id: int, base: str) -> dict[str, Any]:
    payload = store.get_order(order_id, base)
    if payload is None:
        raise rest_errors.invalid_id("shop_order")
    return payload


def _update_order(store: SandboxStore, order_id: int, body: bytes, base: str) -> Any:
    _order(store, order_id, base)
    status = _status(body, ORDER_STATUSES)
    if status is not None:
        store.restore_order(order_id, status)
    return _order(store, order_id, base)


def _delete_order(store: SandboxStore, order_id: int, params: dict[str, str], base: str) -> Any:
    previous = _order(store, order_id, base)
    if _force(params):
        store.delete_order(order_id)
        return previous
    try:
        store.trash_order(order_id)
    except AlreadyTrashed as exc:
        raise rest_errors.already_trashed("shop_order") from exc
    return _order(store, order_id, base)
