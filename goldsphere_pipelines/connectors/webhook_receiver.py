"""Receiving a WooCommerce webhook delivery: verify, store durably, answer.

Nothing is applied here: the request path only checks the signature and writes the
delivery, so the shop gets its 200 in milliseconds and the processor applies deliveries
in batches (see `webhook_processor`). What a sender without the secret posted is never
stored; it only counts on the connector's rejected counter.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from goldsphere_pipelines.storage.credentials import CredentialCipher
from goldsphere_pipelines.storage.webhooks import WebhookRepository, WebhookTarget
from goldsphere_pipelines.woocommerce.webhook_signature import SIGNATURE_HEADER, signature_matches

WEBHOOK_RESOURCES = ("product", "order")
WEBHOOK_EVENTS = ("created", "updated", "deleted", "restored")
WEBHOOK_TOPICS = tuple(f"{r}.{e}" for r in WEBHOOK_RESOURCES for e in WEBHOOK_EVENTS)
"""The eight topics goldsphere subscribes to."""

MAX_WEBHOOK_BODY_BYTES = 2 * 1024 * 1024
"""Bodies above this are refused with 413: twice the largest record a sync stores."""

TOPIC_HEADER = "x-wc-webhook-topic"
DELIVERY_ID_HEADER = "x-wc-webhook-delivery-id"
WEBHOOK_ID_HEADER = "x-wc-webhook-id"
_PING = re.compile(rb"^webhook_id=\d{1,20}$")
_DELIVERY_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


# A shop sends bursts: the connector and its decrypted secret are looked up once a second
# per connector, not once per delivery. A rotated secret takes effect within that second.
_TARGET_SECONDS = 1.0
_targets: dict[tuple[int, str], tuple[float, WebhookTarget | None, str | None]] = {}
_targets_lock = threading.Lock()


def _target(
    engine: Engine, cipher: CredentialCipher, connector_name: str
) -> tuple[WebhookTarget | None, str | None]:
    key = (id(engine), connector_name)
    now = time.monotonic()
    with _targets_lock:
        cached = _targets.get(key)
    if cached is not None and now - cached[0] < _TARGET_SECONDS:
        return cached[1], cached[2]
    target = WebhookRepository(engine).target(connector_name)
    secret = None
    if target is not None and target.encrypted_secret is not None:
        secret = cipher.decrypt(target.encrypted_secret, connector_name=connector_name)
    with _targets_lock:
        if len(_targets) > 1000:
            _targets.clear()
        _targets[key] = (now, target, secret)
    return target, secret


def forget_targets() -> None:
    """Drop the cached look-ups (after a secret was rotated in this process)."""
    with _targets_lock:
        _targets.clear()


@dataclass(frozen=True)
class Receipt:
    """The answer for the shop: HTTP status, a code and a sentence (never a secret)."""

    status: int
    code: str
    message: str

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


def is_ping(headers: Mapping[str, str], body: bytes) -> bool:
    """WooCommerce's ping on saving a webhook: form-encoded `webhook_id=N`, unsigned."""
    return (
        SIGNATURE_HEADER not in headers
        and TOPIC_HEADER not in headers
        and _PING.match(body.strip()) is not None
    )


def receive_delivery(
    engine: Engine,
    cipher: CredentialCipher,
    connector_name: str,
    headers: Mapping[str, str],
    body: bytes,
) -> Receipt:
    """Check one delivery for `connector_name` and store it; `headers` lower-cased."""
    repository = WebhookRepository(engine)
    target, secret = _target(engine, cipher, connector_name)
    if target is None:
        return Receipt(404, "connector_not_found", f"No connector is named {connector_name!r}.")
    if is_ping(headers, body):
        return Receipt(200, "ping", "Ping received; deliveries for this connector are accepted.")
    if secret is None:
        return Receipt(
            401,
            "webhook_secret_missing",
            "This connector has no webhook secret yet: create one with "
            f"`goldsphere webhooks secret {connector_name}` and paste it into WooCommerce.",
        )
    if not signature_matches(body, secret, headers.get(SIGNATURE_HEADER)):
        repository.count_rejected(target.connector_id)
        return Receipt(
            401,
            "webhook_signature_invalid",
            "The X-WC-Webhook-Signature header is missing or does not match the body.",
        )
    topic = headers.get(TOPIC_HEADER, "").strip()
    delivery_id = headers.get(DELIVERY_ID_HEADER, "").strip()
    if not delivery_id or not _DELIVERY_ID.match(delivery_id):
        return Receipt(
            400,
            "webhook_delivery_id_missing",
            "The X-WC-Webhook-Delivery-ID header is missing or not an id; WooCommerce "
            "always sends one.",
        )
    if not topic:
        return Receipt(400, "webhook_topic_missing", "The X-WC-Webhook-Topic header is missing.")
    if topic not in WEBHOOK_TOPICS:
        # Answered 2xx all the same: WooCommerce disables a webhook after five failed
        # deliveries, and a topic we ignore is no failure of the shop's.
        return Receipt(202, "webhook_topic_ignored", f"Topic {topic[:40]!r} is not synced.")
    webhook_id = headers.get(WEBHOOK_ID_HEADER, "").strip()[:20] or None
    stored = repository.store_delivery(
        target.connector_id,
        delivery_id=delivery_id,
        webhook_id=webhook_id,
        topic=topic,
        body=body,
    )
    if not stored:
        return Receipt(200, "duplicate", "This delivery was received before; nothing changes.")
    return Receipt(200, "stored", "Delivery stored; it is applied within seconds.")
