"""`goldsphere webhooks secret|register|status|process` and the same in the admin API."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import httpx2
import pytest
from click.testing import CliRunner

from goldsphere_pipelines.cli import main
from goldsphere_pipelines_tests.admin_api.support import (
    SuiteSecrets,
    bearer,
    insert_user,
    make_token,
)
from goldsphere_pipelines_tests.pipeline.conftest import Shop, register
from goldsphere_pipelines_tests.webhooks.conftest import JWT_SECRET, Hooked
from goldsphere_pipelines_tests.webhooks.support import post_delivery, scalar


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_cli_secret_register_status_process(
    hooked_factory: Callable[..., Hooked], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    hooked = hooked_factory(synced=True)
    secret = _cli("webhooks", "secret", hooked.connector.name).strip()
    assert len(secret) >= 40
    assert secret != hooked.secret
    # The old secret stops working, the new one works.
    product = hooked.shop.store.product_ids()[0]
    stale = post_delivery(hooked.delivery_url, hooked.secret, "product.updated", {"id": product})
    assert stale.status_code == 401
    order_id = next(
        o for o in hooked.shop.store.order_ids() if hooked.shop.store.order_flaw(o) is None
    )
    payload = hooked.shop.store.order(order_id, base_url=hooked.shop.base_url)
    fresh = post_delivery(hooked.delivery_url, secret, "order.updated", payload)
    assert fresh.status_code == 200
    processed = json.loads(_cli("webhooks", "process", "--once", "--no-report-to-dagster"))
    assert [p["applied"] for p in processed] == [1]
    status = json.loads(_cli("webhooks", "status", hooked.connector.name, "--json"))
    assert (status["received"], status["applied"], status["rejected"]) == (1, 1, 1)
    assert status["lagSeconds"] == 0.0
    assert status["lastReceivedAt"] is not None
    human = _cli("webhooks", "status", hooked.connector.name)
    assert "rejected:" in human
    for text in (human, *(r.getMessage() for r in caplog.records)):
        assert secret not in text
        assert hooked.secret not in text


def test_register_with_a_read_only_key_prints_the_admin_steps(
    pipeline_db: object, shop_factory: Callable[..., Shop], receiver: str
) -> None:
    shop = shop_factory(products=10, orders=10, key_permissions="read")
    connector = register(pipeline_db, shop, name="read-only-shop")  # type: ignore[arg-type]
    _cli("webhooks", "secret", connector.name)
    url = f"{receiver}/webhooks/woocommerce/{connector.name}"
    steps = _cli("webhooks", "register", connector.name, "--delivery-url", url)
    assert "Settings → Advanced → Webhooks" in steps
    assert url in steps
    for topic in ("product.created", "product.deleted", "order.updated", "order.restored"):
        assert topic in steps
    assert shop.store.webhooks.subscriptions() == []


def test_the_admin_api_manages_a_connectors_webhooks(hooked: Hooked) -> None:
    admin = insert_user(hooked.engine)
    headers = bearer(make_token(SuiteSecrets(), admin, secret=JWT_SECRET))
    base = f"{hooked.receiver_url}/admin/connectors/{hooked.connector.name}/webhooks"
    created = httpx2.post(f"{base}/secret", headers=headers)
    assert created.status_code == 201
    secret = created.json()["secret"]
    registered = httpx2.post(
        f"{base}/register", json={"deliveryUrl": hooked.delivery_url}, headers=headers, timeout=60
    )
    assert registered.status_code == 200, registered.text
    assert len(registered.json()["created"]) == 8
    hooked.shop.store.modify_order(
        next(o for o in hooked.shop.store.order_ids() if hooked.shop.store.order_flaw(o) is None)
    )
    assert hooked.shop.store.webhooks.wait_idle(30)
    processed = httpx2.post(f"{base}/process", headers=headers, timeout=60)
    assert processed.status_code == 200
    # Two subscriptions of order.updated now: the fixture's still signs with the secret
    # the rotation replaced, and is refused.
    assert processed.json()["applied"] == 1
    status = httpx2.get(base, headers=headers)
    assert (status.json()["applied"], status.json()["rejected"]) == (1, 1)
    for answer in (registered, processed, status):
        assert secret not in answer.text
    assert httpx2.get(base).status_code == 401
    assert (
        scalar(
            hooked.engine,
            "SELECT count(*) FROM external_webhook_delivery WHERE status = 'applied'",
        )
        == 1
    )
