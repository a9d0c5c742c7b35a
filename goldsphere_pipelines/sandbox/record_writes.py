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
from dataclasses import dataclass
from typing import Any

import orjson

from goldsphere_pipelines.sandbox import rest_errors
from goldsphere_pipelines.sandbox.listing import PRODUCT_STATUSES
from goldsphere_pipelines.sandbox.orders import ORDER_STATUSES
from goldsphere_pipelines.sandbox.store import AlreadyTrashed, SandboxStore

Write = Callable[[tuple[str, ...], dict[str, str], bytes, str], Any]


@dataclass(frozen=True)
class _Kind:
    """How the store reads, trashes, restores and deletes one kind of top-level record."""

    post_type: str
    statuses: tuple[str, ...]
    get: Callable[[int, str], dict[str, Any] | None]
    trash: Callable[[int], None]
    restore: Callable[[int, str], None]
    delete: Callable[[int], None]


def handler(store: SandboxStore, route: str, method: str) -> Write | None:
    """The write for `method` on the route named `route`, or None (WordPress's 404)."""
    kinds = {
        "product": _Kind(
            "product",
            PRODUCT_STATUSES,
            store.get_product,
            store.trash_product,
            store.restore_product,
            store.delete_product,
        ),
        "order": _Kind(
            "shop_order",
            ORDER_STATUSES,
            store.get_order,
            store.trash_order,
            store.restore_order,
            store.delete_order,
        ),
    }
    if route == "variation" and method == "DELETE":
        return lambda g, p, b, base: _delete_variation(store, int(g[0]), int(g[1]), p, base)
    kind = kinds.get(route)
    if kind is None:
        return None
    if method in ("POST", "PUT"):
        return lambda g, p, b, base: _update(kind, int(g[0]), b, base)
    if method == "DELETE":
        return lambda g, p, b, base: _delete(kind, int(g[0]), p, base)
    return None


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


def _record(kind: _Kind, record_id: int, base: str) -> dict[str, Any]:
    payload = kind.get(record_id, base)
    if payload is None:
        raise rest_errors.invalid_id(kind.post_type)
    return payload


def _update(kind: _Kind, record_id: int, body: bytes, base: str) -> Any:
    _record(kind, record_id, base)
    status = _status(body, kind.statuses)
    if status is not None:
        kind.restore(record_id, status)
    return _record(kind, record_id, base)


def _delete(kind: _Kind, record_id: int, params: dict[str, str], base: str) -> Any:
    previous = _record(kind, record_id, base)
    if _force(params):
        kind.delete(record_id)
        return previous
    try:
        kind.trash(record_id)
    except AlreadyTrashed as exc:
        raise rest_errors.already_trashed(kind.post_type) from exc
    return _record(kind, record_id, base)


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
