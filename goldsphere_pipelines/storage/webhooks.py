"""external_webhook and external_webhook_delivery: a connector's webhook secret (encrypted)
and the deliveries its shop pushed, from receipt to outcome.

The secret is stored and returned only as a Fernet token. A delivery is written once per
(connector, delivery id): a repeat is acknowledged by the receiver and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

DeliveryStatus = Literal["pending", "processing", "waiting", "applied", "stale", "failed"]
_TABLE = {"product": "external_product", "order": "external_order"}


@dataclass(frozen=True)
class WebhookTarget:
    """What the receiver needs to check a delivery for a connector."""

    connector_id: UUID
    connector_status: str
    encrypted_secret: str | None = field(repr=False)


@dataclass(frozen=True)
class ClaimedDelivery:
    id: int
    delivery_id: str
    topic: str
    body: bytes = field(repr=False)
    attempts: int


@dataclass(frozen=True)
class DeliveryOutcome:
    id: int
    status: DeliveryStatus
    error: str | None = None
    retry_in_seconds: float | None = None
    """For `waiting`: when to try again."""


@dataclass(frozen=True)
class WebhookCounts:
    received: int
    applied: int
    stale: int
    failed: int
    waiting: int
    pending: int
    rejected: int
    last_received_at: datetime | None
    last_applied_at: datetime | None
    oldest_pending_at: datetime | None
    secret_set: bool
    secret_rotated_at: datetime | None


class WebhookRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # --- the secret -----------------------------------------------------------------

    def set_secret(self, connector_id: UUID, encrypted_secret: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO external_webhook (connector_id, encrypted_secret) "
                    "VALUES (:cid, :secret) ON CONFLICT (connector_id) DO UPDATE SET "
                    "encrypted_secret = EXCLUDED.encrypted_secret, rotated_at = now()"
                ),
                {"cid": connector_id, "secret": encrypted_secret},
            )

    def encrypted_secret(self, connector_id: UUID) -> str | None:
        with self._engine.connect() as conn:
            value = conn.execute(
                sa.text("SELECT encrypted_secret FROM external_webhook WHERE connector_id = :cid"),
                {"cid": connector_id},
            ).scalar_one_or_none()
        return str(value) if value is not None else None

    def all_encrypted_secrets(self) -> list[tuple[UUID, str]]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT connector_id, encrypted_secret FROM external_webhook")
            )
            return [(r.connector_id, r.encrypted_secret) for r in rows]

    def target(self, connector_name: str) -> WebhookTarget | None:
        """The connector named `connector_name` and its encrypted secret, in one round trip."""
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT c.id, c.status, w.encrypted_secret FROM external_connector c "
                    "LEFT JOIN external_webhook w ON w.connector_id = c.id WHERE c.name = :name"
                ),
                {"name": connector_name},
            ).one_or_none()
        if row is None:
            return None
        return WebhookTarget(row.id, row.status, row.encrypted_secret)

    def count_rejected(self, connector_id: UUID) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE external_webhook SET rejected_count = rejected_count + 1, "
                    "last_rejected_at = now() WHERE connector_id = :cid"
                ),
                {"cid": connector_id},
            )

    # --- deliveries -----------------------------------------------------------------

    def store_delivery(
        self,
        connector_id: UUID,
        *,
        delivery_id: str,
        webhook_id: str | None,
        topic: str,
        body: bytes,
    ) -> bool:
        """Store a delivery durably (committed on return); False when its id was seen before."""
        with self._engine.begin() as conn:
            inserted = conn.execute(
                sa.text(
                    "INSERT INTO external_webhook_delivery "
                    "(connector_id, delivery_id, webhook_id, topic, body) "
                    "VALUES (:cid, :did, :wid, :topic, :body) "
                    "ON CONFLICT (connector_id, delivery_id) DO NOTHING RETURNING id"
                ),
                {
                    "cid": connector_id,
                    "did": delivery_id,
                    "wid": webhook_id,
                    "topic": topic,
                    "body": body,
                },
            ).scalar_one_or_none()
        return inserted is not None

    def connectors_with_work(self) -> list[UUID]:
        """Connectors with deliveries to apply now, or a pass that died claiming them."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT c.id FROM external_connector c WHERE EXISTS ("
                    "SELECT 1 FROM external_webhook_delivery d WHERE d.connector_id = c.id "
                    "AND d.status IN ('pending', 'processing', 'waiting') "
                    "AND d.not_before <= clock_timestamp()) ORDER BY c.name"
                )
            )
            return [r.id for r in rows]

    def newest_due_deliveries(self) -> list[tuple[UUID, int]]:
        """(connector, id of its newest due delivery) for each connector with work."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT connector_id, max(id) AS newest FROM external_webhook_delivery "
                    "WHERE status IN ('pending', 'processing', 'waiting') "
                    "AND not_before <= clock_timestamp() GROUP BY connector_id"
                )
            )
            return [(r.connector_id, int(r.newest)) for r in rows]

    def release_abandoned(self, connector_id: UUID) -> int:
        """Deliveries a dead pass had claimed go back to pending. Only call while holding
        the connector's webhook pass lock: then no live pass holds a claim."""
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.text(
                    "UPDATE external_webhook_delivery SET status = 'pending' "
                    "WHERE connector_id = :cid AND status = 'processing'"
                ),
                {"cid": connector_id},
            )
            return int(result.rowcount or 0)

    def claim(self, connector_id: UUID, limit: int) -> list[ClaimedDelivery]:
        """Up to `limit` deliveries due now, oldest first, marked processing (committed).

        SKIP LOCKED: a claim never waits for, nor takes, rows another transaction is
        claiming at the same moment.
        """
        with self._engine.begin() as conn:
            rows = conn.execute(
                sa.text(
                    "UPDATE external_webhook_delivery d SET status = 'processing', "
                    "attempts = d.attempts + 1 "
                    "WHERE d.id IN (SELECT id FROM external_webhook_delivery "
                    "WHERE connector_id = :cid AND status IN ('pending', 'waiting') "
                    "AND not_before <= clock_timestamp() ORDER BY id LIMIT :n "
                    "FOR UPDATE SKIP LOCKED) "
                    "RETURNING d.id, d.delivery_id, d.topic, d.body, d.attempts"
                ),
                {"cid": connector_id, "n": limit},
            ).all()
        return sorted(
            (
                ClaimedDelivery(r.id, r.delivery_id, r.topic, bytes(r.body), r.attempts)
                for r in rows
            ),
            key=lambda d: d.id,
        )

    def finish(self, outcomes: Sequence[DeliveryOutcome]) -> None:
        """Record every claimed delivery's outcome in one statement."""
        if not outcomes:
            return
        document = orjson.dumps(
            [
                {"id": o.id, "status": o.status, "error": o.error, "retry": o.retry_in_seconds}
                for o in outcomes
            ]
        ).decode()
        with self._engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE external_webhook_delivery d SET status = u.status, error = u.error, "
                    "applied_at = CASE WHEN u.status = 'applied' THEN clock_timestamp() "
                    "ELSE d.applied_at END, "
                    "applied_count = d.applied_count + (u.status = 'applied')::int, "
                    "not_before = CASE WHEN u.retry IS NULL THEN d.not_before "
                    "ELSE clock_timestamp() + make_interval(secs => u.retry) END "
                    "FROM jsonb_to_recordset(CAST(:batch AS jsonb)) "
                    "AS u(id bigint, status text, error text, retry float8) "
                    "WHERE d.id = u.id"
                ),
                {"batch": document},
            )

    def stored_modified(
        self, kind: Literal["product", "order"], connector_id: UUID, external_ids: Sequence[str]
    ) -> dict[str, datetime | None]:
        """The stored `date_modified_gmt` of each of `external_ids` that is stored."""
        if not external_ids:
            return {}
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT t.external_id, t.date_modified_gmt FROM "
                    f"{_TABLE[kind]} t WHERE t.connector_id = :cid "
                    "AND t.external_id = ANY(:ids)"
                ),
                {"cid": connector_id, "ids": list(external_ids)},
            )
            return {r.external_id: r.date_modified_gmt for r in rows}

    def record_states(
        self, kind: Literal["product", "order"], connector_id: UUID, external_ids: Sequence[str]
    ) -> dict[str, tuple[str, bool, str | None]]:
        """(status, awaiting a dependency, first error message) of each stored record."""
        if not external_ids:
            return {}
        awaiting = "t.awaiting_dependency" if kind == "order" else "false"
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    f"SELECT t.external_id, t.status, {awaiting} AS awaiting, "
                    "t.mapping_errors -> 0 ->> 'message' AS message "
                    f"FROM {_TABLE[kind]} t WHERE t.connector_id = :cid "
                    "AND t.external_id = ANY(:ids)"
                ),
                {"cid": connector_id, "ids": list(external_ids)},
            )
            return {r.external_id: (r.status, bool(r.awaiting), r.message) for r in rows}

    def counts(self, connector_id: UUID) -> WebhookCounts:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT count(d.id) AS received, "
                    "count(d.id) FILTER (WHERE d.status = 'applied') AS applied, "
                    "count(d.id) FILTER (WHERE d.status = 'stale') AS stale, "
                    "count(d.id) FILTER (WHERE d.status = 'failed') AS failed, "
                    "count(d.id) FILTER (WHERE d.status = 'waiting') AS waiting, "
                    "count(d.id) FILTER (WHERE d.status IN ('pending', 'processing')) AS pending, "
                    "max(d.received_at) AS last_received_at, max(d.applied_at) AS last_applied_at, "
                    "min(d.received_at) FILTER (WHERE d.status IN ('pending', 'processing')) "
                    "AS oldest_pending_at "
                    "FROM external_webhook_delivery d WHERE d.connector_id = :cid"
                ),
                {"cid": connector_id},
            ).one()
            hook = conn.execute(
                sa.text(
                    "SELECT rejected_count, rotated_at FROM external_webhook "
                    "WHERE connector_id = :cid"
                ),
                {"cid": connector_id},
            ).one_or_none()
        return WebhookCounts(
            received=int(row.received),
            applied=int(row.applied),
            stale=int(row.stale),
            failed=int(row.failed),
            waiting=int(row.waiting),
            pending=int(row.pending),
            rejected=int(hook.rejected_count) if hook else 0,
            last_received_at=_utc(row.last_received_at),
            last_applied_at=_utc(row.last_applied_at),
            oldest_pending_at=_utc(row.oldest_pending_at),
            secret_set=hook is not None,
            secret_rotated_at=_utc(hook.rotated_at) if hook else None,
        )


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None else None
