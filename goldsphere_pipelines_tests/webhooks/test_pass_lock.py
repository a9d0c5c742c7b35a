"""A webhook pass and a sync of the same connector never write at once."""

from __future__ import annotations

import threading
import uuid

import sqlalchemy as sa

from goldsphere_pipelines.storage.locks import connector_sync_lock, webhook_pass_lock


def test_no_pass_while_a_sync_holds_the_connector(db: sa.Engine) -> None:
    connector_id = uuid.uuid4()
    with connector_sync_lock(db, connector_id, "shop-a"):
        with webhook_pass_lock(db, connector_id) as acquired:
            assert acquired is False
        with webhook_pass_lock(db, uuid.uuid4()) as other:
            assert other is True
    with webhook_pass_lock(db, connector_id) as acquired:
        assert acquired is True


def test_a_starting_sync_waits_for_the_running_pass(db: sa.Engine) -> None:
    connector_id = uuid.uuid4()
    order: list[str] = []
    pass_started, sync_tried = threading.Event(), threading.Event()

    def sync() -> None:
        pass_started.wait(10)
        sync_tried.set()
        with connector_sync_lock(db, connector_id, "shop-b"):
            order.append("sync")

    syncing = threading.Thread(target=sync)
    syncing.start()
    with webhook_pass_lock(db, connector_id) as acquired:
        assert acquired
        pass_started.set()
        sync_tried.wait(10)
        # The sync has its own lock by now and waits for this one.
        for _ in range(50):
            if _waiting_for_advisory_lock(db):
                break
            threading.Event().wait(0.05)
        order.append("pass")
    syncing.join(30)
    assert order == ["pass", "sync"]


def _waiting_for_advisory_lock(db: sa.Engine) -> bool:
    with db.connect() as conn:
        return bool(
            conn.execute(
                sa.text(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                    "AND NOT granted)"
                )
            ).scalar_one()
        )
