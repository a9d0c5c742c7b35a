"""One sync per connector at a time, guaranteed by PostgreSQL itself.

A session-level advisory lock lives as long as the connection that took it: if the syncing
process dies, PostgreSQL drops the connection and the lock with it, so a crash never leaves
a connector locked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from goldsphere_pipelines.errors import GoldsphereError

# Lock ids live in a namespace of their own (the first key of the two-key form), so they
# cannot collide with the migration lock or with locks another application takes.
_SYNC_LOCK_NAMESPACE = 0x6773
# A webhook processor pass writes a connector's rows under this lock; a sync takes it too,
# after its own, and keeps it to the end: passes never interleave with a sync's writes.
_WEBHOOK_PASS_NAMESPACE = 0x6774
# How long a starting sync waits for a webhook pass to finish (a pass takes milliseconds
# to a few seconds; this bounds a stuck one).
_WEBHOOK_PASS_WAIT_MS = 60_000


class SyncAlreadyRunningError(GoldsphereError):
    code = "sync_already_running"


class SyncLockLostError(GoldsphereError):
    code = "sync_lock_lost"


class HeldLock:
    """The connector's sync lock while it is held; `ensure_held` proves it still is."""

    def __init__(self, conn: sa.Connection, connector_name: str) -> None:
        self._conn = conn
        self._connector_name = connector_name
        self._checked_at = float("-inf")

    def ensure_held(self, *, unless_checked_within: float = 0.0) -> None:
        """Raise when the connection holding the lock is gone (PostgreSQL restarted or the
        connection was cut): the lock went with it, and another sync could start, so this
        one must stop writing.

        `unless_checked_within` (seconds): a check that recent counts, and no round trip is
        made. Pages arrive every few milliseconds; a round trip per page kept the thread that
        feeds the writers waiting on a busy server for seconds over a large sync.
        """
        now = time.monotonic()
        if self._conn.invalidated:
            raise self._lost()
        if now - self._checked_at < unless_checked_within:
            return
        try:
            # The lightest round trip there is (the connection is in autocommit, so no
            # transaction to close).
            self._conn.exec_driver_sql("SELECT 1")
            self._checked_at = now
        except sa.exc.DBAPIError as exc:
            raise self._lost() from exc

    def _lost(self) -> SyncLockLostError:
        return SyncLockLostError(
            f"The database connection holding the sync lock of {self._connector_name!r} "
            "was lost (PostgreSQL restarted or the connection was cut), so the sync "
            "stopped. What was committed stays; start the sync again."
        )


def _lock_key(connector_id: UUID) -> int:
    # A stable 31-bit key from the UUID; collisions only serialize two connectors' syncs.
    return int(connector_id.int % (2**31 - 1))


@contextmanager
def connector_sync_lock(
    engine: Engine, connector_id: UUID, connector_name: str
) -> Iterator[HeldLock]:
    """Hold the connector's sync lock for the block, or fail at once if another sync holds it."""
    # Session-level advisory locks need no transaction: the connection stays in autocommit.
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        acquired = conn.execute(
            sa.text("SELECT pg_try_advisory_lock(:ns, :key)"),
            {"ns": _SYNC_LOCK_NAMESPACE, "key": _lock_key(connector_id)},
        ).scalar_one()
        if not acquired:
            raise SyncAlreadyRunningError(
                f"Another sync of connector {connector_name!r} is running. Wait for it to "
                "finish (see its run in the Dagster UI), then start this one again."
            )
        try:
            _wait_for_webhook_pass(conn, connector_id, connector_name)
            yield HeldLock(conn, connector_name)
        finally:
            # An invalidated connection was lost, and the lock went with it (see
            # `ensure_held`); otherwise the lock is given back here.
            if not conn.invalidated:
                try:
                    conn.execute(
                        sa.text("SELECT pg_advisory_unlock_all()"),
                    )
                except sa.exc.DBAPIError:
                    # The connection is gone (database restarted): the lock went with it.
                    conn.invalidate()
    finally:
        conn.close()


def _wait_for_webhook_pass(conn: sa.Connection, connector_id: UUID, connector_name: str) -> None:
    try:
        conn.exec_driver_sql(f"SET lock_timeout = {_WEBHOOK_PASS_WAIT_MS}")
        conn.execute(
            sa.text("SELECT pg_advisory_lock(:ns, :key)"),
            {"ns": _WEBHOOK_PASS_NAMESPACE, "key": _lock_key(connector_id)},
        )
    except sa.exc.OperationalError as exc:
        raise SyncAlreadyRunningError(
            f"A webhook pass of connector {connector_name!r} has held its rows for over "
            f"{_WEBHOOK_PASS_WAIT_MS // 1000} s; start the sync again in a moment."
        ) from exc
    finally:
        conn.exec_driver_sql("RESET lock_timeout")


@contextmanager
def webhook_pass_lock(engine: Engine, connector_id: UUID) -> Iterator[bool]:
    """Hold the connector's webhook pass lock for the block when it is free: yields False,
    holding nothing, while a sync (or another pass) has it."""
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        acquired = bool(
            conn.execute(
                sa.text("SELECT pg_try_advisory_lock(:ns, :key)"),
                {"ns": _WEBHOOK_PASS_NAMESPACE, "key": _lock_key(connector_id)},
            ).scalar_one()
        )
        try:
            yield acquired
        finally:
            if acquired and not conn.invalidated:
                try:
                    conn.execute(
                        sa.text("SELECT pg_advisory_unlock(:ns, :key)"),
                        {"ns": _WEBHOOK_PASS_NAMESPACE, "key": _lock_key(connector_id)},
                    )
                except sa.exc.DBAPIError:
                    conn.invalidate()
    finally:
        conn.close()


def is_sync_locked(engine: Engine, connector_id: UUID) -> bool:
    """True while some session holds the connector's sync lock."""
    with engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                    "AND classid = :ns AND objid = :key AND granted)"
                ),
                {"ns": _SYNC_LOCK_NAMESPACE, "key": _lock_key(connector_id)},
            ).scalar_one()
        )
