"""Reading a connector's stored records and their mapping outcomes, to review the mapping
(the rules doctor): every read here is a plain SELECT, nothing is ever written."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from goldsphere_pipelines.storage.external_records import RecordKind

_TABLE: dict[RecordKind, str] = {"product": "external_product", "order": "external_order"}


@dataclass(frozen=True)
class StoredRecord:
    """One external row as stored: its raw payload and the outcome of its last mapping."""

    row_id: UUID
    external_id: str
    parent_external_id: str | None
    status: str
    payload: Any
    mapped: dict[str, Any] | None
    errors: list[dict[str, Any]]


class MappingReviewRepository:
    def __init__(self, engine: Engine, kind: RecordKind) -> None:
        self._engine = engine
        self._kind = kind
        self._table = _TABLE[kind]

    def iter_records(
        self, connector_id: UUID, *, batch_size: int = 500, failed_only: bool = False
    ) -> Iterator[list[StoredRecord]]:
        """Every row of the connector (or only the failed ones), in batches by primary key:
        memory holds one batch, whatever the store's size."""
        parent = "parent_external_id" if self._kind == "product" else "NULL"
        failed = " AND status = 'failed'" if failed_only else ""
        last: UUID | None = None
        while True:
            after = " AND id > :last" if last is not None else ""
            with self._engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        f"SELECT id, external_id, {parent} AS parent_external_id, status, "
                        "raw_payload_json::text AS payload, mapped_payload_json::text AS mapped, "
                        f"mapping_errors::text AS errors FROM {self._table} "
                        f"WHERE connector_id = :cid{failed}{after} ORDER BY id LIMIT :n"
                    ),
                    {"cid": connector_id, "last": last, "n": batch_size},
                ).all()
            if not rows:
                return
            yield [
                StoredRecord(
                    row_id=r.id,
                    external_id=r.external_id,
                    parent_external_id=r.parent_external_id,
                    status=r.status,
                    payload=orjson.loads(r.payload),
                    mapped=orjson.loads(r.mapped) if r.mapped else None,
                    errors=orjson.loads(r.errors) if r.errors else [],
                )
                for r in rows
            ]
            last = rows[-1].id

    def shared_mapped_value(
        self, connector_id: UUID, keys: tuple[str, ...]
    ) -> tuple[str, ...] | None:
        """The values of the mapped payloads' `keys` (e.g. `("producer_name",)`) when every
        mapped row of the connector that has them shares the same ones; else None."""
        columns = ", ".join(f"mapped_payload_json->>'{key}'" for key in keys)
        present = " AND ".join(f"mapped_payload_json ? '{key}'" for key in keys)
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    f"SELECT {columns} FROM {self._table} WHERE connector_id = :cid "
                    f"AND status = 'mapped' AND {present} GROUP BY {columns} LIMIT 2"
                ),
                {"cid": connector_id},
            ).all()
        if len(rows) != 1 or any(v is None for v in rows[0]):
            return None
        return tuple(rows[0])
