"""Fixtures of the reliability and security suites: the pipeline suite's database, shops
and connectors, and quick retries."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from goldsphere_pipelines.connectors import store_client
from goldsphere_pipelines.woocommerce.client import WooCommerceClient
from goldsphere_pipelines_tests.pipeline.conftest import pipeline_db, shop_factory
from goldsphere_pipelines_tests.reliability.processes import children

__all__ = ["children", "fast_backoff", "pipeline_db", "shop_factory"]

# The client's backoff (0.5 s base, doubling) is right for a real store and slow for a
# test that injects hundreds of faults. WooCommerceResource has no backoff setting, so the
# client the resource opens gets a short base here; Retry-After is still honoured up to
# `backoff_max_s`.
FAST_BACKOFF: dict[str, Any] = {"backoff_base_s": 0.01, "backoff_max_s": 30.0}


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Syncs in this test retry after milliseconds (unless the store sends Retry-After)."""
    settings = dict(FAST_BACKOFF)
    monkeypatch.setattr(
        store_client, "WooCommerceClient", functools.partial(WooCommerceClient, **settings)
    )
    return settings
