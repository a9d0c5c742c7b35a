"""Persistence of connector configuration: the connector, its credential and sync config.

Rows come back as small frozen records in the database's own terms (plain strings for
status and auth mode, UTC-aware datetimes); `connectors/` turns them into domain models.
Credentials are stored and returned only as Fernet tokens: this module never sees a
plain secret. Every method runs in its own transaction; a method that writes several
rows writes all of them or none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from goldsphere_pipelines.errors import GoldsphereError

NAME_UNIQUE_CONSTRAINT = "external_connector_name_unique"


class ConnectorNameTakenError(GoldsphereError):
    """Another connector already has this name."""

    code = "connector_name_taken"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"A connector named '{name}' already exists. Choose another name with --name "
            "(names are permanent: they key the connector's Dagster partition)."
        )


class ConnectorMissingError(GoldsphereError):
    """The connector (or its credential row) is not in the database."""

    code = "connector_not_found"


@dataclass(frozen=True)
class EncryptedCredentials:
    """A consumer key and secret as Fernet tokens (kept out of `repr()` all the same)."""

    encrypted_key: str = field(repr=False)
    encrypted_secret: str = field(repr=False)


@dataclass(frozen=True)
class StoredCredentials:
    """One connector's encrypted credentials, with the name to put in error messages."""

    connector_id: UUID
    connector_name: str
    credentials: EncryptedCredentials


@dataclass(frozen=True)
class NewConnector:
    """Everything a new connector row set needs, already validated by the caller."""

    name: str
    base_url: str
    auth_mode: str
    sync_products: bool
    sync_orders: bool
    ca_bundle_pem: str | None = field(default=None, repr=False)
    type: str = "woocommerce"
    create_missing_producers: bool = True


@dataclass(frozen=True)
class ConnectorChanges:
    """Settings to change; `None` leaves a setting as stored.

    `ca_bundle_pem` replaces the stored bundle when given; `clear_ca_bundle` removes it.
    """

    base_url: str | None = None
    auth_mode: str | None = None
    ca_bundle_pem: str | None = field(default=None, repr=False)
    clear_ca_bundle: bool = False
    sync_products: bool | None = None
    sync_orders: bool | None = None
    create_missing_producers: bool | None = None


@dataclass(frozen=True)
class ConnectorRecord:
    """One external_connector row joined with its sync config."""

    id: UUID
    name: str
    type: str
    base_url: str
    status: str
    auth_mode: str
    ca_bundle_pem: str | None = field(repr=False)
    sync_products: bool
    sync_orders: bool
    last_test_at: datetime | None
    last_test_success: bool | None
    last_test_message: str | None
    created_at: datetime
    updated_at: datetime
    create_missing_producers: bool = True


@dataclass(frozen=True)
class SyncRunRecord:
    """One external_sync_run row, as the connector summary shows it."""

    id: UUID
    connector_id: UUID
    status: str
    started_at: datetime
    finished_at: datetime | None
    stats: Mapping[str, Any]
    error: str | None
    trigger: str


_CONNECTOR_COLUMNS = """
    c.id, c.name, c.type, c.base_url, c.status, c.auth_mode, c.ca_bundle_pem,
    coalesce(cfg.sync_products, true) AS sync_products,
    coalesce(cfg.sync_orders, true) AS sync_orders,
    coalesce(cfg.create_missing_producers, true) AS create_missing_producers,
    c.last_test_at, c.last_test_success, c.last_test_message, c.created_at, c.updated_at
"""

_CONNECTOR_SELECT = f"""
SELECT {_CONNECTOR_COLUMNS}
FROM external_connector c
LEFT JOIN external_sync_config cfg ON cfg.connector_id = c.id
"""

_RUN_COLUMNS = "id, connector_id, status, started_at, finished_at, stats_json, error, trigger"


class ConnectorRepository:
    """Connector configuration in PostgreSQL (external_connector, _credential, _sync_config)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, new: NewConnector, credentials: EncryptedCredentials) -> ConnectorRecord:
        """Insert the connector, its credential and its sync config in one transaction.

        `ConnectorNameTakenError` (and nothing written) when the name is in use.
        """
        try:
            with self._engine.begin() as conn:
                connector_id = conn.execute(
                    sa.text(
                        "INSERT INTO external_connector "
                        "(name, type, base_url, status, auth_mode, ca_bundle_pem) "
                        "VALUES (:name, :type, :base_url, 'active', :auth_mode, :ca_bundle_pem) "
                        "RETURNING id"
                    ),
                    {
                        "name": new.name,
                        "type": new.type,
                        "base_url": new.base_url,
                        "auth_mode": new.auth_mode,
                        "ca_bundle_pem": new.ca_bundle_pem,
                    },
                ).scalar_one()
                conn.execute(
                    sa.text(
                        "INSERT INTO external_credential "
                        "(connector_id, encrypted_key, encrypted_secret) "
                        "VALUES (:connector_id, :encrypted_key, :encrypted_secret)"
                    ),
                    {
                        "connector_id": connector_id,
                        "encrypted_key": credentials.encrypted_key,
                        "encrypted_secret": credentials.encrypted_secret,
                    },
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO external_sync_config "
                        "(connector_id, sync_products, sync_orders, create_missing_producers) "
                        "VALUES (:connector_id, :sync_products, :sync_orders, :create_missing)"
                    ),
                    {
                        "connector_id": connector_id,
                        "sync_products": new.sync_products,
                        "sync_orders": new.sync_orders,
                        "create_missing": new.create_missing_producers,
                    },
                )
                return _require(_select_connector(conn, "c.id = :id", {"id": connector_id}))
        except sa.exc.IntegrityError as exc:
            if _constraint_name(exc) == NAME_UNIQUE_CONSTRAINT:
                raise ConnectorNameTakenError(new.name) from None
            raise

    def get_by_name(self, name: str) -> ConnectorRecord | None:
        with self._engine.connect() as conn:
            return _select_connector(conn, "c.name = :name", {"name": name})

    def get_by_id(self, connector_id: UUID) -> ConnectorRecord | None:
        with self._engine.connect() as conn:
            return _select_connector(conn, "c.id = :id", {"id": connector_id})

    def list_with_last_run(self) -> list[tuple[ConnectorRecord, SyncRunRecord | None]]:
        """Every connector by name, each with its newest sync run (by started_at) or None."""
        query = sa.text(
            f"""
            SELECT {_CONNECTOR_COLUMNS},
                   r.id AS run_id, r.status AS run_status, r.started_at AS run_started_at,
                   r.finished_at AS run_finished_at, r.stats_json AS run_stats_json,
                   r.error AS run_error, r.trigger AS run_trigger
            FROM external_connector c
            LEFT JOIN external_sync_config cfg ON cfg.connector_id = c.id
            LEFT JOIN LATERAL (
                SELECT {_RUN_COLUMNS} FROM external_sync_run
                WHERE connector_id = c.id
                ORDER BY started_at DESC, id DESC
                LIMIT 1
            ) r ON true
            ORDER BY c.name
            """
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        result: list[tuple[ConnectorRecord, SyncRunRecord | None]] = []
        for row in rows:
            run = None
            if row["run_id"] is not None:
                run = _run_record(
                    {key.removeprefix("run_"): row[key] for key in row if key.startswith("run_")}
                    | {"connector_id": row["id"]}
                )
            result.append((_connector_record(row), run))
        return result

    def last_run(self, connector_id: UUID) -> SyncRunRecord | None:
        """The connector's newest sync run by started_at, or None when it never ran."""
        with self._engine.connect() as conn:
            row = (
                conn.execute(
                    sa.text(
                        f"SELECT {_RUN_COLUMNS} FROM external_sync_run "
                        "WHERE connector_id = :id ORDER BY started_at DESC, id DESC LIMIT 1"
                    ),
                    {"id": connector_id},
                )
                .mappings()
                .first()
            )
        return _run_record(row) if row is not None else None

    def update(
        self,
        connector_id: UUID,
        changes: ConnectorChanges,
        *,
        credentials: EncryptedCredentials | None = None,
    ) -> ConnectorRecord:
        """Apply `changes` (and new credentials, when given) in one transaction."""
        assignments: dict[str, Any] = {
            "base_url": changes.base_url,
            "auth_mode": changes.auth_mode,
        }
        connector_sets = [f"{column} = :{column}" for column, v in assignments.items() if v]
        params: dict[str, Any] = {k: v for k, v in assignments.items() if v}
        if changes.clear_ca_bundle:
            connector_sets.append("ca_bundle_pem = NULL")
        elif changes.ca_bundle_pem is not None:
            connector_sets.append("ca_bundle_pem = :ca_bundle_pem")
            params["ca_bundle_pem"] = changes.ca_bundle_pem
        toggles = {
            "sync_products": changes.sync_products,
            "sync_orders": changes.sync_orders,
            "create_missing_producers": changes.create_missing_producers,
        }
        config_sets = [f"{column} = :{column}" for column, v in toggles.items() if v is not None]
        params |= {k: v for k, v in toggles.items() if v is not None}
        params["id"] = connector_id
        with self._engine.begin() as conn:
            found = conn.execute(
                sa.text(
                    "UPDATE external_connector SET "
                    + ", ".join([*connector_sets, "updated_at = now()"])
                    + " WHERE id = :id"
                ),
                params,
            ).rowcount
            if not found:
                raise _missing(connector_id)
            if config_sets:
                conn.execute(
                    sa.text(
                        "UPDATE external_sync_config SET "
                        + ", ".join([*config_sets, "updated_at = now()"])
                        + " WHERE connector_id = :id"
                    ),
                    params,
                )
            if credentials is not None:
                _replace_credentials(conn, connector_id, credentials)
            return _require(_select_connector(conn, "c.id = :id", {"id": connector_id}))

    def replace_credentials(self, connector_id: UUID, credentials: EncryptedCredentials) -> None:
        with self._engine.begin() as conn:
            _replace_credentials(conn, connector_id, credentials)

    def set_status(self, connector_id: UUID, status: str) -> ConnectorRecord:
        with self._engine.begin() as conn:
            found = conn.execute(
                sa.text(
                    "UPDATE external_connector SET status = :status, updated_at = now() "
                    "WHERE id = :id"
                ),
                {"id": connector_id, "status": status},
            ).rowcount
            if not found:
                raise _missing(connector_id)
            return _require(_select_connector(conn, "c.id = :id", {"id": connector_id}))

    def record_test_result(self, connector_id: UUID, success: bool, message: str) -> None:
        """Remember a connection test; status becomes active or error unless disabled."""
        with self._engine.begin() as conn:
            found = conn.execute(
                sa.text(
                    "UPDATE external_connector SET last_test_at = now(), "
                    "last_test_success = :success, last_test_message = :message, "
                    "status = CASE WHEN status = 'disabled' THEN status "
                    "WHEN :success THEN 'active' ELSE 'error' END, "
                    "updated_at = now() WHERE id = :id"
                ),
                {"id": connector_id, "success": success, "message": message},
            ).rowcount
        if not found:
            raise _missing(connector_id)

    def encrypted_credentials(self, connector_id: UUID) -> EncryptedCredentials:
        """The connector's stored tokens; `ConnectorMissingError` when it has none."""
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT encrypted_key, encrypted_secret FROM external_credential "
                    "WHERE connector_id = :id"
                ),
                {"id": connector_id},
            ).first()
        if row is None:
            raise ConnectorMissingError(
                f"Connector {connector_id} has no stored credentials; store them with "
                "`goldsphere connectors update NAME --rotate-credentials`."
            )
        return EncryptedCredentials(row.encrypted_key, row.encrypted_secret)

    def all_encrypted_credentials(self) -> list[StoredCredentials]:
        with self._engine.connect() as conn:
            return _stored_credentials(conn, lock=False)

    def reencrypt_all_credentials(
        self, reencrypt: Callable[[StoredCredentials], EncryptedCredentials]
    ) -> int:
        """Replace every credential by `reencrypt(stored)` in one transaction; return the count.

        Rows are locked while this runs, so a concurrent credential update cannot be lost;
        if `reencrypt` raises, nothing changes.
        """
        with self._engine.begin() as conn:
            stored = _stored_credentials(conn, lock=True)
            for item in stored:
                _replace_credentials(conn, item.connector_id, reencrypt(item))
        return len(stored)


def _select_connector(
    conn: Connection, where: str, params: Mapping[str, Any]
) -> ConnectorRecord | None:
    row = conn.execute(sa.text(f"{_CONNECTOR_SELECT} WHERE {where}"), params).mappings().first()
    return _connector_record(row) if row is not None else None


def _replace_credentials(
    conn: Connection, connector_id: UUID, credentials: EncryptedCredentials
) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO external_credential (connector_id, encrypted_key, encrypted_secret) "
            "VALUES (:id, :encrypted_key, :encrypted_secret) "
            "ON CONFLICT (connector_id) DO UPDATE SET "
            "encrypted_key = EXCLUDED.encrypted_key, "
            "encrypted_secret = EXCLUDED.encrypted_secret, updated_at = now()"
        ),
        {
            "id": connector_id,
            "encrypted_key": credentials.encrypted_key,
            "encrypted_secret": credentials.encrypted_secret,
        },
    )


def _stored_credentials(conn: Connection, *, lock: bool) -> list[StoredCredentials]:
    rows = conn.execute(
        sa.text(
            "SELECT cr.connector_id, c.name, cr.encrypted_key, cr.encrypted_secret "
            "FROM external_credential cr JOIN external_connector c ON c.id = cr.connector_id "
            "ORDER BY c.name" + (" FOR UPDATE OF cr" if lock else "")
        )
    ).all()
    return [
        StoredCredentials(
            connector_id=row.connector_id,
            connector_name=row.name,
            credentials=EncryptedCredentials(row.encrypted_key, row.encrypted_secret),
        )
        for row in rows
    ]


def _connector_record(row: RowMapping) -> ConnectorRecord:
    return ConnectorRecord(
        id=row["id"],
        name=row["name"],
        type=row["type"],
        base_url=row["base_url"],
        status=row["status"],
        auth_mode=row["auth_mode"],
        ca_bundle_pem=row["ca_bundle_pem"],
        sync_products=row["sync_products"],
        sync_orders=row["sync_orders"],
        create_missing_producers=row["create_missing_producers"],
        last_test_at=_utc(row["last_test_at"]),
        last_test_success=row["last_test_success"],
        last_test_message=row["last_test_message"],
        created_at=_utc_required(row["created_at"]),
        updated_at=_utc_required(row["updated_at"]),
    )


def _run_record(row: Mapping[str, Any] | RowMapping) -> SyncRunRecord:
    return SyncRunRecord(
        id=row["id"],
        connector_id=row["connector_id"],
        status=row["status"],
        started_at=_utc_required(row["started_at"]),
        finished_at=_utc(row["finished_at"]),
        stats=row["stats_json"] or {},
        error=row["error"],
        trigger=row["trigger"],
    )


def _utc(value: datetime | None) -> datetime | None:
    # The columns are `timestamp` holding UTC (the engine pins the session time zone).
    return value.replace(tzinfo=UTC) if value is not None else None


def _utc_required(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def _require(record: ConnectorRecord | None) -> ConnectorRecord:
    if record is None:  # pragma: no cover - the row was written in this transaction
        raise ConnectorMissingError("The connector vanished while it was being saved; retry.")
    return record


def _missing(connector_id: UUID) -> ConnectorMissingError:
    return ConnectorMissingError(
        f"No connector with id {connector_id}; "
        "`goldsphere connectors list` shows the configured ones."
    )


def _constraint_name(exc: sa.exc.IntegrityError) -> str | None:
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    return name if isinstance(name, str) else None
