"""The configuration services against real PostgreSQL, as the CLI and admin API use them."""

from __future__ import annotations

import ipaddress
from datetime import datetime

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from goldsphere_pipelines.connectors.configuration import (
    ConnectorNotFoundError,
    add_connector,
    disable_connector,
    enable_connector,
    get_connector,
    list_connectors,
    load_credentials,
    rotate_credentials_key,
    show_connector,
    update_connector,
)
from goldsphere_pipelines.connectors.models import (
    ConnectorCreate,
    ConnectorStatus,
    ConnectorUpdate,
)
from goldsphere_pipelines.connectors.validation import ConnectorValidationError, IPAddress
from goldsphere_pipelines.storage.connectors import ConnectorNameTakenError, ConnectorRepository
from goldsphere_pipelines.storage.credentials import (
    CredentialCipher,
    CredentialKeyError,
    generate_key,
)
from goldsphere_pipelines.woocommerce.credentials import AuthMode
from goldsphere_pipelines_tests.connectors.test_connector_validation import self_signed_pem
from goldsphere_pipelines_tests.storage.connector_factories import (
    consumer_key,
    consumer_secret,
    database_text,
    row_counts,
)

EMPTY = {"external_connector": 0, "external_credential": 0, "external_sync_config": 0}


def public_resolver(host: str, port: int) -> list[IPAddress]:
    return [ipaddress.ip_address("93.184.216.34")]


@pytest.fixture
def original_key() -> str:
    return generate_key()


@pytest.fixture
def cipher(original_key: str) -> CredentialCipher:
    return CredentialCipher([original_key], source="GOLDSPHERE_CREDENTIALS_KEY")


def _create(base_url: str = "https://shop.example.com", **fields: object) -> ConnectorCreate:
    return _request({"base_url": base_url, **fields})


def _request(fields: dict[str, object]) -> ConnectorCreate:
    defaults: dict[str, object] = {
        "base_url": "https://shop.example.com",
        "consumer_key": SecretStr(consumer_key()),
        "consumer_secret": SecretStr(consumer_secret()),
    }
    return ConnectorCreate.model_validate(defaults | fields)


def test_add_stores_the_connector_and_only_ciphertext(
    db: sa.Engine, cipher: CredentialCipher
) -> None:
    key, secret = consumer_key(), consumer_secret()
    request = _create(
        "https://Shop.Example.com/wp-json/wc/v3/",
        consumer_key=SecretStr(key),
        consumer_secret=SecretStr(secret),
        sync_orders=False,
    )

    summary = add_connector(db, cipher, request, resolver=public_resolver)

    assert (summary.name, summary.base_url, summary.auth_mode) == (
        "shop-example-com",
        "https://shop.example.com",
        AuthMode.BASIC,
    )
    assert (summary.sync_products, summary.sync_orders, summary.status) == (
        True,
        False,
        ConnectorStatus.ACTIVE,
    )
    assert summary.last_run is None
    dump = database_text(db)
    assert key not in dump
    assert secret not in dump
    connector = get_connector(db, "shop-example-com")
    credentials = load_credentials(db, cipher, connector)
    assert credentials.consumer_key.get_secret_value() == key
    assert credentials.consumer_secret.get_secret_value() == secret


def test_the_summary_serializes_in_camel_case_without_secrets(
    db: sa.Engine, cipher: CredentialCipher
) -> None:
    request = _create()
    summary = add_connector(db, cipher, request, resolver=public_resolver)

    data = summary.model_dump(mode="json")

    assert set(data) == {
        "id", "name", "type", "baseUrl", "status", "authMode", "hasCaBundle", "lastTestAt",
        "lastTestSuccess", "lastTestMessage", "syncProducts", "syncOrders", "lastRun",
            "createMissingProducers",
    }  # fmt: skip
    assert data["type"] == "woocommerce"
    text = summary.model_dump_json() + repr(request) + str(request)
    assert request.consumer_key.get_secret_value() not in text
    assert request.consumer_secret.get_secret_value() not in text


def test_the_admin_api_may_send_camel_case_and_nothing_unknown() -> None:
    body = {
        "type": "woocommerce",
        "baseUrl": "https://shop.example.com",
        "consumerKey": consumer_key(),
        "consumerSecret": consumer_secret(),
        "authMode": "query",
        "caBundle": None,
        "syncProducts": True,
        "syncOrders": False,
    }

    request = ConnectorCreate.model_validate(body)

    assert (request.auth_mode, request.sync_orders) == (AuthMode.QUERY, False)
    with pytest.raises(ValueError, match="extra"):
        ConnectorCreate.model_validate(body | {"isAdmin": True})


def test_a_loopback_sandbox_gets_oauth1_and_a_name_with_its_port(
    db: sa.Engine, cipher: CredentialCipher
) -> None:
    summary = add_connector(db, cipher, _create("http://127.0.0.1:8099"))

    assert (summary.name, summary.auth_mode) == ("127-0-0-1-8099", AuthMode.OAUTH1)


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"base_url": "http://shop.example.com"}, "must use https://"),
        ({"base_url": "https://u:p@shop.example.com"}, "user name or password"),
        ({"base_url": "https://169.254.169.254"}, "cloud metadata"),
        ({"consumer_key": SecretStr("ck_123")}, "consumer key"),
        ({"consumer_secret": SecretStr("secret")}, "consumer secret"),
        ({"name": "Not A Slug"}, "not a valid name"),
        ({"ca_bundle_pem": "garbage"}, "no PEM certificate"),
    ],
)
def test_invalid_input_writes_nothing(
    db: sa.Engine, cipher: CredentialCipher, fields: dict[str, object], complaint: str
) -> None:
    request = _request(fields)

    with pytest.raises(ConnectorValidationError, match=complaint):
        add_connector(db, cipher, request, resolver=public_resolver)

    assert row_counts(db) == EMPTY


def test_a_duplicate_name_writes_nothing(db: sa.Engine, cipher: CredentialCipher) -> None:
    add_connector(db, cipher, _create(), resolver=public_resolver)

    with pytest.raises(ConnectorNameTakenError):
        add_connector(db, cipher, _create("https://shop.example.com/"), resolver=public_resolver)

    assert row_counts(db)["external_connector"] == 1


def test_update_keeps_what_is_omitted_including_the_credentials(
    db: sa.Engine, cipher: CredentialCipher
) -> None:
    request = _create(ca_bundle_pem=self_signed_pem())
    add_connector(db, cipher, request, resolver=public_resolver)

    summary = update_connector(db, cipher, "shop-example-com", ConnectorUpdate(sync_products=False))

    assert (summary.sync_products, summary.sync_orders, summary.has_ca_bundle) == (
        False,
        True,
        True,
    )
    assert summary.base_url == "https://shop.example.com"
    connector = get_connector(db, summary.name)
    assert connector.ca_bundle_pem == request.ca_bundle_pem
    assert "BEGIN CERTIFICATE" not in repr(connector)
    credentials = load_credentials(db, cipher, connector)
    assert credentials.consumer_key == request.consumer_key


def test_update_replaces_credentials_and_settings_together(
    db: sa.Engine, cipher: CredentialCipher
) -> None:
    created = add_connector(db, cipher, _create(), resolver=public_resolver)
    new_key, new_secret = consumer_key(), consumer_secret()

    summary = update_connector(
        db,
        cipher,
        str(created.id),
        ConnectorUpdate(
            base_url="https://moved.example.com/",
            auth_mode=AuthMode.QUERY,
            consumer_key=SecretStr(new_key),
            consumer_secret=SecretStr(new_secret),
        ),
        resolver=public_resolver,
    )

    assert (summary.name, summary.base_url, summary.auth_mode) == (
        "shop-example-com",
        "https://moved.example.com",
        AuthMode.QUERY,
    )
    credentials = load_credentials(db, cipher, get_connector(db, created.id))
    assert credentials.consumer_key.get_secret_value() == new_key
    assert credentials.consumer_secret.get_secret_value() == new_secret


def test_moving_to_plain_http_switches_to_oauth1_unless_asked_otherwise(
    db: sa.Engine, cipher: CredentialCipher
) -> None:
    add_connector(db, cipher, _create("https://localhost:8443"))

    moved = update_connector(
        db, cipher, "localhost-8443", ConnectorUpdate(base_url="http://localhost:8443")
    )
    proxied = update_connector(
        db, cipher, "localhost-8443", ConnectorUpdate(auth_mode=AuthMode.BASIC)
    )

    assert moved.auth_mode is AuthMode.OAUTH1
    assert proxied.auth_mode is AuthMode.BASIC


def test_update_refuses_half_a_key_pair_and_changes_nothing(
    db: sa.Engine, cipher: CredentialCipher
) -> None:
    add_connector(db, cipher, _create(), resolver=public_resolver)
    before = database_text(db)

    with pytest.raises(ConnectorValidationError, match="both the consumer key and"):
        update_connector(
            db,
            cipher,
            "shop-example-com",
            ConnectorUpdate(sync_orders=False, consumer_key=SecretStr(consumer_key())),
        )

    assert database_text(db) == before


def test_the_ca_bundle_can_be_removed_explicitly(db: sa.Engine, cipher: CredentialCipher) -> None:
    add_connector(db, cipher, _create(ca_bundle_pem=self_signed_pem()), resolver=public_resolver)

    summary = update_connector(
        db, cipher, "shop-example-com", ConnectorUpdate.model_validate({"caBundle": None})
    )

    assert summary.has_ca_bundle is False


def test_list_and_show_carry_the_newest_run(db: sa.Engine, cipher: CredentialCipher) -> None:
    created = add_connector(db, cipher, _create(), resolver=public_resolver)
    add_connector(db, cipher, _create("https://another.example.com"), resolver=public_resolver)
    with db.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO external_sync_run (connector_id, status, started_at, finished_at, "
                "stats_json) VALUES (:id, 'success', :at, :at, '{\"orders\": {\"new\": 2}}')"
            ),
            {"id": created.id, "at": datetime(2025, 1, 2, 3, 4, 5)},
        )

    listed = list_connectors(db)
    shown = show_connector(db, "shop-example-com")

    assert [s.name for s in listed] == ["another-example-com", "shop-example-com"]
    assert listed[0].last_run is None
    assert shown.last_run == listed[1].last_run
    assert shown.last_run is not None
    assert shown.last_run.stats == {"orders": {"new": 2}}
    assert shown.model_dump(mode="json")["lastRun"]["startedAt"] == "2025-01-02T03:04:05Z"


def test_disable_and_enable(db: sa.Engine, cipher: CredentialCipher) -> None:
    created = add_connector(db, cipher, _create(), resolver=public_resolver)

    assert disable_connector(db, "shop-example-com").status is ConnectorStatus.DISABLED
    assert enable_connector(db, "shop-example-com").status is ConnectorStatus.ACTIVE
    ConnectorRepository(db).record_test_result(created.id, False, "Timed out.")
    disable_connector(db, created.id)
    assert enable_connector(db, created.id).status is ConnectorStatus.ERROR


def test_unknown_connectors_are_reported_by_name(db: sa.Engine) -> None:
    with pytest.raises(ConnectorNotFoundError, match="No connector named 'nope'"):
        show_connector(db, "nope")


def test_rotating_the_key_keeps_every_credential_readable_with_the_new_key_alone(
    db: sa.Engine, cipher: CredentialCipher, original_key: str
) -> None:
    first, second = _create(), _create("https://another.example.com")
    add_connector(db, cipher, first, resolver=public_resolver)
    add_connector(db, cipher, second, resolver=public_resolver)
    new_key = generate_key()
    both = CredentialCipher([new_key, original_key], source="both")

    assert rotate_credentials_key(db, both) == 2

    only_new = CredentialCipher([new_key], source="new")
    credentials = load_credentials(db, only_new, get_connector(db, "shop-example-com"))
    assert credentials.consumer_secret == first.consumer_secret
    with pytest.raises(CredentialKeyError):
        load_credentials(db, cipher, get_connector(db, "another-example-com"))


def test_a_wrong_key_names_the_connector_and_rotation_changes_nothing(
    db: sa.Engine, cipher: CredentialCipher
) -> None:
    add_connector(db, cipher, _create(), resolver=public_resolver)
    wrong = CredentialCipher([generate_key()], source="GOLDSPHERE_CREDENTIALS_KEY")
    before = database_text(db)

    with pytest.raises(CredentialKeyError, match="connector 'shop-example-com'"):
        load_credentials(db, wrong, get_connector(db, "shop-example-com"))
    with pytest.raises(CredentialKeyError, match="connector 'shop-example-com'"):
        rotate_credentials_key(db, wrong)

    assert database_text(db) == before
