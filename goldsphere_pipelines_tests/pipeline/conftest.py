"""A sandbox shop, a connector for it and goldsphere users for its customers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from goldsphere_pipelines.connectors.configuration import add_connector, get_connector
from goldsphere_pipelines.connectors.models import Connector, ConnectorCreate
from goldsphere_pipelines.defs.resources import (
    ConnectorSync,
    GoldsphereDatabase,
    WooCommerceResource,
)
from goldsphere_pipelines.defs.run_sync import materialize_connector
from goldsphere_pipelines.demo import seed_customers
from goldsphere_pipelines.sandbox import SandboxConfig, SandboxStore, run_sandbox
from goldsphere_pipelines.storage.credentials import generate_key, load_cipher


@dataclass
class Shop:
    base_url: str
    store: SandboxStore
    consumer_key: str
    consumer_secret: str


@pytest.fixture
def pipeline_db(db: sa.Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    """Assets read GOLDSPHERE_DATABASE_URL like in production; point it at the test database."""
    from goldsphere_pipelines.storage import engine as engine_module

    monkeypatch.setenv("GOLDSPHERE_DATABASE_URL", database_url)
    monkeypatch.setenv("GOLDSPHERE_CREDENTIALS_KEY", generate_key())
    engine_module._engine_for.cache_clear()
    return db


def start_shop(config: SandboxConfig) -> Any:
    return run_sandbox(config, port=0)


@pytest.fixture
def shop_factory() -> Iterator[Callable[..., Shop]]:
    stack: list[Any] = []

    def make(**overrides: Any) -> Shop:
        config = SandboxConfig(**{"products": 60, "orders": 300, "seed": 11, **overrides})
        cm = run_sandbox(config, port=0)
        running = cm.__enter__()
        stack.append(cm)
        return Shop(running.base_url, running.store, running.consumer_key, running.consumer_secret)

    yield make
    for cm in reversed(stack):
        cm.__exit__(None, None, None)


def register(engine: sa.Engine, shop: Shop, name: str = "test-shop", **extra: Any) -> Connector:
    add_connector(
        engine,
        load_cipher(),
        ConnectorCreate(
            name=name,
            base_url=shop.base_url,
            consumer_key=SecretStr(shop.consumer_key),
            consumer_secret=SecretStr(shop.consumer_secret),
            **extra,
        ),
    )
    seed_customers(engine, shop.store.customer_emails())
    return get_connector(engine, name)


def sync(
    name: str,
    *,
    instance: dg.DagsterInstance | None = None,
    max_attempts: int = 3,
    **kwargs: Any,
) -> dg.ExecuteInProcessResult:
    resources = {
        "database": GoldsphereDatabase(),
        "woocommerce": WooCommerceResource(concurrency=4, max_attempts=max_attempts),
        "sync": ConnectorSync(**kwargs.pop("sync_settings", {})),
    }
    return materialize_connector(
        name,
        instance=instance or dg.DagsterInstance.ephemeral(),
        trigger="test",
        resources=resources,
        **kwargs,
    )


def scalar(engine: sa.Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()
