"""What keeps a large first sync linear, checked on real PostgreSQL: the plans of the
per-batch statements, and the settings the sync's sessions and batches run with."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from goldsphere_pipelines.storage.engine import batch_transaction
from goldsphere_pipelines.storage.external_records import ExternalRecordRepository, RawRecord


def _connector(engine: sa.Engine) -> uuid.UUID:
    connector_id = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO external_connector (id, name, base_url) "
                "VALUES (:id, :name, 'https://shop.example')"
            ),
            {"id": connector_id, "name": f"bulk-{connector_id.hex[:8]}"},
        )
    return connector_id


def _records(first: int, count: int) -> list[RawRecord]:
    return [
        RawRecord(
            external_id=str(n),
            payload=json.dumps({"id": n, "status": "processing"}).encode(),
            payload_hash=f"hash-{n}",
            date_modified_gmt=datetime(2025, 1, 1),
        )
        for n in range(first, first + count)
    ]


def _plan(engine: sa.Engine, sql: str, params: dict[str, Any]) -> str:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"EXPLAIN {sql}"), params).scalars()
        return "\n".join(rows)


@pytest.fixture
def grown_after_analyze(db: sa.Engine) -> tuple[sa.Engine, uuid.UUID]:
    """A connector whose orders table was analyzed at 5 rows and then grew to 3,005: the
    statistics a first sync runs with."""
    connector_id = _connector(db)
    repo = ExternalRecordRepository(db, "order")
    repo.upsert_raw(connector_id, _records(1, 5))
    with db.begin() as conn:
        conn.execute(sa.text("ANALYZE external_order"))
    for first in range(6, 3006, 500):
        repo.upsert_raw(connector_id, _records(first, 500), first_load=True)
    return db, connector_id


def test_stored_hashes_are_found_by_one_index_probe_per_id_despite_stale_statistics(
    grown_after_analyze: tuple[sa.Engine, uuid.UUID],
) -> None:
    engine, connector_id = grown_after_analyze
    repo = ExternalRecordRepository(engine, "order")
    plan = _plan(
        engine,
        repo.known_hashes_sql(),
        {"cid": connector_id, "ids": [str(n) for n in range(2000, 2100)]},
    )
    # Both columns of the unique index in the index condition: no scan over the
    # connector's rows filtered by id.
    assert "Index Cond: ((connector_id = " in plan, plan
    assert "external_id = i.eid" in plan, plan
    assert "Seq Scan on external_order" not in plan, plan


def test_pending_rows_are_fetched_by_primary_key_despite_stale_statistics(
    grown_after_analyze: tuple[sa.Engine, uuid.UUID],
) -> None:
    engine, connector_id = grown_after_analyze
    repo = ExternalRecordRepository(engine, "order")
    for after in (False, True):
        plan = _plan(
            engine,
            repo.pending_batch_sql(after=after),
            {"cid": connector_id, "last": uuid.UUID(int=0), "n": 1000},
        )
        # The batch's rows (and only they) are read through the primary key; choosing
        # their ids may scan, but never joins against a scan of every payload.
        assert "Index Cond: (id = ANY" in plan, plan
        assert "Hash" not in plan, plan


def test_upsert_counts_match_what_was_stored_on_a_first_load_and_after(db: sa.Engine) -> None:
    connector_id = _connector(db)
    repo = ExternalRecordRepository(db, "order")
    first = repo.upsert_raw(connector_id, _records(1, 10), first_load=True)
    assert (first.new, first.changed, first.unchanged) == (10, 0, 0)

    again = repo.upsert_raw(connector_id, _records(1, 10))
    assert (again.new, again.changed, again.unchanged) == (0, 0, 10)

    edited = _records(1, 10)
    edited[3] = RawRecord("4", b'{"id": 4, "status": "completed"}', "hash-4b", None)
    changed = repo.upsert_raw(connector_id, edited)
    assert (changed.new, changed.changed, changed.unchanged) == (0, 1, 9)
    assert changed.changed_ids == ["4"]
    assert repo.has_rows(connector_id)
    assert not repo.has_rows(uuid.uuid4())


AWKWARD = {
    "id": 7,
    "name": 'Krugerrand 1 oz "2024" \\ {brace}, [bracket], comma',
    "description": "<p>Gold\u00a0coin \u2013 \u00fc\u00df \U0001fa99</p>\n\ttab",
    "permalink": "https:\\/\\/shop.example\\/p\\/7",
    "price": "1999.50",
    "weight": 31.1035,
    "stock": None,
    "tags": [],
    "meta_data": [{"key": "_x", "value": {"nested": [1, 2.5, True, None]}}],
}


@pytest.mark.parametrize("kind", ["order", "product"])
def test_payloads_and_columns_are_stored_exactly_as_given(db: sa.Engine, kind: str) -> None:
    # Quotes, backslashes, braces, commas, NULLs and non-ASCII text: the characters an
    # array or a document in text form would have to escape.
    connector_id = _connector(db)
    repo = ExternalRecordRepository(db, kind)  # type: ignore[arg-type]
    record = RawRecord(
        external_id="7",
        payload=json.dumps(AWKWARD, ensure_ascii=False).encode(),
        payload_hash="h-7",
        date_modified_gmt=datetime(2025, 3, 4, 5, 6, 7),
        parent_external_id="70" if kind == "product" else None,
        sku='SKU "7", {x}' if kind == "product" else None,
    )
    no_modified = RawRecord("8", b'{"id": 8}', "h-8", None)
    counts = repo.upsert_raw(connector_id, [record, no_modified], first_load=True)
    assert (counts.new, counts.changed) == (2, 0)

    table = f"external_{kind}"
    extra = ", parent_external_id, sku" if kind == "product" else ", NULL, NULL"
    with db.connect() as conn:
        stored = conn.execute(
            sa.text(
                f"SELECT external_id, raw_payload_json, payload_hash, date_modified_gmt, "
                f"status{extra} FROM {table} WHERE connector_id = :cid ORDER BY external_id"
            ),
            {"cid": connector_id},
        ).all()
    assert [tuple(row) for row in stored] == [
        ("7", AWKWARD, "h-7", datetime(2025, 3, 4, 5, 6, 7), "pending",
         record.parent_external_id, record.sku),
        ("8", {"id": 8}, "h-8", None, "pending", None, None),
    ]  # fmt: skip


def test_sessions_plan_each_execution_for_its_own_parameters(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(sa.text("SHOW plan_cache_mode")).scalar_one() == ("force_custom_plan")
        assert conn.execute(sa.text("SHOW timezone")).scalar_one() == "UTC"


def test_batches_commit_without_waiting_for_the_flush_and_nothing_else_does(
    engine: sa.Engine,
) -> None:
    with batch_transaction(engine) as conn:
        assert conn.execute(sa.text("SHOW synchronous_commit")).scalar_one() == "off"
    with engine.begin() as conn:
        assert conn.execute(sa.text("SHOW synchronous_commit")).scalar_one() == "on"


def test_payload_columns_use_lz4_where_the_server_has_it(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        methods = dict(
            conn.execute(
                sa.text(
                    "SELECT c.relname || '.' || a.attname, a.attcompression "
                    "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                    "WHERE c.relname IN ('external_order', 'external_product') "
                    "AND a.attname IN ('raw_payload_json', 'mapped_payload_json')"
                )
            ).all()
        )
    assert set(methods) == {
        f"{table}.{column}"
        for table in ("external_order", "external_product")
        for column in ("raw_payload_json", "mapped_payload_json")
    }
    assert set(methods.values()) == {"l" if _server_has_lz4(engine) else ""}


def _server_has_lz4(engine: sa.Engine) -> bool:
    conn = engine.connect()
    try:
        conn.execute(sa.text("CREATE TEMP TABLE lz4_probe (j jsonb COMPRESSION lz4)"))
        return True
    except sa.exc.DBAPIError:
        return False
    finally:
        conn.rollback()
        conn.close()


def test_a_batch_is_stored_whole_or_not_at_all(db: sa.Engine) -> None:
    connector_id = _connector(db)
    repo = ExternalRecordRepository(db, "order")
    broken = RawRecord(
        external_id="4", payload=b"{not json", payload_hash="h", date_modified_gmt=None
    )

    with pytest.raises(sa.exc.DataError):
        repo.upsert_raw(connector_id, [*_records(1, 3), broken], first_load=True)
    assert not repo.has_rows(connector_id)

    counts = repo.upsert_raw(connector_id, _records(1, 3), first_load=True)
    assert (counts.new, counts.changed) == (3, 0)


def test_references_are_found_by_their_unique_index_whatever_was_analyzed(db: sa.Engine) -> None:
    """Statistics taken after a products sync hold no order references: the lookup of order
    references must still probe (source, entity_type, external_id), not walk every order
    reference through another index for each id (a first orders sync went quadratic)."""
    from goldsphere_pipelines.storage.goldsphere import resolve_ids_sql

    source = f"woocommerce:{uuid.uuid4()}"

    def add(entity_type: str, count: int) -> None:
        with db.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO external_reference (source, entity_type, external_id, "
                    "internal_id) SELECT :s, :t, n::text, gen_random_uuid() "
                    "FROM generate_series(1, :n) AS n"
                ),
                {"s": source, "t": entity_type, "n": count},
            )

    add("product", 3000)
    with db.begin() as conn:
        conn.execute(sa.text("ANALYZE external_reference"))
    add("order", 3000)
    plan = _plan(
        db,
        resolve_ids_sql(),
        {"source": source, "type": "order", "ids": [str(n) for n in range(2000, 2100)]},
    )
    assert "external_reference_unique" in plan, plan
    assert "external_id = i.eid" in plan, plan
