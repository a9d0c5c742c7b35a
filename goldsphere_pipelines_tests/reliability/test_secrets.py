"""Secrets: full syncs in every auth mode, with failures, then a scan of everything they
produced for the consumer key and secret (and the credentials key): logs at DEBUG, the
process's stdout/stderr, the Dagster instance's storage (event logs, run config, asset
metadata, every file under DAGSTER_HOME), external_sync_run rows and every other table, CLI
and admin API output, exception texts. Zero hits. The database holds only ciphertext, and a
wrong or rotated-out credentials key fails with a message naming the connector.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import dagster as dg
import jwt
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from dagster._serdes import serialize_value
from fastapi.testclient import TestClient
from pydantic import SecretStr

from goldsphere_pipelines.admin_api import create_app
from goldsphere_pipelines.cli import main
from goldsphere_pipelines.defs.resources import (
    ConnectorSync,
    GoldsphereDatabase,
    WooCommerceResource,
)
from goldsphere_pipelines.defs.run_sync import materialize_connector
from goldsphere_pipelines.sandbox import RunningSandbox, SandboxConfig, run_sandbox
from goldsphere_pipelines.storage.credentials import generate_key
from goldsphere_pipelines_tests.reliability.support import newest_run, sync_problems
from goldsphere_pipelines_tests.storage.connector_factories import (
    consumer_key,
    consumer_secret,
    database_text,
)

MODES = [("basic", True), ("query", True), ("oauth1", False)]


@dataclass
class Outputs:
    """Every text a test saw, to scan at the end."""

    texts: list[str] = field(default_factory=list)

    def add(self, *texts: str) -> None:
        self.texts.extend(texts)


def needles(*secrets: str) -> list[str]:
    """Each secret as it may leak: raw, URL-encoded, inside a Basic header."""
    found = []
    for secret in secrets:
        found += [secret, quote(secret, safe=""), secret[3:]]
    key, secret = secrets[0], secrets[1]
    found.append(base64.b64encode(f"{key}:{secret}".encode()).decode())
    return found


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "dagster-home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


@pytest.fixture
def shop_for(tmp_path: Path) -> Iterator[Callable[[bool, str, str], RunningSandbox]]:
    stack: list[Any] = []

    def start(tls: bool, key: str, secret: str) -> RunningSandbox:
        config = SandboxConfig(
            products=20,
            orders=120,
            seed=61,
            consumer_key=SecretStr(key),
            consumer_secret=SecretStr(secret),
        )
        context = run_sandbox(config, tls=tls)
        running = context.__enter__()
        stack.append(context)
        return running

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)


def cli(outputs: Outputs, *args: str) -> Any:
    result = CliRunner().invoke(main, list(args))
    outputs.add(result.stdout, result.stderr, repr(result.exception or ""))
    return result


def instance_texts(home: Path) -> list[str]:
    """What the Dagster instance stored: runs, their config and tags, every event (with
    metadata and error texts), and the raw bytes of every file under DAGSTER_HOME."""
    texts: list[str] = []
    instance = dg.DagsterInstance.get()
    runs = instance.get_runs()
    assert runs, "the syncs were recorded in the instance"
    for run in runs:
        texts.append(json.dumps(run.run_config, default=str))
        texts.append(json.dumps(dict(run.tags), default=str))
        texts += [serialize_value(entry) for entry in instance.all_logs(run.run_id)]
    texts += [
        path.read_bytes().decode("utf-8", errors="replace")
        for path in home.rglob("*")
        if path.is_file()
    ]
    return texts


def admin_api_texts(engine: sa.Engine, connector_names: list[str]) -> list[str]:
    jwt_secret = "jwt-" + uuid.uuid4().hex
    with engine.begin() as conn:
        user_id = conn.execute(
            sa.text(
                "INSERT INTO users (email, username, passwordhash, role, account_status) "
                "VALUES (:e, :e, 'x', 'admin', 'active') RETURNING id"
            ),
            {"e": f"{uuid.uuid4().hex[:8]}@goldsphere.test"},
        ).scalar_one()
    token = jwt.encode(
        {"id": str(user_id), "role": "admin", "exp": int(time.time()) + 600},
        jwt_secret,
        algorithm="HS256",
    )
    app = create_app(engine, jwt_secret=jwt_secret, dagster_url="http://127.0.0.1:9")
    headers = {"Authorization": f"Bearer {token}"}
    texts = []
    with TestClient(app) as client:
        listing = client.get("/admin/connectors", headers=headers)
        assert listing.status_code == 200, listing.text
        texts.append(listing.text)
        listed = {item["name"]: item["id"] for item in listing.json()["items"]}
        assert set(connector_names) <= set(listed)
        for name in connector_names:
            for path in (
                f"/admin/connectors/{listed[name]}",
                f"/admin/connectors/{listed[name]}/runs",
            ):
                response = client.get(path, headers=headers)
                assert response.status_code == 200, response.text
                texts.append(response.text)
            assert client.get(path, headers=headers).json()["total"] > 0
    return texts


def test_no_secret_anywhere_after_syncs_in_every_auth_mode_with_failures(
    pipeline_db: sa.Engine,
    dagster_home: Path,
    shop_for: Callable[[bool, str, str], RunningSandbox],
    fast_backoff: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    outputs = Outputs()
    secrets: list[str] = []
    names: list[str] = []
    for mode, tls in MODES:
        key, secret, wrong = consumer_key(), consumer_secret(), consumer_secret()
        secrets += needles(key, secret) + needles(key, wrong)
        shop = shop_for(tls, key, secret)
        name = f"shop-{mode}"
        names.append(name)
        monkeypatch.setenv("GOLDSPHERE_WC_CONSUMER_KEY", key)
        monkeypatch.setenv("GOLDSPHERE_WC_CONSUMER_SECRET", secret)
        add = ["connectors", "add", "--base-url", shop.base_url, "--name", name, "--auth", mode]
        if shop.ca_cert_path is not None:
            add += ["--ca-bundle", str(shop.ca_cert_path)]
        assert cli(outputs, *add, "--json").exit_code == 0, outputs.texts[-2:]
        assert cli(outputs, "connectors", "test", name).exit_code == 0, outputs.texts[-3:]

        # A sync through faults (logged failures carry URLs), at DEBUG; the CLI's once.
        shop.set_faults(rate_5xx=0.2, rate_html=0.1, rate_429=0.1)
        synced = _materialize(name)
        shop.store.clear_faults()
        if not synced.success:
            synced = _materialize(name)
        assert synced.success
        if mode == "oauth1":
            assert cli(outputs, "connectors", "sync", name).exit_code == 0, outputs.texts[-3:]
        connector_id = (
            pipeline_db.connect()
            .execute(sa.text("SELECT id FROM external_connector WHERE name = :n"), {"n": name})
            .scalar_one()
        )
        assert sync_problems(pipeline_db, connector_id, shop.store) == []

        # Failures: the key revoked mid-sync, then a wrong secret stored for the store.
        shop.set_faults(key_revoked=True)
        failed = cli(outputs, "connectors", "sync", name, "--json")
        assert failed.exit_code == 1
        assert json.loads(failed.stdout)["status"] == "failed"
        shop.set_faults(key_revoked=False)
        monkeypatch.setenv("GOLDSPHERE_WC_CONSUMER_SECRET", wrong)
        rotated = cli(outputs, "connectors", "update", name, "--rotate-credentials")
        assert rotated.exit_code == 0
        refused = cli(outputs, "connectors", "sync", name)
        assert refused.exit_code == 1
        assert cli(outputs, "connectors", "test", name).exit_code == 1
        run = newest_run(pipeline_db, name)
        assert run.status == "failed"
        outputs.add(str(run.error))
        cli(outputs, "connectors", "show", name, "--json")
        cli(outputs, "connectors", "runs", name, "--json")
        cli(outputs, "connectors", "runs", name)
    cli(outputs, "connectors", "list")
    cli(outputs, "connectors", "list", "--json")
    secrets.append(_credentials_key())

    dump = database_text(pipeline_db)
    assert "gAAAA" in dump, "the scan sees the credential rows (Fernet tokens)"
    captured = capfd.readouterr()
    haystack = [
        *outputs.texts,
        dump,
        caplog.text,
        *[r.getMessage() for r in caplog.records],
        *[r.exc_text or "" for r in caplog.records],
        captured.out,
        captured.err,
        *instance_texts(dagster_home),
        *admin_api_texts(pipeline_db, names),
    ]
    assert any("401" in text for text in haystack), "the failures were seen"
    leaks = sorted({s for s in secrets for text in haystack if s in text})
    assert leaks == []


def _materialize(name: str) -> dg.ExecuteInProcessResult:
    return materialize_connector(
        name,
        instance=dg.DagsterInstance.get(),
        trigger="test",
        resources={
            "database": GoldsphereDatabase(),
            "woocommerce": WooCommerceResource(max_attempts=4),
            "sync": ConnectorSync(),
        },
        log_level="DEBUG",
    )


def _credentials_key() -> str:
    import os

    return os.environ["GOLDSPHERE_CREDENTIALS_KEY"]


def _add_with_a_lost_key(
    monkeypatch: pytest.MonkeyPatch, shop_for: Callable[[bool, str, str], RunningSandbox]
) -> list[str]:
    """A connector whose credentials were encrypted with a key no longer configured."""
    key, secret = consumer_key(), consumer_secret()
    shop = shop_for(False, key, secret)
    monkeypatch.setenv("GOLDSPHERE_WC_CONSUMER_KEY", key)
    monkeypatch.setenv("GOLDSPHERE_WC_CONSUMER_SECRET", secret)
    added = cli(Outputs(), "connectors", "add", "--base-url", shop.base_url, "--name", "kept")
    assert added.exit_code == 0
    old_key = _credentials_key()
    monkeypatch.setenv("GOLDSPHERE_CREDENTIALS_KEY", generate_key())
    return [key, secret, old_key, _credentials_key()]


def test_a_wrong_credentials_key_fails_the_sync_naming_the_connector(
    pipeline_db: sa.Engine,
    dagster_home: Path,
    shop_for: Callable[[bool, str, str], RunningSandbox],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secrets = _add_with_a_lost_key(monkeypatch, shop_for)

    result = _materialize("kept")

    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = str(failure.step_failure_data.error)
    assert "The credentials of connector 'kept' cannot be decrypted with the keys in " in message
    assert "GOLDSPHERE_CREDENTIALS_KEY" in message
    assert [s for s in secrets if s in message] == []
    assert cli(Outputs(), "connectors", "sync", "kept").exit_code == 1


def test_a_wrong_credentials_key_is_recorded_on_the_sync_run(
    pipeline_db: sa.Engine,
    dagster_home: Path,
    shop_for: Callable[[bool, str, str], RunningSandbox],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _add_with_a_lost_key(monkeypatch, shop_for)

    assert not _materialize("kept").success

    run = newest_run(pipeline_db, "kept")
    assert run.status == "failed"
    assert run.error is not None
    assert "The credentials of connector 'kept' cannot be decrypted" in run.error
