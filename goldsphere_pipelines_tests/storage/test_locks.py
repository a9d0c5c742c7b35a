"""The sync lock on real PostgreSQL: taken once per connector, and a lost lock is noticed."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from goldsphere_pipelines.storage.locks import (
    _SYNC_LOCK_NAMESPACE,
    SyncAlreadyRunningError,
    SyncLockLostError,
    _lock_key,
    connector_sync_lock,
    is_sync_locked,
)


def _terminate_lock_holder(engine: sa.Engine, connector_id: uuid.UUID) -> None:
    with engine.connect() as conn:
        holders = conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() "
                "AND classid = :ns AND objid = :key"
            ),
            {"ns": _SYNC_LOCK_NAMESPACE, "key": _lock_key(connector_id)},
        ).all()
    assert len(holders) == 1


def test_a_second_sync_of_the_same_connector_is_refused(db: sa.Engine) -> None:
    connector_id = uuid.uuid4()
    with connector_sync_lock(db, connector_id, "shop-a"):
        assert is_sync_locked(db, connector_id)
        with (
            pytest.raises(SyncAlreadyRunningError, match="Another sync of connector 'shop-a'"),
            connector_sync_lock(db, connector_id, "shop-a"),
        ):
            pass
    assert not is_sync_locked(db, connector_id)


def test_a_lost_lock_is_noticed_by_the_next_check_that_asks_the_server(db: sa.Engine) -> None:
    connector_id = uuid.uuid4()
    with connector_sync_lock(db, connector_id, "shop-b") as lock:
        lock.ensure_held()
        _terminate_lock_holder(db, connector_id)
        assert not is_sync_locked(db, connector_id)

        # Between pages, a check younger than the interval counts: no round trip...
        lock.ensure_held(unless_checked_within=60.0)
        # ...while a step's start and end always ask the server.
        with pytest.raises(SyncLockLostError, match="lock of 'shop-b' was lost") as lost:
            lock.ensure_held()
        assert "start the sync again" in lost.value.message
        with pytest.raises(SyncLockLostError):
            lock.ensure_held(unless_checked_within=60.0)
