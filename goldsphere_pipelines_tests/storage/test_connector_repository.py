from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from goldsphere_pipelines.storage.connectors import (
    ConnectorChanges,
    ConnectorMissingError,
    ConnectorNameTakenError,
    ConnectorRecord,
    ConnectorRepository,
    EncryptedCredentials,
    NewConnector,
    StoredCredentials,
)
from goldsphere_pipelines_tests.storage.connector_factories import row_counts

TOKENS = EncryptedCredentials(encrypted_key="token-key", encrypted_secret="token-secret")


def _new(name: str = "shop-example-com", **overrides: object) -> NewConnector:
    fields: dict[str, object] = {
        "name": name,
        "base_url": f"https://{name}.example",
        "auth_mode": "basic",
        "sync_products": True,
        "sync_orders": False,
    }
    fields.update(overrides)
    return NewConnector(**fields)  # type: ignore[arg-type]


def _add_run(
    engine: sa.Engine, connector_id: UUID, status: str, started_at: datetime, **extra: object
) -> UUID:
    with engine.begin() as conn:
        run_id: UUID = conn.execute(
            sa.text(
                "INSERT INTO external_sync_run "
                "(connector_id, status, started_at, stats_json, error) "
                "VALUES (:cid, :status, :started, CAST(:stats AS jsonb), :error) RETURNING id"
            ),
            {
                "cid": connector_id,
                "status": status,
                "started": started_at.replace(tzinfo=None),
                "stats": extra.get("stats", "{}"),
                "error": extra.get("error"),
            },
        ).scalar_one()
    return run_id


def test_create_writes_connector_credential_and_sync_config_together(db: sa.Engine) -> None:
    repository = ConnectorRepository(db)

    created = repository.create(_new(ca_bundle_pem="PEM"), TOKENS)

    assert isinstance(created, ConnectorRecord)
    assert (created.name, created.status, created.auth_mode) == (
        "shop-example-com",
        "active",
        "basic",
    )
    assert (created.sync_products, created.sync_orders) == (True, False)
    assert created.ca_bundle_pem == "PEM"
    assert created.created_at.tzinfo is UTC
    assert repository.get_by_name("shop-example-com") == created
    assert repository.get_by_id(created.id) == created
    assert repository.encrypted_credentials(created.id) == TOKENS
    assert row_counts(db) == {
        "external_connector": 1,
        "external_credential": 1,
        "external_sync_config": 1,
    }


def test_a_taken_name_is_refused_and_nothing_is_written(db: sa.Engine) -> None:
    repository = ConnectorRepository(db)
    repository.create(_new(), TOKENS)

    with pytest.raises(ConnectorNameTakenError) as caught:
        repository.create(_new(base_url="https://other.example"), TOKENS)

    assert "'shop-example-com' already exists" in str(caught.value)
    assert row_counts(db) == {
        "external_connector": 1,
        "external_credential": 1,
        "external_sync_config": 1,
    }


def test_records_keep_the_ca_bundle_and_tokens_out_of_repr(db: sa.Engine) -> None:
    created = ConnectorRepository(db).create(_new(ca_bundle_pem="-----PEM-----"), TOKENS)

    assert "-----PEM-----" not in repr(created)
    assert "token-secret" not in repr(TOKENS)


def test_unknown_connectors_are_none_or_a_clear_error(db: sa.Engine) -> None:
    repository = ConnectorRepository(db)

    assert repository.get_by_name("nope") is None
    assert repository.get_by_id(uuid4()) is None
    with pytest.raises(ConnectorMissingError):
        repository.set_status(uuid4(), "disabled")
    with pytest.raises(ConnectorMissingError):
        repository.encrypted_credentials(uuid4())


def test_list_pairs_each_connector_with_its_newest_run(db: sa.Engine) -> None:
    repository = ConnectorRepository(db)
    busy = repository.create(_new("busy"), TOKENS)
    repository.create(_new("idle"), TOKENS)
    now = datetime.now(UTC)
    _add_run(db, busy.id, "success", now - timedelta(hours=2))
    newest = _add_run(
        db,
        busy.id,
        "failed",
        now - timedelta(minutes=5),
        stats='{"products": {"fetched": 3}}',
        error="WooCommerce rejected the key.",
    )
    _add_run(db, busy.id, "success", now - timedelta(hours=1))

    listed = repository.list_with_last_run()

    assert [record.name for record, _ in listed] == ["busy", "idle"]
    busy_run = listed[0][1]
    assert busy_run is not None
    assert (busy_run.id, busy_run.status, busy_run.error) == (
        newest,
        "failed",
        "WooCommerce rejected the key.",
    )
    assert busy_run.stats == {"products": {"fetched": 3}}
    assert busy_run.started_at.tzinfo is UTC
    assert listed[1][1] is None
    assert repository.last_run(busy.id) == busy_run


def test_update_changes_only_what_is_given(db: sa.Engine) -> None:
    repository = ConnectorRepository(db)
    created = repository.create(_new(ca_bundle_pem="PEM"), TOKENS)

    updated = repository.update(created.id, ConnectorChanges(auth_mode="query", sync_orders=True))

    assert (updated.auth_mode, updated.sync_orders) == ("query", True)
    assert (updated.base_url, updated.sync_products, updated.ca_bundle_pem) == (
        created.base_url,
        True,
        "PEM",
    )
    assert updated.updated_at >= created.updated_at
    cleared = repository.update(created.id, ConnectorChanges(clear_ca_bundle=True))
    assert cleared.ca_bundle_pem is None


def test_update_with_credentials_replaces_them_in_the_same_transaction(db: sa.Engine) -> None:
    repository = ConnectorRepository(db)
    created = repository.create(_new(), TOKENS)
    fresh = EncryptedCredentials("new-key", "new-secret")

    repository.update(
        created.id, ConnectorChanges(base_url="https://moved.example"), credentials=fresh
    )

    assert repository.encrypted_credentials(created.id) == fresh
    assert row_counts(db)["external_credential"] == 1


def test_a_renamed_connector_is_refused_by_the_database(db: sa.Engine) -> None:
    created = ConnectorRepository(db).create(_new(), TOKENS)

    with pytest.raises(sa.exc.DBAPIError), db.begin() as conn:
        conn.execute(
            sa.text("UPDATE external_connector SET name = 'renamed' WHERE id = :id"),
            {"id": created.id},
        )


def test_test_results_set_the_status_unless_disabled(db: sa.Engine) -> None:
    repository = ConnectorRepository(db)
    created = repository.create(_new(), TOKENS)

    repository.record_test_result(created.id, False, "WooCommerce rejected the key.")
    failed = repository.get_by_id(created.id)
    assert failed is not None
    assert (failed.status, failed.last_test_success, failed.last_test_message) == (
        "error",
        False,
        "WooCommerce rejected the key.",
    )
    assert failed.last_test_at is not None

    repository.record_test_result(created.id, True, "Connected to WooCommerce 9.1.")
    assert repository.get_by_id(created.id).status == "active"  # type: ignore[union-attr]

    repository.set_status(created.id, "disabled")
    repository.record_test_result(created.id, False, "Timed out.")
    disabled = repository.get_by_id(created.id)
    assert disabled is not None
    assert (disabled.status, disabled.last_test_message) == ("disabled", "Timed out.")


def test_reencrypting_all_credentials_is_all_or_nothing(db: sa.Engine) -> None:
    repository = ConnectorRepository(db)
    first = repository.create(_new("first"), EncryptedCredentials("k1", "s1"))
    second = repository.create(_new("second"), EncryptedCredentials("k2", "s2"))

    def fail_on_second(stored: StoredCredentials) -> EncryptedCredentials:
        if stored.connector_name == "second":
            raise RuntimeError("cannot decrypt")
        return EncryptedCredentials("x", "x")

    with pytest.raises(RuntimeError):
        repository.reencrypt_all_credentials(fail_on_second)
    assert repository.encrypted_credentials(first.id) == EncryptedCredentials("k1", "s1")

    count = repository.reencrypt_all_credentials(
        lambda stored: EncryptedCredentials(
            stored.credentials.encrypted_key + "!", stored.credentials.encrypted_secret + "!"
        )
    )

    assert count == 2
    assert repository.encrypted_credentials(second.id) == EncryptedCredentials("k2!", "s2!")
    assert [s.connector_name for s in repository.all_encrypted_credentials()] == [
        "first",
        "second",
    ]
