"""external_product and external_order: raw payloads as the shop sent them, and their status.

Writes are batched: one statement per batch over arrays sent in PostgreSQL's binary format,
never a round trip per record. A payload whose sha256 equals the stored one is not written
at all, so a re-sync of an unchanged store writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from goldsphere_pipelines.storage.engine import single_statements
from goldsphere_pipelines.storage.id_lookup import by_external_ids_sql

logger = logging.getLogger(__name__)

RecordKind = Literal["product", "order"]
_TABLE: dict[RecordKind, str] = {"product": "external_product", "order": "external_order"}


@dataclass(frozen=True)
class RawRecord:
    """A record ready to store: canonical JSON text and its hash are computed by the caller."""

    external_id: str
    payload: bytes
    """Canonical JSON (sorted keys) of the record, as stored and hashed."""
    payload_hash: str
    date_modified_gmt: datetime | None
    parent_external_id: str | None = None
    sku: str | None = None
    text_errors: tuple[dict[str, Any], ...] = ()
    """Errors about the payload itself (text replaced to be storable), kept with the row
    in `storage_errors` whatever its mapping gives."""


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

    def has_rows(self, connector_id: UUID) -> bool:
        return self._exists(connector_id, "TRUE")

    def _exists(self, connector_id: UUID, condition: str) -> bool:
        """Whether the connector has a row meeting `condition` (SQL over the table's columns)."""
        with self._engine.connect() as conn:
            return bool(
                conn.execute(
                    sa.text(
                        f"SELECT EXISTS (SELECT 1 FROM {self._table} "
                        f"WHERE connector_id = :cid AND {condition})"
                    ),
                    {"cid": connector_id},
                ).scalar_one()
            )

    def upsert_raw(
        self, connector_id: UUID, records: Sequence[RawRecord], *, first_load: bool = False
    ) -> UpsertCounts:
        """Store new and changed payloads as `pending`; skip unchanged ones.

        The batch is written by one statement, so it is stored whole or not at all. The
        lookup of stored hashes before it needs no common snapshot with it: one sync at a
        time writes a connector's rows, and writing a payload again changes nothing.
        Within one batch the last record of an id wins (a store can repeat a record on two
        pages while it is being edited). `first_load`: the connector had no rows of this
        kind when the pass began, so there are no stored hashes to look up.
        """
        counts = UpsertCounts()
        if not records:
            return counts
        latest = {r.external_id: r for r in records}
        with single_statements(self._engine) as conn:
            known: dict[str, str] = (
                {}
                if first_load
                else dict(
                    conn.execute(
                        sa.text(self.known_hashes_sql()),
                        {"cid": connector_id, "ids": list(latest)},
                    ).all()
                )
            )
            to_write = [r for r in latest.values() if known.get(r.external_id) != r.payload_hash]
            counts.unchanged = len(latest) - len(to_write)
            if not to_write:
                return counts
            rows = conn.exec_driver_sql(
                self._upsert_sql(), _upsert_parameters(connector_id, to_write)
            ).all()
        for external_id, inserted in rows:
            if inserted:
                counts.new += 1
            else:
                counts.changed += 1
            counts.changed_ids.append(external_id)
        return counts

    def _upsert_sql(self) -> str:
        # Each column arrives as one array in binary format: no escaping on either side, and
        # PostgreSQL parses each payload into jsonb once, straight into its row (a single
        # JSON document for the whole batch cost the server a fifth more: it built the
        # document's jsonb, then copied each payload out of it).
        product = self._kind == "product"
        return (
            f"INSERT INTO {self._table} (connector_id, external_id, raw_payload_json, "
            "payload_hash, date_modified_gmt, status, mapping_errors, storage_errors"
            f"{', parent_external_id, sku' if product else ''}) "
            "SELECT %(cid)s, r.id, CAST(r.payload AS jsonb), r.hash, r.modified, 'pending', "
            "'[]'::jsonb, COALESCE(CAST(r.notes AS jsonb), '[]'::jsonb)"
            f"{', r.parent, r.sku' if product else ''} "
            "FROM unnest(%(ids)b::text[], %(payloads)b::text[], %(hashes)b::text[], "
            "%(modified)b::timestamp[], %(parents)b::text[], %(skus)b::text[], "
            "%(notes)b::text[]) "
            "AS r(id, payload, hash, modified, parent, sku, notes) "
            "ON CONFLICT (connector_id, external_id) DO UPDATE SET "
            "raw_payload_json = EXCLUDED.raw_payload_json, "
            "payload_hash = EXCLUDED.payload_hash, "
            "date_modified_gmt = EXCLUDED.date_modified_gmt, "
            # A deleted row stays deleted when the shop sends it again (edited in the
            # trash, or a webhook's payload stored before its restore).
            f"status = CASE WHEN {self._table}.deleted_at IS NULL THEN 'pending' "
            "ELSE 'deleted' END, mapping_errors = '[]'::jsonb, "
            "storage_errors = EXCLUDED.storage_errors, updated_at = now()"
            + (
                ", parent_external_id = EXCLUDED.parent_external_id, sku = EXCLUDED.sku"
                if product
                else ", awaiting_dependency = false"
            )
            + " RETURNING external_id, (xmax = 0) AS inserted"
        )

    def refresh_statistics(self) -> None:
        """ANALYZE the table after a bulk load, so the planner knows its new size.

        Autovacuum would get there eventually; a first sync of a large shop maps its rows
        seconds after writing them. Skipped quietly where the role may not analyze.
        """
        try:
            with self._engine.begin() as conn:
                conn.execute(sa.text(f"ANALYZE {self._table}"))
        except sa.exc.DBAPIError:
            logger.info("Could not ANALYZE %s (insufficient privilege?); continuing.", self._table)

    def requeue_children(self, connector_id: UUID, parent_ids: Sequence[str]) -> int:
        """Variations inherit from their parent: a changed parent sends them back to mapping."""
        if self._kind != "product" or not parent_ids:
            return 0
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.text(
                    "UPDATE external_product SET status = 'pending', updated_at = now() "
                    "WHERE connector_id = :cid AND parent_external_id = ANY(:ids) "
                    "AND status NOT IN ('pending', 'deleted')"
                ),
                {"cid": connector_id, "ids": list(parent_ids)},
            )
            return int(result.rowcount or 0)

    def requeue_all(self, connector_id: UUID) -> int:
        """Send every stored row of the connector back to mapping (a re-mapping after a rule
        change, without fetching); returns how many rows it requeued. Deleted rows stay
        deleted: only a restore sends them back."""
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.text(
                    f"UPDATE {self._table} SET status = 'pending', updated_at = now() "
                    "WHERE connector_id = :cid AND status NOT IN ('pending', 'deleted')"
                ),
                {"cid": connector_id},
            )
            return int(result.rowcount or 0)

    def has_pending(self, connector_id: UUID) -> bool:
        """Whether a mapping pass has anything to read (`pending_batch_sql`'s rows)."""
        return self._exists(connector_id, self._mappable)

    @property
    def _mappable(self) -> str:
        # Orders waiting for a product or user are mapped again on every pass, without
        # being rewritten unless their outcome changes (see record_outcomes).
        if self._kind == "order":
            return "(status = 'pending' OR awaiting_dependency)"
        return "status = 'pending'"

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

    def iter_pending(
        self,
        connector_id: UUID,
        *,
        batch_size: int,
        fields: Collection[str] | None = None,
    ) -> Iterator[list[PendingRecord]]:
        """Pending rows in batches, by primary key; the next batch is read (in a thread of
        its own) while the caller handles this one, never more than one batch ahead.

        Keyset paging on the id: each row is read once per pass, whether or not the outcome
        of an earlier batch has been committed yet (writers commit behind the reader).
        Reading ahead changes none of that: the next batch starts after this one's last id,
        known as soon as this one is read, and handling a batch writes only its own rows.
        While the caller maps one batch, PostgreSQL turns the next one's payloads into text
        and sends them: a mapping step no longer waits for it.

        `fields`: only these top-level keys of each object payload are read (a payload that
        is not an object is read whole); what a mapper never looks at is neither sent nor
        parsed.
        """
        sql = {after: self.pending_batch_sql(after=after, fields=fields) for after in (False, True)}

        def read(last_id: UUID | None) -> list[PendingRecord]:
            parameters: dict[str, Any] = {"cid": connector_id, "last": last_id, "n": batch_size}
            if fields is not None:
                parameters["fields"] = list(fields)
            with self._engine.connect() as conn:
                rows = conn.execute(sa.text(sql[last_id is not None]), parameters).all()
            return [
                PendingRecord(r.id, r.external_id, r.parent_external_id, orjson.loads(r.payload))
                for r in rows
            ]

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="goldsphere-reader") as reader:
            batch = read(None)
            while batch:
                ahead = reader.submit(read, batch[-1].row_id)
                try:
                    yield batch
                except GeneratorExit:
                    ahead.cancel()
                    raise
                batch = ahead.result()

    def known_hashes_sql(self) -> str:
        """(external id, stored hash or NULL) for each of `:ids` of the connector `:cid`."""
        return by_external_ids_sql("t.payload_hash", self._table, "t.connector_id = :cid")

    def pending_batch_sql(self, *, after: bool, fields: Collection[str] | None = None) -> str:
        """The next `:n` rows to map, after id `:last` when `after`; with `fields`, each
        object payload holds only the top-level keys of the text array `:fields`.

        The ids are chosen first, as an array: the rows are then fetched by primary key
        whatever PostgreSQL thinks of a fresh table's size (an IN (subquery) was planned as
        a hash join over a scan of the whole table, for every batch), and only this batch's
        payloads are converted to text. Two spellings rather than "(:last IS NULL OR id >
        :last)", which keeps PostgreSQL from using the partial index on (connector_id, id).
        """
        parent_col = "parent_external_id" if self._kind == "product" else "NULL"
        wanted = self._mappable
        payload = (
            "raw_payload_json"
            if fields is None
            # jsonb keeps an object's keys in one order whatever was removed: the keys kept
            # arrive in the order the whole payload has them.
            else "CASE WHEN jsonb_typeof(raw_payload_json) = 'object' THEN raw_payload_json - "
            "ARRAY(SELECT k FROM jsonb_object_keys(raw_payload_json) AS k "
            "WHERE k <> ALL(CAST(:fields AS text[]))) ELSE raw_payload_json END"
        )
        return (
            f"SELECT id, external_id, {parent_col} AS parent_external_id, "
            f"({payload})::text AS payload FROM {self._table} "
            f"WHERE id = ANY(ARRAY(SELECT id FROM {self._table} "
            f"WHERE connector_id = :cid AND {wanted}{' AND id > :last' if after else ''} "
            "ORDER BY id LIMIT :n)) ORDER BY id"
        )

    def raw_payloads(self, connector_id: UUID, external_ids: Sequence[str]) -> dict[str, Any]:
        if not external_ids:
            return {}
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    by_external_ids_sql(
                        "t.raw_payload_json::text", self._table, "t.connector_id = :cid"
                    )
                ),
                {"cid": connector_id, "ids": list(external_ids)},
            )
            return {eid: orjson.loads(payload) for eid, payload in rows if payload is not None}

    def record_outcomes(
        self, conn: sa.Connection, connector_id: UUID, outcomes: Sequence[MappingOutcome]
    ) -> None:
        """Write each row's status, mapped payload and errors (inside the caller's transaction)."""
        if not outcomes:
            return
        is_order = self._kind == "order"
        awaiting = ", awaiting_dependency = u.awaiting" if is_order else ""
        document = orjson.dumps(
            [
                {
                    "id": o.external_id,
                    "status": o.status,
                    "mapped": o.mapped_payload,
                    "errors": o.errors,
                    "awaiting": o.awaiting_dependency,
                }
                for o in outcomes
            ],
            default=str,
        ).decode()
        conn.execute(
            sa.text(
                f"UPDATE {self._table} AS t SET status = u.status, "
                "mapped_payload_json = u.mapped, mapping_errors = u.errors, "
                f"updated_at = now(){awaiting} "
                "FROM jsonb_to_recordset(CAST(:batch AS jsonb)) "
                "AS u(id text, status text, mapped jsonb, errors jsonb, awaiting boolean) "
                "WHERE t.connector_id = :cid AND t.external_id = u.id "
                # An outcome equal to the stored one writes nothing: a re-sync of an
                # unchanged store leaves every row as it was.
                "AND (t.status, t.mapped_payload_json, t.mapping_errors, "
                f"{'t.awaiting_dependency' if is_order else 'false'}) "
                "IS DISTINCT FROM (u.status, u.mapped, u.errors, "
                f"{'u.awaiting' if is_order else 'false'})"
            ),
            {"cid": connector_id, "batch": document},
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
            counts = {"pending": 0, "mapped": 0, "failed": 0, "deleted": 0}
            counts.update({status: int(n) for status, n in rows})
            return counts

    def statuses(self, connector_id: UUID) -> dict[str, str]:
        """external id → status of every row of the connector (benchmarks compare them with
        what the sandbox meant)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(f"SELECT external_id, status FROM {self._table} WHERE connector_id = :cid"),
                {"cid": connector_id},
            )
            return {external_id: status for external_id, status in rows}

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


def _upsert_parameters(connector_id: UUID, records: Sequence[RawRecord]) -> dict[str, Any]:
    return {
        "cid": connector_id,
        "ids": [r.external_id for r in records],
        "payloads": [r.payload.decode() for r in records],
        "hashes": [r.payload_hash for r in records],
        "modified": [r.date_modified_gmt for r in records],
        "parents": [r.parent_external_id for r in records],
        "skus": [r.sku for r in records],
        "notes": [orjson.dumps(r.text_errors).decode() if r.text_errors else None for r in records],
    }
