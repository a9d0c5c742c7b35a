"""external_product and external_order: raw payloads as the shop sent them, and their status.

Writes are batched: one statement per batch through `unnest` of arrays, one transaction per
batch, never a round trip per record. A payload whose sha256 equals the stored one is not
written at all, so a re-sync of an unchanged store writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

RecordKind = Literal["product", "order"]
_TABLE: dict[RecordKind, str] = {"product": "external_product", "order": "external_order"}


@dataclass(frozen=True)
class RawRecord:
    """A record ready to store: canonical JSON text and its hash are computed by the caller."""

    external_id: str
    payload_json: str
    payload_hash: str
    date_modified_gmt: datetime | None
    parent_external_id: str | None = None
    sku: str | None = None


@dataclass
class UpsertCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    changed_ids: list[str] = field(default_factory=list)

    def add(self, other: UpsertCounts) -> None:
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged


@dataclass(frozen=True)
class PendingRecord:
    row_id: UUID
    external_id: str
    parent_external_id: str | None
    payload: Any


@dataclass(frozen=True)
class MappingOutcome:
    external_id: str
    status: Literal["mapped", "failed"]
    mapped_payload: dict[str, Any] | None
    errors: list[dict[str, Any]]
    awaiting_dependency: bool = False


class ExternalRecordRepository:
    """Raw records of one kind (products or orders) for any connector."""

    def __init__(self, engine: Engine, kind: RecordKind) -> None:
        self._engine = engine
        self._kind = kind
        self._table = _TABLE[kind]

    def upsert_raw(self, connector_id: UUID, records: Sequence[RawRecord]) -> UpsertCounts:
        """Store new and changed payloads as `pending`; skip unchanged ones. One transaction.

        Within one batch the last record of an id wins (a store can repeat a record on two
        pages while it is being edited).
        """
        counts = UpsertCounts()
        if not records:
            return counts
        latest = {r.external_id: r for r in records}
        with self._engine.begin() as conn:
            known: dict[str, str] = dict(
                conn.execute(
                    sa.text(
                        f"SELECT external_id, payload_hash FROM {self._table} "
                        "WHERE connector_id = :cid AND external_id = ANY(:ids)"
                    ),
                    {"cid": connector_id, "ids": list(latest)},
                ).all()
            )
            to_write = [r for r in latest.values() if known.get(r.external_id) != r.payload_hash]
            counts.unchanged = len(latest) - len(to_write)
            if not to_write:
                return counts
            extra_cols, extra_vals, extra_params = self._kind_columns(to_write)
            awaiting = ", awaiting_dependency = false" if self._kind == "order" else ""
            rows = conn.execute(
                sa.text(
                    f"INSERT INTO {self._table} (connector_id, external_id, raw_payload_json, "
                    f"payload_hash, date_modified_gmt, status, mapping_errors{extra_cols}) "
                    f"SELECT :cid, u.external_id, u.payload::jsonb, u.payload_hash, "
                    f"u.modified, 'pending', '[]'::jsonb{extra_vals} "
                    "FROM unnest(CAST(:ids AS text[]), CAST(:payloads AS text[]), "
                    "CAST(:hashes AS text[]), CAST(:modified AS timestamp[])"
                    f"{self._unnest_extra()}) "
                    f"AS u(external_id, payload, payload_hash, modified{self._unnest_names()}) "
                    "ON CONFLICT (connector_id, external_id) DO UPDATE SET "
                    "raw_payload_json = EXCLUDED.raw_payload_json, "
                    "payload_hash = EXCLUDED.payload_hash, "
                    "date_modified_gmt = EXCLUDED.date_modified_gmt, "
                    "status = 'pending', mapping_errors = '[]'::jsonb, "
                    f"updated_at = now(){self._update_extra()}{awaiting} "
                    f"RETURNING external_id, (xmax = 0) AS inserted"
                ),
                {
                    "cid": connector_id,
                    "ids": [r.external_id for r in to_write],
                    "payloads": [r.payload_json for r in to_write],
                    "hashes": [r.payload_hash for r in to_write],
                    "modified": [r.date_modified_gmt for r in to_write],
                    **extra_params,
                },
            ).all()
        for external_id, inserted in rows:
            if inserted:
                counts.new += 1
            else:
                counts.changed += 1
            counts.changed_ids.append(external_id)
        return counts

    def _kind_columns(self, records: Sequence[RawRecord]) -> tuple[str, str, dict[str, Any]]:
        if self._kind != "product":
            return "", "", {}
        return (
            ", parent_external_id, sku",
            ", u.parent_external_id, u.sku",
            {
                "parents": [r.parent_external_id for r in records],
                "skus": [r.sku for r in records],
            },
        )

    def _unnest_extra(self) -> str:
        return (
            ", CAST(:parents AS text[]), CAST(:skus AS text[])" if self._kind == "product" else ""
        )

    def _unnest_names(self) -> str:
        return ", parent_external_id, sku" if self._kind == "product" else ""

    def _update_extra(self) -> str:
        if self._kind != "product":
            return ""
        return ", parent_external_id = EXCLUDED.parent_external_id, sku = EXCLUDED.sku"

    def requeue_children(self, connector_id: UUID, parent_ids: Sequence[str]) -> int:
        """Variations inherit from their parent: a changed parent sends them back to mapping."""
        if self._kind != "product" or not parent_ids:
            return 0
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.text(
                    "UPDATE external_product SET status = 'pending', updated_at = now() "
                    "WHERE connector_id = :cid AND parent_external_id = ANY(:ids) "
                    "AND status <> 'pending'"
                ),
                {"cid": connector_id, "ids": list(parent_ids)},
            )
            return int(result.rowcount or 0)

    def count_awaiting_dependency(self, connector_id: UUID) -> int:
        """Orders that failed only for a missing product or user: each sync maps them again."""
        if self._kind != "order":
            return 0
        with self._engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM external_order "
                        "WHERE connector_id = :cid AND awaiting_dependency"
                    ),
                    {"cid": connector_id},
                ).scalar_one()
            )

    def iter_pending(self, connector_id: UUID, *, batch_size: int) -> Iterator[list[PendingRecord]]:
        """Pending rows in batches, by primary key; each batch is read when the last is done.

        Callers mark every row of a batch mapped or failed before asking for the next, so
        keyset paging never skips nor repeats a row.
        """
        last_id: UUID | None = None
        parent_col = "parent_external_id" if self._kind == "product" else "NULL"
        # Orders waiting for a product or user are mapped again on every pass, without
        # being rewritten unless their outcome changes (see record_outcomes).
        wanted = (
            "(status = 'pending' OR awaiting_dependency)"
            if self._kind == "order"
            else ("status = 'pending'")
        )
        while True:
            with self._engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        f"SELECT id, external_id, {parent_col} AS parent_external_id, "
                        f"raw_payload_json::text AS payload FROM {self._table} "
                        f"WHERE connector_id = :cid AND {wanted} "
                        "AND (CAST(:last AS uuid) IS NULL OR id > CAST(:last AS uuid)) "
                        "ORDER BY id LIMIT :n"
                    ),
                    {"cid": connector_id, "last": last_id, "n": batch_size},
                ).all()
            if not rows:
                return
            yield [
                PendingRecord(r.id, r.external_id, r.parent_external_id, orjson.loads(r.payload))
                for r in rows
            ]
            last_id = rows[-1].id

    def raw_payloads(self, connector_id: UUID, external_ids: Sequence[str]) -> dict[str, Any]:
        if not external_ids:
            return {}
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    f"SELECT external_id, raw_payload_json::text AS payload FROM {self._table} "
                    "WHERE connector_id = :cid AND external_id = ANY(:ids)"
                ),
                {"cid": connector_id, "ids": list(external_ids)},
            )
            return {r.external_id: orjson.loads(r.payload) for r in rows}

    def record_outcomes(
        self, conn: sa.Connection, connector_id: UUID, outcomes: Sequence[MappingOutcome]
    ) -> None:
        """Write each row's status, mapped payload and errors (inside the caller's transaction)."""
        if not outcomes:
            return
        awaiting = ", awaiting_dependency = u.awaiting" if self._kind == "order" else ""
        conn.execute(
            sa.text(
                f"UPDATE {self._table} AS t SET status = u.status, "
                "mapped_payload_json = u.mapped::jsonb, mapping_errors = u.errors::jsonb, "
                f"updated_at = now(){awaiting} "
                "FROM unnest(CAST(:ids AS text[]), CAST(:statuses AS text[]), "
                "CAST(:mapped AS text[]), CAST(:errors AS text[]), CAST(:awaiting AS boolean[])) "
                "AS u(external_id, status, mapped, errors, awaiting) "
                "WHERE t.connector_id = :cid AND t.external_id = u.external_id "
                # An outcome equal to the stored one writes nothing: a re-sync of an
                # unchanged store leaves every row as it was.
                "AND (t.status, t.mapped_payload_json, t.mapping_errors) IS DISTINCT FROM "
                "(u.status, u.mapped::jsonb, u.errors::jsonb)"
            ),
            {
                "cid": connector_id,
                "ids": [o.external_id for o in outcomes],
                "statuses": [o.status for o in outcomes],
                "mapped": [
                    orjson.dumps(o.mapped_payload).decode()
                    if o.mapped_payload is not None
                    else None
                    for o in outcomes
                ],
                "errors": [orjson.dumps(o.errors).decode() for o in outcomes],
                "awaiting": [o.awaiting_dependency for o in outcomes],
            },
        )

    def status_counts(self, connector_id: UUID) -> dict[str, int]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    f"SELECT status, count(*) FROM {self._table} WHERE connector_id = :cid "
                    "GROUP BY status"
                ),
                {"cid": connector_id},
            )
            counts = {"pending": 0, "mapped": 0, "failed": 0}
            counts.update({status: int(n) for status, n in rows})
            return counts

    def first_failures(
        self, connector_id: UUID, limit: int = 20
    ) -> list[tuple[str, list[dict[str, Any]]]]:
        """(external id, errors) of failed rows, lowest id first — for metadata and checks."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    f"SELECT external_id, mapping_errors::text AS errors FROM {self._table} "
                    "WHERE connector_id = :cid AND status = 'failed' "
                    "ORDER BY length(external_id), external_id LIMIT :n"
                ),
                {"cid": connector_id, "n": limit},
            )
            return [(r.external_id, orjson.loads(r.errors)) for r in rows]
