"""The receiver: signatures, the ping, refusals, and durable storage before the 200."""

from __future__ import annotations

from collections.abc import Callable

import httpx2
import pytest

from goldsphere_pipelines.connectors.webhook_receiver import MAX_WEBHOOK_BODY_BYTES
from goldsphere_pipelines.connectors.webhooks import create_secret
from goldsphere_pipelines.storage.credentials import load_cipher
from goldsphere_pipelines_tests.pipeline.conftest import register
from goldsphere_pipelines_tests.webhooks.conftest import Hooked
from goldsphere_pipelines_tests.webhooks.support import post_delivery, scalar


@pytest.fixture
def hooked(hooked_factory: Callable[..., Hooked]) -> Hooked:
    """No sync needed to check what the receiver accepts."""
    return hooked_factory(synced=False)


def _stored(hooked: Hooked) -> int:
    return int(
        scalar(
            hooked.engine,
            "SELECT count(*) FROM external_webhook_delivery WHERE connector_id = :c",
            c=hooked.connector.id,
        )
    )


def _rejected(hooked: Hooked) -> int:
    return int(
        scalar(
            hooked.engine,
            "SELECT rejected_count FROM external_webhook WHERE connector_id = :c",
            c=hooked.connector.id,
        )
    )


def test_registering_pings_the_receiver_and_the_ping_is_answered(hooked: Hooked) -> None:
    subscriptions = hooked.shop.store.webhooks.subscriptions()
    assert sorted(s.topic for s in subscriptions) == sorted(
        f"{r}.{e}"
        for r in ("order", "product")
        for e in ("created", "deleted", "restored", "updated")
    )
    assert all(s.status == "active" for s in subscriptions)
    answer = httpx2.post(
        hooked.delivery_url,
        content=b"webhook_id=17",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    assert _stored(hooked) == 0


def test_a_bad_or_missing_signature_is_401_and_only_counted(hooked: Hooked) -> None:
    payload = {"id": hooked.shop.store.product_ids()[0], "name": "forged"}
    wrong = post_delivery(hooked.delivery_url, "not-the-secret", "product.updated", payload)
    missing = post_delivery(hooked.delivery_url, None, "product.updated", payload)
    assert (wrong.status_code, missing.status_code) == (401, 401)
    assert wrong.json()["error"]["code"] == "webhook_signature_invalid"
    assert _stored(hooked) == 0
    assert _rejected(hooked) == 2


def test_a_signature_of_another_connector_or_an_unknown_connector_is_refused(
    hooked: Hooked,
) -> None:
    other = register(hooked.engine, hooked.shop, name="other-shop")
    other_secret = create_secret(hooked.engine, load_cipher(), other.name)
    payload = {"id": hooked.shop.store.product_ids()[0]}
    crossed = post_delivery(hooked.delivery_url, other_secret, "product.updated", payload)
    unknown = post_delivery(
        f"{hooked.receiver_url}/webhooks/woocommerce/no-such-shop",
        hooked.secret,
        "product.updated",
        payload,
    )
    assert crossed.status_code == 401
    assert unknown.status_code == 404
    assert _stored(hooked) == 0


def test_a_signed_delivery_without_its_id_or_topic_is_400(hooked: Hooked) -> None:
    payload = {"id": hooked.shop.store.product_ids()[0]}
    no_id = post_delivery(
        hooked.delivery_url,
        hooked.secret,
        "product.updated",
        payload,
        drop=("X-WC-Webhook-Delivery-ID",),
    )
    no_topic = post_delivery(
        hooked.delivery_url, hooked.secret, "product.updated", payload, drop=("X-WC-Webhook-Topic",)
    )
    assert (no_id.status_code, no_topic.status_code) == (400, 400)
    assert no_id.json()["error"]["code"] == "webhook_delivery_id_missing"
    assert no_topic.json()["error"]["code"] == "webhook_topic_missing"
    assert _stored(hooked) == 0


def test_a_body_over_the_limit_is_413_before_anything_is_stored(hooked: Hooked) -> None:
    body = b'{"id": 1, "description": "' + b"x" * MAX_WEBHOOK_BODY_BYTES + b'"}'
    answer = post_delivery(hooked.delivery_url, hooked.secret, "product.updated", None, body=body)
    assert answer.status_code == 413
    assert _stored(hooked) == 0


def test_a_repeated_delivery_id_is_acknowledged_and_stored_once(hooked: Hooked) -> None:
    product_id = hooked.shop.store.product_ids()[0]
    payload = hooked.shop.store.product(product_id, base_url=hooked.shop.base_url)
    first = post_delivery(
        hooked.delivery_url, hooked.secret, "product.updated", payload, delivery_id="a" * 32
    )
    again = post_delivery(
        hooked.delivery_url, hooked.secret, "product.updated", payload, delivery_id="a" * 32
    )
    assert (first.json()["code"], again.json()["code"]) == ("stored", "duplicate")
    assert _stored(hooked) == 1


def test_the_secret_is_stored_encrypted_and_never_answered(hooked: Hooked) -> None:
    with hooked.engine.connect() as conn:
        dump = " ".join(
            str(row)
            for table in ("external_webhook", "external_webhook_delivery", "external_credential")
            for row in conn.exec_driver_sql(f"SELECT * FROM {table}")
        )
    assert hooked.secret not in dump
    assert hooked.shop.consumer_secret not in dump
    answer = post_delivery(hooked.delivery_url, "wrong", "product.updated", {"id": 1})
    assert hooked.secret not in answer.text
