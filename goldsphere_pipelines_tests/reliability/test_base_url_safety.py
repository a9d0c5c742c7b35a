"""Base URL safety as an admin meets it, end to end. The rules themselves are proven
where they live, and not repeated here:

- link-local and cloud metadata addresses always refused, private ranges only with
  GOLDSPHERE_ALLOW_PRIVATE_STORE_URLS=1: goldsphere_pipelines_tests/connectors/
  test_connector_validation.py (test_link_local_and_metadata_addresses_are_always_refused,
  test_private_addresses_need_the_operator_s_opt_in, test_any_refused_address_among_several_
  refuses_the_host) and goldsphere_pipelines_tests/cli/test_connectors_cli.py
  (test_private_store_urls_are_allowed_when_the_operator_opts_in);
- redirects to another host (or down to http) refused, credentials never sent along:
  goldsphere_pipelines_tests/woocommerce/test_odd_responses.py
  (test_a_redirect_to_another_host_is_refused_and_never_sent_credentials,
  test_a_redirect_down_to_plain_http_is_refused,
  test_a_redirect_on_the_same_host_is_followed_with_fresh_credentials).
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from goldsphere_pipelines.cli import main
from goldsphere_pipelines.defs.resources import (
    ConnectorSync,
    GoldsphereDatabase,
    WooCommerceResource,
)
from goldsphere_pipelines.defs.run_sync import materialize_connector
from goldsphere_pipelines_tests.reliability.support import newest_run, scalar
from goldsphere_pipelines_tests.storage.connector_factories import consumer_key, consumer_secret


@pytest.fixture
def admin_env(pipeline_db: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    monkeypatch.setenv("GOLDSPHERE_WC_CONSUMER_KEY", consumer_key())
    monkeypatch.setenv("GOLDSPHERE_WC_CONSUMER_SECRET", consumer_secret())
    return pipeline_db


def goldsphere(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254",
        "https://169.254.170.2:8443",
        "https://[fd00:ec2::254]",
        "https://[::ffff:169.254.169.254]",
    ],
)
def test_metadata_addresses_are_refused_on_add_and_update_even_with_private_allowed(
    admin_env: sa.Engine, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("GOLDSPHERE_ALLOW_PRIVATE_STORE_URLS", "1")
    added = goldsphere("connectors", "add", "--base-url", url, "--name", "metadata")
    assert added.exit_code == 1
    assert "link-local or cloud metadata" in added.stderr
    assert scalar(admin_env, "SELECT count(*) FROM external_connector") == 0

    assert goldsphere("connectors", "add", "--base-url", "https://10.0.0.7").exit_code == 0
    moved = goldsphere("connectors", "update", "10-0-0-7", "--base-url", url)
    assert moved.exit_code == 1
    assert "link-local or cloud metadata" in moved.stderr
    stored = scalar(admin_env, "SELECT base_url FROM external_connector")
    assert stored == "https://10.0.0.7"


def test_a_host_that_later_resolves_to_a_metadata_address_is_refused_at_sync_time(
    admin_env: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolves_to = ["93.184.216.34"]
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "shop.rebinding.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (resolves_to[0], port or 443))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    # Nothing leaves this machine: a connection anywhere but loopback is refused here and
    # remembered (this test must never reach a real metadata service).
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1"):
            attempts.append(address)
            raise ConnectionRefusedError(f"test: no connection to {address[0]}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    added = goldsphere("connectors", "add", "--base-url", "https://shop.rebinding.test")
    assert added.exit_code == 0, added.stderr
    resolves_to[0] = "169.254.169.254"

    import dagster as dg

    result = materialize_connector(
        "shop-rebinding-test",
        instance=dg.DagsterInstance.ephemeral(),
        trigger="test",
        resources={
            "database": GoldsphereDatabase(),
            "woocommerce": WooCommerceResource(timeout_seconds=1, max_attempts=1),
            "sync": ConnectorSync(),
        },
    )

    assert not result.success
    assert attempts == [], "the sync tried to connect to the metadata address"
    run = newest_run(admin_env, "shop-rebinding-test")
    assert run.error is not None
    assert "link-local or cloud metadata" in run.error
