"""`goldsphere connectors …` and `goldsphere credentials …` as an admin runs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from goldsphere_pipelines.cli import main
from goldsphere_pipelines.connectors.configuration import get_connector, load_credentials
from goldsphere_pipelines.storage.credentials import CredentialCipher, generate_key
from goldsphere_pipelines_tests.connectors.test_connector_validation import self_signed_pem
from goldsphere_pipelines_tests.storage.connector_factories import (
    consumer_key,
    consumer_secret,
    database_text,
    row_counts,
)


class Admin:
    """Runs `goldsphere` against the test database and keeps every output it saw."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
        self.monkeypatch = monkeypatch
        self.credentials_key = generate_key()
        self.key, self.secret = consumer_key(), consumer_secret()
        self.outputs: list[str] = []
        monkeypatch.delenv("GOLDSPHERE_ALLOW_PRIVATE_STORE_URLS", raising=False)
        monkeypatch.setenv("GOLDSPHERE_DATABASE_URL", database_url)
        monkeypatch.setenv("GOLDSPHERE_CREDENTIALS_KEY", self.credentials_key)
        self.use_store_keys(self.key, self.secret)

    def use_store_keys(self, key: str, secret: str) -> None:
        self.monkeypatch.setenv("GOLDSPHERE_WC_CONSUMER_KEY", key)
        self.monkeypatch.setenv("GOLDSPHERE_WC_CONSUMER_SECRET", secret)

    def run(self, *args: str, input: str | None = None) -> Result:
        result = CliRunner().invoke(main, list(args), input=input)
        self.outputs.append(result.stdout + result.stderr)
        return result

    def ok(self, *args: str, input: str | None = None) -> Result:
        result = self.run(*args, input=input)
        assert result.exit_code == 0, result.output
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)


@pytest.fixture
def admin(db: sa.Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Admin:
    return Admin(monkeypatch, database_url)


def assert_refused(result: Result, complaint: str) -> None:
    """Exit status ≠ 0, one line on stderr that says what is wrong, nothing on stdout."""
    assert result.exit_code != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert complaint in lines[0]


def test_add_prints_the_summary_as_camel_case_json(admin: Admin) -> None:
    summary = admin.json("connectors", "add", "--base-url", "https://shop.example.com")

    assert summary["name"] == "shop-example-com"
    assert summary["baseUrl"] == "https://shop.example.com"
    assert (summary["type"], summary["status"], summary["authMode"]) == (
        "woocommerce",
        "active",
        "basic",
    )
    assert (summary["syncProducts"], summary["syncOrders"]) == (True, True)
    assert summary["lastTestAt"] is None
    assert summary["lastRun"] is None


def test_list_show_update_disable(admin: Admin) -> None:
    admin.ok("connectors", "add", "--base-url", "https://shop.example.com", "--no-sync-orders")
    admin.ok("connectors", "add", "--base-url", "http://127.0.0.1:8099", "--name", "sandbox")

    listed = admin.json("connectors", "list")
    assert [(c["name"], c["authMode"], c["syncOrders"]) for c in listed] == [
        ("sandbox", "oauth1", True),
        ("shop-example-com", "basic", False),
    ]
    table = admin.ok("connectors", "list").stdout
    assert "shop-example-com" in table
    assert "products" in table

    updated = admin.json(
        "connectors", "update", "shop-example-com", "--sync-orders", "--no-sync-products",
        "--auth", "query", "--base-url", "https://shop.example.com/wp-json/wc/v3",
    )  # fmt: skip
    assert (updated["syncProducts"], updated["syncOrders"], updated["authMode"]) == (
        False,
        True,
        "query",
    )
    assert admin.json("connectors", "show", "shop-example-com") == updated
    assert "auth:      query" in admin.ok("connectors", "show", "shop-example-com").stdout

    admin.ok("connectors", "disable", "shop-example-com")
    assert admin.json("connectors", "show", "shop-example-com")["status"] == "disabled"
    admin.ok("connectors", "enable", "shop-example-com")
    assert admin.json("connectors", "show", "shop-example-com")["status"] == "active"


def test_a_ca_bundle_is_read_from_a_file_and_stored(admin: Admin, tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text(self_signed_pem())

    summary = admin.json(
        "connectors", "add", "--base-url", "https://shop.example.com", "--ca-bundle", str(bundle)
    )
    assert summary["hasCaBundle"] is True
    removed = admin.json("connectors", "update", "shop-example-com", "--no-ca-bundle")
    assert removed["hasCaBundle"] is False

    missing = admin.run(
        "connectors", "update", "shop-example-com", "--ca-bundle", str(tmp_path / "none.pem")
    )
    assert_refused(missing, "Cannot read the CA bundle")


def test_secrets_may_come_from_a_hidden_prompt(admin: Admin, db: sa.Engine) -> None:
    admin.monkeypatch.delenv("GOLDSPHERE_WC_CONSUMER_KEY")
    admin.monkeypatch.delenv("GOLDSPHERE_WC_CONSUMER_SECRET")

    result = admin.ok(
        "connectors", "add", "--base-url", "https://shop.example.com",
        input=f"{admin.key}\n{admin.secret}\n",
    )  # fmt: skip

    assert "Consumer key" in result.stderr
    assert admin.key not in result.output
    assert admin.secret not in result.output
    assert row_counts(db)["external_connector"] == 1


def test_no_secret_and_no_prompt_answer_is_a_one_line_error(admin: Admin, db: sa.Engine) -> None:
    admin.monkeypatch.delenv("GOLDSPHERE_WC_CONSUMER_KEY")

    result = admin.run("connectors", "add", "--base-url", "https://shop.example.com", input="")

    assert result.exit_code != 0
    assert "GOLDSPHERE_WC_CONSUMER_KEY" in result.stderr.strip().splitlines()[-1]
    assert row_counts(db)["external_connector"] == 0


@pytest.mark.parametrize(
    ("base_url", "complaint"),
    [
        ("http://shop.example.com", "must use https://"),
        ("https://admin:pw@shop.example.com", "user name or password"),
        ("https://shop.example.com/?a=1", "query"),
        ("https://169.254.169.254", "cloud metadata"),
        ("https://10.0.0.7", "GOLDSPHERE_ALLOW_PRIVATE_STORE_URLS=1"),
    ],
)
def test_a_bad_base_url_is_one_line_and_writes_nothing(
    admin: Admin, db: sa.Engine, base_url: str, complaint: str
) -> None:
    assert_refused(admin.run("connectors", "add", "--base-url", base_url), complaint)
    assert set(row_counts(db).values()) == {0}


def test_private_store_urls_are_allowed_when_the_operator_opts_in(admin: Admin) -> None:
    admin.monkeypatch.setenv("GOLDSPHERE_ALLOW_PRIVATE_STORE_URLS", "1")

    assert admin.json("connectors", "add", "--base-url", "https://10.0.0.7")["name"] == "10-0-0-7"


@pytest.mark.parametrize(
    ("key", "secret", "complaint"),
    [
        ("ck_123", None, "consumer key"),
        (None, "cs_" + "g" * 40, "consumer secret"),
    ],
)
def test_a_malformed_key_is_one_line_and_writes_nothing(
    admin: Admin, db: sa.Engine, key: str | None, secret: str | None, complaint: str
) -> None:
    admin.use_store_keys(key or admin.key, secret or admin.secret)

    result = admin.run("connectors", "add", "--base-url", "https://shop.example.com")

    assert_refused(result, complaint)
    assert set(row_counts(db).values()) == {0}
    assert (key or secret or "") not in result.stderr


def test_a_duplicate_name_is_one_line_and_writes_nothing(admin: Admin, db: sa.Engine) -> None:
    admin.ok("connectors", "add", "--base-url", "https://shop.example.com")
    before = database_text(db)

    result = admin.run("connectors", "add", "--base-url", "https://shop.example.com/shop")

    assert_refused(result, "'shop-example-com' already exists")
    assert database_text(db) == before


def test_an_unknown_connector_is_one_line(admin: Admin) -> None:
    assert_refused(admin.run("connectors", "show", "nope"), "No connector named 'nope'")
    assert_refused(admin.run("connectors", "disable", "nope"), "No connector named 'nope'")


def test_a_real_database_without_a_credentials_key_is_refused(admin: Admin, db: sa.Engine) -> None:
    admin.monkeypatch.delenv("GOLDSPHERE_CREDENTIALS_KEY")

    result = admin.run("connectors", "add", "--base-url", "https://shop.example.com")

    assert_refused(result, "goldsphere credentials generate-key")
    assert row_counts(db)["external_connector"] == 0


def test_a_wrong_credentials_key_names_the_connector_and_changes_nothing(
    admin: Admin, db: sa.Engine
) -> None:
    admin.ok("connectors", "add", "--base-url", "https://shop.example.com")
    before = database_text(db)
    admin.monkeypatch.setenv("GOLDSPHERE_CREDENTIALS_KEY", generate_key())

    result = admin.run("credentials", "rotate-key")

    assert_refused(result, "connector 'shop-example-com'")
    assert database_text(db) == before


def test_generate_key_prints_only_a_key_on_stdout(admin: Admin) -> None:
    result = admin.ok("credentials", "generate-key")

    CredentialCipher([result.stdout.strip()], source="printed")
    assert "GOLDSPHERE_CREDENTIALS_KEY" in result.stderr


def test_no_secret_reaches_the_database_or_any_output(admin: Admin, db: sa.Engine) -> None:
    first_key, first_secret = admin.key, admin.secret
    admin.json("connectors", "add", "--base-url", "https://shop.example.com")
    admin.ok("connectors", "add", "--base-url", "http://127.0.0.1:8099")
    new_key, new_secret = consumer_key(), consumer_secret()
    admin.use_store_keys(new_key, new_secret)
    admin.json("connectors", "update", "shop-example-com", "--rotate-credentials")
    admin.json("connectors", "list")
    admin.json("connectors", "show", "shop-example-com")
    admin.ok("connectors", "list")
    admin.ok("connectors", "show", "127-0-0-1-8099")
    new_credentials_key = generate_key()
    admin.monkeypatch.setenv(
        "GOLDSPHERE_CREDENTIALS_KEY", f"{new_credentials_key},{admin.credentials_key}"
    )
    admin.ok("credentials", "rotate-key")

    secrets = [first_key, first_secret, new_key, new_secret]
    secrets += [admin.credentials_key, new_credentials_key]
    dump = database_text(db)
    assert "gAAAA" in dump  # the scan does see the credential rows (Fernet tokens)
    haystack = dump + "\n".join(admin.outputs)
    assert [s for s in secrets if s in haystack] == []

    # After rotation the new key alone reads both connectors' credentials.
    only_new = CredentialCipher([new_credentials_key], source="new")
    rotated = load_credentials(db, only_new, get_connector(db, "shop-example-com"))
    assert rotated.consumer_key.get_secret_value() == new_key
    assert rotated.consumer_secret.get_secret_value() == new_secret
    sandbox = load_credentials(db, only_new, get_connector(db, "127-0-0-1-8099"))
    assert sandbox.consumer_secret.get_secret_value() == first_secret
