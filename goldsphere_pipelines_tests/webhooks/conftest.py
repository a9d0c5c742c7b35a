"""A sandbox shop with webhooks, a connector for it, and the admin API's receiver on a
loopback port: deliveries travel over real HTTP, signed, into the test database."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI

from goldsphere_pipelines.admin_api import create_app
from goldsphere_pipelines.connectors.models import Connector
from goldsphere_pipelines.connectors.webhook_processor import WebhookProcessor
from goldsphere_pipelines.connectors.webhooks import create_secret, register_webhooks
from goldsphere_pipelines.storage.credentials import load_cipher
from goldsphere_pipelines_tests.pipeline.conftest import (
    Shop,
    pipeline_db,
    register,
    shop_factory,
    sync,
)

__all__ = ["pipeline_db", "shop_factory"]

JWT_SECRET = "webhook-tests-jwt-secret-0123456789abcdef"


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """`app` on a free loopback port in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the receiver did not start")
        time.sleep(0.005)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def receiver(pipeline_db: sa.Engine) -> Iterator[str]:
    app = create_app(pipeline_db, jwt_secret=JWT_SECRET, dagster_url="http://127.0.0.1:9")
    with serve(app) as url:
        yield url


@dataclass
class Hooked:
    """A synced connector whose shop pushes its changes to the receiver."""

    engine: sa.Engine
    shop: Shop
    connector: Connector
    secret: str
    receiver_url: str
    processor: WebhookProcessor

    @property
    def delivery_url(self) -> str:
        return f"{self.receiver_url}/webhooks/woocommerce/{self.connector.name}"

    def settle(self) -> None:
        """Every change the shop made is delivered, and every due delivery applied."""
        assert self.shop.store.webhooks.wait_idle(60)
        self.processor.run_until_idle()

    def deliveries(self) -> list[Any]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.text(
                        "SELECT delivery_id, topic, status, error, applied_count "
                        "FROM external_webhook_delivery WHERE connector_id = :c ORDER BY id"
                    ),
                    {"c": self.connector.id},
                )
            )


@pytest.fixture
def hooked_factory(
    pipeline_db: sa.Engine, shop_factory: Callable[..., Shop], receiver: str
) -> Callable[..., Hooked]:
    def make(*, synced: bool = True, **shop_settings: Any) -> Hooked:
        shop = shop_factory(
            **{"products": 30, "orders": 60, "key_permissions": "read_write", **shop_settings}
        )
        connector = register(pipeline_db, shop, name="hook-shop")
        if synced:
            assert sync(connector.name).success
        secret = create_secret(pipeline_db, load_cipher(), connector.name)
        url = f"{receiver}/webhooks/woocommerce/{connector.name}"
        result = register_webhooks(pipeline_db, load_cipher(), connector.name, url)
        assert len(result.created) == 8, result
        return Hooked(pipeline_db, shop, connector, secret, receiver, WebhookProcessor(pipeline_db))

    return make


@pytest.fixture
def hooked(hooked_factory: Callable[..., Hooked]) -> Hooked:
    return hooked_factory()
