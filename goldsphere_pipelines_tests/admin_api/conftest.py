"""An admin API on the test database, an admin to call it, a sandbox shop to test against.

Every response and every log record of this suite goes into one ledger, which the last
test (test_zz_no_secrets.py) scans for the suite's secrets.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from goldsphere_pipelines.admin_api import create_app
from goldsphere_pipelines.sandbox import RunningSandbox, SandboxConfig, run_sandbox
from goldsphere_pipelines_tests.admin_api.browser import chromium_path, launch_args, no_browser
from goldsphere_pipelines_tests.admin_api.dagster_webserver import RunningDagster, dagster_webserver
from goldsphere_pipelines_tests.admin_api.support import (
    Ledger,
    LedgerHandler,
    RefusingPort,
    SuiteSecrets,
    bearer,
    insert_user,
    make_token,
    recording_client,
    refusing_port,
    text_of_files,
)
from goldsphere_pipelines_tests.pipeline.conftest import sync
from goldsphere_pipelines_tests.rules.support import ensure_reference_data, misspell_producers

BROWSER_EXPECT_TIMEOUT_MS = 30_000
DOCTOR_GROUP = "order.order_status.unknown_status"
"""The doctor shop's group that needs a value (`--value pending`) to have a rule."""
PRODUCER_GROUP = "product.producer.unknown_producer"
"""The doctor shop's group with a proposal ('Perth' → Perth Mint) that fixes all of it."""

_SECRETS = SuiteSecrets()
_LEDGER = Ledger()


@pytest.fixture(scope="session")
def suite_secrets() -> SuiteSecrets:
    return _SECRETS


@pytest.fixture(scope="session")
def ledger() -> Ledger:
    return _LEDGER


@pytest.fixture(autouse=True)
def _record_logs(ledger: Ledger) -> Iterator[None]:
    """Every log record at every level, whatever the loggers' own levels say."""
    root = logging.getLogger()
    handler = LedgerHandler(ledger)
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


@pytest.fixture
def credentials_key(monkeypatch: pytest.MonkeyPatch, suite_secrets: SuiteSecrets) -> str:
    monkeypatch.setenv("GOLDSPHERE_CREDENTIALS_KEY", suite_secrets.credentials_key)
    return suite_secrets.credentials_key


@pytest.fixture(scope="session")
def dagster_down() -> Iterator[RefusingPort]:
    """Where no Dagster answers: a loopback port refusing connections."""
    yield from refusing_port()


@pytest.fixture(scope="session")
def shop(suite_secrets: SuiteSecrets) -> Iterator[RunningSandbox]:
    config = SandboxConfig(
        products=20,
        orders=50,
        consumer_key=SecretStr(suite_secrets.consumer_key),
        consumer_secret=SecretStr(suite_secrets.consumer_secret),
    )
    with run_sandbox(config, port=0) as running:
        yield running


@pytest.fixture(scope="module")
def dagster(
    tmp_path_factory: pytest.TempPathFactory,
    database_url: str,
    suite_secrets: SuiteSecrets,
    ledger: Ledger,
) -> Iterator[RunningDagster]:
    """A Dagster webserver (runs start at once, no daemon) on the session's database,
    for each module that asks: the modules' runs stay apart."""
    workdir = tmp_path_factory.mktemp("dagster")
    env = {
        "GOLDSPHERE_DATABASE_URL": database_url,
        "GOLDSPHERE_CREDENTIALS_KEY": suite_secrets.credentials_key,
        "GOLDSPHERE_HOME": str(workdir / "goldsphere-home"),
    }
    with dagster_webserver(workdir, env) as running:
        yield running
    # The webserver's log, the run logs and the event log all go to the secret scan.
    ledger.files.extend(text_of_files(workdir / "dagster-home"))
    ledger.files.append(Path(running.log_path).read_text(errors="replace"))


@pytest.fixture
def api_engine(db: sa.Engine) -> sa.Engine:
    """The database the API works on: emptied for each test. Modules whose tests do not
    care what the tables hold override this with the session's `engine` (no truncation)."""
    return db


@pytest.fixture
def app(
    api_engine: sa.Engine,
    credentials_key: str,
    suite_secrets: SuiteSecrets,
    dagster_down: RefusingPort,
) -> FastAPI:
    return create_app(api_engine, dagster_url=dagster_down.url, jwt_secret=suite_secrets.jwt_secret)


@dataclass
class Api:
    """A client with an active admin's token, and what it takes to make others."""

    client: TestClient
    engine: sa.Engine
    secrets: SuiteSecrets
    admin_id: uuid.UUID
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return bearer(self.token)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.auth, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.client.post(path, json=body, headers=self.auth, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.client.put(path, json=body, headers=self.auth, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.client.delete(path, headers=self.auth, **kwargs)

    def add_connector(self, base_url: str, name: str = "bullion-shop", **fields: Any) -> Any:
        body = {
            "baseUrl": base_url,
            "consumerKey": self.secrets.consumer_key,
            "consumerSecret": self.secrets.consumer_secret,
            "name": name,
            **fields,
        }
        response = self.post("/admin/connectors", body)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def api(app: FastAPI, api_engine: sa.Engine, ledger: Ledger, suite_secrets: SuiteSecrets) -> Api:
    admin_id = insert_user(api_engine)
    return Api(
        client=recording_client(app, ledger, suite_secrets),
        engine=api_engine,
        secrets=suite_secrets,
        admin_id=admin_id,
        token=make_token(suite_secrets, admin_id),
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium under Playwright, for one test module: Playwright's sync API keeps an
    event loop running in this thread while it is open, which later tests' `asyncio.run`
    would trip over."""
    executable = chromium_path()
    if executable is None:
        no_browser("no Chromium found (chromium, or GOLDSPHERE_CHROMIUM)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        no_browser("Playwright for Python is not installed (`make install`)")
    # Pages of a Dagster webserver on a shared CI machine take seconds, not milliseconds.
    expect.set_options(timeout=BROWSER_EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=executable, args=launch_args())
        except Exception as exc:  # the browser's own start-up failure, shown as the reason
            no_browser(f"Chromium at {executable} does not start ({str(exc)[:300]})")
        yield launched
        launched.close()


@pytest.fixture
def doctor_shop(api: Api) -> Iterator[RunningSandbox]:
    """A sandbox shop with one order whose status no goldsphere status resembles, and two
    products whose producer is spelled 'Perth' (the doctor maps it to Perth Mint)."""
    config = SandboxConfig(
        products=20,
        orders=40,
        seed=5,
        consumer_key=SecretStr(api.secrets.consumer_key),
        consumer_secret=SecretStr(api.secrets.consumer_secret),
    )
    with run_sandbox(config, port=0) as running:
        running.store.add_order(overrides={"status": "wc-awaiting-bank"})
        misspell_producers(running.store, 2, "Perth")
        yield running


@pytest.fixture
def doctor_connector(
    api: Api, doctor_shop: RunningSandbox, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """The doctor shop's connector, synced in-process: its failures are stored for the
    rules doctor (DOCTOR_GROUP among them)."""
    from goldsphere_pipelines.storage import engine as engine_module

    ensure_reference_data(api.engine)
    monkeypatch.setenv("GOLDSPHERE_DATABASE_URL", database_url)
    engine_module._engine_for.cache_clear()
    connector: dict[str, Any] = api.add_connector(doctor_shop.base_url, name="doctor-shop")
    assert sync(connector["name"]).success
    return connector
