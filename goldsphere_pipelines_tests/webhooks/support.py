"""Posting deliveries by hand, as WooCommerce would, and reading what became of them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx2
import sqlalchemy as sa

from goldsphere_pipelines.woocommerce.webhook_signature import sign


def post_delivery(
    url: str,
    secret: str | None,
    topic: str,
    payload: Any,
    *,
    delivery_id: str | None = None,
    body: bytes | None = None,
    drop: tuple[str, ...] = (),
) -> httpx2.Response:
    """POST `payload` (or raw `body`) signed with `secret`; `drop` names headers to leave out."""
    raw = body if body is not None else json.dumps(payload, separators=(",", ":")).encode()
    resource, _, event = topic.partition(".")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/8.9.1 Hookshot (WordPress/6.5.3)",
        "X-WC-Webhook-Source": "http://shop.test/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-ID": "1",
        "X-WC-Webhook-Delivery-ID": delivery_id or uuid.uuid4().hex,
    }
    if secret is not None:
        headers["X-WC-Webhook-Signature"] = sign(raw, secret)
    for name in drop:
        headers.pop(name, None)
    return httpx2.post(url, content=raw, headers=headers, timeout=10)


def scalar(engine: sa.Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def goldsphere_product_price(engine: sa.Engine, connector_id: Any, external_id: str) -> Any:
    return scalar(
        engine,
        "SELECT p.price FROM product p JOIN external_reference r ON r.internal_id = p.id "
        "WHERE r.source = :s AND r.entity_type = 'product' AND r.external_id = :e",
        s=f"woocommerce:{connector_id}",
        e=external_id,
    )
