"""Sandbox stores for the client's integration tests, and clients pointed at them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from goldsphere_pipelines.sandbox import RunningSandbox, SandboxConfig, run_sandbox
from goldsphere_pipelines.woocommerce import AuthMode, WooCommerceClient, WooCredentials

# The size issue 3 asks the client to be proven on.
SHOP = SandboxConfig(products=500, variable_share=0.1, orders=3000, seed=7)
# For tests whose point is not the size: still several pages of everything.
SMALL_SHOP = SHOP.with_changes(products=120, orders=450, variable_share=0.2)

# Quick retries: Retry-After (whole seconds in the sandbox) is capped by backoff_max_s.
FAST_RETRIES: dict[str, Any] = {"backoff_base_s": 0.005, "backoff_max_s": 0.02}


def connect(
    sandbox: RunningSandbox, auth_mode: AuthMode = AuthMode.OAUTH1, **options: Any
) -> WooCommerceClient:
    """A client for `sandbox`, trusting its certificate when it serves HTTPS."""
    settings = {**FAST_RETRIES, "concurrency": 8, **options}
    ca = sandbox.ca_cert_path.read_text() if sandbox.ca_cert_path else None
    credentials = WooCredentials(
        consumer_key=sandbox.consumer_key, consumer_secret=sandbox.consumer_secret
    )
    return WooCommerceClient(
        sandbox.base_url, credentials, auth_mode=auth_mode, ca_bundle_pem=ca, **settings
    )


@pytest.fixture(scope="module")
def shop() -> Iterator[RunningSandbox]:
    """A 500-product, 3000-order store over plain HTTP; tests must not change it."""
    with run_sandbox(SHOP) as sandbox:
        yield sandbox


@pytest.fixture
def fresh_shop() -> Iterator[RunningSandbox]:
    """A store of its own, for a test that changes data or faults."""
    with run_sandbox(SHOP) as sandbox:
        yield sandbox
