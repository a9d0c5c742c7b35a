"""Configuring connectors: the use cases behind `goldsphere connectors …` and the admin API.

Each function validates its whole input before writing anything, raises a one-line
`GoldsphereError` an admin can act on, and returns the connector's camelCase summary.
Consumer keys and secrets are encrypted here, before they reach the repository, and
decrypted only by `load_credentials`, for the one connector a run needs.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import SecretStr
from sqlalchemy.engine import Engine

from goldsphere_pipelines.connectors.models import (
    Connector,
    ConnectorCreate,
    ConnectorStatus,
    ConnectorSummary,
    ConnectorUpdate,
    LastRunSummary,
)
from goldsphere_pipelines.connectors.validation import (
    ConnectorValidationError,
    HostResolver,
    about_field,
    choose_auth_mode,
    default_name,
    parse_store_url,
    system_resolver,
    validate_ca_bundle,
    validate_consumer_key,
    validate_consumer_secret,
    validate_name,
    validate_store_url,
)
from goldsphere_pipelines.errors import GoldsphereError
from goldsphere_pipelines.storage.connectors import (
    ConnectorChanges,
    ConnectorRecord,
    ConnectorRepository,
    EncryptedCredentials,
    NewConnector,
    StoredCredentials,
    SyncRunRecord,
)
from goldsphere_pipelines.storage.credentials import CredentialCipher
from goldsphere_pipelines.woocommerce.credentials import AuthMode, WooCredentials


class ConnectorNotFoundError(GoldsphereError):
    """No connector has the given name or id."""

    code = "connector_not_found"


def add_connector(
    engine: Engine,
    cipher: CredentialCipher,
    request: ConnectorCreate,
    *,
    resolver: HostResolver = system_resolver,
) -> ConnectorSummary:
    """Validate `request`, then store the connector, its encrypted credentials and its
    sync config together. Nothing is written when any part is refused."""
    with about_field("base_url"):
        store_url = validate_store_url(request.base_url, resolver=resolver)
    with about_field("name"):
        name = validate_name(request.name) if request.name is not None else default_name(store_url)
    with about_field("consumer_key"):
        key = validate_consumer_key(request.consumer_key.get_secret_value())
    with about_field("consumer_secret"):
        secret = validate_consumer_secret(request.consumer_secret.get_secret_value())
    with about_field("ca_bundle_pem"):
        ca_bundle = (
            validate_ca_bundle(request.ca_bundle_pem, store_url)
            if request.ca_bundle_pem is not None
            else None
        )
    record = ConnectorRepository(engine).create(
        NewConnector(
            name=name,
            base_url=store_url.url,
            auth_mode=choose_auth_mode(store_url, request.auth_mode).value,
            sync_products=request.sync_products,
            sync_orders=request.sync_orders,
            ca_bundle_pem=ca_bundle,
            create_missing_producers=request.create_missing_producers,
        ),
        _encrypt(cipher, key, secret),
    )
    return _summary(record, None)


def update_connector(
    engine: Engine,
    cipher: CredentialCipher,
    name_or_id: str | UUID,
    request: ConnectorUpdate,
    *,
    resolver: HostResolver = system_resolver,
) -> ConnectorSummary:
    """Apply the fields given in `request`; omitted ones (key and secret included) keep
    their stored values. When the URL's scheme changes and no auth mode is given, the
    new scheme's default applies (basic for https, oauth1 for http)."""
    repository = ConnectorRepository(engine)
    current = _find(repository, name_or_id)
    stored_url = parse_store_url(current.base_url)
    with about_field("base_url"):
        store_url = (
            validate_store_url(request.base_url, resolver=resolver)
            if request.base_url is not None
            else stored_url
        )
    auth_mode: AuthMode | None = request.auth_mode
    if auth_mode is None and store_url.scheme != stored_url.scheme:
        auth_mode = choose_auth_mode(store_url, None)
    with about_field("ca_bundle_pem"):
        ca_bundle = (
            validate_ca_bundle(request.ca_bundle_pem, store_url)
            if request.ca_bundle_pem is not None
            else None
        )
    credentials = _new_credentials(cipher, request.consumer_key, request.consumer_secret)
    record = repository.update(
        current.id,
        ConnectorChanges(
            base_url=store_url.url if store_url.url != current.base_url else None,
            auth_mode=auth_mode.value if auth_mode is not None else None,
            ca_bundle_pem=ca_bundle,
            clear_ca_bundle=request.removes_ca_bundle,
            sync_products=request.sync_products,
            sync_orders=request.sync_orders,
            create_missing_producers=request.create_missing_producers,
        ),
        credentials=credentials,
    )
    return _summary(record, repository.last_run(record.id))


def list_connectors(engine: Engine) -> list[ConnectorSummary]:
    """Every connector, by name, each with its newest sync run."""
    return [
        _summary(record, run) for record, run in ConnectorRepository(engine).list_with_last_run()
    ]


def show_connector(engine: Engine, name_or_id: str | UUID) -> ConnectorSummary:
    """One connector's summary; `ConnectorNotFoundError` when there is none."""
    repository = ConnectorRepository(engine)
    record = _find(repository, name_or_id)
    return _summary(record, repository.last_run(record.id))


def get_connector(engine: Engine, name_or_id: str | UUID) -> Connector:
    """The domain model of one connector (no credentials)."""
    return connector_from_record(_find(ConnectorRepository(engine), name_or_id))


def disable_connector(engine: Engine, name_or_id: str | UUID) -> ConnectorSummary:
    """Mark the connector disabled: kept with its data and credentials, not synced."""
    repository = ConnectorRepository(engine)
    record = repository.set_status(_find(repository, name_or_id).id, ConnectorStatus.DISABLED.value)
    return _summary(record, repository.last_run(record.id))


def enable_connector(engine: Engine, name_or_id: str | UUID) -> ConnectorSummary:
    """Undo `disable_connector`: active again, or error when its last test failed."""
    repository = ConnectorRepository(engine)
    current = _find(repository, name_or_id)
    status = ConnectorStatus.ERROR if current.last_test_success is False else ConnectorStatus.ACTIVE
    record = repository.set_status(current.id, status.value)
    return _summary(record, repository.last_run(record.id))


def rotate_credentials_key(engine: Engine, cipher: CredentialCipher) -> int:
    """Re-encrypt every stored credential with the cipher's first key; return how many
    connectors were re-encrypted. All or nothing: a credential no key can decrypt raises
    `CredentialKeyError` naming its connector, and nothing changes."""

    def reencrypt(stored: StoredCredentials) -> EncryptedCredentials:
        name = stored.connector_name
        return EncryptedCredentials(
            encrypted_key=cipher.rotate(stored.credentials.encrypted_key, connector_name=name),
            encrypted_secret=cipher.rotate(
                stored.credentials.encrypted_secret, connector_name=name
            ),
        )

    return ConnectorRepository(engine).reencrypt_all_credentials(reencrypt)


def load_credentials(
    engine: Engine, cipher: CredentialCipher, connector: Connector
) -> WooCredentials:
    """The decrypted consumer key and secret of `connector`, for its WooCommerce client.

    `CredentialKeyError` (naming the connector) when the configured keys do not fit.
    """
    stored = ConnectorRepository(engine).encrypted_credentials(connector.id)
    return WooCredentials(
        consumer_key=SecretStr(cipher.decrypt(stored.encrypted_key, connector_name=connector.name)),
        consumer_secret=SecretStr(
            cipher.decrypt(stored.encrypted_secret, connector_name=connector.name)
        ),
    )


def connector_from_record(record: ConnectorRecord) -> Connector:
    return Connector(
        id=record.id,
        name=record.name,
        base_url=record.base_url,
        status=ConnectorStatus(record.status),
        auth_mode=AuthMode(record.auth_mode),
        ca_bundle_pem=record.ca_bundle_pem,
        sync_products=record.sync_products,
        sync_orders=record.sync_orders,
        create_missing_producers=record.create_missing_producers,
        last_test_at=record.last_test_at,
        last_test_success=record.last_test_success,
        last_test_message=record.last_test_message,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def _find(repository: ConnectorRepository, name_or_id: str | UUID) -> ConnectorRecord:
    if isinstance(name_or_id, UUID):
        record = repository.get_by_id(name_or_id)
    else:
        candidate = name_or_id.strip()
        as_id = _as_uuid(candidate)
        record = repository.get_by_id(as_id) if as_id is not None else None
        if record is None:
            record = repository.get_by_name(candidate)
    if record is None:
        raise ConnectorNotFoundError(
            f"No connector named {str(name_or_id)[:80]!r}; "
            "`goldsphere connectors list` shows the configured ones."
        )
    return record


def _as_uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def _new_credentials(
    cipher: CredentialCipher, key: SecretStr | None, secret: SecretStr | None
) -> EncryptedCredentials | None:
    if key is None and secret is None:
        return None
    if key is None or secret is None:
        raise ConnectorValidationError(
            "Give both the consumer key and the consumer secret: WooCommerce creates them "
            "as a pair, and one without the other would not authenticate."
        )
    with about_field("consumer_key"):
        valid_key = validate_consumer_key(key.get_secret_value())
    with about_field("consumer_secret"):
        valid_secret = validate_consumer_secret(secret.get_secret_value())
    return _encrypt(cipher, valid_key, valid_secret)


def _encrypt(cipher: CredentialCipher, key: str, secret: str) -> EncryptedCredentials:
    return EncryptedCredentials(
        encrypted_key=cipher.encrypt(key), encrypted_secret=cipher.encrypt(secret)
    )


def _summary(record: ConnectorRecord, run: SyncRunRecord | None) -> ConnectorSummary:
    connector = connector_from_record(record)
    return ConnectorSummary(
        id=connector.id,
        name=connector.name,
        type=connector.type,
        base_url=connector.base_url,
        status=connector.status,
        auth_mode=connector.auth_mode,
        has_ca_bundle=connector.ca_bundle_pem is not None,
        last_test_at=connector.last_test_at,
        last_test_success=connector.last_test_success,
        last_test_message=connector.last_test_message,
        sync_products=connector.sync_products,
        sync_orders=connector.sync_orders,
        create_missing_producers=connector.create_missing_producers,
        last_run=_last_run(run) if run is not None else None,
    )


def _last_run(run: SyncRunRecord) -> LastRunSummary:
    return LastRunSummary.model_validate(
        {
            "id": run.id,
            "status": run.status,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "stats": dict(run.stats),
            "error": run.error,
        }
    )
