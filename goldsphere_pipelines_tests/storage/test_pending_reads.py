"""Reading pending rows one batch ahead, and only the payload keys a mapper reads."""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa

from goldsphere_pipelines.storage.engine import batch_transaction
from goldsphere_pipelines.storage.external_records import (
    ExternalRecordRepository,
    MappingOutcome,
    RawRecord,
)
from goldsphere_pipelines_tests.storage.test_bulk_writes import _connector


def _order(n: int, payload: object) -> RawRecord:
    return RawRecord(
        external_id=str(n),
        payload=json.dumps(payload).encode(),
        payload_hash=f"hash-{n}",
        date_modified_gmt=datetime(2025, 1, 1),
    )


def test_each_pending_row_is_read_once_while_batches_commit_behind_the_reader(
    db: sa.Engine,
) -> None:
    connector_id = _connector(db)
    repo = ExternalRecordRepository(db, "order")
    repo.upsert_raw(connector_id, [_order(n, {"id": n}) for n in range(1, 26)], first_load=True)
    seen: list[str] = []
    for batch in repo.iter_pending(connector_id, batch_size=4):
        seen += [r.external_id for r in batch]
        # the batch is done before the next one is asked for: the one read ahead holds
        # none of its rows, and no row comes twice
        with batch_transaction(db) as conn:
            repo.record_outcomes(
                conn,
                connector_id,
                [MappingOutcome(r.external_id, "mapped", {"ok": True}, []) for r in batch],
            )
    assert sorted(seen, key=int) == [str(n) for n in range(1, 26)]
    assert len(seen) == len(set(seen))
    assert list(repo.iter_pending(connector_id, batch_size=4)) == []


def test_a_reader_left_early_can_be_closed(db: sa.Engine) -> None:
    connector_id = _connector(db)
    repo = ExternalRecordRepository(db, "order")
    repo.upsert_raw(connector_id, [_order(n, {"id": n}) for n in range(1, 10)], first_load=True)
    batches = repo.iter_pending(connector_id, batch_size=2)
    first = next(batches)
    batches.close()
    assert len(first) == 2  # and closing it waited for the batch read ahead


def test_only_the_fields_asked_for_are_read_and_other_payloads_whole(db: sa.Engine) -> None:
    connector_id = _connector(db)
    repo = ExternalRecordRepository(db, "order")
    whole = {
        "id": 1,
        "status": "processing",
        "billing": {"email": "a@example.com", "phone": "1"},
        "shipping": {"city": "Bern"},
        "line_items": [{"id": 5, "meta_data": [{"key": "k", "value": None}]}],
        "note": None,
    }
    repo.upsert_raw(
        connector_id,
        [_order(1, whole), _order(2, [1, "two"]), _order(3, "text"), _order(4, {})],
        first_load=True,
    )
    fields = ["id", "billing", "line_items", "note", "absent"]
    [batch] = list(repo.iter_pending(connector_id, batch_size=10, fields=fields))
    payloads = {r.external_id: r.payload for r in batch}
    assert payloads["1"] == {k: v for k, v in whole.items() if k in fields}
    # keys kept arrive in the order the whole payload has them
    [full] = list(repo.iter_pending(connector_id, batch_size=10))
    in_order = [k for k in next(r for r in full if r.external_id == "1").payload if k in fields]
    assert list(payloads["1"]) == in_order
    assert payloads["2"] == [1, "two"]
    assert payloads["3"] == "text"
    assert payloads["4"] == {}
